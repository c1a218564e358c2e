"""The shared registries: threat-page panels, navigation and the home page's attention list.

Each test registers its own entry and checks it through the real page, so it fails if the page
stops reading the registry, ignores ``order``, shows an entry it should hide, or loses the entries
the apps register from their ``AppConfig.ready()``.
"""

from __future__ import annotations

import re

import pytest

from socmaster.core import registry
from socmaster.core.registry import (
    AttentionCount,
    AttentionItem,
    NavItem,
    ThreatPanel,
    register_attention,
    register_nav_item,
    register_threat_panel,
)
from socmaster.threats.models import Threat
from socmaster.web.context_processors import navigation

pytestmark = pytest.mark.django_db

PANEL_TEMPLATES = {
    "registry_test/panel.html": (
        '<p data-testid="panel-body-{{ panel_word }}">{{ panel_word }} for {{ threat.reference }}'
        " seen by {{ seen_by }}</p>"
    ),
}


@pytest.fixture(autouse=True)
def _isolated_registries(monkeypatch):
    """Each test registers into copies of the registries, so nothing leaks into other tests."""
    for name in ("_THREAT_PANELS", "_NAV_ITEMS", "_ATTENTION"):
        monkeypatch.setattr(registry, name, dict(getattr(registry, name)))


@pytest.fixture
def panel_templates(settings):
    """The project's template settings, plus a panel template held in memory."""
    engine = dict(settings.TEMPLATES[0])
    engine["APP_DIRS"] = False
    engine["OPTIONS"] = {
        **engine["OPTIONS"],
        "loaders": [
            ("django.template.loaders.locmem.Loader", PANEL_TEMPLATES),
            "django.template.loaders.app_directories.Loader",
        ],
    }
    settings.TEMPLATES = [engine]


@pytest.fixture
def analyst(make_user):
    return make_user("force-durham", "analyst", username="reg-analyst")


@pytest.fixture
def threat(org):
    return Threat.objects.create(
        reference="REG-1", name="Registry crew", owner=org("force-durham"), handling="region"
    )


def _panel(key, order, context, title=None):
    return ThreatPanel(key, title or f"Panel {key}", order, "registry_test/panel.html", context)


def _word(word):
    def context(request, threat):
        return {"panel_word": word, "seen_by": request.user.username}

    return context


def _headings(body: str) -> list[str]:
    return re.findall(r'<h2 class="govuk-heading-l" id="([^"]+)">', body)


# --- Threat-page panels ----------------------------------------------------------------------


def test_a_registered_panel_is_rendered_with_its_context(web, analyst, threat, panel_templates):
    register_threat_panel(_panel("extra", 250, _word("alpha"), title="An extra panel"))
    body = web(analyst).get(f"/threats/{threat.reference}/").content.decode()
    assert '<h2 class="govuk-heading-l" id="extra">An extra panel</h2>' in body
    assert '<p data-testid="panel-body-alpha">alpha for REG-1 seen by reg-analyst</p>' in body


def test_a_panel_whose_context_is_none_is_not_rendered(web, analyst, threat, panel_templates):
    calls = []

    def hidden(request, threat):
        calls.append(threat.reference)
        return None

    register_threat_panel(_panel("shown", 250, _word("shown")))
    register_threat_panel(_panel("hidden", 260, hidden, title="Hidden panel"))
    body = web(analyst).get(f"/threats/{threat.reference}/").content.decode()
    assert calls == ["REG-1"]  # asked, and it said no
    assert 'data-testid="panel-body-shown"' in body
    assert "Hidden panel" not in body and 'id="hidden"' not in body


def test_panels_follow_their_order_not_the_order_of_registration(
    web, analyst, threat, panel_templates
):
    register_threat_panel(_panel("last", 9999, _word("last")))
    register_threat_panel(_panel("first", 1, _word("first")))
    register_threat_panel(_panel("between", 250, _word("between")))  # after the 4P plan (200)
    body = web(analyst).get(f"/threats/{threat.reference}/").content.decode()
    assert _headings(body) == [
        "first",
        "assessments",
        "plan",
        "between",
        "disruptions",
        "gateway",
        "linked-subjects",
        "network",
        "last",
    ]
    assert body.index("panel-body-first") < body.index("panel-body-between")
    assert body.index("panel-body-between") < body.index("panel-body-last")


def test_the_apps_register_the_threat_page_panels(web, analyst, threat):
    body = web(analyst).get(f"/threats/{threat.reference}/").content.decode()
    # No moderated score and no approved disruption: the chart's panel (reporting) says None.
    # The gateway's panel offers the analyst, a requester, to ask for support.
    assert _headings(body) == [
        "assessments",
        "plan",
        "disruptions",
        "gateway",
        "linked-subjects",
        "network",
    ]
    assert [p.key for p in registry.threat_panels()] == [
        "assessments",
        "timeline",
        "plan",
        "disruptions",
        "gateway",
        "linked-subjects",
        "network",
    ]


def test_registering_a_key_again_replaces_the_entry():
    register_threat_panel(_panel("again", 5, _word("one")))
    register_threat_panel(_panel("again", 6, _word("two")))
    assert [p.order for p in registry.threat_panels() if p.key == "again"] == [6]


# --- Navigation ------------------------------------------------------------------------------


def _menu(body: str) -> list[str]:
    menu = body.split('id="navigation"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'class="govuk-service-navigation__link" href="[^"]*"[^>]*>([^<]+)</a>', menu)


def test_a_registered_nav_item_is_shown_in_its_order(web, analyst):
    register_nav_item(NavItem("extract", "Extract", "reporting:masterlist-extract", 250))
    body = web(analyst).get("/").content.decode()
    assert _menu(body) == [
        "Home",
        "Master list",
        "Extract",
        "Exceptions",
        "Organisations",
        "Nominals",
        "Disruptions",
        "Intelligence",
        "Matching",
        "Network",
        "4P plans",
        "Gateway",
        "Debriefs",
        "Tasking",
        "People",
        "Reports",
        "API",
    ]
    assert 'href="/reports/masterlist-extract/">Extract</a>' in body


def test_a_nav_item_whose_visible_is_false_is_not_shown(web, analyst, make_user):
    asked = []

    def only_moderators(user):
        asked.append(user.username)
        return user.has_role("moderator")

    register_nav_item(
        NavItem("secret", "Secret page", "reporting:index", 50, visible=only_moderators)
    )
    assert "Secret page" not in _menu(web(analyst).get("/").content.decode())
    moderator = make_user("rocu-north-east", "moderator", username="reg-moderator")
    assert _menu(web(moderator).get("/").content.decode())[0] == "Secret page"
    assert asked == ["reg-analyst", "reg-moderator"]


def test_the_longest_matching_prefix_is_the_current_entry(analyst):
    register_nav_item(NavItem("extract", "Extract", "reporting:masterlist-extract", 1050))

    def current(path):
        return [item["label"] for item in navigation(analyst, path) if item["active"]]

    assert current("/reports/masterlist-extract/seized/") == ["Extract"]
    assert current("/reports/") == ["Reports"]
    assert current("/threats/REG-1/") == ["Master list"]
    assert current("/threats/nominals/N-1/") == ["Nominals"]
    assert current("/") == ["Home"]
    assert current("/token/") == []  # Home is current on the home page only


def test_menu_entries_that_depend_on_the_user(web, analyst, make_user):
    moderator = make_user("rocu-north-east", "moderator", username="reg-mod")
    admin = make_user("force-durham", "administrator", username="reg-admin")
    assert "Moderation" not in _menu(web(analyst).get("/").content.decode())
    assert "Audit" not in _menu(web(analyst).get("/").content.decode())
    assert "Moderation" in _menu(web(moderator).get("/").content.decode())
    assert "Audit" in _menu(web(admin).get("/").content.decode())


# --- The home page's attention list ----------------------------------------------------------


def _counts(body: str) -> list[str]:
    return re.findall(r'data-testid="count-([^"]+)"', body)


def test_a_registered_attention_item_is_shown_with_its_links(web, analyst):
    register_attention(
        AttentionItem(
            "reviews",
            150,
            lambda user: AttentionCount(
                7, f"reviews for {user.username}", "/plans/", links=(("2 late", "/plans/?late=1"),)
            ),
        )
    )
    body = web(analyst).get("/").content.decode()
    assert (
        '<span class="sm-count" data-testid="count-reviews">7</span>'
        '<a class="govuk-link" href="/plans/">reviews for reg-analyst</a>, '
        '<a class="govuk-link" href="/plans/?late=1">2 late</a>'
    ) in body
    # A figure above zero is listed under what needs the user; the apps' zero figures after it.
    assert _counts(body) == [
        "reviews",
        "my-actions-overdue",
        "my-actions-due",
        "meeting-actions-overdue",
        "returned-disruptions",
        "linkage-access-requests",
        "linkage-review",
    ]


def test_urgent_figures_come_first_and_zero_figures_under_nothing_else(web, analyst):
    register_attention(AttentionItem("calm", 1, lambda user: AttentionCount(3, "calm", "/")))
    register_attention(
        AttentionItem("late", 2, lambda user: AttentionCount(1, "late", "/", urgent=True))
    )
    register_attention(
        AttentionItem("zero", 3, lambda user: AttentionCount(0, "zero", "/", urgent=True))
    )
    body = web(analyst).get("/").content.decode()
    needs, nothing = body.split('data-testid="nothing-else"')
    assert _counts(needs) == ["late", "calm"]
    assert 'data-testid="urgent-late"' in needs and 'data-testid="urgent-calm"' not in needs
    assert "count-zero" in nothing and 'data-testid="urgent-zero"' not in body


def test_an_attention_item_that_returns_none_is_not_shown(web, analyst):
    register_attention(AttentionItem("nothing", 1, lambda user: None))
    register_attention(AttentionItem("last", 9999, lambda user: AttentionCount(1, "last", "/")))
    body = web(analyst).get("/").content.decode()
    assert "count-nothing" not in body
    assert _counts(body.split('data-testid="nothing-else"')[0])[-1] == "last"


def test_the_apps_register_the_home_page_counts(web, analyst, threat):
    body = web(analyst).get("/").content.decode()
    # An analyst holds no LRO, chief officer or moderator role: only what anyone may hold, and
    # what a reviewer of matches and a holder of records others may ask for hold.
    assert _counts(body) == [
        "my-actions-overdue",
        "my-actions-due",
        "meeting-actions-overdue",
        "returned-disruptions",
        "linkage-access-requests",
        "linkage-review",
    ]
    assert 'data-testid="nothing-needs-you"' in body

"""No dead ends: every menu entry of every demo role answers 200, partners are not offered the
police-only pages, the threat page offers its history only to those who may read it, the footer
offers the API documentation only to those it serves, the API documentation sits inside the
product, and the 404 page offers next steps without saying what exists."""

from __future__ import annotations

import re

import pytest

from socmaster.core import policy
from socmaster.threats.models import Threat
from socmaster.web.context_processors import navigation
from socmaster.web.demo import DEMO_USERS

pytestmark = pytest.mark.django_db

POLICE_ONLY = {"Exceptions", "People", "API"}


def _menu(body: str) -> list[str]:
    menu = body.split('id="navigation"')[1].split("</ul>")[0]
    return re.findall(r'class="govuk-service-navigation__link"[^>]*>([^<]+)</a>', menu)


@pytest.mark.parametrize(
    ("username", "role", "org_key"), DEMO_USERS, ids=[u[0] for u in DEMO_USERS]
)
def test_every_menu_entry_of_every_role_answers_200(web, make_user, username, role, org_key):
    user = make_user(org_key, role, username=f"nav-{username}")
    client = web(user)
    entries = navigation(user, "/")
    assert entries
    for entry in entries:
        response = client.get(entry["url"])
        assert response.status_code == 200, (role, entry["label"], response.status_code)


def test_partners_are_not_offered_the_police_only_pages(web, make_user):
    partner = make_user("partner-durham-county-council", "partner_user")
    police = make_user("force-durham", "analyst")
    partner_menu = _menu(web(partner).get("/").content.decode())
    assert not POLICE_ONLY & set(partner_menu)
    assert {"Home", "Master list", "Disruptions", "4P plans"} <= set(partner_menu)
    assert POLICE_ONLY <= set(_menu(web(police).get("/").content.decode()))


def test_a_partner_who_also_works_for_the_police_is_offered_them(make_user, org):
    from socmaster.organisations.models import Membership

    user = make_user("partner-durham-county-council", "partner_user")
    assert policy.is_partner_only(user)
    Membership.objects.create(user=user, organisation=org("force-durham"), role="analyst")
    user = type(user).objects.get(pk=user.pk)  # memberships are cached per instance
    assert not policy.is_partner_only(user)


# --- The threat page's history link ---------------------------------------------------------


@pytest.fixture
def threat(org, make_user):
    from django.db import transaction

    from socmaster.core import audit
    from socmaster.core.choices import AuditAction

    threat = Threat.objects.create(
        reference="HIST-1", name="History", owner=org("force-durham"), handling="region"
    )
    with transaction.atomic():  # an entry made in the owning force, before anyone else looks
        audit.record(AuditAction.VIEW, threat, user=make_user("force-durham", "analyst"))
    return threat


@pytest.mark.parametrize(
    ("org_key", "role", "offered"),
    [
        ("force-durham", "lro", False),
        ("force-durham", "analyst", False),
        ("force-durham", "administrator", True),
        ("rocu-north-east", "administrator", False),  # sees the threat, does not own it
        ("hmicfrs", "inspector", True),
    ],
)
def test_history_is_offered_exactly_to_those_who_may_read_it(
    web, make_user, threat, org_key, role, offered
):
    user = make_user(org_key, role)
    client = web(user)
    page = client.get(threat.get_absolute_url()).content.decode()
    assert ('data-testid="history-link"' in page) is offered
    history = client.get("/audit/", {"record_type": "threats.threat", "record_id": str(threat.pk)})
    if offered:
        # The link answers 200 and lists the record's entries (the view just recorded).
        assert history.status_code == 200
        assert "HIST-1" in history.content.decode()
    elif history.status_code != 403:
        # An administrator elsewhere reads only the entries their own organisation made (their
        # view just now), not the record's history: the page does not offer it as that.
        from socmaster.core.models import AuditEntry

        seen = policy.audit_scope(
            AuditEntry.objects.filter(record_type="threats.threat", record_id=str(threat.pk)),
            user,
        )
        assert seen.exists()
        assert set(seen.values_list("organisation_id", flat=True)) <= user.organisation_ids
        everything = AuditEntry.objects.filter(
            record_type="threats.threat", record_id=str(threat.pk)
        )
        assert seen.count() < everything.count()


# --- Footer, API documentation, 404 ---------------------------------------------------------


def test_the_signed_out_footer_does_not_link_to_the_api_documentation(client, web, make_user):
    signed_out = client.get("/login/").content.decode()
    assert "/api/docs/" not in signed_out
    assert client.get("/api/docs/").status_code in (401, 403)
    police = web(make_user("force-durham", "analyst")).get("/").content.decode()
    assert "/api/docs/" in police.split('class="govuk-footer"')[1]


def test_partners_footer_does_not_offer_the_api_documentation(web, make_user):
    body = web(make_user("partner-durham-county-council", "partner_user")).get("/").content
    assert b"/api/docs/" not in body


def test_the_api_documentation_has_the_product_header_and_a_way_back(web, make_user):
    response = web(make_user("force-durham", "analyst")).get("/api/docs/")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'class="govuk-header' in body and 'id="navigation"' in body
    assert 'data-testid="back-link"' in body and 'href="/"' in body
    assert 'id="swagger-ui"' in body and "?script=" in body.replace("&amp;", "&")
    assert "<title>API documentation – socmaster</title>" in body


def test_the_404_page_offers_next_steps_and_reveals_nothing(web, make_user, org, client):
    hidden = Threat.objects.create(
        reference="HID-1", name="Secret", owner=org("force-kent"), handling="owner"
    )
    user_client = web(make_user("force-durham", "analyst"))
    missing = user_client.get("/threats/NO-SUCH/")
    forbidden = user_client.get(hidden.get_absolute_url())
    assert missing.status_code == forbidden.status_code == 404
    body = missing.content.decode()
    steps = body.split('data-testid="next-steps"')[1].split("</ul>")[0]
    assert 'href="/"' in steps and 'href="/threats/"' in steps
    assert 'action="/threats/"' in body and 'name="q"' in body
    assert "Secret" not in forbidden.content.decode()
    # The same page for the hidden and the missing record, but for the per-request token.
    from tests.access import same_body

    assert same_body(
        missing.content.replace(b"NO-SUCH", b""), forbidden.content.replace(b"HID-1", b"")
    )


def test_every_api_operation_has_a_description_from_its_docstring():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = [(m, p, op) for p, ops in schema["paths"].items() for m, op in ops.items()]
    assert operations
    assert [(m, p) for m, p, op in operations if not op.get("description")] == []
    threats = schema["paths"]["/api/threats/"]["get"]["description"]
    assert threats.startswith("The SOC master list.")


def test_the_reports_page_offers_partners_no_police_only_report(web, make_user):
    partner = web(make_user("partner-durham-county-council", "partner_user")).get("/reports/")
    assert b"/threats/exceptions/" not in partner.content
    assert b"/assessments/queue/" not in partner.content
    police = web(make_user("force-durham", "analyst")).get("/reports/").content
    assert b"/threats/exceptions/" in police and b"/assessments/queue/" not in police
    moderator = web(make_user("rocu-north-east", "moderator")).get("/reports/").content
    assert b"/assessments/queue/" in moderator


@pytest.mark.parametrize(
    ("username", "role", "org_key"), DEMO_USERS, ids=[u[0] for u in DEMO_USERS]
)
def test_every_link_on_the_home_and_reports_pages_answers_200(
    web, make_user, username, role, org_key
):
    client = web(make_user(org_key, role, username=f"links-{username}"))
    for page in ("/", "/reports/"):
        main = client.get(page).content.decode().split('id="main-content"')[1]
        for url in re.findall(r'href="(/[^"#]*)"', main.split("</main>")[0]):
            assert client.get(url.replace("&amp;", "&")).status_code == 200, (role, page, url)

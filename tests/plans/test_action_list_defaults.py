"""The plan-actions page starts with what is open, overdue first, and keeps the filters applied."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from socmaster.plans.models import Plan, PlanAction
from socmaster.threats.models import Threat

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


@pytest.fixture
def lro(make_user):
    return make_user("force-durham", "lro", username="defaults-lro")


@pytest.fixture
def actions(lro, org):
    threat = Threat.objects.create(reference="DEF-1", name="D", owner=org("force-durham"), lro=lro)
    plan = Plan.objects.create(threat=threat, author=lro, aim="Aim.")

    def add(name, due, status="not_started"):
        return PlanAction.objects.create(
            plan=plan,
            four_p="pursue",
            description=name,
            owner_user=lro,
            start_date=TODAY - dt.timedelta(days=1000),
            due_date=due,
            status=status,
        )

    return {
        "undated": add("undated-open", None),
        "later": add("later-open", TODAY + dt.timedelta(days=20), "in_progress"),
        "late": add("late-open", TODAY - dt.timedelta(days=3)),
        "done": add("done-2022", dt.date(2022, 3, 1), "complete"),
        "cancelled": add("cancelled-2022", dt.date(2022, 1, 1), "cancelled"),
    }


def _listed(body: str) -> list[str]:
    return re.findall(r">((?:undated|later|late|done|cancelled)-[a-z0-9]+)</a>", body)


def test_my_actions_start_with_open_ones_overdue_first(web, lro, actions):
    body = web(lro).get("/plans/actions/").content.decode()
    assert _listed(body) == ["late-open", "later-open", "undated-open"]
    assert '<option value="open" selected>' in body


def test_any_status_shows_closed_actions_too_and_stays_chosen_on_the_next_page(web, lro, actions):
    body = web(lro).get("/plans/actions/", {"status": ""}).content.decode()
    assert set(_listed(body)) == {
        "late-open",
        "later-open",
        "undated-open",
        "done-2022",
        "cancelled-2022",
    }
    assert _listed(body)[0] == "late-open"  # still overdue first
    from django.test import RequestFactory

    from socmaster.plans.views import _querystring

    request = RequestFactory().get("/plans/actions/", {"status": "", "page": "2"})
    assert "status=" in _querystring(request)


def test_a_chosen_status_stays_selected_while_the_list_is_filtered(web, lro, actions):
    body = web(lro).get("/plans/actions/", {"status": "complete"}).content.decode()
    assert _listed(body) == ["done-2022"]
    assert '<option value="complete" selected>' in body
    assert '<option value="open" selected>' not in body


def test_led_scope_and_due_soon(web, lro, actions, make_user):
    body = web(lro).get("/plans/actions/", {"scope": "led", "due_soon": "1"}).content.decode()
    assert _listed(body) == []  # nothing within 14 days
    PlanAction.objects.filter(pk=actions["later"].pk).update(due_date=TODAY + dt.timedelta(days=14))
    body = web(lro).get("/plans/actions/", {"scope": "led", "due_soon": "1"}).content.decode()
    assert _listed(body) == ["later-open"]
    other = make_user("force-durham", "lro")
    assert _listed(web(other).get("/plans/actions/", {"scope": "led"}).content.decode()) == []


def test_the_api_still_filters_by_a_stored_status_and_by_open(api, lro, actions):
    client = api(lro)
    done = client.get("/api/plan-actions/", {"status": "complete"}).json()
    assert [a["description"] for a in done["results"]] == ["done-2022"]
    open_ = client.get("/api/plan-actions/", {"status": "open"}).json()
    assert {a["description"] for a in open_["results"]} == {
        "late-open",
        "later-open",
        "undated-open",
    }

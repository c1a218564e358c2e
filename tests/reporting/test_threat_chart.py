"""The threat page's picture: scores on a time axis against tier bands, with what changed and why,
the same figures as a table, and a timeline of assessments, disruptions and plan actions."""

from __future__ import annotations

import datetime as dt

import pytest

from socmaster.assessments import services as assessments
from socmaster.disruptions import services as disruptions
from socmaster.disruptions.models import Disruption, Tactic
from socmaster.plans import services as plans
from socmaster.reporting.registry import _threat_chart
from socmaster.threats.models import Threat
from tests.assessments.test_workflow import answers

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


class _Request:
    def __init__(self, user):
        self.user = user


@pytest.fixture
def people(make_user):
    return {
        "assessor": make_user("rocu-north-east", "rocta_assessor"),
        "moderator": make_user("rocu-north-east", "moderator"),
        "lro": make_user("force-durham", "lro"),
        "kent": make_user("force-kent", "analyst"),
    }


def _moderated(people, threat, pick, days_ago, summary="", whole=True):
    a = assessments.create_assessment(
        people["assessor"],
        threat,
        answers=answers(pick),
        evidence_from=TODAY - dt.timedelta(days=days_ago + 100),
        evidence_to=TODAY - dt.timedelta(days=days_ago),
        review_due=TODAY + dt.timedelta(days=100),
        whole_threat=whole,
        partial_justification="" if whole else "Op Lantern's part only",
        summary=summary,
    )
    assessments.submit_assessment(people["assessor"], a)
    return assessments.moderate_assessment(people["moderator"], a)


@pytest.fixture
def threat(org, people):
    threat = Threat.objects.create(
        reference="CH-1",
        name="Canal crew",
        owner=org("force-durham"),
        lro=people["lro"],
        handling="region",
        threat_type="ocg",
    )
    _moderated(people, threat, 3, 300, summary="Firearms seized; new supply line.")
    _moderated(people, threat, 0, 30, whole=False)
    d = disruptions.record_disruption(
        people["lro"],
        threat,
        recording_organisation=org("force-durham"),
        event_date=TODAY - dt.timedelta(days=20),
        record_date=TODAY,
        team="Op Lantern",
        four_p="pursue",
        category="major",
        tactic=Tactic.objects.get(code="arrest"),
        narrative="Three principals arrested; drugs line closed.",
        evidence="Custody refs 1-3",
    )
    Disruption.objects.filter(pk=d.pk).update(status="approved")
    plan = plans.create_plan(people["lro"], threat, aim="Dismantle the canal crew.")
    plans.add_action(
        people["lro"],
        plan,
        four_p="protect",
        description="Licensing review of the car wash\nsecond line",
        owner_user=people["lro"],
        start_date=TODAY,
        due_date=TODAY + dt.timedelta(days=20),
    )
    return threat


def test_each_point_says_what_changed_and_why(threat, people):
    context = _threat_chart(_Request(people["lro"]), threat)
    first, second = context["score_series"]
    assert first["change"] == "" and first["reason"] == "Firearms seized; new supply line."
    delta = second["score"] - first["score"]
    assert second["change"].startswith(f"{delta:+.1f}")
    if first["tier"] != second["tier"]:
        assert f"(Tier {first['tier']} to Tier {second['tier']})" in second["change"]
    assert "Covers part of the threat only: Op Lantern's part only" in second["reason"]
    day = TODAY - dt.timedelta(days=30)
    assert second["shown_date"] == f"{day.day} {day:%b %Y}"


def test_the_tier_bands_are_the_schemes(threat, people):
    bands = _threat_chart(_Request(people["lro"]), threat)["tier_bands"]
    scheme = assessments.current_scheme().engine_scheme()
    assert bands == [{"tier": t.tier, "min": float(t.min)} for t in scheme.tiers]
    assert [b["tier"] for b in bands] == [1, 2, 3, 4, 5]


def test_the_timeline_holds_assessments_disruptions_and_actions_newest_first(threat, people):
    timeline = _threat_chart(_Request(people["lro"]), threat)["timeline"]
    kinds = [row["kind"] for row in timeline]
    assert kinds == ["Plan action due", "Disruption", "Assessment", "Assessment"]
    assert timeline[0]["what"] == "Protect action: Licensing review of the car wash (Not started)"
    assert [row["date"] for row in timeline] == sorted((r["date"] for r in timeline), reverse=True)


def test_the_page_shows_the_figures_as_a_table_with_uk_dates(threat, people, web):
    page = web(people["lro"]).get(f"/threats/{threat.reference}/").content.decode()
    assert 'data-testid="chart-table"' in page and 'data-testid="threat-timeline"' in page
    day = TODAY - dt.timedelta(days=20)
    assert f"{day.day} {day:%b %Y}" in page  # the disruption's event date, as people write it
    assert "tier-data" in page


def test_nothing_is_drawn_from_records_the_viewer_may_not_see(threat, people):
    # Another region's analyst cannot see the threat, so none of its assessments, disruptions or
    # plan actions: each of the three reads goes through the access policy.
    assert _threat_chart(_Request(people["kent"]), threat) is None

"""The plans API (field-level 400s, 404s, partner trimming, quality rows) and `socmaster report plan-quality`."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command

from socmaster.core.models import AuditEntry
from socmaster.plans import services
from socmaster.plans.models import Plan, PlanAction
from socmaster.threats.models import Threat

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


@pytest.fixture
def people(make_user):
    return {
        "lro": make_user("force-durham", "lro", username="lro"),
        "chief": make_user("force-durham", "chief_officer", username="chief"),
        "partner": make_user("partner-durham-county-council", "partner_user", username="council"),
        "outsider": make_user("force-kent", "analyst", username="kent"),
    }


@pytest.fixture
def plan(org, people):
    threat = Threat.objects.create(
        reference="API-1", name="Canal crew", owner=org("force-durham"), lro=people["lro"]
    )
    plan = services.create_plan(
        people["lro"],
        threat,
        aim="Dismantle the canal crew.",
        intelligence_gaps="Supply route unknown.",
    )
    services.add_action(
        people["lro"],
        plan,
        four_p="pursue",
        description="Arrest the principals",
        owner_user=people["lro"],
        start_date=TODAY,
        due_date=TODAY + dt.timedelta(days=10),
    )
    services.add_action(
        people["lro"],
        plan,
        four_p="protect",
        description="Licensing review of the car wash",
        owner_organisation=org("partner-durham-county-council"),
        start_date=TODAY,
        due_date=TODAY + dt.timedelta(days=20),
    )
    return plan


def test_create_plan_and_field_level_errors(api, people, org):
    threat = Threat.objects.create(
        reference="API-2", name="Mill gang", owner=org("force-durham"), lro=people["lro"]
    )
    client = api(people["lro"])
    bad = client.post(
        "/api/plans/", {"threat": "API-2", "aim": "", "review_frequency_days": 400}, format="json"
    )
    assert bad.status_code == 400
    assert "review_frequency_days" in bad.json() and "aim" in bad.json()
    assert not Plan.objects.filter(threat=threat).exists()
    made = client.post(
        "/api/plans/",
        {"threat": "API-2", "aim": "Stop the mill gang.", "add_suggested_actions": True},
        format="json",
    )
    assert made.status_code == 201, made.json()
    assert made.json()["author_role"] == "lro" and len(made.json()["actions"]) == 5
    again = client.post("/api/plans/", {"threat": "API-2", "aim": "Second"}, format="json")
    assert again.status_code == 400 and "already has a current plan" in again.json()["threat"][0]
    hidden = Threat.objects.create(
        reference="API-K", name="Kent", owner=org("force-kent"), handling="owner"
    )
    # A hidden threat answers exactly like a missing one: the same 400 and the same message.
    client = api(people["lro"])
    to_hidden = client.post("/api/plans/", {"threat": hidden.reference, "aim": "x"}, format="json")
    to_missing = client.post("/api/plans/", {"threat": "API-NONE", "aim": "x"}, format="json")
    assert to_hidden.status_code == to_missing.status_code == 400
    assert to_hidden.json() == to_missing.json() == {"threat": ["No such threat."]}


def test_retrieve_is_audited_and_carries_quality(api, people, plan):
    response = api(people["lro"]).get(f"/api/plans/{plan.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert {f["check"] for f in body["quality"]["failures"]} == {
        "missing_p",
        "partner_unseen",
    }  # nobody at the council opened it
    assert "No Prevent, Prepare actions." in body["quality"]["failures"][0]["reason"]
    assert AuditEntry.objects.filter(
        action="view", record_type="plans.plan", record_id=str(plan.pk)
    ).exists()
    assert api(people["outsider"]).get(f"/api/plans/{plan.pk}/").status_code == 404


def test_partner_sees_trimmed_plan_and_updates_only_its_action(api, people, plan):
    client = api(people["partner"])
    body = client.get(f"/api/plans/{plan.pk}/").json()
    assert "aim" not in body and "intelligence_gaps" not in body and "quality" not in body
    assert [a["description"] for a in body["actions"]] == ["Licensing review of the car wash"]
    mine = plan.actions.get(four_p="protect")
    other = plan.actions.get(four_p="pursue")
    ok = client.patch(
        f"/api/plan-actions/{mine.pk}/",
        {"status": "complete", "result": "Licence suspended."},
        format="json",
    )
    assert ok.status_code == 200 and ok.json()["completed_on"] == dt.date.today().isoformat()
    refused = client.patch(
        f"/api/plan-actions/{mine.pk}/", {"due_date": "2030-01-01"}, format="json"
    )
    assert refused.status_code == 403 and "due date" in refused.json()["detail"]
    assert (
        client.patch(
            f"/api/plan-actions/{other.pk}/", {"status": "complete"}, format="json"
        ).status_code
        == 404
    )
    listed = client.get("/api/plan-actions/").json()
    assert [a["id"] for a in listed["results"]] == [mine.pk]
    services.update_plan(people["lro"], plan, partner_sections=["aim"])
    assert client.get(f"/api/plans/{plan.pk}/").json()["aim"] == "Dismantle the canal crew."


def test_action_validation_and_new_version_and_reviews(api, people, plan):
    client = api(people["lro"])
    bad = client.post(
        "/api/plan-actions/",
        {"plan": plan.pk, "four_p": "prevent", "description": "Refer", "status": "complete"},
        format="json",
    )
    assert bad.status_code == 400 and "result" in bad.json()
    added = client.post(
        "/api/plan-actions/",
        {
            "plan": plan.pk,
            "four_p": "prevent",
            "description": "Refer",
            "owner_organisation": "Durham County Council",
        },
        format="json",
    )
    assert (
        added.status_code == 201
        and added.json()["owner_organisation"] == "partner-durham-county-council"
    )
    review = api(people["chief"]).post(
        "/api/plan-reviews/",
        {"plan": plan.pk, "outcome": "good", "comments": "Sound."},
        format="json",
    )
    assert review.status_code == 201 and review.json()["reviewer_role"] == "chief_officer"
    assert (
        client.post(
            "/api/plan-reviews/",
            {"plan": plan.pk, "outcome": "good", "comments": "Mine."},
            format="json",
        ).status_code
        == 403
    )
    version = client.post(f"/api/plans/{plan.pk}/new-version/")
    assert version.status_code == 201 and version.json()["version"] == 2
    stale = client.patch(f"/api/plans/{plan.pk}/", {"aim": "Changed"}, format="json")
    assert stale.status_code == 400 and "superseded" in stale.json()["status"][0]


def test_quality_rows_and_templates(api, people, plan, org):
    Threat.objects.create(reference="API-3", name="No plan", owner=org("force-durham"))
    rows = api(people["lro"]).get("/api/plans/quality/").json()["results"]
    by_threat = {r["threat"]: r for r in rows}
    assert by_threat["API-3"]["checks_failed"] == "no_plan;no_lro"
    assert by_threat["API-1"]["checks_failed"] == "missing_p;partner_unseen"
    templates = api(people["lro"]).get("/api/plan-templates/").json()["results"]
    assert {t["threat_type"] for t in templates} == {"ocg", "priority_individual", "vulnerability"}


def _report(*args) -> str:
    out = io.StringIO()
    call_command("report", "plan-quality", *args, "--reason", "Quarterly check", stdout=out)
    return out.getvalue()


def test_report_command_csv_json_and_filters(people, plan, org):
    Threat.objects.create(reference="API-3", name="No plan", owner=org("force-durham"))
    Threat.objects.create(reference="API-W", name="Elsewhere", owner=org("force-west-yorkshire"))
    rows = list(csv.DictReader(io.StringIO(_report())))
    assert list(rows[0]) == ["threat", "organisation", "lro", "checks_failed"]
    assert {r["threat"]: r["checks_failed"] for r in rows} == {
        "API-1": "missing_p;partner_unseen",
        "API-3": "no_plan;no_lro",
        "API-W": "no_plan;no_lro",
    }
    north_east = json.loads(_report("--region", "North East", "--format", "json"))
    assert {r["threat"] for r in north_east} == {"API-1", "API-3"}
    assert north_east[0]["organisation"] == "Durham Constabulary" and north_east[0]["lro"] == "lro"
    assert {
        r["threat"]
        for r in json.loads(_report("--organisation", "West Yorkshire Police", "--format", "json"))
    } == {"API-W"}
    with pytest.raises(CommandError, match="not a region"):
        _report("--region", "Durham Constabulary")
    with pytest.raises(CommandError, match="Unknown organisation"):
        _report("--organisation", "Atlantis Police")


def test_completed_without_result_found_by_report(people, plan):
    PlanAction.objects.filter(plan=plan, four_p="pursue").update(status="complete", result="")
    rows = list(csv.DictReader(io.StringIO(_report())))
    assert "no_result" in rows[0]["checks_failed"].split(";")


def test_partner_reads_reviews_only_when_shown_and_opening_an_action_is_audited(api, people, plan):
    services.record_review(people["chief"], plan, outcome="good", comments="Sound plan.")
    client = api(people["partner"])
    assert client.get("/api/plan-reviews/").json()["count"] == 0
    services.update_plan(people["lro"], plan, partner_sections=["reviews"])
    assert [r["comments"] for r in client.get("/api/plan-reviews/").json()["results"]] == [
        "Sound plan."
    ]
    mine = plan.actions.get(four_p="protect")
    assert client.get(f"/api/plan-actions/{mine.pk}/").status_code == 200
    assert AuditEntry.objects.filter(
        action="view", record_type="plans.planaction", record_id=str(mine.pk)
    ).exists()

"""Disruptions: minimum-standard rules, the moderation workflow, partner rights, reports and extract."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from socmaster.core.models import AuditEntry
from socmaster.disruptions import services
from socmaster.disruptions.models import Disruption, Tactic
from socmaster.disruptions.reports import disruption_extract, disruption_report, recording_audit
from socmaster.threats.models import Threat

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


@pytest.fixture
def people(make_user):
    return {
        "recorder": make_user("force-durham", "analyst", username="rec"),
        "moderator": make_user("rocu-north-east", "moderator", username="mod"),
        "far_moderator": make_user("rocu-south-east", "moderator", username="semod"),
        "partner": make_user("partner-durham-county-council", "partner_user", username="council"),
        "other_partner": make_user(
            "partner-middlesbrough-council", "partner_user", username="boro"
        ),
        "inspector": make_user("hmicfrs", "inspector", username="insp"),
    }


@pytest.fixture
def ocg(org):
    threat = Threat.objects.create(
        reference="D-OCG",
        name="Harbour network",
        owner=org("force-durham"),
        threat_type="ocg",
        handling="region",
    )
    threat.shared_with.add(org("partner-durham-county-council"))
    return threat


def good(**overrides):
    values = dict(
        event_date=TODAY - dt.timedelta(days=3),
        record_date=TODAY,
        team="Op Lantern",
        disruption_type="lead",
        four_p="pursue",
        category="major",
        tactic=Tactic.objects.get(code="arrest"),
        narrative="Three principals arrested; drugs line closed.",
        evidence="Custody refs 1-3",
    )
    values.update(overrides)
    return values


def record(user, threat, org, **overrides):
    return services.record_disruption(user, threat, recording_organisation=org, **good(**overrides))


# --- minimum standard rules --------------------------------------------------------------------


def test_allowed_threat_types(people, org):
    pi = Threat.objects.create(
        reference="D-PI",
        name="Individual",
        owner=org("force-durham"),
        threat_type="priority_individual",
    )
    with pytest.raises(ValidationError) as exc:
        record(people["recorder"], pi, org("force-durham"))
    assert "only against organised crime groups" in exc.value.message_dict["threat"][0]


@pytest.mark.parametrize("field", ["tactic", "narrative", "evidence", "team"])
def test_required_fields(people, ocg, org, field):
    with pytest.raises(ValidationError) as exc:
        record(
            people["recorder"],
            ocg,
            org("force-durham"),
            **{field: None if field == "tactic" else ""},
        )
    assert "minimum standard requires" in exc.value.message_dict[field][0]


def test_activities_that_are_never_soc_disruptions(people, ocg, org):
    with pytest.raises(ValidationError) as exc:
        record(
            people["recorder"],
            ocg,
            org("force-durham"),
            narrative="Home visit to a registered sex offender",
        )
    assert "not a SOC disruption" in exc.value.message_dict["narrative"][0]


def test_time_allowed_between_event_and_recording(people, ocg, org):
    with pytest.raises(ValidationError) as exc:
        record(
            people["recorder"], ocg, org("force-durham"), event_date=TODAY - dt.timedelta(days=45)
        )
    assert (
        "Recorded 45 days after the event; the standard allows 30"
        in exc.value.message_dict["record_date"][0]
    )
    assert record(
        people["recorder"], ocg, org("force-durham"), event_date=TODAY - dt.timedelta(days=30)
    )


def test_other_checks(people, ocg, org):
    with pytest.raises(ValidationError) as exc:
        record(
            people["recorder"], ocg, org("force-durham"), event_date=TODAY + dt.timedelta(days=1)
        )
    assert "future" in exc.value.message_dict["event_date"][0]
    with pytest.raises(ValidationError) as exc:
        record(people["recorder"], ocg, org("force-durham"), four_p="protect")
    assert "is a Pursue tactic" in exc.value.message_dict["tactic"][0]
    with pytest.raises(ValidationError) as exc:
        record(people["recorder"], ocg, org("force-durham"), disruption_type="support")
    assert "must name the lead" in exc.value.message_dict["lead"][0]
    assert not Disruption.objects.exists()


# --- workflow ------------------------------------------------------------------------------------


def test_every_transition_and_its_refusals(people, ocg, org):
    d = record(people["recorder"], ocg, org("force-durham"))
    for decision in ("approve", "return", "reject"):
        with pytest.raises(ValidationError, match="that is draft"):
            services.moderate_disruption(people["moderator"], d, decision, "reason")
    services.submit_disruption(people["recorder"], d)
    with pytest.raises(ValidationError, match="Cannot submit"):
        services.submit_disruption(people["recorder"], d)
    with pytest.raises(ValidationError, match="Say why"):
        services.moderate_disruption(people["moderator"], d, "return", "")
    services.moderate_disruption(people["moderator"], d, "return", "Add the custody references")
    d.refresh_from_db()
    assert d.status == "returned" and d.decision_reason == "Add the custody references"
    services.update_disruption(people["recorder"], d, evidence="Custody refs 1-3; exhibit list")
    services.submit_disruption(people["recorder"], d)
    services.moderate_disruption(people["moderator"], d, "approve")
    d.refresh_from_db()
    assert d.status == "approved"
    with pytest.raises(ValidationError, match="cannot be changed"):
        services.update_disruption(people["recorder"], d, team="x")
    with pytest.raises(ValidationError, match="that is approved"):
        services.moderate_disruption(people["moderator"], d, "reject", "x")
    e = record(people["recorder"], ocg, org("force-durham"))
    services.submit_disruption(people["recorder"], e)
    with pytest.raises(ValidationError, match="Say why"):
        services.moderate_disruption(people["moderator"], e, "reject", " ")
    services.moderate_disruption(people["moderator"], e, "reject", "Routine work, not a disruption")
    transitions = AuditEntry.objects.filter(
        action="transition", record_type="disruptions.disruption"
    )
    assert transitions.count() == 6  # submit, return, submit, approve, submit, reject


def test_moderator_must_be_of_the_region_and_not_the_recorder(people, ocg, org, make_user):
    both = make_user("rocu-north-east", "moderator", "analyst", username="both")
    d = record(both, ocg, org("rocu-north-east"))
    services.submit_disruption(both, d)
    with pytest.raises(PermissionDenied):
        services.moderate_disruption(both, d, "approve")
    with pytest.raises(PermissionDenied):
        services.moderate_disruption(people["recorder"], d, "approve")
    with pytest.raises(PermissionDenied):  # another region: cannot even see the record
        services.moderate_disruption(people["far_moderator"], d, "approve")
    services.moderate_disruption(people["moderator"], d, "approve")


def test_partners_record_support_on_shared_threats_only(people, ocg, org):
    lead = record(people["recorder"], ocg, org("force-durham"))
    support = record(
        people["partner"],
        ocg,
        org("partner-durham-county-council"),
        disruption_type="support",
        lead=lead,
        four_p="protect",
        tactic=Tactic.objects.get(code="licence_review"),
    )
    assert support.lead == lead
    with pytest.raises(PermissionDenied):
        record(people["partner"], ocg, org("partner-durham-county-council"))  # a lead
    from django.http import Http404

    with pytest.raises(Http404):
        record(
            people["other_partner"],
            ocg,
            org("partner-middlesbrough-council"),
            disruption_type="support",
            lead=lead,
        )
    with pytest.raises(PermissionDenied):
        record(people["inspector"], ocg, org("hmicfrs"))


# --- reporting -----------------------------------------------------------------------------------


@pytest.fixture
def approved_set(people, ocg, org):
    """Lead and support records around a period, in several states."""
    start, end = dt.date(2026, 1, 1), dt.date(2026, 3, 31)
    rows = [
        ("IN-1", "lead", "pursue", "major", dt.date(2026, 1, 1), "approved"),
        ("IN-2", "lead", "prevent", "minor", dt.date(2026, 3, 31), "approved"),
        ("IN-3", "lead", "protect", "moderate", dt.date(2026, 2, 10), "approved"),
        ("OUT-before", "lead", "pursue", "major", dt.date(2025, 12, 31), "approved"),
        ("OUT-after", "lead", "pursue", "major", dt.date(2026, 4, 1), "approved"),
        ("OUT-submitted", "lead", "pursue", "major", dt.date(2026, 2, 1), "submitted"),
        ("OUT-rejected", "lead", "pursue", "major", dt.date(2026, 2, 1), "rejected"),
        ("OUT-support", "support", "pursue", "major", dt.date(2026, 2, 1), "approved"),
    ]
    tactic = Tactic.objects.get(code="arrest")
    lead = None
    for ref, kind, four_p, category, recorded, status in rows:
        d = Disruption.objects.create(
            reference=ref,
            threat=ocg,
            standard=services.current_standard(),
            event_date=recorded - dt.timedelta(days=2),
            record_date=recorded,
            recording_organisation=org("force-durham"),
            team="T",
            disruption_type=kind,
            lead=lead if kind == "support" else None,
            four_p=four_p,
            category=category,
            tactic=tactic,
            narrative="n",
            evidence="e",
            status=status,
            recorder=people["recorder"],
        )
        lead = lead or d
    return start, end


def test_extract_counts_exactly_the_right_records(approved_set):
    start, end = approved_set
    rows = disruption_extract(Disruption.objects.all(), start, end)
    assert rows == [
        {
            "region": "North East",
            "organisation": "Durham Constabulary",
            "lead_disruptions": 3,
            "pursue": 1,
            "prevent": 1,
            "protect": 1,
            "prepare": 0,
            "major": 1,
            "moderate": 1,
            "minor": 1,
        }
    ]


def test_extract_cli(approved_set, capsys):
    call_command(
        "extract",
        "disruptions",
        "--reason",
        "Inspection return",
        "--from",
        "2026-01-01",
        "--to",
        "2026-03-31",
        "--format",
        "csv",
    )
    lines = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert lines[0] == [
        "region",
        "organisation",
        "lead_disruptions",
        "pursue",
        "prevent",
        "protect",
        "prepare",
        "major",
        "moderate",
        "minor",
    ]
    assert lines[1] == ["North East", "Durham Constabulary", "3", "1", "1", "1", "0", "1", "1", "1"]
    call_command(
        "extract",
        "disruptions",
        "--reason",
        "Inspection return",
        "--from",
        "2026-01-01",
        "--to",
        "2026-03-31",
        "--region",
        "Eastern",
        "--format",
        "json",
    )
    assert json.loads(capsys.readouterr().out) == []
    with pytest.raises(CommandError, match="needs --from and --to"):
        call_command("extract", "disruptions", "--reason", "Inspection return")


def test_report_and_pages(approved_set, web, people):
    start, end = approved_set
    data = disruption_report(Disruption.objects.all(), dt.date(2025, 1, 1), dt.date(2026, 12, 31))
    assert data["total"] == 6  # approved only, lead and support
    assert {r["key"]: r["n"] for r in data["type"]} == {"lead": 5, "support": 1}
    assert data["organisations"][0]["share"] == 100.0
    client = web(people["recorder"])
    page = client.get("/disruptions/report/", {"date_from": "2025-01-01", "date_to": "2026-12-31"})
    assert 'data-testid="report-total">6<' in page.content.decode()
    extract = client.get(
        "/disruptions/extract/", {"date_from": "2026-01-01", "date_to": "2026-03-31"}
    )
    assert 'data-testid="extract-total">3<' in extract.content.decode()
    assert (
        client.post(
            "/disruptions/extract.csv?date_from=2026-01-01&date_to=2026-03-31", {"reason": ""}
        ).status_code
        == 400
    )
    csv_response = client.post(
        "/disruptions/extract.csv?date_from=2026-01-01&date_to=2026-03-31",
        {"reason": "Inspection return"},
    )
    assert (
        b"".join(csv_response.streaming_content)
        .decode()
        .startswith("region,organisation,lead_disruptions")
    )
    bad = client.get("/disruptions/report/", {"date_from": "2026-05-01", "date_to": "2026-01-01"})
    assert "cannot be before its start" in bad.content.decode()
    # a user of another region sees none of it
    assert (
        'data-testid="report-total">0<'
        in web(people["far_moderator"])
        .get("/disruptions/report/", {"date_from": "2025-01-01", "date_to": "2026-12-31"})
        .content.decode()
    )


def test_recording_audit(people, ocg, org):
    standard = services.current_standard()
    base = dict(
        threat=ocg,
        standard=standard,
        recording_organisation=org("force-durham"),
        disruption_type="lead",
        four_p="pursue",
        category="major",
        tactic=Tactic.objects.get(code="arrest"),
        recorder=people["recorder"],
    )
    Disruption.objects.create(
        reference="A-ok",
        event_date=TODAY,
        record_date=TODAY,
        team="T",
        narrative="n",
        evidence="e",
        **base,
    )
    Disruption.objects.create(
        reference="A-late",
        event_date=TODAY - dt.timedelta(days=60),
        record_date=TODAY,
        team="T",
        narrative="n",
        evidence="e",
        **base,
    )
    Disruption.objects.create(
        reference="A-rso",
        event_date=TODAY,
        record_date=TODAY,
        team="T",
        narrative="Registered sex offender visit",
        evidence="",
        **base,
    )
    data = recording_audit(Disruption.objects.all(), TODAY - dt.timedelta(days=1), TODAY)
    assert (data["total"], data["met"], data["failed"]) == (3, 1, 2)
    assert dict(data["by_rule"]) == {"record_date": 1, "narrative": 1, "evidence": 1}


def test_web_recording_and_threat_page(web, people, ocg, org):
    client = web(people["recorder"])
    response = client.post(
        f"/disruptions/new/{ocg.reference}/",
        {
            "recording_organisation": org("force-durham").pk,
            "team": "Op Lantern",
            "disruption_type": "lead",
            "event_date": str(TODAY - dt.timedelta(days=1)),
            "record_date": str(TODAY),
            "four_p": "pursue",
            "category": "moderate",
            "tactic": Tactic.objects.get(code="seizure_cash").pk,
            "narrative": "Cash seized from stash house",
            "evidence": "Exhibit 7",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    d = Disruption.objects.get()
    client.post(f"/disruptions/{d.reference}/submit/")
    web(people["moderator"]).post(f"/disruptions/{d.reference}/approve/")
    d.refresh_from_db()
    assert d.status == "approved"
    page = client.get(f"/threats/{ocg.reference}/").content.decode()
    assert d.reference in page and "disruption-data" in page
    bad = client.post(
        f"/disruptions/new/{ocg.reference}/",
        {
            "recording_organisation": org("force-durham").pk,
            "team": "x",
            "disruption_type": "lead",
            "event_date": str(TODAY),
            "record_date": str(TODAY),
            "four_p": "pursue",
            "category": "minor",
            "tactic": Tactic.objects.get(code="arrest").pk,
            "narrative": "Routine patrol in the area",
            "evidence": "-",
        },
    )
    assert (
        bad.status_code == 200 and "Routine patrol is not a SOC disruption" in bad.content.decode()
    )


def test_api_workflow(api, people, ocg):
    client = api(people["recorder"])
    created = client.post(
        "/api/disruptions/",
        {
            "threat": ocg.reference,
            "recording_organisation": "Durham Police",
            "team": "Op Lantern",
            "disruption_type": "lead",
            "event_date": str(TODAY),
            "four_p": "pursue",
            "category": "major",
            "tactic": "arrest",
            "narrative": "Arrests",
            "evidence": "Refs",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    ref = created.json()["reference"]
    assert client.post(f"/api/disruptions/{ref}/approve/").status_code == 403
    assert client.post(f"/api/disruptions/{ref}/submit/").json()["status"] == "submitted"
    moderator = api(people["moderator"])
    assert (
        moderator.post(f"/api/disruptions/{ref}/reject/", {"reason": ""}, format="json").status_code
        == 400
    )
    assert moderator.post(f"/api/disruptions/{ref}/approve/").json()["status"] == "approved"
    bad = client.post(
        "/api/disruptions/",
        {
            "threat": ocg.reference,
            "recording_organisation": "Durham Police",
            "event_date": str(TODAY),
            "four_p": "pursue",
            "category": "huge",
        },
        format="json",
    )
    assert bad.status_code == 400 and "category" in bad.json()


def test_equal_counts_in_the_report_are_listed_by_name_whatever_order_rows_come_in(
    approved_set, monkeypatch
):
    """Most first, equal counts by name: two databases holding the same records give the same
    report, whatever order each returns its groups in (PostgreSQL and SQLite differ)."""
    from django.db.models import QuerySet

    period = (Disruption.objects.all(), dt.date(2025, 1, 1), dt.date(2026, 12, 31))
    first = disruption_report(*period)
    real_iter = QuerySet.__iter__

    def reversed_iter(self):
        rows = list(real_iter(self))
        return iter(rows[::-1])

    monkeypatch.setattr(QuerySet, "__iter__", reversed_iter)
    again = disruption_report(*period)
    for name in ("four_p", "category", "type", "tactic"):
        assert [r["label"] for r in again[name]] == [r["label"] for r in first[name]], name
        counts = [(-r["n"], r["label"]) for r in first[name]]
        assert counts == sorted(counts), name

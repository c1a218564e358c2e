"""The exceptions report, plan-quality report and recording audit in JSON and CSV, on the page
(a reason asked for and recorded) and at the command line (``socmaster report NAME``)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command

from socmaster.core.models import AuditEntry
from socmaster.disruptions.models import Disruption
from socmaster.threats.models import Threat
from tests.disruptions.test_disruptions import record

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()
REASON = {"reason": "Inspection data pack"}


@pytest.fixture
def lro(make_user):
    return make_user("force-durham", "lro")


@pytest.fixture
def flagged(org, lro):
    """An active OCG with no LRO-written plan and an RSO visit recorded as a disruption."""
    threat = Threat.objects.create(
        reference="RF-1",
        name="Harbour network",
        owner=org("force-durham"),
        threat_type="ocg",
        handling="region",
        lro=lro,
    )
    Threat.objects.create(reference="RF-2", name="No lead", owner=org("force-durham"))
    d = record(lro, threat, org("force-durham"))
    Disruption.objects.filter(pk=d.pk).update(narrative="RSO visit, ViSOR updated")
    return threat


def test_exceptions_as_json_and_csv_on_the_page(web, lro, flagged):
    client = web(lro)
    asked = client.get("/threats/exceptions.json")
    assert asked.status_code == 200 and b"Why are you exporting" in asked.content
    body = json.loads(client.post("/threats/exceptions.json", REASON).content)
    keys = {(r["check"], r["threat"]) for r in body}
    assert ("no_lro", "RF-2") in keys and ("ocg_no_disruption", "RF-1") in keys
    assert set(body[0]) == {
        "check",
        "check_title",
        "threat",
        "threat_name",
        "organisation",
        "region",
        "lro",
        "detail",
        "record_kind",
        "record",
    }
    rows = list(
        csv.DictReader(
            io.StringIO(
                b"".join(client.post("/threats/exceptions.csv", REASON).streaming_content).decode()
            )
        )
    )
    assert {(r["check"], r["threat"]) for r in rows} == keys
    entries = AuditEntry.objects.filter(action="export", record_type="threats.exceptions")
    assert entries.count() == 2 and entries.first().reason == REASON["reason"]


def test_plan_quality_and_recording_audit_as_json(web, lro, flagged):
    client = web(lro)
    quality = json.loads(client.post("/plans/quality.json", REASON).content)
    assert {r["threat"]: r["checks_failed"] for r in quality}["RF-1"] == "no_plan"
    assert "reasons" in quality[0]
    audit = json.loads(client.post("/disruptions/recording-audit.json", REASON).content)
    assert any(
        r["threat"] == "RF-1"
        and r["rule"].startswith("Narrative")
        and "found: 'RSO'" in r["message"]
        for r in audit
    ), audit
    assert client.post("/threats/exceptions.pdf", REASON).status_code == 400


def test_a_user_exports_only_what_they_may_see(web, make_user, flagged):
    kent = make_user("force-kent", "analyst")
    body = json.loads(web(kent).post("/threats/exceptions.json", REASON).content)
    assert body == []


def test_the_same_reports_at_the_command_line(flagged, capsys):
    call_command("report", "exceptions", "--format", "json", "--reason", "Data pack")
    rows = json.loads(capsys.readouterr().out)
    assert ("no_lro", "RF-2") in {(r["check"], r["threat"]) for r in rows}
    call_command(
        "report",
        "recording-audit",
        "--from",
        (TODAY - dt.timedelta(days=30)).isoformat(),
        "--to",
        TODAY.isoformat(),
        "--format",
        "csv",
        "--reason",
        "Data pack",
    )
    lines = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert any(r["disruption"] and r["threat"] == "RF-1" for r in lines)
    with pytest.raises(CommandError, match="needs --from and --to"):
        call_command("report", "recording-audit", "--reason", "Data pack")
    assert (
        AuditEntry.objects.filter(action="export", record_type__startswith="report ").count() == 2
    )

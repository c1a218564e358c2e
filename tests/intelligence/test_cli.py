"""``socmaster intelligence``: the queues at the command line (an audited export) and rescoring."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from socmaster.core import compartments
from socmaster.core.models import AuditEntry
from socmaster.intelligence import services
from socmaster.intelligence.models import IntelligenceReport, SuspiciousActivityReport
from socmaster.organisations.models import Organisation
from socmaster.threats.models import Threat

pytestmark = pytest.mark.django_db


def _report(user, **extra):
    values = {
        "original_text": "Synthetic report text.",
        "source_evaluation": "2",
        "intelligence_assessment": "C",
        "handling_code": "P",
        **extra,
    }
    return services.submit_report(
        user, owner=Organisation.objects.get(key="force-durham"), values=values
    )


def _run(*args) -> str:
    out = StringIO()
    call_command("intelligence", *args, stdout=out)
    return out.getvalue()


def test_queue_in_order_with_conditions_and_audited(make_user):
    user = make_user("force-durham", "analyst")
    plain = _report(user)
    urgent = _report(
        user, threat_to_life=True, handling_code="C", handling_conditions="Not for court"
    )
    rows = json.loads(_run("queue", "--format", "json", "--reason", "Backlog review"))
    assert [r["reference"] for r in rows] == [urgent.reference, plain.reference]
    assert rows[0]["handling_conditions"] == "Not for court"
    assert rows[0]["priority"] == "Urgent"
    entry = AuditEntry.objects.filter(action="export").get()
    assert entry.reason == "Backlog review"
    assert entry.changes["count"] == 2


def test_queue_needs_a_reason_and_a_known_organisation(make_user):
    with pytest.raises(CommandError, match="reason"):
        _run("queue")
    with pytest.raises(CommandError):
        _run("queue", "--organisation", "Atlantis Constabulary", "--reason", "Checking")
    assert not AuditEntry.objects.filter(action="export").exists()


def test_compartmented_records_are_not_listed(make_user):
    user = make_user("force-durham", "analyst")
    report = _report(user)
    compartment = compartments.create_compartment(
        None, code="siu", name="Sensitive unit", owner=Organisation.objects.get(key="force-durham")
    )
    compartments.grant(None, compartment, user, reason="Unit member")
    compartments.place(user, report, compartment, reason="Sensitive source")
    rows = json.loads(_run("queue", "--format", "json", "--reason", "Backlog review"))
    assert rows == []


def test_sar_queue_shows_the_daml_deadline():
    sar = SuspiciousActivityReport.objects.create(
        reference="UKFIU-CLI-1",
        owner=Organisation.objects.get(key="force-durham"),
        reporter_sector="credit_institution",
        submitted_on=dt.date(2026, 12, 21),
        sar_type="daml",
        reason_text="Synthetic.",
        consent_decision="pending",
    )
    rows = json.loads(_run("queue", "--sars", "--format", "json", "--reason", "DAML check"))
    assert rows[0]["reference"] == sar.reference
    assert rows[0]["notice_period_ends"] == "2027-01-04"


def test_rescore_after_a_tier_change(make_user):
    user = make_user("force-durham", "analyst")
    durham = Organisation.objects.get(key="force-durham")
    threat = Threat.objects.create(reference="SOC-CLI", name="T", owner=durham, threat_type="ocg")
    report = services.submit_report(
        user,
        owner=durham,
        values={
            "original_text": "Synthetic.",
            "source_evaluation": "2",
            "intelligence_assessment": "C",
            "handling_code": "P",
        },
        threats=[threat],
    )
    assert report.risk_base == 10
    Threat.objects.filter(pk=threat.pk).update(tier=2)
    assert "intelligence reports: 1 rescored" in _run("rescore")
    assert IntelligenceReport.objects.get(pk=report.pk).risk_base == 30
    assert AuditEntry.objects.filter(record_type="intelligence.rescore").exists()

"""The intelligence and SAR pages: queues, triage, the original behind a reason, handling
conditions everywhere, the DAML clock, the dashboard's figures, forms and hidden records."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from socmaster.core.models import AuditEntry
from socmaster.intelligence import reports, services
from socmaster.intelligence.models import IntelligenceReport, SuspiciousActivityReport
from socmaster.organisations.models import Organisation
from tests.access import same_body

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def org(key="force-durham"):
    return Organisation.objects.get(key=key)


def web(user) -> Client:
    client = Client()
    client.force_login(user, backend=settings.AUTHENTICATION_BACKENDS[-1])
    return client


@pytest.fixture
def cast(make_user):
    return {
        "officer": make_user("force-durham", "analyst", username="officer"),
        "researcher": make_user("force-durham", "researcher", username="researcher"),
        "analyst": make_user("force-durham", "analyst", username="analyst"),
        "inspector": make_user("hmicfrs", "inspector", username="inspector"),
        "far": make_user("force-west-yorkshire", "analyst", username="far"),
    }


def submit(user, **extra):
    values = {
        "original_text": "SOURCE ALPHA says cash is kept at 4 Mill Lane.",
        "source_evaluation": "2",
        "intelligence_assessment": "B",
        "handling_code": "P",
        **extra,
    }
    return services.submit_report(user, owner=org(), values=values)


def test_the_queue_lists_riskiest_first_with_conditions(cast):
    plain = submit(cast["officer"])
    urgent = submit(
        cast["officer"],
        threat_to_life=True,
        handling_code="C",
        handling_conditions="Not to be used in court",
    )
    response = web(cast["researcher"]).get("/intelligence/")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.index(urgent.reference) < body.index(plain.reference)
    assert "C: Not to be used in court" in body
    assert 'data-testid="bulk-triage"' in body  # a researcher triages
    # An analyst sees the queue but does not triage.
    assert (
        'data-testid="bulk-triage"'
        not in web(cast["analyst"]).get("/intelligence/").content.decode()
    )


def test_the_queue_filters(cast):
    submit(cast["officer"])
    life = submit(cast["officer"], threat_to_life=True)
    client = web(cast["researcher"])
    body = client.get("/intelligence/?flag=threat_to_life").content.decode()
    assert life.reference in body and body.count('data-testid="queue-row"') == 1
    assert (
        "Nothing is waiting that matches"
        in client.get("/intelligence/?assigned=me").content.decode()
    )


def test_bulk_triage_from_the_queue(cast):
    a, b = submit(cast["officer"]), submit(cast["officer"])
    client = web(cast["researcher"])
    response = client.post(
        "/intelligence/", {"record": [a.pk, b.pk], "priority": "high", "triage": "1"}
    )
    assert response.status_code == 302
    assert set(IntelligenceReport.objects.values_list("priority", flat=True)) == {"high"}
    response = client.post("/intelligence/", {"record": [a.pk], "claim": "1"})
    assert IntelligenceReport.objects.get(pk=a.pk).assigned_to == cast["researcher"]
    # Nothing chosen: a clear error, nothing changed.
    response = client.post("/intelligence/", {"priority": "low", "triage": "1"})
    assert response.status_code == 400
    assert "Select at least one" in response.content.decode()
    assert not IntelligenceReport.objects.filter(priority="low").exists()


def test_bulk_triage_by_someone_outside_the_unit_changes_nothing(cast):
    a = submit(cast["officer"])
    response = web(cast["analyst"]).post(
        "/intelligence/", {"record": [a.pk], "priority": "urgent", "triage": "1"}
    )
    assert response.status_code == 400
    assert IntelligenceReport.objects.get(pk=a.pk).priority == "normal"


def test_the_original_is_behind_a_reason_and_only_for_its_readers(cast):
    report = submit(cast["officer"])
    url = f"/intelligence/{report.reference}/"
    # The analyst reads the page, but not the original.
    page = web(cast["analyst"]).get(url).content.decode()
    assert "SOURCE ALPHA" not in page
    assert "No sanitised copy has been written yet" in page
    assert web(cast["analyst"]).get(url + "original/").status_code == 403
    assert web(cast["inspector"]).get(url + "original/").status_code == 403
    client = web(cast["researcher"])
    assert 'data-testid="read-original"' in client.get(url).content.decode()
    asked = client.get(url + "original/")
    assert asked.status_code == 200 and "SOURCE ALPHA" not in asked.content.decode()
    refused = client.post(url + "original/", {"reason": "no"})
    assert refused.status_code == 400
    assert not AuditEntry.objects.filter(action="view", changes__part="original").exists()
    shown = client.post(url + "original/", {"reason": "Research for the tasking meeting"})
    assert "SOURCE ALPHA" in shown.content.decode()
    entry = AuditEntry.objects.get(action="view", changes__part="original")
    assert entry.reason == "Research for the tasking meeting"


def test_others_read_the_sanitised_copy(cast):
    report = submit(cast["officer"])
    services.write_sanitised(cast["researcher"], report, "Cash is kept at a lock-up.")
    page = web(cast["inspector"]).get(f"/intelligence/{report.reference}/").content.decode()
    assert "Cash is kept at a lock-up." in page and "SOURCE ALPHA" not in page


def test_a_hidden_report_answers_like_a_missing_one(cast):
    report = submit(cast["officer"])
    client = web(cast["far"])
    hidden = client.get(f"/intelligence/{report.reference}/")
    missing = client.get("/intelligence/INT-999999/")
    assert hidden.status_code == missing.status_code == 404
    assert same_body(hidden.content, missing.content)
    assert report.reference not in client.get("/intelligence/").content.decode()


def test_the_submit_form(cast):
    client = web(cast["officer"])
    assert client.get("/intelligence/new/").status_code == 200
    base = {
        "owner": org().pk,
        "submitted_on_day": TODAY.day,
        "submitted_on_month": TODAY.month,
        "submitted_on_year": TODAY.year,
        "original_text": "Synthetic report of a drugs line.",
        "source_evaluation": "2",
        "intelligence_assessment": "C",
        "handling_code": "C",
        "handling": "region",
        "subjects": "SMITH, John, 1990-02-03\nNOM-NOPE",
    }
    response = client.post("/intelligence/new/", base)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Line 2: no such nominal." in body
    assert not IntelligenceReport.objects.exists()
    response = client.post(
        "/intelligence/new/",
        base | {"subjects": "SMITH, John, 1990-02-03"},
    )
    assert "must state its handling conditions" in response.content.decode()
    response = client.post(
        "/intelligence/new/",
        base
        | {
            "subjects": "SMITH, John, 1990-02-03",
            "handling_conditions": "Not for disclosure",
            "phones": "07700 900123",
            "threat_to_life": "on",
        },
    )
    report = IntelligenceReport.objects.get()
    assert response.status_code == 302 and response["Location"] == report.get_absolute_url()
    assert report.threat_to_life and report.priority == "urgent"
    assert report.subjects.get().date_of_birth == dt.date(1990, 2, 3)
    assert report.mentions.get().normalised == "07700900123"
    assert web(cast["inspector"]).get("/intelligence/new/").status_code == 403


def test_saving_the_grading_unchanged_changes_nothing(cast):
    report = submit(cast["officer"])
    client = web(cast["researcher"])
    url = f"/intelligence/{report.reference}/grading/"
    form = client.get(url).context["form"]
    data = {
        name: value
        for name, value in form.initial.items()
        if value not in (False, None) or name == "lock_version"
    }
    before = AuditEntry.objects.count()
    response = client.post(url, data)
    assert response.status_code == 302
    assert AuditEntry.objects.count() == before
    assert IntelligenceReport.objects.get(pk=report.pk).lock_version == 1


def test_conditions_are_in_the_export(cast):
    submit(cast["officer"], handling_code="C", handling_conditions="Not for court")
    response = web(cast["researcher"]).post(
        "/intelligence/queue/reports/export.csv", {"reason": "Backlog return"}
    )
    body = (
        b"".join(response.streaming_content).decode()
        if response.streaming
        else response.content.decode()
    )
    assert "Handling conditions" in body.splitlines()[0]
    assert "Not for court" in body
    assert AuditEntry.objects.filter(action="export", reason="Backlog return").exists()


def _sar(**extra):
    return SuspiciousActivityReport.objects.create(
        **{
            "reference": "UKFIU-P-1",
            "owner": org(),
            "reporter_sector": "credit_institution",
            "submitted_on": TODAY,
            "sar_type": "daml",
            "reason_text": "Synthetic: funds moved on arrival.",
            "consent_decision": "pending",
            **extra,
        }
    )


def test_the_sar_page_shows_the_daml_clock_and_records_consent(cast):
    sar = _sar(submitted_on=dt.date(2026, 12, 21) if TODAY >= dt.date(2026, 12, 21) else TODAY)
    client = web(cast["researcher"])
    page = client.get(f"/intelligence/sars/{sar.reference}/").content.decode()
    assert 'data-testid="daml-clock"' in page
    notice = services.sar_clock(sar).notice_ends
    assert f"{notice:%-d %B %Y}" in page
    bad = client.post(f"/intelligence/sars/{sar.reference}/consent/", {"decision": "refused"})
    assert bad.status_code == 400
    assert SuspiciousActivityReport.objects.get(pk=sar.pk).consent_decision == "pending"
    good = client.post(
        f"/intelligence/sars/{sar.reference}/consent/",
        {
            "decision": "refused",
            "decided_on_day": sar.submitted_on.day,
            "decided_on_month": sar.submitted_on.month,
            "decided_on_year": sar.submitted_on.year,
        },
    )
    assert good.status_code == 302
    page = client.get(f"/intelligence/sars/{sar.reference}/").content.decode()
    assert 'data-testid="moratorium-ends"' in page


def test_the_sar_queue_puts_daml_first(cast):
    standard = _sar(reference="UKFIU-P-2", sar_type="standard", consent_decision="", risk_base=90)
    daml = _sar(reference="UKFIU-P-3", risk_base=60)
    body = web(cast["researcher"]).get("/intelligence/sars/").content.decode()
    assert body.index(daml.reference) < body.index(standard.reference)


def test_backlog_figures(cast):
    monday = TODAY - dt.timedelta(days=TODAY.weekday())
    made = []
    for days in (1, 10, 20, 40, 70):
        report = submit(cast["officer"])
        IntelligenceReport.objects.filter(pk=report.pk).update(
            submitted_on=TODAY - dt.timedelta(days=days)
        )
        made.append(report)
    done = submit(cast["officer"])
    IntelligenceReport.objects.filter(pk=done.pk).update(
        submitted_on=monday - dt.timedelta(days=14),
        status="filed",
        processed_at=timezone.make_aware(
            dt.datetime.combine(monday - dt.timedelta(days=10), dt.time(12))
        ),
    )
    figures = reports.backlog(IntelligenceReport.objects.all())
    assert figures.waiting == 5
    assert figures.band_totals == [1, 1, 1, 1, 1]
    normal = next(r for r in figures.by_priority if r["priority"] == "normal")
    assert normal["total"] == 5
    assert sum(w["processed"] for w in figures.weeks) == 1
    # Over the last four full weeks fewer were processed than arrived: it does not clear.
    assert figures.processed_per_week == 0.25
    page = web(cast["researcher"]).get("/intelligence/dashboard/").content.decode()
    assert 'data-testid="reports-bands"' in page and "backlog-data" in page


def test_backlog_clears_at_the_net_rate(cast):
    # 10 waiting since long ago; 2 processed in each of the last four full weeks, none arriving:
    # 2 a week net, so 10 clear in 35 days.
    monday = TODAY - dt.timedelta(days=TODAY.weekday())
    old = TODAY - dt.timedelta(days=200)
    for _ in range(10):
        r = submit(cast["officer"])
        IntelligenceReport.objects.filter(pk=r.pk).update(submitted_on=old)
    for week in range(1, 5):
        for _ in range(2):
            r = submit(cast["officer"])
            IntelligenceReport.objects.filter(pk=r.pk).update(
                submitted_on=old,
                status="filed",
                processed_at=timezone.make_aware(
                    dt.datetime.combine(monday - dt.timedelta(weeks=week, days=-2), dt.time(12))
                ),
            )
    figures = reports.backlog(IntelligenceReport.objects.all())
    assert figures.waiting == 10
    assert figures.processed_per_week == 2 and figures.received_per_week == 0
    assert figures.clears_on == TODAY + dt.timedelta(days=35)

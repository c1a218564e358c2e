"""Intelligence on the exceptions report: reports and SARs waiting past their service level and
high-risk reports nobody has triaged, over what the asker may see, in every scope, paged in the
database, in the downloads, at the command line and on the home page."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from socmaster.intelligence import checks, services
from socmaster.intelligence.models import IntelligenceReport, SuspiciousActivityReport
from socmaster.organisations.models import Organisation
from socmaster.threats.exceptions import Scope, run_all
from socmaster.threats.models import Threat

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
REASON = {"reason": "Backlog review"}


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
        "lro": make_user("force-durham", "lro", username="lro"),
        "chief": make_user("force-durham", "chief_officer", username="chief"),
        "far": make_user("force-kent", "analyst", username="far"),
    }


def submit(user, days_old=0, **extra):
    values = {
        "original_text": "Synthetic: SOURCE ALPHA says cash is kept at 4 Mill Lane.",
        "source_evaluation": "2",
        "intelligence_assessment": "B",
        "handling_code": "P",
        **extra,
    }
    report = services.submit_report(user, owner=org(), values=values)
    IntelligenceReport.objects.filter(pk=report.pk).update(
        submitted_on=TODAY - dt.timedelta(days=days_old)
    )
    report.refresh_from_db()
    return report


def sar(reference, days_old, **extra):
    return SuspiciousActivityReport.objects.create(
        reference=reference,
        owner=org(),
        reporter_sector="credit_institution",
        submitted_on=TODAY - dt.timedelta(days=days_old),
        sar_type="standard",
        reason_text="Synthetic: funds moved on arrival.",
        **extra,
    )


def counts(client, query="") -> dict[str, int]:
    body = client.get(f"/threats/exceptions/{query}").content.decode()
    found = {}
    for key in (checks.OVERDUE_REPORTS, checks.OVERDUE_SARS, checks.UNTRIAGED):
        marker = f'data-testid="summary-{key}">'
        found[key] = int(body[body.index(marker) + len(marker) :].split("<", 1)[0])
    return found


def test_overdue_and_untriaged_reports_are_flagged_for_those_who_may_see_them(cast):
    due = submit(cast["officer"], days_old=15)  # normal priority: 14 days
    submit(cast["officer"], days_old=14)  # on the day, not yet overdue
    life = submit(cast["officer"], threat_to_life=True)
    sar("UKFIU-OLD", 15)
    sar("UKFIU-NEW", 2)
    client = web(cast["researcher"])
    response = client.get("/threats/exceptions/")
    body = response.content.decode()
    assert counts(client) == {
        checks.OVERDUE_REPORTS: 1,
        checks.OVERDUE_SARS: 1,
        checks.UNTRIAGED: 1,
    }
    assert due.get_absolute_url() in body and "Waiting 15 days at normal priority" in body
    assert life.get_absolute_url() in body
    assert "UKFIU-OLD" in body and "UKFIU-NEW" not in body
    # Someone in another force sees none of Durham's owner-only intelligence.
    assert set(counts(web(cast["far"])).values()) == {0}
    # Triaged, the high-risk report leaves the list; processed, the overdue one does.
    services.triage(cast["researcher"], [life], priority="urgent")
    services.move(cast["researcher"], due, "start_research")
    services.move(cast["researcher"], due, "action")
    assert counts(client)[checks.UNTRIAGED] == 0
    assert counts(client)[checks.OVERDUE_REPORTS] == 0


def test_a_compartmented_report_stays_out_of_the_report(cast):
    from socmaster.core.models import Compartment

    report = submit(cast["officer"], days_old=30)
    compartment = Compartment.objects.create(code="siu", name="SIU", owner=org())
    IntelligenceReport.objects.filter(pk=report.pk).update(compartment=compartment)
    assert counts(web(cast["researcher"]))[checks.OVERDUE_REPORTS] == 0


def test_the_scopes_narrow_intelligence_as_they_narrow_threats(cast):
    threat = Threat.objects.create(
        reference="SOC-EX", name="Synthetic", owner=org(), threat_type="ocg", lro=cast["lro"]
    )
    about = submit(cast["officer"], days_old=20)
    submit(cast["officer"], days_old=20)
    services.link_report(cast["researcher"], about, threats=[threat])
    lro = web(cast["lro"])
    assert counts(lro)[checks.OVERDUE_REPORTS] == 2
    assert counts(lro, "?mine=lro")[checks.OVERDUE_REPORTS] == 1  # about the threat they lead
    assert counts(lro, "?mine=organisation")[checks.OVERDUE_REPORTS] == 2
    assert counts(lro, "?owner=Durham")[checks.OVERDUE_REPORTS] == 2
    assert counts(lro, "?owner=Kent")[checks.OVERDUE_REPORTS] == 0
    assert counts(lro, "?owner=Nowhere")[checks.OVERDUE_REPORTS] == 0


def test_the_chief_officers_home_page_counts_them(cast):
    submit(cast["officer"], days_old=20)
    submit(cast["officer"], days_old=20)
    home = web(cast["chief"]).get("/").content.decode()
    assert 'data-testid="count-organisation-exceptions">2<' in home
    assert "Intelligence reports waiting past their service level: 2" in home


def test_a_long_backlog_is_counted_and_paged_in_the_database(cast, django_assert_max_num_queries):
    for i in range(30):
        sar(f"UKFIU-{i:03}", 50 - i)
    scope = Scope(Threat.objects.none(), user=cast["researcher"])
    rows = dict(run_all(Threat.objects.none(), only=checks.OVERDUE_SARS, scope=scope))
    found = next(iter(rows.values()))
    with django_assert_max_num_queries(2):
        assert len(found) == 30
        assert [r["reference"] for r in found[:2]] == ["UKFIU-000", "UKFIU-001"]  # oldest first
    body = web(cast["researcher"]).get(f"/threats/exceptions/?page-{checks.OVERDUE_SARS}=2")
    body = body.content.decode()
    assert "UKFIU-025" in body and "UKFIU-024" not in body
    assert "Page 2 of 2 (30 items)" in body


def test_the_downloads_and_the_command_line_list_the_records(cast, capsys):
    report = submit(cast["officer"], days_old=20)
    response = web(cast["researcher"]).post("/threats/exceptions.csv", REASON)
    content = (
        b"".join(response.streaming_content) if response.streaming else response.content
    ).decode()
    rows = list(csv.DictReader(io.StringIO(content)))
    flagged = [r for r in rows if r["check"] == checks.OVERDUE_REPORTS]
    assert [(r["record_kind"], r["record"], r["organisation"]) for r in flagged] == [
        ("intelligence report", report.reference, org().name)
    ]
    call_command("report", "exceptions", "--format", "json", "--reason", "Data pack")
    rows = json.loads(capsys.readouterr().out)
    assert (checks.OVERDUE_REPORTS, report.reference) in {(r["check"], r["record"]) for r in rows}
    call_command(
        "report",
        "exceptions",
        "--format",
        "json",
        "--reason",
        "Data pack",
        "--organisation",
        "Kent",
    )
    rows = json.loads(capsys.readouterr().out)
    assert checks.OVERDUE_REPORTS not in {r["check"] for r in rows}

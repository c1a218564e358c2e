"""Loading the synthetic intelligence reports and SARs into the database, and removing them."""

from __future__ import annotations

from collections import Counter

import pytest
from django.utils import timezone

from socmaster import synth
from socmaster.intelligence import services
from socmaster.intelligence.models import (
    IntelligenceReport,
    ReportMention,
    ReportSubject,
    SarAccount,
    SarSubject,
    SuspiciousActivityReport,
)
from socmaster.organisations.models import Membership, User
from socmaster.synth.intelligence import intelligence_for
from socmaster.web import synthetic

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded():
    specs = synthetic.organisation_specs()
    dataset = synth.generate("demo", 3, specs, disruptions=20)
    counts = synthetic.load_dataset(dataset)
    intel = intelligence_for(dataset, specs)
    return dataset, intel, list(intel.sars()), counts


def test_the_database_has_the_reports_and_sars_the_generator_drew(loaded):
    dataset, intel, sars, counts = loaded
    reports = intel.reports
    assert IntelligenceReport.objects.count() == len(reports) == counts["reports"] == 400
    assert ReportSubject.objects.count() == sum(len(r.subjects) for r in reports)
    assert counts["report_subjects"] == ReportSubject.objects.count()
    assert ReportMention.objects.count() == sum(len(r.mentions) for r in reports)
    links = IntelligenceReport.threats.through.objects.count()
    assert links == sum(len(r.threats) for r in reports) > 0
    assert ReportSubject.objects.exclude(nominal=None).count() == sum(
        1 for r in reports for s in r.subjects if s.nominal
    )
    assert SuspiciousActivityReport.objects.count() == len(sars) == counts["sars"] == 300
    assert (
        SarSubject.objects.count() == sum(len(s.subjects) for s in sars) == counts["sar_subjects"]
    )
    assert SarAccount.objects.count() == sum(len(s.linked_accounts) for s in sars)

    stored = {r.reference: r for r in IntelligenceReport.objects.select_related("owner")}
    for r in reports:
        row = stored[r.reference]
        assert (row.owner.key, row.status, row.priority, row.grading) == (
            r.owner_key,
            r.status,
            r.priority,
            f"{r.source_evaluation}{r.intelligence_assessment} {r.handling_code}",
        )
        assert row.handling_conditions == r.handling_conditions
        assert row.flags == [
            label
            for name, label in (
                ("threat_to_life", "Threat to life"),
                ("child_at_risk", "Child at risk"),
                ("vulnerable_victim", "Vulnerable victim"),
                ("time_critical", "Time-critical"),
            )
            if r.flags[name]
        ]
    by_status = Counter(IntelligenceReport.objects.values_list("status", flat=True))
    assert by_status == Counter(r.status for r in reports)
    assert Counter(SuspiciousActivityReport.objects.values_list("screening_status", flat=True)) == (
        Counter(s.screening_status for s in sars)
    )
    assert Counter(SuspiciousActivityReport.objects.values_list("sar_type", flat=True)) == Counter(
        s.sar_type for s in sars
    )
    # Dated to end on the real date, as the plans are: nothing in the future, the newest recent.
    today = timezone.localdate()
    newest = max(IntelligenceReport.objects.values_list("submitted_on", flat=True))
    assert newest <= today and (today - newest).days <= 14
    assert max(SuspiciousActivityReport.objects.values_list("submitted_on", flat=True)) <= today


def test_risk_scores_are_those_the_services_compute(loaded):
    for report in IntelligenceReport.objects.all():
        assert report.risk_base == sum(p for _, p in services.report_factors(report)), report
    assert IntelligenceReport.objects.filter(risk_base__gte=50).exists()
    for sar in SuspiciousActivityReport.objects.all():
        assert sar.risk_base == sum(p for _, p in services.sar_factors(sar)), sar
    assert SuspiciousActivityReport.objects.filter(sar_type="daml", risk_base__gte=60).exists()


def test_each_receiving_organisation_has_a_researcher_who_works_its_records(loaded):
    _dataset, intel, sars, counts = loaded
    owners = {r.owner_key for r in intel.reports} | {s.owner_key for s in sars}
    researchers = Membership.objects.filter(role="researcher", user__username__startswith="syn-")
    assert {m.organisation.key for m in researchers} == owners
    assert counts["researchers"] == len(owners)
    worked = IntelligenceReport.objects.exclude(status="awaiting")
    assert worked.exists() and not worked.filter(assigned_to=None).exists()
    for report in worked.select_related("assigned_to", "owner")[:20]:
        assert services.can_process(report.assigned_to, report)
        assert services.can_read_original(report.assigned_to, report)
    assert not IntelligenceReport.objects.filter(status="awaiting").exclude(assigned_to=None)


def test_removal_removes_them_and_leaves_other_reports(loaded, make_user):
    officer = make_user("force-durham", "researcher")
    from socmaster.organisations.models import Organisation

    durham = Organisation.objects.get(key="force-durham")
    kept = services.submit_report(
        officer,
        owner=durham,
        values={
            "original_text": "Synthetic test report kept through removal.",
            "source_evaluation": "2",
            "intelligence_assessment": "B",
            "handling_code": "P",
        },
        subjects=[{"family_name": "Testperson", "given_names": "Ann"}],
        mentions=[("place", "Test Street, Testtown")],
    )
    synthetic.remove_synthetic()
    assert list(IntelligenceReport.objects.all()) == [kept]
    assert ReportSubject.objects.count() == 1 and ReportMention.objects.count() == 1
    assert not IntelligenceReport.threats.through.objects.exists()
    assert not SuspiciousActivityReport.objects.exists()
    assert not SarSubject.objects.exists() and not SarAccount.objects.exists()
    assert not User.objects.filter(username__startswith="syn-").exists()
    assert not synthetic.synthetic_data_present()
    # And loading again after removal works (nothing left over to collide with).
    specs = synthetic.organisation_specs()
    counts = synthetic.load_dataset(synth.generate("demo", 4, specs, disruptions=0))
    assert SuspiciousActivityReport.objects.count() == counts["sars"] == 300

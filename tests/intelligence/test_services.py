"""The intelligence services: grading rules, who reads the original, processing transitions,
triage, the queue's order, dissemination and the DAML consent and moratorium rules."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from socmaster.core import policy
from socmaster.core.models import AuditEntry
from socmaster.intelligence import services
from socmaster.intelligence.choices import ConsentDecision, ProcessingStatus, SarType
from socmaster.intelligence.models import (
    IntelligenceReport,
    ReportSubject,
    SuspiciousActivityReport,
)
from socmaster.organisations.models import Organisation
from socmaster.threats.models import Nominal, Threat, ThreatMember

pytestmark = pytest.mark.django_db

OWNER = "force-durham"
TODAY = timezone.localdate()


def org(key=OWNER):
    return Organisation.objects.get(key=key)


def grading(**extra):
    return {
        "original_text": "Source says the group stores cash at a lock-up on Mill Lane.",
        "source_evaluation": "2",
        "intelligence_assessment": "B",
        "handling_code": "P",
        **extra,
    }


@pytest.fixture
def people(make_user):
    return {
        "officer": make_user(OWNER, "analyst", username="officer"),
        "researcher": make_user(OWNER, "researcher", username="researcher"),
        "analyst": make_user(OWNER, "analyst", username="analyst"),
        "other_force": make_user("force-cleveland", "researcher", username="other"),
        "inspector": make_user("hmicfrs", "inspector", username="inspector"),
        "far_analyst": make_user("force-west-yorkshire", "analyst", username="far"),
    }


def submit(user, **values):
    return services.submit_report(user, owner=org(), values=grading(**values))


# --- Grading -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"handling_code": "C"}, "handling_conditions", "must state its handling conditions"),
        ({"handling_code": "C", "handling_conditions": "   "}, "handling_conditions", "must state"),
        ({"handling_conditions": "Not to be shared"}, "handling_conditions", "P-coded"),
        ({"source_evaluation": "4"}, "source_evaluation", "'4' is not a source evaluation"),
        ({"source_evaluation": ""}, "source_evaluation", "Enter the source evaluation"),
        ({"intelligence_assessment": "F"}, "intelligence_assessment", "use A, B, C, D or E"),
        ({"intelligence_assessment": "b"}, "intelligence_assessment", "not a"),
        ({"handling_code": "X"}, "handling_code", "use P or C"),
        ({"original_text": " "}, "original_text", "Enter the report as submitted"),
    ],
)
def test_bad_grading_is_refused_field_by_field_and_nothing_is_stored(
    people, values, field, message
):
    with pytest.raises(ValidationError) as caught:
        submit(people["officer"], **values)
    assert message in " ".join(caught.value.message_dict[field])
    assert not IntelligenceReport.objects.exists()


def test_a_c_coded_report_keeps_its_conditions(people):
    report = submit(people["officer"], handling_code="C", handling_conditions="Do not disclose")
    assert report.grading == "2B C"
    assert report.handling_conditions == "Do not disclose"
    assert report.reference.startswith("INT-")
    entry = AuditEntry.objects.filter(action="create", record_id=str(report.pk)).get()
    assert entry.changes["grading"] == "2B C"


def test_unknown_fields_are_refused(people):
    with pytest.raises(ValidationError) as caught:
        services.submit_report(
            people["officer"], owner=org(), values=grading(status="filed", risk_base=99)
        )
    assert set(caught.value.message_dict) == {"status", "risk_base"}


def test_only_members_of_the_owner_submit_for_it(people):
    with pytest.raises(PermissionDenied):
        services.submit_report(people["far_analyst"], owner=org(), values=grading())
    with pytest.raises(PermissionDenied):
        services.submit_report(people["inspector"], owner=org(), values=grading())


def test_the_original_text_cannot_be_changed(people):
    report = submit(people["officer"])
    with pytest.raises(ValidationError) as caught:
        services.update_report(people["researcher"], report, {"original_text": "rewritten"})
    assert "original_text" in caught.value.message_dict
    changes = services.update_report(people["researcher"], report, {"source_evaluation": "1"})
    assert changes == {"source_evaluation": {"before": "2", "after": "1"}}
    assert services.update_report(people["researcher"], report, {"source_evaluation": "1"}) == {}


def test_correcting_to_c_without_conditions_is_refused(people):
    report = submit(people["officer"])
    with pytest.raises(ValidationError) as caught:
        services.update_report(people["researcher"], report, {"handling_code": "C"})
    assert "handling_conditions" in caught.value.message_dict
    report.refresh_from_db()
    assert report.handling_code == "P"


# --- Who reads the original ----------------------------------------------------------------------

#: Hand-written: may each person read the original of a region-handled report submitted by the
#: officer in Durham (with "named" researchers given where said)?
READS_ORIGINAL = {
    "officer": True,  # the submitting officer
    "researcher": True,  # Durham's intelligence unit
    "analyst": False,  # Durham, but not the intelligence unit
    "other_force": False,  # a researcher, of another force in the region (sees the report)
    "inspector": False,  # reads everything, but only the sanitised copy
    "far_analyst": False,  # may not see the report at all
}
SEES_REPORT = {
    "officer": True,
    "researcher": True,
    "analyst": True,
    "other_force": True,
    "inspector": True,
    "far_analyst": False,
}


def test_who_reads_the_original(people):
    report = submit(people["officer"])
    for name, user in people.items():
        assert policy.can(user, "view", report) is SEES_REPORT[name], name
        assert services.can_read_original(user, report) is READS_ORIGINAL[name], name


def test_a_named_researcher_reads_the_original(people):
    report = submit(people["officer"])
    services.set_researchers(people["researcher"], report, [people["other_force"]])
    assert services.can_read_original(people["other_force"], report)
    assert not services.can_read_original(people["analyst"], report)


def test_reading_the_original_needs_a_reason_and_is_audited(people):
    report = submit(people["officer"])
    with pytest.raises(ValidationError):
        services.open_original(people["researcher"], report, reason="")
    with pytest.raises(PermissionDenied):
        services.open_original(people["analyst"], report, reason="Checking the wording")
    text = services.open_original(people["researcher"], report, reason="Research for Op Lantern")
    assert text == report.original_text
    entry = AuditEntry.objects.filter(action="view", record_id=str(report.pk)).get()
    assert entry.reason == "Research for Op Lantern"
    assert entry.changes == {"part": "original"}
    assert entry.username == "researcher"


def test_sanitised_copy_rules(people):
    report = submit(people["officer"])
    with pytest.raises(PermissionDenied):
        services.write_sanitised(people["analyst"], report, "A lock-up is used for cash.")
    with pytest.raises(ValidationError) as caught:
        services.write_sanitised(people["researcher"], report, report.original_text)
    assert "word for word" in caught.value.message_dict["sanitised_text"][0]
    with pytest.raises(ValidationError):
        services.write_sanitised(people["researcher"], report, "  ")
    services.write_sanitised(people["researcher"], report, "Cash is stored at a lock-up.")
    report.refresh_from_db()
    assert report.sanitised_text == "Cash is stored at a lock-up."
    assert report.sanitised_by == people["researcher"]
    assert report.lock_version == 2


# --- Processing ----------------------------------------------------------------------------------


def test_transitions_are_checked_and_audited(people):
    report = submit(people["officer"])
    researcher = people["researcher"]
    with pytest.raises(ValidationError):
        services.move(researcher, report, "action")  # not in research yet
    with pytest.raises(PermissionDenied):
        services.move(people["analyst"], report, "start_research")  # not the intelligence unit
    report = services.move(researcher, report, "start_research")
    assert report.status == ProcessingStatus.IN_RESEARCH
    assert report.assigned_to == researcher  # starting research claims it
    with pytest.raises(ValidationError) as caught:
        services.move(researcher, report, "file")
    assert "reason" in caught.value.message_dict
    report = services.move(researcher, report, "file", reason="No further action: duplicate")
    assert report.status == ProcessingStatus.FILED
    assert report.processed_at is not None
    steps = AuditEntry.objects.filter(action="transition", record_id=str(report.pk))
    assert [e.changes["transition"] for e in steps.order_by("seq")] == ["start_research", "file"]
    with pytest.raises(ValidationError):
        services.move(researcher, report, "disseminate")  # only through disseminate()


def test_returning_to_the_queue_unassigns(people):
    report = services.move(people["researcher"], submit(people["officer"]), "start_research")
    report = services.move(people["researcher"], report, "return_to_queue")
    assert report.status == ProcessingStatus.AWAITING and report.assigned_to is None


def test_bulk_triage_is_all_or_nothing(people, make_user):
    researcher = people["researcher"]
    reports = [submit(people["officer"]) for _ in range(3)]
    services.move(researcher, reports[2], "file", reason="Filed: no value")
    with pytest.raises(ValidationError):
        services.triage(researcher, reports, priority="high")
    assert set(IntelligenceReport.objects.values_list("priority", flat=True)) == {"normal"}
    assert services.triage(researcher, reports[:2], priority="high") == 2
    assert services.triage(researcher, reports[:2], priority="high") == 0  # nothing changed
    first = IntelligenceReport.objects.get(pk=reports[0].pk)
    assert first.priority == "high" and first.triaged_by == researcher


def test_assigning_only_to_the_owners_intelligence_unit(people, make_user):
    report = submit(people["officer"])
    colleague = make_user(OWNER, "researcher", username="colleague")
    with pytest.raises(ValidationError) as caught:
        services.triage(people["researcher"], [report], assignee=people["analyst"])
    assert "intelligence unit" in caught.value.message_dict["assignee"][0]
    services.triage(people["researcher"], [report], assignee=colleague)
    assert IntelligenceReport.objects.get(pk=report.pk).assigned_to == colleague
    assert services.claim(people["researcher"], report)
    assert IntelligenceReport.objects.get(pk=report.pk).assigned_to == people["researcher"]


def test_flags_set_the_default_priority_and_the_risk(people):
    plain = submit(people["officer"])
    life = submit(people["officer"], threat_to_life=True)
    child = submit(people["officer"], child_at_risk=True)
    assert (plain.priority, life.priority, child.priority) == ("normal", "urgent", "high")
    # 2 (5) + B (8) = 13; threat to life adds 50; child at risk 30.
    assert (plain.risk_base, life.risk_base, child.risk_base) == (13, 63, 43)


def test_a_tier_1_2_mention_raises_the_risk(people):
    durham = org()
    threat = Threat.objects.create(
        reference="SOC-T1", name="Tier one", owner=durham, threat_type="ocg", tier=1
    )
    nominal = Nominal.objects.create(reference="NOM-T1", family_name="Tierone", owner=durham)
    ThreatMember.objects.create(threat=threat, nominal=nominal)
    by_threat = services.submit_report(
        people["officer"], owner=durham, values=grading(), threats=[threat]
    )
    by_nominal = services.submit_report(
        people["officer"], owner=durham, values=grading(), subjects=[{"nominal": nominal}]
    )
    plain = submit(people["officer"])
    assert by_threat.risk_base == by_nominal.risk_base == plain.risk_base + 20
    assert ReportSubject.objects.get(report=by_nominal).nominal == nominal


def test_a_hidden_nominal_or_threat_is_no_such_record(people):
    hidden = Nominal.objects.create(
        reference="NOM-H", family_name="Hidden", owner=org("force-west-yorkshire"), handling="owner"
    )
    # Its owner's analyst links it; Durham's officer gets "No such nominal", as for a missing one.
    services.submit_report(
        people["far_analyst"],
        owner=org("force-west-yorkshire"),
        values=grading(),
        subjects=[{"nominal": hidden}],
    )
    with pytest.raises(ValidationError) as caught:
        services.submit_report(
            people["officer"], owner=org(), values=grading(), subjects=[{"nominal": hidden}]
        )
    assert caught.value.message_dict["subjects[1]"] == ["No such nominal."]
    assert not IntelligenceReport.objects.filter(owner=org()).exists()


def _age(report, days):
    """Make ``report`` as old as ``days`` and not yet scored for today, as a report brought in
    by an import (or one still waiting since an earlier day) is."""
    IntelligenceReport.objects.filter(pk=report.pk).update(
        submitted_on=TODAY - dt.timedelta(days=days), scored_on=None
    )


def test_the_queue_sorts_by_risk_then_age(people):
    old_plain = submit(people["officer"])
    new_plain = submit(people["officer"])
    life = submit(people["officer"], threat_to_life=True)
    very_old = submit(people["officer"])
    done = submit(people["officer"], threat_to_life=True)
    services.move(people["researcher"], done, "file", reason="Filed: dealt with elsewhere")
    _age(old_plain, 3)
    _age(new_plain, 1)
    _age(very_old, 60)  # 13 + 20 for waiting 56 days or more
    queue = list(services.queue(people["researcher"]))
    assert [r.pk for r in queue] == [life.pk, very_old.pk, old_plain.pk, new_plain.pk]
    assert [r.risk for r in queue] == [63, 33, 13, 13]
    # Someone who may not see the reports has an empty queue.
    assert not services.queue(people["far_analyst"]).exists()


def test_queue_scores_are_brought_up_to_date_once_a_day(people):
    report = submit(people["officer"])
    _age(report, 30)
    assert services.refresh_queue_scores(IntelligenceReport) == 1
    report.refresh_from_db()
    assert (report.queue_score, report.scored_on) == (13 + 15, TODAY)
    assert services.refresh_queue_scores(IntelligenceReport) == 0  # done for today
    # Tomorrow, the age part is worked out again.
    tomorrow = TODAY + dt.timedelta(days=1)
    assert services.refresh_queue_scores(IntelligenceReport, tomorrow) == 1
    # A SAR's type puts it first: DAML, then vulnerability.
    sar = _sar(SarType.DAML, submitted_on=TODAY, risk_base=60)
    services.refresh_queue_scores(SuspiciousActivityReport)
    sar.refresh_from_db()
    assert sar.queue_score == 2060


def test_overdue_against_the_service_level(people, settings):
    settings.SOCMASTER = {**settings.SOCMASTER, "INTEL_SERVICE_LEVEL_DAYS": "normal=5,urgent=1"}
    report = submit(people["officer"])
    _age(report, 5)
    report.refresh_from_db()
    assert not services.is_overdue(report)
    assert not IntelligenceReport.objects.filter(services.overdue_q()).exists()
    _age(report, 6)
    report.refresh_from_db()
    assert services.is_overdue(report)
    assert IntelligenceReport.objects.filter(services.overdue_q()).get() == report


def test_untriaged_high_risk(people):
    life = submit(people["officer"], threat_to_life=True)
    submit(people["officer"])
    assert list(IntelligenceReport.objects.filter(services.untriaged_high_risk_q())) == [life]
    services.triage(people["researcher"], [life], priority="urgent")
    assert not IntelligenceReport.objects.filter(services.untriaged_high_risk_q()).exists()


# --- Dissemination -------------------------------------------------------------------------------


def test_dissemination_needs_a_sanitised_copy_and_is_a_disclosure(people):
    report = submit(people["officer"], handling="named")
    cheshire = org("force-cheshire")
    researcher = people["researcher"]
    services.move(researcher, report, "start_research")
    with pytest.raises(ValidationError) as caught:
        services.disseminate(researcher, report, [cheshire], purpose="Op Lantern tasking")
    assert "sanitised_text" in caught.value.message_dict
    services.write_sanitised(researcher, report, "A lock-up is used to store cash.")
    report.refresh_from_db()
    assert not policy.can(people["far_analyst"], "view", report)
    services.disseminate(researcher, report, [cheshire], purpose="Op Lantern tasking")
    report.refresh_from_db()
    assert report.status == ProcessingStatus.DISSEMINATED
    assert cheshire in report.shared_with.all()
    entry = AuditEntry.objects.get(action="disclose", record_id=str(report.pk))
    assert entry.changes["to"] == cheshire.name and entry.reason == "Op Lantern tasking"
    with pytest.raises(ValidationError) as caught:
        services.disseminate(researcher, report, [cheshire], purpose="Again please")
    assert "already" in caught.value.message_dict["organisations"][0]


def test_an_owner_only_report_is_not_disseminated(people):
    report = submit(people["officer"], handling="owner")
    services.write_sanitised(people["researcher"], report, "Sanitised version.")
    report.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        services.disseminate(
            people["researcher"], report, [org("force-cheshire")], purpose="For tasking"
        )
    assert "handling" in caught.value.message_dict


# --- SARs ----------------------------------------------------------------------------------------


def _sar(sar_type=SarType.DAML, submitted_on=dt.date(2026, 11, 4), **extra):
    return SuspiciousActivityReport.objects.create(
        reference=f"UKFIU-{SuspiciousActivityReport.objects.count() + 1}",
        owner=org(),
        reporter_sector="credit_institution",
        submitted_on=submitted_on,
        sar_type=sar_type,
        reason_text="Synthetic: rapid movement of funds.",
        consent_decision=ConsentDecision.PENDING if sar_type == SarType.DAML else "",
        **extra,
    )


def test_consent_refused_within_the_notice_period_starts_the_moratorium(people):
    sar = _sar()
    researcher = people["researcher"]
    with pytest.raises(ValidationError) as caught:
        services.record_consent(researcher, sar, ConsentDecision.REFUSED, on=dt.date(2026, 11, 16))
    assert "ended on 13 November 2026" in caught.value.message_dict["consent_decided_on"][0]
    services.record_consent(researcher, sar, ConsentDecision.REFUSED, on=dt.date(2026, 11, 13))
    sar.refresh_from_db()
    state = services.sar_clock(sar, today=dt.date(2026, 11, 20))
    assert state.notice_ends == dt.date(2026, 11, 13)
    assert state.moratorium_ends == dt.date(2026, 12, 13)
    with pytest.raises(ValidationError):
        services.record_consent(researcher, sar, ConsentDecision.GRANTED, on=dt.date(2026, 11, 13))


def test_extensions_are_recorded_and_limited(people):
    sar = _sar()
    researcher = people["researcher"]
    with pytest.raises(ValidationError) as caught:
        services.extend_moratorium(
            researcher, sar, granted_on=dt.date(2026, 11, 20), days=31, court="Leeds Crown Court"
        )
    assert "sar" in caught.value.message_dict  # consent not refused: no moratorium
    services.record_consent(researcher, sar, ConsentDecision.REFUSED, on=dt.date(2026, 11, 10))
    sar.refresh_from_db()
    for _ in range(6):  # 6 x 31 = 186 days
        services.extend_moratorium(
            researcher,
            sar,
            granted_on=dt.date(2026, 11, 20),
            days=31,
            court="Newcastle Crown Court",
        )
    with pytest.raises(ValidationError) as caught:
        services.extend_moratorium(
            researcher, sar, granted_on=dt.date(2026, 11, 20), days=1, court="Newcastle CC"
        )
    assert "186 days in all" in caught.value.message_dict["days"][0]
    state = services.sar_clock(sar, today=dt.date(2026, 11, 20))
    assert state.extension_days == 186
    assert state.moratorium_ends == dt.date(2026, 11, 10) + dt.timedelta(days=30 + 186)


def test_an_order_after_the_moratorium_ended_cannot_extend_it(people):
    sar = _sar()
    services.record_consent(
        people["researcher"], sar, ConsentDecision.REFUSED, on=dt.date(2026, 11, 10)
    )
    sar.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        services.extend_moratorium(
            people["researcher"], sar, granted_on=dt.date(2026, 12, 11), days=10, court="Court"
        )
    assert "ended on 10 December 2026" in caught.value.message_dict["granted_on"][0]


def test_a_standard_sar_has_no_daml_clock_or_consent(people):
    sar = _sar(SarType.STANDARD)
    assert services.sar_clock(sar) is None
    with pytest.raises(ValidationError):
        services.record_consent(
            people["researcher"], sar, ConsentDecision.REFUSED, on=dt.date(2026, 11, 5)
        )


def test_the_sar_queue_puts_daml_then_vulnerability_first(people):
    standard = _sar(SarType.STANDARD, submitted_on=TODAY - dt.timedelta(days=90), risk_base=80)
    vulnerable = _sar(SarType.VULNERABILITY, submitted_on=TODAY, risk_base=40)
    daml = _sar(SarType.DAML, submitted_on=TODAY, risk_base=60)
    order = [s.pk for s in services.queue(people["researcher"], SuspiciousActivityReport)]
    assert order == [daml.pk, vulnerable.pk, standard.pk]


def test_screening_status_rescores(people):
    sar = _sar(SarType.STANDARD)
    services.set_screening(None, sar, "matches")
    sar.refresh_from_db()
    assert sar.screening_status == "matches" and sar.risk_base == 20
    with pytest.raises(ValidationError):
        services.set_screening(None, sar, "maybe")

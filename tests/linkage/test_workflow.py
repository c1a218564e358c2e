"""The review workflow on the database: screening SARs against the master list, reviewers'
decisions (never proposed again, reversible, conflicts), the LRO's alert, and deconfliction
(existence without content), each rule with the test that fails if it is dropped or inverted.

The matching model is the engine tests' session model (trained on the synthetic truth set), put
into use here as version 1. All people are synthetic.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from socmaster.core import audit
from socmaster.core.choices import AuditAction
from socmaster.core.models import AuditEntry, Compartment, CompartmentMember
from socmaster.core.registry import attention_for
from socmaster.intelligence.choices import ScreeningStatus
from socmaster.intelligence.models import SuspiciousActivityReport
from socmaster.linkage import services
from socmaster.linkage.choices import (
    AccessRequestStatus,
    Decision,
    MatchStatus,
    ModelStatus,
    SubjectKind,
)
from socmaster.linkage.models import CandidateMatch, LinkageModel, MatchDecision, ScreeningRun
from socmaster.organisations.models import Membership
from socmaster.threats.models import Nominal, Threat, ThreatMember

from .conftest import DOB, OTHER, OWNER, match_for, nominal, org, sar, screen

pytestmark = pytest.mark.django_db


# --- screening --------------------------------------------------------------------------------------


def test_a_close_variant_is_linked_and_audited_as_combine(master_list):
    record = sar(("Jon", "Smith", DOB))
    run = screen(record)
    match = match_for(record, master_list["smith"])
    assert match.status == MatchStatus.LINKED
    assert match.probability >= LinkageModel.objects.get().model["upper"]
    assert run.counts["linked"] == 1 and run.counts["subjects"] == 1
    entry = AuditEntry.objects.get(action=AuditAction.COMBINE)
    assert entry.record_id == str(master_list["smith"].pk)
    assert entry.changes["sar_subject"] == match.sar_subject_id
    record.refresh_from_db()
    assert record.screening_status == ScreeningStatus.MATCHES
    status_entry = AuditEntry.objects.get(
        record_type="intelligence.suspiciousactivityreport", record_id=str(record.pk)
    )
    assert status_entry.changes["screening_status"] == {
        "before": "not_screened",
        "after": "matches",
    }
    assert record.queue_score > 0 and record.scored_on is not None
    result = audit.verify_chain()  # the run's entries, written in bulk, chain like any other
    assert result.first_break is None and result.checked == AuditEntry.objects.count()


def test_explanation_adds_up_to_the_weight(master_list):
    record = sar(("Jon", "Smith", DOB))
    screen(record)
    match = match_for(record, master_list["smith"])
    assert match.explanation[0]["comparison"] == "prior"
    assert sum(step["weight"] for step in match.explanation) == pytest.approx(match.weight)


def test_a_suffix_sends_a_high_match_to_review_not_to_a_link(master_list):
    record = sar(("John", "Smith Jr", DOB))
    screen(record)
    match = match_for(record, master_list["smith"])
    assert match.vetoed and match.probability >= 0.95
    assert match.status == MatchStatus.REVIEW
    assert not AuditEntry.objects.filter(action=AuditAction.COMBINE).exists()


def test_no_match_sets_the_screening_status(master_list):
    record = sar(("Zebedee", "Quartermaine", dt.date(2001, 1, 1)))
    screen(record)
    record.refresh_from_db()
    assert record.screening_status == ScreeningStatus.NO_MATCH
    assert not CandidateMatch.objects.exists()


def test_screening_without_a_model_in_use_is_refused(db):
    with pytest.raises(services.NoModel):
        screen(sar(("Jon", "Smith", DOB)))


def test_compartmented_nominals_are_not_screened_against(master_list):
    unit = Compartment.objects.create(code="siu-lnk", name="SIU", owner=org())
    hidden = nominal("Mohammed", "Ahmed", dt.date(1975, 3, 12), compartment=unit)
    record = sar(("Mohamed", "Ahmed", dt.date(1975, 3, 12)))
    screen(record)
    assert not CandidateMatch.objects.filter(nominal=hidden).exists()


def test_the_review_queue_is_sorted_by_tier_then_probability(master_list, people):
    tier1 = nominal("Peter", "Jones", dt.date(1970, 1, 1))
    threat = Threat.objects.create(
        reference="LNK-T1", name="Tier one", owner=org(), threat_type="ocg", tier=1
    )
    ThreatMember.objects.create(threat=threat, nominal=tier1)
    low = sar(("John", "Smith Jr", DOB))  # review, no threat
    high = sar(("Peter", "Jones Jr", dt.date(1970, 1, 1)))  # review, tier 1
    screen(low, high)
    queue = list(services.review_queue(people["analyst"]))
    assert [m.nominal for m in queue] == [tier1, master_list["smith"]]
    assert queue[0].visible_tier == 1 and queue[1].visible_tier is None


def test_a_hidden_threats_tier_is_neither_shown_nor_used_to_order(master_list, people):
    unit = Compartment.objects.create(code="tier-lnk", name="Hidden tier", owner=org())
    threat = Threat.objects.create(
        reference="LNK-T9",
        name="Hidden",
        owner=org(),
        threat_type="ocg",
        tier=1,
        compartment=unit,
    )
    ThreatMember.objects.create(threat=threat, nominal=master_list["smith"])
    screen(sar(("John", "Smith Jr", DOB)))
    (match,) = services.review_queue(people["analyst"])
    assert match.visible_tier is None
    CompartmentMember.objects.create(compartment=unit, user=people["researcher"])
    (inside,) = services.review_queue(people["researcher"])
    assert inside.visible_tier == 1


def test_the_master_list_against_itself_finds_people_held_twice(master_list, people, make_user):
    from socmaster.threats.models import NominalAlias

    first = nominal("Mohammed", "Ahmed", dt.date(1975, 3, 12))
    second = nominal("Mohamed", "Ahhmed", dt.date(1975, 3, 12), owner=OTHER)
    NominalAlias.objects.create(nominal=first, given_names="Mo", family_name="Ahmed")
    with pytest.raises(PermissionDenied):  # the master list is everyone's: national only
        services.screen_duplicates(make_user(OWNER, "administrator"))
    run = services.screen_duplicates(None)
    pair = CandidateMatch.objects.get(kind=SubjectKind.NOMINAL)
    assert (pair.nominal, pair.other_nominal) == (first, second)  # older first; no self-pair
    assert pair.status == MatchStatus.LINKED and run.counts == {
        "nominals": 53,
        "linked": 1,
        "review": 0,
        "never_again": 0,
    }
    assert AuditEntry.objects.get(action=AuditAction.COMBINE).changes["other_nominal"] == (
        second.pk
    )
    services.unlink(people["analyst"], pair, "Different men: PNC differs.")
    again = services.screen_duplicates(None)
    pair.refresh_from_db()
    assert pair.status == MatchStatus.UNLINKED  # a taken-back link is not made again
    assert again.counts["linked"] == again.counts["review"] == 0


def test_intelligence_report_subjects_are_screened_and_alert_the_lro(master_list, people):
    from socmaster.intelligence import services as intelligence

    threat = Threat.objects.create(
        reference="LNK-R1", name="Reports", owner=org(), threat_type="ocg", lro=people["lro"]
    )
    ThreatMember.objects.create(threat=threat, nominal=master_list["smith"])
    report = intelligence.submit_report(
        people["analyst"],
        owner=org(),
        values={
            "original_text": "Synthetic: JON SMITH collects cash.",
            "source_evaluation": "2",
            "intelligence_assessment": "B",
            "handling_code": "P",
        },
        subjects=[{"family_name": "Smith", "given_names": "Jon", "date_of_birth": DOB}],
    )
    run = services.start_sar_screening(people["researcher"], org(), kind="report_subject")
    services.run_queued(run)
    run.refresh_from_db()
    assert run.counts["linked"] == 1
    match = CandidateMatch.objects.get(report_subject__report=report)
    assert match.kind == SubjectKind.REPORT_SUBJECT and match.status == MatchStatus.LINKED
    assert list(services.lro_alerts(people["lro"])) == [match]


# --- decisions --------------------------------------------------------------------------------------


def test_not_the_same_person_is_never_proposed_again_even_after_retraining(
    master_list, people, model
):
    record = sar(("John", "Smith Jr", DOB))
    screen(record)
    match = match_for(record, master_list["smith"])
    services.decide(
        people["analyst"], match, Decision.NOT_SAME, "Son: PNC shows a different person."
    )
    again = services.screen_sars(SuspiciousActivityReport.objects.filter(pk=record.pk), user=None)
    assert again.counts["never_again"] == 1
    match.refresh_from_db()
    assert match.status == MatchStatus.NOT_SAME
    # A new model put into use (retraining) does not bring the pair back either.
    LinkageModel.objects.create(version=2, model=model.to_dict(), trained_at=timezone.now())
    services.put_into_use(None, 2, "Retrained on this year's SARs.")
    services.screen_sars(SuspiciousActivityReport.objects.filter(pk=record.pk))
    match.refresh_from_db()
    assert match.status == MatchStatus.NOT_SAME
    assert LinkageModel.objects.get(version=1).status == ModelStatus.RETIRED


def test_same_person_links_and_is_audited_as_combine(master_list, people):
    record = sar(("John", "Smith Jr", DOB))
    screen(record)
    match = match_for(record, master_list["smith"])
    services.decide(people["analyst"], match, Decision.SAME, "Same PNC ID on both records.")
    match.refresh_from_db()
    assert match.status == MatchStatus.LINKED
    entry = AuditEntry.objects.filter(action=AuditAction.COMBINE).get()
    assert entry.reason == "Same PNC ID on both records."
    assert entry.changes["status"] == {"before": "review", "after": "linked"}


def test_a_decided_match_is_not_decided_again_without_unlinking(master_list, people):
    record = sar(("Jon", "Smith", DOB))
    screen(record)
    match = match_for(record, master_list["smith"])  # linked by the model
    with pytest.raises(ValidationError) as caught:
        services.decide(people["analyst"], match, Decision.NOT_SAME, "Second thoughts.")
    assert "unlink" in caught.value.message_dict["decision"][0]
    services.unlink(people["analyst"], match, "Different man after all.")
    with pytest.raises(ValidationError):
        services.decide(people["analyst"], match, Decision.SAME, "Back again.")


def test_partners_cannot_screen_and_are_not_told_what_matches(master_list, people, make_user):
    council = org("partner-durham-county-council")
    admin = make_user(council.key, "administrator")
    with pytest.raises(PermissionDenied):
        services.start_sar_screening(admin, council)
    with pytest.raises(PermissionDenied):  # nor another force's
        services.start_sar_screening(people["other_analyst"], org())
    run = services.start_sar_screening(people["analyst"], org())
    with pytest.raises(ValidationError):  # one unfinished run at a time
        services.start_sar_screening(people["analyst"], org())
    # A run whose worker stopped long ago no longer blocks.
    ScreeningRun.objects.filter(pk=run.pk).update(
        created_at=timezone.now() - services.RUN_STALE_AFTER - dt.timedelta(minutes=1)
    )
    services.start_sar_screening(people["analyst"], org())


def test_a_decision_needs_a_reason_and_a_known_choice(master_list, people):
    record = sar(("John", "Smith Jr", DOB))
    screen(record)
    match = match_for(record, master_list["smith"])
    with pytest.raises(ValidationError) as caught:
        services.decide(people["analyst"], match, Decision.SAME, "  ")
    assert "reason" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.decide(people["analyst"], match, "maybe", "A good reason.")
    assert "decision" in caught.value.message_dict
    match.refresh_from_db()
    assert match.status == MatchStatus.REVIEW and not MatchDecision.objects.exists()


def test_unlink_takes_the_link_back_and_keeps_the_history(master_list, people):
    record = sar(("Jon", "Smith", DOB))
    screen(record)
    match = match_for(record, master_list["smith"])
    with pytest.raises(ValidationError):
        services.unlink(people["analyst"], match, "")
    services.unlink(people["analyst"], match, "Custody record shows a different man.")
    match.refresh_from_db()
    assert match.status == MatchStatus.UNLINKED
    assert list(match.decisions.values_list("decision", flat=True)) == ["unlink"]
    assert AuditEntry.objects.filter(
        action=AuditAction.UPDATE, changes__status__after="unlinked"
    ).exists()
    with pytest.raises(ValidationError):
        services.unlink(people["analyst"], match, "Twice is refused.")
    # A later run does not silently link it again.
    screen(record)
    match.refresh_from_db()
    assert match.status == MatchStatus.UNLINKED


def test_who_may_decide(master_list, people, make_user):
    record = sar(("John", "Smith Jr", DOB))
    screen(record)
    match = match_for(record, master_list["smith"])
    with pytest.raises(PermissionDenied):  # reads everything, decides nothing
        services.decide(people["inspector"], match, Decision.SAME, "Looks the same to me.")
    with pytest.raises(Http404):  # a partner may not see the nominal at all
        services.decide(people["partner"], match, Decision.SAME, "Looks the same to me.")
    reader = make_user(OWNER, "chief_officer")  # sees both, but is no reviewer
    with pytest.raises(PermissionDenied):
        services.decide(reader, match, Decision.SAME, "Looks the same to me.")
    hidden = sar(("John", "Smith Jr", DOB), handling="owner")
    screen(hidden)
    with pytest.raises(Http404):  # may not see the SAR: answered as missing
        services.decide(
            people["other_analyst"], match_for(hidden, master_list["smith"]), "same", "Same."
        )
    services.decide(people["other_analyst"], match, Decision.UNSURE, "Not enough to tell.")


def test_links_that_would_join_people_kept_apart_are_flagged_not_merged(master_list, people):
    twin = nominal("John Paul", "Smith", DOB)
    pair = CandidateMatch.objects.create(
        kind=SubjectKind.NOMINAL,
        nominal=master_list["smith"],
        other_nominal=twin,
        model_version=1,
        probability=0.99,
        weight=8,
        status=MatchStatus.REVIEW,
    )
    services.decide(people["analyst"], pair, Decision.NOT_SAME, "Twins: different PNC IDs.")
    record = sar(("Jon", "Smith", DOB))
    screen(record)
    matches = {m.nominal: m for m in CandidateMatch.objects.filter(sar_subject__sar=record)}
    statuses = sorted(m.status for m in matches.values())
    assert statuses == [MatchStatus.CONFLICT, MatchStatus.LINKED]
    conflict = next(m for m in matches.values() if m.status == MatchStatus.CONFLICT)
    linked = next(m for m in matches.values() if m.status == MatchStatus.LINKED)
    assert conflict.conflict_with == [linked.nominal_id]
    with pytest.raises(ValidationError):
        services.decide(people["analyst"], conflict, Decision.SAME, "Both the same.")


# --- visibility, the LRO and the pages' panels ---------------------------------------------------------


def test_a_match_is_seen_only_by_who_may_see_both_records(master_list, people):
    hidden_nominal = nominal("Mohammed", "Ahmed", dt.date(1975, 3, 12), handling="owner")
    open_sar = sar(("Mohamed", "Ahmed", dt.date(1975, 3, 12)))
    hidden_sar = sar(("Jon", "Smith", DOB), handling="owner")
    screen(open_sar, hidden_sar)
    a = match_for(open_sar, hidden_nominal)
    b = match_for(hidden_sar, master_list["smith"])
    owner_sees = set(services.visible_candidates(people["analyst"]))
    other_sees = set(services.visible_candidates(people["other_analyst"]))
    assert {a, b} <= owner_sees
    assert a not in other_sees and b not in other_sees
    with pytest.raises(Http404):
        services.get_visible_or_404(people["other_analyst"], b.pk)


def test_a_link_alerts_the_lro_until_marked_seen(master_list, people):
    threat = Threat.objects.create(
        reference="LNK-T2", name="Alert", owner=org(), threat_type="ocg", lro=people["lro"]
    )
    ThreatMember.objects.create(threat=threat, nominal=master_list["smith"])
    record = sar(("Jon", "Smith", DOB))
    screen(record)
    match = match_for(record, master_list["smith"])

    def count(user):
        return dict((item.key, c.count) for item, c in attention_for(user)).get("linkage-lro-links")

    assert count(people["lro"]) == 1
    assert count(people["analyst"]) is None  # not an LRO: no such item
    assert list(services.linked_to_threat(people["analyst"], threat)) == [match]
    with pytest.raises(PermissionDenied):
        services.mark_seen(people["analyst"], match)
    services.mark_seen(people["lro"], match)
    assert count(people["lro"]) == 0
    # A link the reviewer took back no longer alerts anyone.
    other = sar(("John", "Smith", DOB))
    screen(other)
    services.unlink(people["analyst"], match_for(other, master_list["smith"]), "Not him at all.")
    assert count(people["lro"]) == 0


# --- deconfliction -----------------------------------------------------------------------------------

#: Who gets a "held elsewhere" notice for a SAR subject that matches a nominal they may not see
#: (the nominal: owner-only at Durham; the SAR: national, so all police see it). Written by hand.
NOTICE = {
    "analyst": False,  # the owner sees the nominal itself: no notice, a match
    "other_analyst": True,  # police elsewhere: told who holds it, nothing more
    "partner": False,  # partners never get the notice
    "inspector": False,  # reads everything: sees the nominal itself
}


def test_deconfliction_tells_existence_and_owner_only(master_list, people):
    hidden = nominal("Mohammed", "Ahmed", dt.date(1975, 3, 12), handling="owner")
    record = sar(("Mohamed", "Ahhmed", dt.date(1975, 3, 12)))
    record.shared_with.add(org("partner-durham-county-council"))
    screen(record)
    got = {who: bool(services.deconfliction_notices(people[who])) for who in NOTICE}
    assert got == NOTICE
    (notice,) = services.deconfliction_notices(people["other_analyst"])
    assert set(notice) == {"subject_id", "subject", "owner", "contact", "candidate"}
    assert notice["owner"] == org() and notice["contact"].startswith(org().name)
    assert "Ahmed" not in repr({k: v for k, v in notice.items() if k != "subject"})
    assert hidden not in services.visible_candidates(people["other_analyst"])


def test_compartmented_records_never_produce_a_notice(master_list, people):
    unit = Compartment.objects.create(code="cc-lnk", name="Counter-corruption", owner=org())
    CompartmentMember.objects.create(compartment=unit, user=people["analyst"])
    nominal("Mohammed", "Ahmed", dt.date(1975, 3, 12), handling="owner", compartment=unit)
    record = sar(("Mohamed", "Ahmed", dt.date(1975, 3, 12)))
    screen(record)
    assert services.deconfliction_notices(people["other_analyst"]) == []
    result = services.possible_matches(
        people["other_analyst"],
        {"first_name": "Mohammed", "surname": "Ahmed", "dob": "1975-03-12"},
    )
    assert result["elsewhere"] == [] and result["visible"] == []


def test_request_access_approved_shares_and_is_a_disclosure(master_list, people, make_user):
    hidden = nominal("Mohammed", "Ahmed", dt.date(1975, 3, 12), handling="owner")
    third = org("force-cheshire")
    hidden.shared_with.add(third)  # ignored while owner-only
    bystander = make_user("force-cheshire", "analyst")
    record = sar(("Mohamed", "Ahmed", dt.date(1975, 3, 12)))
    screen(record)
    match = match_for(record, hidden)
    requester = people["other_analyst"]
    with pytest.raises(PermissionDenied):
        services.request_access(people["partner"], match, "Partner asks.")
    with pytest.raises(ValidationError):
        services.request_access(requester, match, "")
    request = services.request_access(requester, match, "Same man in our drugs operation.")
    with pytest.raises(ValidationError):  # one open request per organisation and record
        services.request_access(requester, match, "Asking again.")
    assert request.requesting_organisation == org(OTHER)  # where the SAR's reader works
    assert not Nominal.objects.visible_to(requester).filter(pk=hidden.pk).exists()
    with pytest.raises(PermissionDenied):  # only the owner answers
        services.answer_access(requester, request, True, "")
    inspector = make_user("hmicfrs", "inspector")
    Membership.objects.create(user=inspector, organisation=org(), role="analyst")
    with pytest.raises(PermissionDenied):  # and only someone who may share the record
        services.answer_access(inspector, request, True, "")
    services.answer_access(people["researcher"], request, True, "")
    request.refresh_from_db()
    assert request.status == AccessRequestStatus.APPROVED
    assert Nominal.objects.visible_to(requester).filter(pk=hidden.pk).exists()
    disclosure = AuditEntry.objects.get(action=AuditAction.DISCLOSE)
    assert disclosure.record_id == str(hidden.pk)
    assert disclosure.changes["before"] == {"handling": "owner", "shared_with": [third.pk]}
    assert disclosure.changes["after"] == {
        "handling": "named",
        "shared_with": [requester.home_organisation_id],
    }
    # Sharing went to the requester alone: an organisation on the owner-only record's dormant
    # list does not see it now.
    assert not Nominal.objects.visible_to(bystander).filter(pk=hidden.pk).exists()
    hidden.refresh_from_db()
    assert hidden.lock_version == 2  # through the nominal's own service
    assert set(services.access_requests_for(requester)) == {request}
    assert set(services.access_requests_for(people["researcher"])) == {request}
    assert not services.access_requests_for(people["partner"]).exists()


def test_request_access_declined_needs_a_reason_and_shares_nothing(master_list, people):
    hidden = nominal("Mohammed", "Ahmed", dt.date(1975, 3, 12), handling="owner")
    record = sar(("Mohamed", "Ahmed", dt.date(1975, 3, 12)))
    screen(record)
    request = services.request_access(
        people["other_analyst"], match_for(record, hidden), "Our operation."
    )
    with pytest.raises(ValidationError):
        services.answer_access(people["researcher"], request, False, "")
    services.answer_access(people["researcher"], request, False, "Live covert operation.")
    request.refresh_from_db()
    assert request.status == AccessRequestStatus.DECLINED
    assert not Nominal.objects.visible_to(people["other_analyst"]).filter(pk=hidden.pk).exists()
    assert not AuditEntry.objects.filter(action=AuditAction.DISCLOSE).exists()
    with pytest.raises(ValidationError):  # answered once
        services.answer_access(people["researcher"], request, True, "")


# --- one-record lookup ------------------------------------------------------------------------------


def test_possible_matches_shows_visible_nominals_and_tells_only_existence_of_others(
    master_list, people
):
    hidden = nominal("Mohammed", "Ahmed", dt.date(1975, 3, 12), handling="owner")
    person = {"first_name": "Mohamed", "surname": "Ahhmed", "dob": "1975-03-12"}
    owner_view = services.possible_matches(people["analyst"], person)
    assert [m["nominal"] for m in owner_view["visible"]] == [hidden]
    other_view = services.possible_matches(people["other_analyst"], person)
    assert other_view["visible"] == []
    assert [e["owner"] for e in other_view["elsewhere"]] == [org()]
    assert services.possible_matches(people["partner"], person)["elsewhere"] == []
    smith = services.possible_matches(
        people["other_analyst"], {"first_name": "Jonny", "surname": "Smith", "dob": "1980-05-01"}
    )
    assert [m["nominal"] for m in smith["visible"]] == [master_list["smith"]]


def test_the_lookup_sees_a_nominal_added_after_it_was_built(master_list, people):
    person = {"first_name": "Aisha", "surname": "Khan", "dob": "1990-07-21"}
    assert services.possible_matches(people["analyst"], person)["visible"] == []
    added = nominal("Aisha", "Khan", dt.date(1990, 7, 21))
    assert [
        m["nominal"] for m in services.possible_matches(people["analyst"], person)["visible"]
    ] == [added]


def test_the_lookup_sees_a_bulk_import_within_the_recheck_time(master_list, people, monkeypatch):
    person = {"first_name": "Aisha", "surname": "Khan", "dob": "1990-07-21"}
    assert services.possible_matches(people["analyst"], person)["visible"] == []
    (added,) = Nominal.objects.bulk_create(  # no save signal, as an import writes
        [
            Nominal(
                reference="NOM-BULK-1",
                given_names="Aisha",
                family_name="Khan",
                date_of_birth=dt.date(1990, 7, 21),
                owner=org(),
                handling="national",
            )
        ]
    )
    assert services.possible_matches(people["analyst"], person)["visible"] == []  # not yet
    monkeypatch.setattr(services, "LOOKUP_RECHECK_SECONDS", 0)
    found = services.possible_matches(people["analyst"], person)["visible"]
    assert [m["nominal"] for m in found] == [added]


def test_a_run_that_fails_says_so_and_keeps_nothing_half_written(master_list, people, tmp_path):
    from socmaster.linkage.engine.files import FileError

    path = tmp_path / "list.csv"
    path.write_text(
        "subject_id,first_name,middle_name,surname,dob,gender,postcode,phone\n"
        "R1,Jon,,Smith,1980-05-01,,,\n",
        encoding="utf-8",
    )
    run = services.start_list_screening(
        people["analyst"], org(), path, source_name="list.csv", reason="Prison releases."
    )
    path.unlink()  # gone before the worker reads it
    with pytest.raises(FileError):
        services.run_queued(run)
    run.refresh_from_db()
    assert run.status == "failed" and "no such file" in run.error
    assert run.results == [] and run.counts == {}


def test_a_nominals_postcode_and_phone_identifiers_are_compared(master_list):
    from socmaster.threats.models import Identifier

    smith = master_list["smith"]
    Identifier.objects.create(nominal=smith, kind="postcode", value="DH1 3LE")
    Identifier.objects.create(nominal=smith, kind="phone", value="07700 900123")
    Identifier.objects.create(nominal=smith, kind="phone", value="07700 900999")  # not the first
    frame = services.nominal_frame().set_index("id")
    assert frame.loc[str(smith.pk), ["postcode", "phone"]].tolist() == ["DH1 3LE", "07700 900123"]
    record = sar(("J", "Smith", DOB))  # an initial alone: not enough to link
    SarSubject = record.subjects.model
    SarSubject.objects.filter(sar=record).update(postcode="dh13le", phones=["+44 7700 900123"])
    screen(record)
    match = match_for(record, smith)
    labels = {step["comparison"]: step["label"] for step in match.explanation}
    assert labels["postcode"] == "Exact match on full postcode"
    assert labels["phone"] == "Exact match on phone"

"""Debriefs through their services: when one becomes due (a threat enters a closed phase, a
gateway request is completed; never twice; within the look-back window), its due date and owner,
the protection it copies from the record that ended, overdue, held (which needs the record and a
lesson), cancelled (which needs a reason) and reinstated, who may do each, lessons and their
tags, and the ``socmaster debriefs --refresh`` command. The world is the synthetic one of
``tests/tasking/debriefs_world.py``; expected outcomes are written out by hand."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db.models import Max
from django.http import Http404

from socmaster.core import policy
from socmaster.core.models import AuditEntry, Compartment
from socmaster.disruptions.models import Tactic
from socmaster.gateway.models import Capability
from socmaster.tasking.models import Debrief, Lesson
from socmaster.tasking.services import debriefs as services
from socmaster.threats.models import CrimeType
from tests.tasking.debriefs_world import (
    DAY,
    TODAY,
    close,
    completed_request,
    make_people,
    make_threat,
    org,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_user):
    return make_people(make_user)


def mark() -> int:
    return AuditEntry.objects.aggregate(m=Max("seq"))["m"] or 0


def since(last: int) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(seq__gt=last).order_by("seq"))


def recorded(debrief, *, lessons=1, user=None):
    """``debrief`` with its record written and ``lessons`` lessons, ready to be held."""
    user = user or debrief.owner_user
    services.update_debrief(
        user,
        debrief,
        {
            "what_worked": "Synthetic: early surveillance found the storage unit.",
            "what_did_not": "Synthetic: the warrant came a day late.",
        },
    )
    for n in range(lessons):
        services.add_lesson(user, debrief, text=f"Synthetic lesson {n}: book warrants early.")
    debrief.refresh_from_db()
    return debrief


# --- When a debrief becomes due --------------------------------------------------------------------


def test_a_closed_threat_makes_a_debrief_due_in_28_days_owned_by_its_lro(people):
    threat = make_threat(people["lro"], shared=["partner-durham-county-council"])
    close(people["lro"], threat, on=TODAY - 3 * DAY)
    before = mark()
    assert services.debriefs_due_from_events() == {"threats": 1, "requests": 0}
    debrief = Debrief.objects.get(threat=threat)
    assert debrief.trigger == "threat_closed"
    assert debrief.status == "due"
    assert debrief.ended_on == TODAY - 3 * DAY
    assert debrief.due_on == TODAY + 25 * DAY
    assert debrief.owner_user == people["lro"]
    assert debrief.operation == "Op Synthetic Tide"
    assert debrief.reference.startswith("DBF-")
    # Its protection is the threat's when it closed: owner, handling and sharing.
    assert (debrief.owner.key, debrief.handling) == ("force-durham", "region")
    assert [o.key for o in debrief.shared_with.all()] == ["partner-durham-county-council"]
    entries = since(before)
    assert [(e.action, e.record_type, e.username) for e in entries] == [
        ("create", "tasking.debrief", "")
    ]
    assert threat.reference in entries[0].reason and "closed phase" in entries[0].reason


def test_the_same_closure_never_makes_a_second_debrief(people):
    threat = make_threat(people["lro"])
    close(people["lro"], threat)
    assert services.debriefs_due_from_events()["threats"] == 1
    last = mark()
    assert services.debriefs_due_from_events() == {"threats": 0, "requests": 0}
    assert services.debrief_for_threat_closure(threat) is None
    assert Debrief.objects.filter(threat=threat).count() == 1
    assert since(last) == []  # nothing written, nothing audited


def test_the_due_period_is_configurable(people, settings):
    settings.SOCMASTER = {**settings.SOCMASTER, "DEBRIEF_DUE_DAYS": 10}
    threat = make_threat(people["lro"])
    close(people["lro"], threat, on=TODAY - 2 * DAY)
    debrief = services.debrief_for_threat_closure(threat)
    assert debrief.due_on == TODAY + 8 * DAY


def test_closing_a_threat_makes_its_debrief_due_once_the_change_is_committed(
    people, django_capture_on_commit_callbacks
):
    threat = make_threat(people["lro"])
    with django_capture_on_commit_callbacks(execute=True):
        close(people["lro"], threat)
    debrief = Debrief.objects.get(threat=threat)
    assert debrief.owner_user == people["lro"]
    # Saving the closed threat again (a correction) makes no second one.
    with django_capture_on_commit_callbacks(execute=True):
        from socmaster.threats import services as threat_services

        threat_services.update_threat(people["lro"], threat, description="Synthetic: updated.")
    assert Debrief.objects.filter(threat=threat).count() == 1


def test_an_open_threat_and_an_old_closure_make_no_debrief(people):
    open_threat = make_threat(people["lro"])
    old = make_threat(people["lro"])
    close(people["lro"], old, on=TODAY - 366 * DAY)  # outside the year of look-back
    recent = make_threat(people["lro"])
    close(people["lro"], recent, on=TODAY - 365 * DAY)  # just inside it
    services.debriefs_due_from_events()
    assert not Debrief.objects.filter(threat__in=[open_threat, old]).exists()
    assert Debrief.objects.filter(threat=recent).count() == 1
    # Overdue at once: it ended a year ago.
    assert Debrief.objects.get(threat=recent).is_overdue()


def test_a_debrief_added_by_hand_after_the_closure_stands_for_it(people):
    covered = make_threat(people["lro"])
    close(people["lro"], covered, on=TODAY - 5 * DAY)
    services.add_debrief(people["lro"], threat=covered, ended_on=TODAY - 5 * DAY)
    earlier = make_threat(people["lro"])
    close(people["lro"], earlier, on=TODAY - 2 * DAY)
    # A debrief of an earlier phase of the operation does not stand for its closure.
    services.add_debrief(people["lro"], threat=earlier, ended_on=TODAY - 30 * DAY)
    assert services.debriefs_due_from_events()["threats"] == 1
    assert Debrief.objects.filter(threat=covered).count() == 1
    assert list(
        Debrief.objects.filter(threat=earlier).order_by("id").values_list("trigger", flat=True)
    ) == ["by_hand", "threat_closed"]


def test_a_completed_gateway_request_makes_a_debrief_due_owned_by_the_officer(people):
    threat = make_threat(people["requester"])
    request = completed_request(people["officer"], people["requester"], threat=threat)
    made = services.debriefs_due_from_events()
    assert made == {"threats": 0, "requests": 1}
    debrief = Debrief.objects.get(request=request)
    assert debrief.trigger == "request_completed"
    assert debrief.threat == threat
    assert debrief.owner_user == people["officer"]
    assert debrief.ended_on == TODAY and debrief.due_on == TODAY + 28 * DAY
    assert debrief.operation == "Op Synthetic Lantern"
    # Protected as the request is: owned by the ROCU, shared with the force that asked.
    assert debrief.owner.key == "rocu-north-east"
    assert [o.key for o in debrief.shared_with.all()] == ["force-durham"]
    assert services.debriefs_due_from_events() == {"threats": 0, "requests": 0}
    assert Debrief.objects.filter(request=request).count() == 1


def test_completing_a_request_makes_its_debrief_due_once_committed(
    people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = completed_request(people["officer"], people["requester"])
    assert Debrief.objects.get(request=request).owner_user == people["officer"]


def test_a_request_not_completed_or_completed_long_ago_makes_none(people):
    old = completed_request(people["officer"], people["requester"], completed_days_ago=400)
    assert services.debriefs_due_from_events() == {"threats": 0, "requests": 0}
    assert not Debrief.objects.filter(request=old).exists()


def test_a_compartmented_threat_gives_its_debrief_its_compartment(people):
    compartment = Compartment.objects.create(code="siu", name="SIU", owner=org("force-durham"))
    threat = make_threat(people["lro"])
    close(people["lro"], threat)
    type(threat).objects.filter(pk=threat.pk).update(compartment=compartment)
    debrief = services.debrief_for_threat_closure(threat)
    assert debrief.compartment == compartment
    assert not policy.can(people["colleague"], "view", debrief)  # not in the compartment


# --- Added by hand -------------------------------------------------------------------------------


def test_a_debrief_added_by_hand_needs_an_end_an_owner_and_a_name(people):
    with pytest.raises(ValidationError) as err:
        services.add_debrief(people["lro"], ended_on=None)
    assert set(err.value.message_dict) == {"ended_on", "owner", "handling", "operation"}
    with pytest.raises(ValidationError) as err:
        services.add_debrief(
            people["lro"],
            ended_on=TODAY + DAY,
            owner=org("force-kent"),  # not theirs
            handling="region",
            operation="Op Synthetic",
        )
    assert set(err.value.message_dict) == {"ended_on", "owner"}
    debrief = services.add_debrief(
        people["lro"],
        ended_on=TODAY,
        owner=org("force-durham"),
        handling="owner",
        operation="Op Synthetic Dawn",
    )
    assert (debrief.trigger, debrief.handling, debrief.owner_user) == (
        "by_hand",
        "owner",
        people["lro"],
    )
    assert debrief.created_by == people["lro"]
    assert Debrief.objects.count() == 1


def test_a_hidden_threat_answers_like_a_missing_one_and_inspectors_add_nothing(people):
    hidden = make_threat(people["kent"], owner="force-kent", handling="owner")
    with pytest.raises(ValidationError) as err:
        services.add_debrief(people["lro"], threat=hidden, ended_on=TODAY)
    assert err.value.message_dict["threat"] == ["No such threat."]
    seen = make_threat(people["lro"])
    with pytest.raises(ValidationError) as err:
        services.add_debrief(people["cleveland"], threat=seen, ended_on=TODAY)  # sees, not theirs
    assert err.value.message_dict["threat"] == [
        "Only the threat's LRO and its owner's officers add its debrief."
    ]
    with pytest.raises(PermissionDenied):
        services.add_debrief(people["inspector"], threat=seen, ended_on=TODAY)
    assert not Debrief.objects.exists()


def test_a_request_has_only_one_debrief(people):
    request = completed_request(people["officer"], people["requester"])
    services.debriefs_due_from_events()
    with pytest.raises(ValidationError) as err:
        services.add_debrief(people["officer"], request=request, ended_on=TODAY)
    assert err.value.message_dict["request"] == ["This gateway request already has a debrief."]


# --- Overdue, held, cancelled --------------------------------------------------------------------


@pytest.fixture
def due(people):
    threat = make_threat(people["lro"], shared=["partner-durham-county-council"])
    close(people["lro"], threat, on=TODAY - 10 * DAY)
    return services.debrief_for_threat_closure(threat)


def test_overdue_means_past_its_due_date_and_not_held(people, due):
    assert due.due_on == TODAY + 18 * DAY and not due.is_overdue()
    assert not due.is_overdue(due.due_on)  # on the day itself: not yet
    assert due.is_overdue(due.due_on + DAY)
    Debrief.objects.filter(pk=due.pk).update(due_on=TODAY - DAY)
    assert list(Debrief.objects.overdue()) == [Debrief.objects.get(pk=due.pk)]
    held = recorded(Debrief.objects.get(pk=due.pk))
    services.hold(people["lro"], held, held_on=TODAY)
    assert not Debrief.objects.overdue().exists()
    assert not Debrief.objects.get(pk=due.pk).is_overdue()


def test_cancelling_needs_a_reason_and_is_audited(people, due):
    last = mark()
    for reason in ("", "   "):
        with pytest.raises(ValidationError) as err:
            services.cancel(people["lro"], due, reason=reason)
        assert err.value.message_dict == {"reason": ["Say why the debrief is cancelled."]}
    assert since(last) == [] and Debrief.objects.get(pk=due.pk).status == "due"
    cancelled = services.cancel(people["lro"], due, reason="Synthetic: the team was redeployed.")
    assert (cancelled.status, cancelled.cancel_reason) == (
        "cancelled",
        "Synthetic: the team was redeployed.",
    )
    [entry] = since(last)
    assert entry.action == "transition" and entry.reason == "Synthetic: the team was redeployed."
    assert entry.changes["status"] == {"before": "due", "after": "cancelled"}
    # A cancelled debrief is not changed, held or given lessons until it is reinstated.
    with pytest.raises(ValidationError):
        services.update_debrief(people["lro"], cancelled, {"what_worked": "Synthetic."})
    with pytest.raises(ValidationError):
        services.add_lesson(people["lro"], cancelled, text="Synthetic lesson.")
    with pytest.raises(ValidationError) as err:
        services.hold(people["lro"], cancelled, held_on=TODAY)
    assert err.value.message_dict == {"status": ["Cannot hold a debrief that is cancelled."]}
    with pytest.raises(ValidationError) as err:
        services.reinstate(people["lro"], cancelled, reason="")
    assert "reason" in err.value.message_dict
    again = services.reinstate(people["lro"], cancelled, reason="Synthetic: the team is back.")
    assert (again.status, again.cancel_reason, again.due_on) == ("due", "", due.due_on)


def test_holding_needs_the_record_and_a_lesson(people, due):
    with pytest.raises(ValidationError) as err:
        services.hold(people["lro"], due, held_on=TODAY)
    assert set(err.value.message_dict) == {"what_worked", "what_did_not", "lessons"}
    services.update_debrief(people["lro"], due, {"what_worked": "Synthetic: it worked."})
    with pytest.raises(ValidationError) as err:
        services.hold(people["lro"], due, held_on=TODAY)
    assert set(err.value.message_dict) == {"what_did_not", "lessons"}
    due = recorded(Debrief.objects.get(pk=due.pk))
    for held_on, message in (
        (TODAY + DAY, "The day it was held cannot be in the future."),
        (
            TODAY - 11 * DAY,
            f"A debrief is held after the operation ended ({due.ended_on:%d %b %Y}).",
        ),
        (None, "Give the day the debrief was held."),
    ):
        with pytest.raises(ValidationError) as err:
            services.hold(people["lro"], due, held_on=held_on)
        assert err.value.message_dict == {"held_on": [message]}
    held = services.hold(people["lro"], due, held_on=TODAY - DAY)
    assert (held.status, held.held_on) == ("held", TODAY - DAY)
    with pytest.raises(ValidationError) as err:
        services.hold(people["lro"], held, held_on=TODAY)
    assert err.value.message_dict == {"status": ["Cannot hold a debrief that is held."]}
    with pytest.raises(ValidationError):
        services.cancel(people["lro"], held, reason="Synthetic: too late.")
    # A held debrief keeps its record and at least one lesson.
    with pytest.raises(ValidationError) as err:
        services.update_debrief(people["lro"], held, {"what_worked": ""})
    assert "what_worked" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.remove_lesson(people["lro"], held.lessons.get())
    assert err.value.message_dict == {"lessons": ["A held debrief keeps at least one lesson."]}


#: Who may record a Durham debrief (region handling, shared with the council), by hand:
#: "record" (its owner and Durham's working roles), "403" (sees it, may not), "404" (does not).
WHO_RECORDS = {
    "lro": "record",  # the owner (the threat's LRO)
    "colleague": "record",  # a working role in Durham
    "admin": "record",
    "cleveland": "403",  # same region: reads it
    "council": "403",  # shared with them
    "inspector": "403",  # reads everything, changes nothing
    "kent": "404",
    "middlesbrough": "404",
    "officer": "403",  # the North East ROCU: same region
}


@pytest.mark.parametrize("who", sorted(WHO_RECORDS))
def test_who_may_record_a_debrief(people, due, who):
    user = people[who]
    want = WHO_RECORDS[who]
    assert services.can_record(user, due) == (want == "record")
    if want == "record":
        changes = services.update_debrief(user, due, {"partner_feedback": f"Synthetic: {who}."})
        assert set(changes) >= {"partner_feedback"}
        return
    error = PermissionDenied if want == "403" else Http404
    for attempt in (
        lambda: services.update_debrief(user, due, {"partner_feedback": "Synthetic."}),
        lambda: services.add_lesson(user, due, text="Synthetic."),
        lambda: services.cancel(user, due, reason="Synthetic reason."),
        lambda: services.hold(user, due, held_on=TODAY),
    ):
        with pytest.raises(error):
            attempt()
    assert Debrief.objects.get(pk=due.pk).partner_feedback == ""


def test_a_partner_who_leads_the_threat_records_the_debrief_they_own(people, make_user):
    # LROs may be partner staff: the council's officer leads a threat shared with the council.
    council = people["council"]
    threat = make_threat(council, shared=["partner-durham-county-council"])
    close(people["colleague"], threat)
    debrief = services.debrief_for_threat_closure(threat)
    assert debrief.owner_user == council
    assert not policy.can(council, "change", debrief)  # no working role in Durham
    assert services.can_record(council, debrief)  # but it is theirs
    services.update_debrief(council, debrief, {"partner_feedback": "Synthetic: good briefing."})
    services.add_lesson(council, debrief, text="Synthetic: invite licensing to the briefing.")
    # Another partner user of the same council, who owns nothing, only reads it.
    other = make_user("partner-durham-county-council", "partner_user")
    assert not services.can_record(other, debrief)


def test_the_owner_may_be_someone_of_another_organisation_only_if_they_lead_the_threat(people, due):
    # The LRO owns it; a Kent officer cannot be made its owner.
    with pytest.raises(ValidationError) as err:
        services.update_debrief(people["colleague"], due, {"owner_user": people["kent"]})
    assert "owner_user" in err.value.message_dict
    services.update_debrief(people["colleague"], due, {"owner_user": people["colleague"]})
    assert Debrief.objects.get(pk=due.pk).owner_user == people["colleague"]
    services.update_debrief(people["colleague"], due, {"owner_user": people["lro"]})
    # The previous owner, no longer owning it, still records it through their working role.
    assert services.can_record(people["colleague"], Debrief.objects.get(pk=due.pk))


def test_saving_the_record_unchanged_writes_nothing(people, due):
    services.update_debrief(people["lro"], due, {"what_worked": "Synthetic: it worked."})
    due.refresh_from_db()
    last, version = mark(), due.lock_version
    values = {name: getattr(due, name) for name in services.RECORD_FIELDS}
    assert services.update_debrief(people["lro"], due, values) == {}
    assert since(last) == []
    assert Debrief.objects.get(pk=due.pk).lock_version == version


def test_unknown_fields_and_control_characters_are_refused(people, due):
    with pytest.raises(ValidationError) as err:
        services.update_debrief(people["lro"], due, {"status": "held", "due_on": TODAY})
    assert set(err.value.message_dict) == {"status", "due_on"}
    with pytest.raises(ValidationError) as err:
        services.update_debrief(people["lro"], due, {"operation": "Op\x07 Bell"})
    assert "operation" in err.value.message_dict


# --- Lessons and their tags ------------------------------------------------------------------------


def test_lessons_are_tagged_with_a_tactic_a_capability_and_crime_types(people, due):
    tactic = Tactic.objects.get(code="seizure_drugs")
    capability = Capability.objects.get(code="surveillance")
    crimes = list(CrimeType.objects.filter(code__in=["drugs", "money_laundering"]))
    last = mark()
    lesson = services.add_lesson(
        people["lro"],
        due,
        text="  Synthetic: stage the surveillance team before the drop.  ",
        tactic=tactic,
        capability=capability,
        crime_types=crimes,
    )
    assert lesson.text == "Synthetic: stage the surveillance team before the drop."
    assert (lesson.tactic, lesson.capability) == (tactic, capability)
    assert sorted(c.code for c in lesson.crime_types.all()) == ["drugs", "money_laundering"]
    [entry] = since(last)
    assert entry.action == "create" and entry.record_type == "tasking.lesson"
    assert sorted(entry.changes["crime_types"]) == sorted(c.pk for c in crimes)
    # Lessons inherit the debrief's protection.
    assert policy.root_of(lesson) == due
    assert not Lesson.objects.visible_to(people["kent"]).exists()
    assert Lesson.objects.visible_to(people["council"]).get() == lesson

    changes = services.update_lesson(
        people["lro"], lesson, {"tactic": None, "crime_types": crimes[:1]}
    )
    assert set(changes) == {"tactic_id", "crime_types"}
    lesson.refresh_from_db()
    assert lesson.tactic is None and [c.code for c in lesson.crime_types.all()] == ["drugs"]
    assert services.update_lesson(people["lro"], lesson, {"crime_types": crimes[:1]}) == {}


def test_a_lesson_needs_its_text(people, due):
    for text in ("", "  "):
        with pytest.raises(ValidationError) as err:
            services.add_lesson(people["lro"], due, text=text)
        assert err.value.message_dict == {"text": ["Write the lesson."]}
    assert not Lesson.objects.exists()
    with pytest.raises(ValidationError) as err:
        services.add_lesson(people["lro"], due, text="Synthetic.", tactic="arrest")
    assert err.value.message_dict == {"tactic": ["No such tactic."]}


def test_removing_a_lesson_is_audited_with_what_it_said(people, due):
    lesson = services.add_lesson(people["lro"], due, text="Synthetic: remove me.")
    last = mark()
    services.remove_lesson(people["lro"], lesson)
    [entry] = since(last)
    assert entry.action == "delete" and entry.changes["before"]["text"] == "Synthetic: remove me."
    assert not Lesson.objects.exists()


# --- The command -----------------------------------------------------------------------------------


def test_the_refresh_command_makes_due_what_is_missing_and_nothing_twice(people):
    close(people["lro"], make_threat(people["lro"]))
    completed_request(people["officer"], people["requester"])
    out = io.StringIO()
    call_command("debriefs", "--refresh", stdout=out)
    assert out.getvalue().startswith("2 debriefs made due: 1 of closed threats, 1 of completed")
    out = io.StringIO()
    call_command("debriefs", "--refresh", stdout=out)
    assert out.getvalue().startswith("0 debriefs made due")
    assert Debrief.objects.count() == 2
    with pytest.raises(CommandError):
        call_command("debriefs", stdout=io.StringIO())

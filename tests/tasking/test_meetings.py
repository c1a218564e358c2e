"""Meetings through their services: creating one (field-level errors, nothing half-written),
adding and reordering agenda items, decisions and actions (who, what, by when), closing
actions, and the meeting's workflow (draft agenda, held, minutes approved). Synthetic data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max

from socmaster.core.models import AuditEntry
from socmaster.tasking.models import AgendaItem, Decision, Meeting, MeetingAction
from socmaster.tasking.services import meetings as services
from tests.tasking import meetings_world
from tests.tasking.meetings_world import BODY, TODAY, days

pytestmark = pytest.mark.django_db
world = meetings_world.world  # the fixture


def mark() -> int:
    return AuditEntry.objects.aggregate(m=Max("seq"))["m"] or 0


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


# --- creating a meeting ---------------------------------------------------------------------------


def _create(world, **overrides):
    user = overrides.pop("user", None) or world.secretary
    values = {
        "level": "regional",
        "owner": world.org("rocu-north-east"),
        "body": BODY,
        "held_on": TODAY,
        "chair": world.chair,
        "attendees": [world.partner],
        "organisations": [world.org("partner-durham-county-council")],
    }
    values.update(overrides)
    return services.create_meeting(user, **values)


def test_a_new_meeting_is_audited_once_with_its_agenda(world):
    before = mark()
    built = _create(world)
    meeting = built.meeting
    assert meeting.handling == "region" and meeting.status == "draft"
    assert list(meeting.shared_with.values_list("key", flat=True)) == [
        "partner-durham-county-council"
    ]
    entries = AuditEntry.objects.filter(seq__gt=before)
    assert [(e.action, e.record_type) for e in entries] == [("create", "tasking.meeting")]
    assert set(entries[0].changes["agenda"]) >= {"top_threats", "gateway_awaiting"}
    assert entries[0].changes["after"]["attendees"] == [world.partner.pk]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"level": "parish"}, "level", "Choose the level the group meets at."),
        (
            {"owner": "force-durham"},
            "owner",
            "A regional meeting is held by the region's ROCU.",
        ),
        (
            {"level": "national", "owner": "rocu-north-east"},
            "owner",
            "A national meeting is held by a national agency.",
        ),
        (
            {"owner": "rocu-yorkshire-and-the-humber"},
            "owner",
            "You may create meetings only for an organisation where you hold a working role.",
        ),
        ({"body": "  "}, "body", "Name the group that meets."),
        ({"body": "x" * 201}, "body", "Name the group in at most 200 characters."),
        ({"body": "Bad\x07name"}, "body", "Remove the control character U+0007"),
        ({"held_on": "tomorrow"}, "held_on", "Give the date of the meeting."),
        ({"chair": None}, "chair", "Choose who chairs the meeting."),
        ({"handling": "owner"}, "handling", "Choose who may see the meeting."),
        ({"top_n": 0}, "top_n", "List from 1 to 50 top threats."),
        ({"top_n": 51}, "top_n", "List from 1 to 50 top threats."),
        ({"area": "force-durham"}, "area", "Only an area meeting covers an area."),
        (
            {"level": "area", "owner": "force-durham"},
            "area",
            "Choose the area the meeting covers.",
        ),
        (
            {"organisations": ["rocu-north-east"]},
            "organisations",
            "North East Regional Organised Crime Unit holds the meeting",
        ),
    ],
)
def test_bad_input_gets_a_field_level_error_and_writes_nothing(world, overrides, field, message):
    for name in ("owner", "area"):
        if isinstance(overrides.get(name), str):
            overrides[name] = world.org(overrides[name])
    if "organisations" in overrides:
        overrides["organisations"] = [world.org(k) for k in overrides["organisations"]]
    user = world.durham if overrides.get("owner") and overrides["owner"].type == "force" else None
    before = mark()
    with pytest.raises(ValidationError) as excinfo:
        _create(world, user=user, **overrides)
    assert field in errors_of(excinfo)
    assert errors_of(excinfo)[field][0].startswith(message)
    assert not Meeting.objects.exists() and not AgendaItem.objects.exists()
    assert mark() == before


def test_every_problem_is_reported_at_once(world):
    with pytest.raises(ValidationError) as excinfo:
        _create(world, body="", held_on=None, top_n=99)
    assert set(errors_of(excinfo)) == {"body", "held_on", "top_n"}


def test_people_who_could_not_see_the_meeting_are_refused_and_nothing_is_written(world):
    before = mark()
    with pytest.raises(ValidationError) as excinfo:
        # West Yorkshire is in another region, and Middlesbrough council is not attending.
        _create(world, attendees=[world.yorkshire, world.outsider, world.durham])
    message = errors_of(excinfo)["attendees"][0]
    assert "tcg-yorkshire" in message and "tcg-outsider" in message
    assert "tcg-durham" not in message  # Durham is in the region
    assert not Meeting.objects.exists() and not AgendaItem.objects.exists() and mark() == before
    # Adding their organisations (or seeing the meeting nationally) makes it right.
    built = _create(
        world,
        attendees=[world.yorkshire, world.outsider],
        organisations=[
            world.org("force-west-yorkshire"),
            world.org("partner-middlesbrough-council"),
        ],
    )
    assert built.meeting.attendees.count() == 2


def test_a_body_meets_once_a_day(world):
    _create(world)
    with pytest.raises(ValidationError) as excinfo:
        _create(world, body=BODY.lower())
    assert errors_of(excinfo) == {"held_on": ["This group already has a meeting on that day."]}
    _create(world, held_on=days(1))  # the next day is fine


def test_partners_and_inspectors_create_no_meeting(world):
    for user in (world.partner, world.inspector):
        assert services.creatable_for(user) == []
        with pytest.raises(ValidationError) as excinfo:
            _create(world, user=user)
        assert "owner" in errors_of(excinfo)


def test_force_area_and_national_meetings(world, make_user):
    force = _create(
        world,
        user=world.durham,
        level="force",
        owner=world.org("force-durham"),
        chair=world.durham,
        attendees=[],
    ).meeting
    assert force.handling == "region"
    area = _create(
        world,
        user=world.durham,
        level="area",
        owner=world.org("force-durham"),
        area=world.org("partner-durham-county-council"),
        chair=world.durham,
        body="Durham area partnership",
    ).meeting
    assert area.area.key == "partner-durham-county-council"
    nca = make_user("national-crime-agency", "chief_officer", username="tcg-nca")
    national = _create(
        world,
        user=nca,
        level="national",
        owner=world.org("national-crime-agency"),
        chair=nca,
        attendees=[world.chair],
        organisations=[],
        body="National tasking and co-ordination group",
    ).meeting
    assert national.handling == "national"  # so the ROCU's chair may see it


# --- the agenda ------------------------------------------------------------------------------------


def test_the_chair_adds_items_at_the_end_or_into_a_section(world):
    world.threat(name="Unled A", score=5)
    world.threat(name="Unled B", score=4)
    meeting = _create(world).meeting
    heading = services.add_item(world.chair, meeting, title="Police and crime plan refresh")
    assert heading.kind == "chair" and heading.section == "Other business"
    assert heading.position == meeting.items.count()  # last
    into = services.add_item(world.chair, meeting, title="Unled C (verbal)", section="no_lro")
    kinds = list(meeting.items.order_by("position").values_list("kind", "title"))
    no_lro = [t for k, t in kinds if k == "no_lro"]
    assert no_lro[-1] == "Unled C (verbal)" and into.section == "Threats without an LRO"
    # The positions stay a strict order.
    positions = list(meeting.items.order_by("position").values_list("position", flat=True))
    assert positions == list(range(1, len(positions) + 1))


def test_an_item_about_a_threat_is_about_that_record(world):
    threat = world.threat(name="Raised by the chair")
    meeting = _create(world).meeting
    item = services.add_item(world.chair, meeting, title="Update", threat=threat)
    assert (item.record_type, item.record_id, item.threat) == ("threats.threat", threat.pk, threat)


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"title": " "}, "title", "Say what the item is."),
        ({"title": "x" * 301}, "title", "Keep the title to 300 characters"),
        ({"title": "Fine", "section": "nonsense"}, "section", "Choose a section of this agenda."),
        ({"title": "Fine", "detail": "bad\x00"}, "detail", "Remove the control character"),
    ],
)
def test_an_item_with_bad_input_is_refused(world, values, field, message):
    meeting = _create(world).meeting
    count = meeting.items.count()
    with pytest.raises(ValidationError) as excinfo:
        services.add_item(world.chair, meeting, **values)
    assert errors_of(excinfo)[field][0].startswith(message)
    assert meeting.items.count() == count


def test_an_item_about_a_threat_the_chair_may_not_see_answers_like_a_missing_one(world):
    hidden = world.threat("force-west-yorkshire", name="Not theirs")
    meeting = _create(world).meeting
    with pytest.raises(ValidationError) as excinfo:
        services.add_item(world.chair, meeting, title="Sneaky", threat=hidden)
    assert errors_of(excinfo) == {"threat": ["No such threat."]}


def test_reordering_swaps_an_item_with_its_neighbour(world):
    meeting = _create(world).meeting
    a = services.add_item(world.chair, meeting, title="A")
    b = services.add_item(world.chair, meeting, title="B")
    c = services.add_item(world.chair, meeting, title="C")

    def order():
        return world.items(meeting)[-3:]

    services.move_item(world.chair, c, "up")
    assert order() == ["A", "C", "B"]
    services.move_item(world.secretary, a, "down")  # the secretariat may too
    assert order() == ["C", "A", "B"]
    last = AgendaItem.objects.get(pk=b.pk)
    with pytest.raises(ValidationError) as excinfo:
        services.move_item(world.chair, last, "down")
    assert errors_of(excinfo) == {"direction": ["The item is already last."]}
    with pytest.raises(ValidationError):
        services.move_item(world.chair, last, "sideways")
    entries = AuditEntry.objects.filter(record_type="tasking.agendaitem", action="update")
    assert entries.count() == 2 and entries.first().changes["moved"] == "down"


def test_only_the_chair_and_the_secretariat_change_the_agenda(world):
    meeting = _create(world).meeting
    item = services.add_item(world.chair, meeting, title="A")
    for user in (world.durham, world.partner, world.inspector):
        with pytest.raises(PermissionDenied):
            services.add_item(user, meeting, title="Not mine")
        with pytest.raises(PermissionDenied):
            services.move_item(user, item, "up")
        with pytest.raises(PermissionDenied):
            services.record_decision(user, item, text="No")


# --- decisions and actions ---------------------------------------------------------------------


def test_decisions_are_recorded_per_item(world):
    meeting = _create(world).meeting
    item = services.add_item(world.chair, meeting, title="Surveillance demand")
    with pytest.raises(ValidationError) as excinfo:
        services.record_decision(world.chair, item, text=" ")
    assert errors_of(excinfo) == {"text": ["Write down what was decided."]}
    decision = services.record_decision(
        world.chair, item, text="Prioritise Op Synthetic for surveillance."
    )
    assert list(item.decisions.all()) == [decision] and decision.recorded_by == world.chair
    assert AuditEntry.objects.filter(record_type="tasking.decision", action="create").count() == 1


def test_an_action_needs_what_who_and_when(world):
    meeting = _create(world, held_on=days(-1)).meeting
    item = services.add_item(world.chair, meeting, title="Brief partners")
    with pytest.raises(ValidationError) as excinfo:
        services.add_action(world.chair, item, description="", owner=None, due_on=None)
    assert set(errors_of(excinfo)) == {"description", "owner", "due_on"}
    with pytest.raises(ValidationError) as excinfo:
        services.add_action(
            world.chair, item, description="Brief", owner=world.partner, due_on=days(-2)
        )
    assert errors_of(excinfo) == {"due_on": ["The due date cannot be before the meeting."]}
    action = services.add_action(
        world.chair, item, description="Brief the council", owner=world.partner, due_on=days(14)
    )
    assert action.status == "open" and action.raised_by == world.chair
    assert not MeetingAction.objects.exclude(pk=action.pk).exists()


def test_an_action_is_given_only_to_someone_who_may_see_its_item(world):
    private = world.threat(name="Police only", score=50)  # not shared with the council
    meeting = _create(world).meeting
    item = meeting.items.get(kind="top_threats", threat=private)
    with pytest.raises(ValidationError) as excinfo:
        services.add_action(
            world.chair, item, description="Tell us more", owner=world.partner, due_on=days(7)
        )
    assert errors_of(excinfo)["owner"][0].startswith("tcg-partner may not see this item")
    with pytest.raises(ValidationError):  # cannot see the meeting at all
        services.add_action(
            world.chair, item, description="Tell us more", owner=world.yorkshire, due_on=days(7)
        )
    services.add_action(world.chair, item, description="Update", owner=world.durham, due_on=days(7))


def test_closing_an_action(world):
    meeting = _create(world).meeting
    item = services.add_item(world.chair, meeting, title="Brief partners")
    action = services.add_action(
        world.chair, item, description="Brief the council", owner=world.partner, due_on=days(7)
    )
    with pytest.raises(PermissionDenied):  # neither its owner nor managing the meeting
        services.close_action(world.durham, action, outcome="Done")
    with pytest.raises(ValidationError) as excinfo:
        services.close_action(world.partner, action, outcome=" ")
    assert errors_of(excinfo) == {"outcome": ["Say what came of the action."]}
    closed = services.close_action(world.partner, action, outcome="Council briefed.", done=False)
    assert (closed.status, closed.outcome, closed.closed_by) == (
        "dropped",
        "Council briefed.",
        world.partner,
    )
    with pytest.raises(ValidationError) as excinfo:
        services.close_action(world.chair, closed, outcome="Again")
    assert errors_of(excinfo)["status"][0].startswith("Cannot complete a meeting action that is")
    entry = AuditEntry.objects.filter(record_type="tasking.meetingaction", action="transition")
    assert entry.get().changes["transition"] == "drop"


def test_an_action_is_closed_at_a_meeting_only_where_it_is_listed(world):
    first = _create(world, held_on=days(-20)).meeting
    item = services.add_item(world.chair, first, title="A")
    action = services.add_action(
        world.chair, item, description="Do it", owner=world.durham, due_on=days(1)
    )
    other = _create(world, body="Another group").meeting
    with pytest.raises(ValidationError) as excinfo:
        services.close_action(world.chair, action, outcome="Done.", at=other)
    assert errors_of(excinfo) == {"meeting": ["The action is not on this meeting's agenda."]}


# --- the workflow -------------------------------------------------------------------------------


def test_held_then_minutes_approved_by_the_chair_then_nothing_changes(world):
    future = _create(world, held_on=days(3)).meeting
    with pytest.raises(ValidationError) as excinfo:
        services.hold_meeting(world.chair, future)
    assert "has not been held yet" in errors_of(excinfo)["status"][0]

    meeting = _create(world, held_on=days(-1), body="Held group").meeting
    item = services.add_item(world.chair, meeting, title="A")
    action = services.add_action(
        world.chair, item, description="Do", owner=world.durham, due_on=TODAY
    )
    with pytest.raises(ValidationError):  # not held yet
        services.approve_minutes(world.chair, meeting)
    services.hold_meeting(world.secretary, meeting)
    meeting.refresh_from_db()
    assert meeting.status == "held" and meeting.held_at is not None
    with pytest.raises(PermissionDenied):  # the secretariat records, the chair approves
        services.approve_minutes(world.secretary, meeting)
    services.approve_minutes(world.chair, meeting)
    meeting.refresh_from_db()
    assert (meeting.status, meeting.approved_by) == ("approved", world.chair)
    for change in (
        lambda: services.add_item(world.chair, meeting, title="Late"),
        lambda: services.move_item(world.chair, item, "up"),
        lambda: services.record_decision(world.chair, item, text="Late"),
        lambda: services.add_action(
            world.chair, item, description="Late", owner=world.durham, due_on=TODAY
        ),
        lambda: services.hold_meeting(world.chair, meeting),
        lambda: services.approve_minutes(world.chair, meeting),
    ):
        with pytest.raises(ValidationError):
            change()
    assert not Decision.objects.exists()
    # Its actions still progress.
    services.close_action(world.durham, action, outcome="Done after the meeting.")
    transitions = AuditEntry.objects.filter(record_type="tasking.meeting", action="transition")
    assert sorted(e.changes["transition"] for e in transitions) == ["approve", "hold"]


def test_the_buttons_offered_follow_the_state_and_the_person(world):
    meeting = _create(world, held_on=days(-1)).meeting
    assert services.available_transitions(world.chair, meeting) == ["hold"]
    assert services.available_transitions(world.partner, meeting) == []
    services.hold_meeting(world.chair, meeting)
    meeting.refresh_from_db()
    assert services.available_transitions(world.chair, meeting) == ["approve"]
    assert services.available_transitions(world.secretary, meeting) == []


def test_months_before_keeps_to_the_calendar():
    assert services.months_before(dt.date(2026, 3, 31), 3) == dt.date(2025, 12, 31)
    assert services.months_before(dt.date(2026, 5, 31), 3) == dt.date(2026, 2, 28)
    assert services.months_before(dt.date(2024, 5, 29), 3) == dt.date(2024, 2, 29)

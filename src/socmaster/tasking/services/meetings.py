"""Meetings, agendas, decisions and actions: every write, and the reads the pages, the minutes
and the API are built from.

Who does what:

- a meeting is **created** (and its agenda built) by someone with a working role in the
  organisation whose body meets: a force (force and area meetings), a ROCU (its region's
  meeting) or a national agency (the national meeting);
- it is **managed** by its chair or by someone with a working role in that organisation (its
  secretariat): they add and reorder items, record decisions and actions, and record that it
  was held; only the **chair approves the minutes**, after which nothing in it changes but the
  progress of its actions;
- an **action** is closed by its owner, or by whoever manages the meeting it was raised at or
  a later meeting of the same body where it is carried.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Prefetch
from django.http import Http404
from django.utils import timezone

from socmaster.core import audit, policy
from socmaster.core.choices import Action, AuditAction, Handling
from socmaster.core.reasons import REASON_TOO_SHORT, is_enough
from socmaster.core.registry import AgendaScope, agenda_sources
from socmaster.core.validators import check_text
from socmaster.core.workflow import transition
from socmaster.organisations.choices import OrganisationType
from socmaster.organisations.models import Organisation

from ..choices import (
    AGENDA_ITEM_LIMIT,
    CARRIED_ACTIONS,
    CARRIED_ACTIONS_TITLE,
    CHAIR_ITEM,
    CHAIR_ITEM_TITLE,
    DEFAULT_TOP_THREATS,
    FIRST_MEETING_MONTHS,
    MAX_TOP_THREATS,
    MEETING_ACTION_TRANSITIONS,
    MEETING_TRANSITIONS,
    MeetingActionStatus,
    MeetingLevel,
    MeetingStatus,
)
from ..models import AgendaItem, Decision, Meeting, MeetingAction

#: The kind of organisation whose body meets at each level.
OWNER_TYPES = {
    MeetingLevel.FORCE: frozenset({OrganisationType.FORCE}),
    MeetingLevel.AREA: frozenset({OrganisationType.FORCE}),
    MeetingLevel.REGIONAL: frozenset({OrganisationType.ROCU}),
    MeetingLevel.NATIONAL: frozenset({OrganisationType.NATIONAL_AGENCY}),
}
OWNER_WORDS = {
    MeetingLevel.FORCE: "a police force",
    MeetingLevel.AREA: "a police force",
    MeetingLevel.REGIONAL: "the region's ROCU",
    MeetingLevel.NATIONAL: "a national agency",
}
#: What an area meeting's area may be: a force's area or a local authority's.
AREA_TYPES = frozenset({OrganisationType.FORCE, OrganisationType.LOCAL_PARTNER})
#: Who may see a meeting beyond its owner: an owner-only meeting could not have partners.
HANDLING_CHOICES = (Handling.NAMED, Handling.REGION, Handling.NATIONAL)
DEFAULT_HANDLING = {
    MeetingLevel.FORCE: Handling.REGION,
    MeetingLevel.AREA: Handling.REGION,
    MeetingLevel.REGIONAL: Handling.REGION,
    MeetingLevel.NATIONAL: Handling.NATIONAL,
}
MOVES = ("up", "down")
APPROVED_MESSAGE = "The minutes are approved: the meeting no longer changes."
#: The title of a section's placeholder while a background task works out its items.
PENDING_TITLE = "Being worked out: the figures will be here shortly."


# --- who may do what ---------------------------------------------------------------------------


def creatable_for(user, level: str | None = None) -> list[Organisation]:
    """The organisations whose meetings ``user`` may create (at ``level``, if given)."""
    if not user.is_authenticated or policy.is_read_only(user):
        return []
    types = OWNER_TYPES.get(level) if level else frozenset().union(*OWNER_TYPES.values())
    found = {
        m.organisation
        for m in user.active_memberships
        if m.role in policy.WRITE_ROLES and m.organisation.type in (types or ())
    }
    return sorted(found, key=lambda o: o.name)


def may_manage(user, meeting: Meeting) -> bool:
    """May ``user`` change the meeting's agenda and record its decisions and actions?"""
    if user is None or not user.is_authenticated or policy.is_read_only(user):
        return False
    if not policy.can(user, Action.VIEW, meeting):
        return False
    return meeting.chair_id == user.pk or policy.can(user, Action.CHANGE, meeting)


def may_approve(user, meeting: Meeting) -> bool:
    return may_manage(user, meeting) and meeting.chair_id == user.pk


def may_close(user, action: MeetingAction, at: Meeting | None = None) -> bool:
    """May ``user`` close ``action`` (from the page of meeting ``at``, if given)?"""
    if user is None or not user.is_authenticated or policy.is_read_only(user):
        return False
    if not action.is_open:
        return False
    if action.owner_id == user.pk or may_manage(user, action.item.meeting):
        return True
    return at is not None and may_manage(user, at) and carries(at, action)


def closable(user, at: Meeting, actions) -> set[int]:
    """Of ``actions`` listed on meeting ``at``'s page (its own, and those it carries), the ids
    of those ``user`` may close there: the rule of :func:`may_close`, each meeting asked once."""
    if user is None or not user.is_authenticated or policy.is_read_only(user):
        return set()
    managing: dict[int, bool] = {at.pk: may_manage(user, at)}
    found = set()
    for action in actions:
        if not action.is_open:
            continue
        meeting = action.item.meeting
        if meeting.pk not in managing:
            managing[meeting.pk] = may_manage(user, meeting)
        # ``at`` lists it: it is at's own or carried there, so managing ``at`` is enough.
        if action.owner_id == user.pk or managing[at.pk] or managing[meeting.pk]:
            found.add(action.pk)
    return found


def carries(meeting: Meeting, action: MeetingAction) -> bool:
    return action.carried_in.filter(meeting=meeting).exists()


def _require_visible(user, queryset, obj):
    if not queryset.visible_to(user).filter(pk=obj.pk).exists():
        raise Http404("No such record.")


def _require_manager(user, meeting: Meeting) -> None:
    if not policy.can(user, Action.VIEW, meeting):
        raise Http404("No such record.")
    if not may_manage(user, meeting):
        raise PermissionDenied(
            "Only the chair, or someone with a working role in the organisation whose body "
            "meets, may change the meeting."
        )


def _require_open(meeting: Meeting) -> None:
    if meeting.status == MeetingStatus.APPROVED:
        raise ValidationError({"status": [APPROVED_MESSAGE]})


def _locked(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update().select_related("owner").get(pk=meeting.pk)


# --- the period and the scope of an agenda ------------------------------------------------------


def months_before(day: dt.date, months: int) -> dt.date:
    month, year = day.month - months, day.year
    while month < 1:
        month, year = month + 12, year - 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def previous_meeting(owner, level: str, body: str, held_on: dt.date) -> Meeting | None:
    """The latest meeting of the same body (owner, level and name) before ``held_on``."""
    return (
        Meeting.objects.filter(owner=owner, level=level, body__iexact=body, held_on__lt=held_on)
        .order_by("-held_on", "-id")
        .first()
    )


def scope_for(meeting: Meeting, user, now: dt.datetime | None = None) -> AgendaScope:
    """What ``meeting``'s agenda covers, for the sources (built from what ``user`` may see)."""
    owner, level = meeting.owner, meeting.level
    region = area = None
    organisation_ids = area_ids = None
    if level == MeetingLevel.REGIONAL:
        region = owner.region
        organisation_ids = (
            frozenset(Organisation.objects.filter(region=region).values_list("pk", flat=True))
            if region is not None
            else frozenset({owner.pk})
        ) | {owner.pk}
    elif level == MeetingLevel.FORCE:
        organisation_ids = area_ids = frozenset({owner.pk})
    elif level == MeetingLevel.AREA:
        area = meeting.area
        organisation_ids = area_ids = frozenset({area.pk})
    return AgendaScope(
        level=level,
        organisation=owner,
        user=user,
        since=meeting.since,
        until=now or timezone.now(),
        region=region,
        area=area,
        organisation_ids=organisation_ids,
        area_ids=area_ids,
        top_n=meeting.top_n,
        limit=AGENDA_ITEM_LIMIT,
    )


def _entries(source, scope: AgendaScope) -> list:
    """``source``'s entries for ``scope``. An entry about a model the source did not declare is
    a programming error."""
    entries = list(source.build(scope))
    for entry in entries:
        if entry.record_type and entry.record_type not in source.record_types:
            raise ImproperlyConfigured(
                f"Agenda source {source.key!r} made an item about {entry.record_type}, "
                "which it does not declare in record_types."
            )
    return entries


def build_agenda(scope: AgendaScope) -> list[tuple]:
    """Each registered source's entries for ``scope``, ``(source, entries)`` in section order;
    a background source's entries are None (a placeholder stands for them until
    :func:`complete_agenda` runs)."""
    return [
        (source, None if source.background else _entries(source, scope))
        for source in agenda_sources()
    ]


def _item(meeting: Meeting, source, entry) -> AgendaItem:
    return AgendaItem(
        meeting=meeting,
        kind=source.key,
        section=source.title,
        title=entry.title[:300],
        detail=entry.detail,
        url=entry.url[:300],
        record_type=entry.record_type,
        record_id=entry.record_id,
        threat_id=entry.threat_id,
        figure=entry.figure,
    )


def open_earlier_actions(meeting: Meeting):
    """The open actions raised at earlier meetings of ``meeting``'s body (all of them: each
    viewer sees those they may see)."""
    earlier = Meeting.objects.same_body(meeting).filter(held_on__lt=meeting.held_on)
    return MeetingAction.objects.open().filter(item__meeting__in=earlier).order_by("due_on", "id")


# --- creating a meeting ---------------------------------------------------------------------------


def _clean_text(values: dict, model, errors: dict) -> None:
    if errors:
        return
    try:
        check_text(model, values)
    except ValidationError as exc:
        errors.update(exc.message_dict)


def _meeting_problems(
    user, *, level, owner, body, held_on, chair, attendees, organisations, handling, area, top_n
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if level not in MeetingLevel.values:
        errors["level"] = ["Choose the level the group meets at."]
    if owner is None:
        errors["owner"] = ["Choose the organisation whose group meets."]
    elif level in OWNER_TYPES and owner.type not in OWNER_TYPES[level]:
        errors["owner"] = [
            f"A {MeetingLevel(level).label.lower()} meeting is held by {OWNER_WORDS[level]}."
        ]
    elif owner.pk not in {o.pk for o in creatable_for(user)}:
        errors["owner"] = [
            "You may create meetings only for an organisation where you hold a working role."
        ]
    if not (body or "").strip():
        errors["body"] = ["Name the group that meets."]
    elif len(body.strip()) > 200:
        errors["body"] = ["Name the group in at most 200 characters."]
    if not isinstance(held_on, dt.date):
        errors["held_on"] = ["Give the date of the meeting."]
    if chair is None or not chair.is_active:
        errors["chair"] = ["Choose who chairs the meeting."]
    if any(not u.is_active for u in attendees):
        errors["attendees"] = ["Every attendee must be an active user."]
    if owner is not None and any(o.pk == owner.pk for o in organisations):
        errors["organisations"] = [f"{owner.name} holds the meeting: it need not be added."]
    elif any(o.type == OrganisationType.REGION for o in organisations):
        errors["organisations"] = ["Choose organisations, not regions."]
    if handling not in HANDLING_CHOICES:
        errors["handling"] = ["Choose who may see the meeting."]
    if level == MeetingLevel.AREA:
        if area is None:
            errors["area"] = ["Choose the area the meeting covers."]
        elif area.type not in AREA_TYPES:
            errors["area"] = ["An area is a police force's or a local authority's."]
    elif area is not None:
        errors["area"] = ["Only an area meeting covers an area."]
    if not isinstance(top_n, int) or isinstance(top_n, bool) or not 1 <= top_n <= MAX_TOP_THREATS:
        errors["top_n"] = [f"List from 1 to {MAX_TOP_THREATS} top threats."]
    _clean_text({"body": body or ""}, Meeting, errors)
    if not errors:
        same_day = Meeting.objects.filter(
            owner=owner, level=level, body__iexact=body.strip(), held_on=held_on
        )
        if same_day.exists():
            errors["held_on"] = ["This group already has a meeting on that day."]
    return errors


@dataclass
class AgendaBuilt:
    """A new meeting, how many items of each kind its agenda was built with, and the kinds
    still being worked out in the background (:func:`complete_agenda`)."""

    meeting: Meeting
    counts: list[tuple[str, str, int]] = field(default_factory=list)  # kind, section, count
    pending: list[str] = field(default_factory=list)


@transaction.atomic
def create_meeting(
    user,
    *,
    level: str,
    owner,
    body: str,
    held_on: dt.date,
    chair,
    attendees=(),
    organisations=(),
    handling: str = "",
    area=None,
    top_n: int = DEFAULT_TOP_THREATS,
    now: dt.datetime | None = None,
) -> AgendaBuilt:
    """Create a meeting of ``body`` and build its agenda from the data since the previous
    meeting of the same body (or the last three months): every registered agenda source's items,
    from the records ``user`` may see, and an item carrying the open actions of its earlier
    meetings. The organisations attending (partners) are those the meeting is shared with."""
    attendees, organisations = list(attendees), list(organisations)
    handling = handling or DEFAULT_HANDLING.get(level, Handling.REGION)
    errors = _meeting_problems(
        user,
        level=level,
        owner=owner,
        body=body,
        held_on=held_on,
        chair=chair,
        attendees=attendees,
        organisations=organisations,
        handling=handling,
        area=area,
        top_n=top_n,
    )
    if errors:
        raise ValidationError(errors)
    body = body.strip()
    previous = previous_meeting(owner, level, body, held_on)
    since = previous.held_on if previous else months_before(held_on, FIRST_MEETING_MONTHS)
    meeting = Meeting.objects.create(
        owner=owner,
        handling=handling,
        level=level,
        body=body,
        held_on=held_on,
        chair=chair,
        area=area,
        top_n=top_n,
        since=since,
        previous=previous,
        created_by=user,
    )
    meeting.shared_with.set(organisations)
    meeting.attendees.set(attendees)
    _check_people_see(meeting, chair, attendees)

    carried = list(open_earlier_actions(meeting).values_list("pk", flat=True))
    items, counts = [], []
    if carried:
        items.append(
            AgendaItem(
                meeting=meeting,
                kind=CARRIED_ACTIONS,
                section=CARRIED_ACTIONS_TITLE,
                title=f"Open actions from earlier meetings ({len(carried)})",
                detail="Report progress; close each action that is done or no longer needed.",
            )
        )
        counts.append((CARRIED_ACTIONS, CARRIED_ACTIONS_TITLE, len(carried)))
    for source, entries in build_agenda(scope_for(meeting, user, now)):
        if entries is None:  # worked out in the background: a placeholder until then
            items.append(
                AgendaItem(
                    meeting=meeting,
                    kind=source.key,
                    section=source.title,
                    title=PENDING_TITLE,
                    figure=True,
                    pending=True,
                )
            )
            continue
        items.extend(_item(meeting, source, entry) for entry in entries)
        counts.append((source.key, source.title, len(entries)))
    for position, item in enumerate(items, start=1):
        item.position = position
    AgendaItem.objects.bulk_create(items)
    if carried:
        carrier = AgendaItem.objects.get(meeting=meeting, kind=CARRIED_ACTIONS)
        carrier.carried.set(carried)
    audit.record(
        AuditAction.CREATE,
        meeting,
        user=user,
        changes={
            "after": audit.snapshot(meeting)
            | {
                "attendees": sorted(u.pk for u in attendees),
                "shared_with": sorted(o.pk for o in organisations),
            },
            "agenda": {kind: n for kind, _section, n in counts},
            "carried_actions": carried,
        },
    )
    built = AgendaBuilt(meeting, counts)
    built.pending = [i.kind for i in items if i.pending]
    return built


@transaction.atomic
def complete_agenda(meeting: Meeting) -> dict[str, int]:
    """Replace the placeholders of the background sources with their items, built from the same
    scope as the rest of the agenda (what the creator could see, up to the moment it was
    created), each where its placeholder stands now. Run by a background task once the meeting
    is created (``tasking.meeting_tasks``); running it again does nothing. One audit entry."""
    meeting = _locked(meeting)
    pending = list(meeting.items.filter(pending=True).order_by("position", "id"))
    if not pending:
        return {}
    sources = {source.key: source for source in agenda_sources()}
    scope = scope_for(meeting, meeting.created_by, now=meeting.created_at)
    counts: dict[str, int] = {}
    for placeholder in pending:
        source = sources.get(placeholder.kind)
        entries = _entries(source, scope) if source is not None else []
        position = AgendaItem.objects.get(pk=placeholder.pk).position
        shift = len(entries) - 1
        if shift:
            AgendaItem.objects.filter(meeting=meeting, position__gt=position).update(
                position=F("position") + shift
            )
        placeholder.delete()
        items = [_item(meeting, source, entry) for entry in entries]
        for offset, item in enumerate(items):
            item.position = position + offset
        AgendaItem.objects.bulk_create(items)
        counts[placeholder.kind] = len(entries)
    audit.record(
        AuditAction.UPDATE,
        meeting,
        user=meeting.created_by,
        changes={"agenda": counts, "completed_in_the_background": True},
    )
    return counts


def _check_people_see(meeting: Meeting, chair, attendees) -> None:
    """The chair and every attendee must be able to see the meeting (called once it is saved,
    inside the creating transaction, so a refusal writes nothing)."""
    errors = {}
    if not policy.can(chair, Action.VIEW, meeting):
        errors["chair"] = [
            f"{chair} could not see this meeting: add their organisation to the organisations "
            "attending, or choose who may see it."
        ]
    hidden = [str(u) for u in attendees if not policy.can(u, Action.VIEW, meeting)]
    if hidden:
        errors["attendees"] = [
            f"These people could not see this meeting: {', '.join(sorted(hidden))}. Add their "
            "organisations to the organisations attending, or choose who may see it."
        ]
    if errors:
        raise ValidationError(errors)


# --- the agenda ---------------------------------------------------------------------------------


def _visible_items(user, meeting: Meeting):
    return AgendaItem.objects.visible_to(user).filter(meeting=meeting).order_by("position", "id")


@transaction.atomic
def add_item(
    user, meeting: Meeting, *, title: str, detail: str = "", section: str = "", threat=None
) -> AgendaItem:
    """Add an item to the agenda: at the end of the section of kind ``section`` (one the agenda
    has), or of "Other business" (``section`` empty). With ``threat`` (one the user may see), the
    item is about that threat: only those who may see it see the item."""
    _require_manager(user, meeting)
    meeting = _locked(meeting)
    _require_open(meeting)
    title, detail = (title or "").strip(), (detail or "").strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = ["Say what the item is."]
    elif len(title) > 300:
        errors["title"] = ["Keep the title to 300 characters; put the rest in the detail."]
    if threat is not None and not policy.can(user, Action.VIEW, threat):
        errors["threat"] = ["No such threat."]
    items = list(_visible_items(user, meeting).values_list("kind", "section", "position"))
    if section and section != CHAIR_ITEM and section not in {k for k, _s, _p in items}:
        errors["section"] = ["Choose a section of this agenda."]
    _clean_text({"title": title, "detail": detail}, AgendaItem, errors)
    if errors:
        raise ValidationError(errors)
    last = AgendaItem.objects.filter(meeting=meeting).order_by("-position").first()
    end = last.position if last else 0
    if section and section != CHAIR_ITEM:
        heading = next(s for k, s, _p in items if k == section)
        position = max(p for k, _s, p in items if k == section) + 1
        AgendaItem.objects.filter(meeting=meeting, position__gte=position).update(
            position=F("position") + 1
        )
    else:
        section, heading, position = CHAIR_ITEM, CHAIR_ITEM_TITLE, end + 1
    item = AgendaItem.objects.create(
        meeting=meeting,
        position=position,
        kind=section,
        section=heading,
        title=title,
        detail=detail,
        record_type="threats.threat" if threat is not None else "",
        record_id=threat.pk if threat is not None else None,
        threat=threat,
        added_by=user,
    )
    audit.record(AuditAction.CREATE, item, user=user, changes={"after": audit.snapshot(item)})
    return item


@transaction.atomic
def move_item(user, item: AgendaItem, direction: str) -> AgendaItem:
    """Move an item one place up or down the agenda (past the next item the user sees)."""
    meeting = item.meeting
    _require_manager(user, meeting)
    _require_visible(user, AgendaItem.objects, item)
    meeting = _locked(meeting)
    _require_open(meeting)
    if direction not in MOVES:
        raise ValidationError({"direction": ["Move an item up or down."]})
    order = list(_visible_items(user, meeting).values_list("pk", "position"))
    index = next(i for i, (pk, _) in enumerate(order) if pk == item.pk)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(order):
        raise ValidationError(
            {"direction": [f"The item is already {'first' if direction == 'up' else 'last'}."]}
        )
    (mine, mine_at), (theirs, theirs_at) = order[index], order[other]
    if mine_at == theirs_at:  # never expected; keep the order strict anyway
        theirs_at = mine_at - 1 if direction == "up" else mine_at + 1
    AgendaItem.objects.filter(pk=theirs).update(position=mine_at)
    AgendaItem.objects.filter(pk=mine).update(position=theirs_at)
    item.position = theirs_at
    audit.record(
        AuditAction.UPDATE,
        item,
        user=user,
        changes={"position": {"before": mine_at, "after": theirs_at}, "moved": direction},
    )
    return item


# --- decisions and actions -----------------------------------------------------------------------


def _item_for_change(user, item: AgendaItem) -> Meeting:
    _require_manager(user, item.meeting)
    _require_visible(user, AgendaItem.objects, item)
    meeting = _locked(item.meeting)
    _require_open(meeting)
    if AgendaItem.objects.filter(pk=item.pk, pending=True).exists():
        raise ValidationError({"item": ["This section is still being worked out."]})
    return meeting


@transaction.atomic
def record_decision(user, item: AgendaItem, *, text: str) -> Decision:
    _item_for_change(user, item)
    text = (text or "").strip()
    errors: dict[str, list[str]] = {}
    if not text:
        errors["text"] = ["Write down what was decided."]
    _clean_text({"text": text}, Decision, errors)
    if errors:
        raise ValidationError(errors)
    decision = Decision.objects.create(item=item, text=text, recorded_by=user)
    audit.record(
        AuditAction.CREATE, decision, user=user, changes={"after": audit.snapshot(decision)}
    )
    return decision


@transaction.atomic
def add_action(user, item: AgendaItem, *, description: str, owner, due_on) -> MeetingAction:
    """An action on ``item`` for ``owner`` (someone who may see the item), due on ``due_on`` (not
    before the meeting)."""
    meeting = _item_for_change(user, item)
    description = (description or "").strip()
    errors: dict[str, list[str]] = {}
    if not description:
        errors["description"] = ["Say what is to be done."]
    if owner is None or not owner.is_active:
        errors["owner"] = ["Choose who owns the action."]
    elif not AgendaItem.objects.visible_to(owner).filter(pk=item.pk).exists():
        errors["owner"] = [
            f"{owner} may not see this item (it is about a record not shared with them, or "
            "they cannot see the meeting): choose someone who may."
        ]
    if not isinstance(due_on, dt.date):
        errors["due_on"] = ["Give the date the action is due."]
    elif due_on < meeting.held_on:
        errors["due_on"] = ["The due date cannot be before the meeting."]
    _clean_text({"description": description}, MeetingAction, errors)
    if errors:
        raise ValidationError(errors)
    action = MeetingAction.objects.create(
        item=item, description=description, owner=owner, due_on=due_on, raised_by=user
    )
    audit.record(AuditAction.CREATE, action, user=user, changes={"after": audit.snapshot(action)})
    return action


@transaction.atomic
def close_action(
    user, action: MeetingAction, *, outcome: str, done: bool = True, at: Meeting | None = None
) -> MeetingAction:
    """Close an open action, saying what came of it: done, or (``done`` False) no longer needed.
    ``at`` is the meeting it is closed at (its own, or a later one where it is carried)."""
    _require_visible(user, MeetingAction.objects, action)
    action = (
        MeetingAction.objects.select_for_update()
        .select_related("item", "item__meeting")
        .get(pk=action.pk)
    )
    if at is not None and at.pk != action.item.meeting_id and not carries(at, action):
        raise ValidationError({"meeting": ["The action is not on this meeting's agenda."]})
    if action.is_open and not may_close(user, action, at):
        raise PermissionDenied(
            "Only the action's owner, or whoever manages the meeting, may close it."
        )
    outcome = (outcome or "").strip()
    if not outcome:
        raise ValidationError({"outcome": ["Say what came of the action."]})
    check_text(MeetingAction, {"outcome": outcome})
    closed_in = at if at is not None and at.status != MeetingStatus.APPROVED else None
    return transition(
        user,
        action,
        "complete" if done else "drop",
        MEETING_ACTION_TRANSITIONS,
        reason=outcome,
        outcome=outcome,
        closed_at=timezone.now(),
        closed_by=user,
        closed_in=closed_in,
    )


# --- the meeting's workflow -----------------------------------------------------------------------


@transaction.atomic
def hold_meeting(user, meeting: Meeting) -> Meeting:
    """Record that the meeting was held (not before its day)."""
    _require_manager(user, meeting)
    meeting = _locked(meeting)
    if meeting.status == MeetingStatus.DRAFT and meeting.held_on > timezone.localdate():
        raise ValidationError(
            {"status": [f"The meeting is on {meeting.held_on:%d %b %Y}: it has not been held yet."]}
        )
    return transition(user, meeting, "hold", MEETING_TRANSITIONS, held_at=timezone.now())


@transaction.atomic
def approve_minutes(user, meeting: Meeting) -> Meeting:
    """The chair approves the minutes of a held meeting; it no longer changes."""
    if not policy.can(user, Action.VIEW, meeting):
        raise Http404("No such record.")
    if not may_approve(user, meeting):
        raise PermissionDenied("Only the chair approves the minutes.")
    meeting = _locked(meeting)
    return transition(
        user,
        meeting,
        "approve",
        MEETING_TRANSITIONS,
        approved_at=timezone.now(),
        approved_by=user,
    )


def available_transitions(user, meeting: Meeting) -> list[str]:
    """The workflow steps ``user`` may take on ``meeting`` now, for its page's buttons."""
    names = []
    for name, (sources, _target) in MEETING_TRANSITIONS.items():
        if meeting.status not in sources:
            continue
        if (name == "approve" and may_approve(user, meeting)) or (
            name == "hold" and may_manage(user, meeting)
        ):
            names.append(name)
    return names


def record_minutes_export(user, meeting: Meeting, *, reason: str, fmt: str, items: int) -> None:
    """Audit a download of the minutes (the PDF), with its reason; call once it is built."""
    if not policy.can(user, Action.EXPORT, meeting):
        raise Http404("No such record.")
    if not is_enough(reason):
        raise ValidationError({"reason": [REASON_TOO_SHORT]})
    with transaction.atomic():
        audit.record(
            AuditAction.EXPORT,
            meeting,
            user=user,
            reason=reason.strip(),
            changes={"format": fmt, "items": items, "status": meeting.status},
        )


# --- reads --------------------------------------------------------------------------------------


@dataclass
class Section:
    kind: str
    title: str
    items: list = field(default_factory=list)


def agenda(user, meeting: Meeting) -> list[Section]:
    """The items of ``meeting`` that ``user`` may see, grouped into sections (consecutive items
    of one kind), each with its decisions, its actions and (the carried item) the actions it
    carries that the user may see. A fixed number of queries, however long the agenda."""
    carried = MeetingAction.objects.visible_to(user).select_related(
        "owner", "item", "item__meeting"
    )
    items = (
        _visible_items(user, meeting)
        .select_related("meeting", "threat", "added_by")
        .prefetch_related(
            Prefetch("decisions", queryset=Decision.objects.select_related("recorded_by")),
            Prefetch("actions", queryset=MeetingAction.objects.select_related("owner")),
            Prefetch("carried", queryset=carried.order_by("due_on", "id"), to_attr="carried_seen"),
        )
    )
    sections: list[Section] = []
    for item in items:
        if not sections or sections[-1].kind != item.kind:
            sections.append(Section(item.kind, item.section))
        sections[-1].items.append(item)
    return sections


def agenda_counts(user, meeting: Meeting) -> list[tuple[str, int]]:
    """(section, items the user sees) in agenda order."""
    counts: Counter = Counter()
    order: list[str] = []
    for section in _visible_items(user, meeting).values_list("section", flat=True):
        if section not in counts:
            order.append(section)
        counts[section] += 1
    return [(s, counts[s]) for s in order]


def meetings_of(user):
    """The meetings ``user`` may see."""
    return Meeting.objects.visible_to(user).with_related()


def bodies(user) -> list[str]:
    """The names of the groups whose meetings ``user`` may see."""
    return sorted(set(meetings_of(user).values_list("body", flat=True)), key=str.lower)


def actions_of(user, *, scope: str = "", status: str = "open", overdue: bool = False):
    """Meeting actions ``user`` may see: ``scope`` "mine" (theirs) or all; ``status`` "open",
    "closed" or "" (any); ``overdue`` only open ones past their due date."""
    actions = MeetingAction.objects.visible_to(user).select_related(
        "owner", "item", "item__meeting", "item__threat"
    )
    if scope == "mine":
        actions = actions.filter(owner=user)
    if status == "open":
        actions = actions.filter(status=MeetingActionStatus.OPEN)
    elif status == "closed":
        actions = actions.exclude(status=MeetingActionStatus.OPEN)
    if overdue:
        actions = actions.overdue()
    return actions.order_by("due_on", "id")

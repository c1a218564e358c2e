"""Debriefs and lessons: every write.

How a debrief becomes due. An operation ends when its threat enters a closed phase (its
closing date is the day it ended) or when a gateway request is completed (the day of its
completion). :func:`debriefs_due_from_events` finds every such end within the look-back window
that has no debrief yet and makes one due, ``DEBRIEF_DUE_DAYS`` after it (one audit entry
each); it is idempotent, so it is safe to run at any time (``socmaster debriefs --refresh``,
from cron). The tasking app also runs the same check for one record as soon as a change to a
threat or a request is committed (``registry._debriefs``), so the lower apps know nothing of
debriefs. A threat's closure makes one debrief due, not two: none if the threat already has its
closure debrief, or one added by hand for an operation that ended on or after the day it
closed; a request has at most one debrief.

Who does what. The debrief's owner (the threat's LRO, or the gateway officer who completed the
request) and anyone with a working role in the organisation that owns it record it: what
worked, what did not, partner feedback and lessons; they mark it held (which needs that record
and at least one lesson), cancel it with a reason, or reinstate a cancelled one with a reason.
Inspectors read and change nothing. Anyone who may change a threat or a request (or who works
in an organisation, for an operation on neither) may add a debrief by hand.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from socmaster.core import audit, policy
from socmaster.core.choices import Action, AuditAction, Handling
from socmaster.core.references import next_reference
from socmaster.core.services import audited_update, m2m_snapshot, refuse_unknown
from socmaster.core.validators import check_text
from socmaster.core.workflow import transition

from ..choices import (
    DEBRIEF_TRANSITIONS,
    DEFAULT_DEBRIEF_CANCELLED_DAYS,
    DEFAULT_DEBRIEF_DUE_DAYS,
    DEFAULT_DEBRIEF_LOOKBACK_DAYS,
    DebriefStatus,
    DebriefTrigger,
)
from ..models import Debrief, Lesson

PREFIX = "DBF"
#: Fields of a debrief its recorders write.
RECORD_FIELDS = ("operation", "what_worked", "what_did_not", "partner_feedback", "owner_user")
#: Fields of a lesson.
LESSON_FIELDS = ("text", "tactic", "capability", "crime_types")
#: Handling levels a debrief added by hand about no threat and no request may have.
HANDLING_CHOICES = (Handling.OWNER, Handling.REGION, Handling.NATIONAL)


# --- settings ------------------------------------------------------------------------------------


def _setting(name: str, default: int) -> int:
    return int(settings.SOCMASTER.get(name, default))


def due_days() -> int:
    """Days from the end of an operation to the day its debrief is due."""
    return _setting("DEBRIEF_DUE_DAYS", DEFAULT_DEBRIEF_DUE_DAYS)


def lookback_days() -> int:
    return _setting("DEBRIEF_LOOKBACK_DAYS", DEFAULT_DEBRIEF_LOOKBACK_DAYS)


def cancelled_days() -> int:
    return _setting("DEBRIEF_CANCELLED_DAYS", DEFAULT_DEBRIEF_CANCELLED_DAYS)


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


# --- reads ---------------------------------------------------------------------------------------


def overdue_q(today: dt.date | None = None) -> Q:
    """Due, and past the day it was due."""
    return Q(status=DebriefStatus.DUE, due_on__lt=_today(today))


def flagged_cancelled_q(today: dt.date | None = None) -> Q:
    """Cancelled debriefs of operations that ended within ``DEBRIEF_CANCELLED_DAYS``."""
    cutoff = _today(today) - dt.timedelta(days=cancelled_days())
    return Q(status=DebriefStatus.CANCELLED, ended_on__gte=cutoff)


def days_overdue(debrief: Debrief, today: dt.date | None = None) -> int:
    return max(0, (_today(today) - debrief.due_on).days)


def library(user) -> QuerySet:
    """The learning library as ``user`` may read it: the lessons of held debriefs they may see."""
    return Lesson.objects.visible_to(user).filter(debrief__status=DebriefStatus.HELD)


# --- who may do what -----------------------------------------------------------------------------


def can_record(user, debrief: Debrief) -> bool:
    """May ``user`` write ``debrief``'s record, its lessons and its state?"""
    if user is None or not user.is_authenticated or policy.is_read_only(user):
        return False
    if not policy.can(user, Action.VIEW, debrief):
        return False
    return policy.can(user, Action.CHANGE, debrief) or debrief.owner_user_id == user.pk


def _require_recorder(user, debrief: Debrief) -> None:
    if not policy.can(user, Action.VIEW, debrief):
        raise Http404("No such record.")
    if not can_record(user, debrief):
        raise PermissionDenied(
            "Only the debrief's owner and its organisation's officers may change it."
        )


def _locked(debrief: Debrief) -> Debrief:
    return Debrief.objects.select_for_update().get(pk=debrief.pk)


def owner_candidates(user, organisation, threat=None) -> QuerySet:
    """People who may own a debrief of ``organisation`` (about ``threat``) and whom ``user``
    may look up: active members of that organisation, and the threat's LRO."""
    from socmaster.organisations.models import User

    q = Q(memberships__organisation_id=organisation.pk)
    if threat is not None and threat.lro_id:
        q |= Q(pk=threat.lro_id)
    people = User.objects.filter(q, is_active=True).distinct()
    return policy.visible_users(people, user).order_by("last_name", "first_name", "username")


def _check_owner_user(user, owner_user, organisation, threat=None) -> dict:
    if owner_user is None:
        return {}
    if not owner_candidates(user, organisation, threat).filter(pk=owner_user.pk).exists():
        return {"owner_user": ["Choose someone who works in the organisation that owns it."]}
    return {}


# --- making debriefs due -------------------------------------------------------------------------


def _closed_phase_q(prefix: str = "") -> Q:
    return Q(**{f"{prefix}phase__name__contains": "Closed"})


def _create(
    *,
    trigger: str,
    source,
    ended_on: dt.date,
    operation: str,
    owner_user,
    user=None,
    threat=None,
    request=None,
    reason: str = "",
) -> Debrief:
    """A new due debrief taking its protection from ``source`` (a threat, a request or, for a
    debrief about neither, a plain description of the protection). Inside a transaction."""
    debrief = Debrief(
        reference=next_reference(PREFIX, Debrief.objects.all()),
        trigger=trigger,
        threat=threat,
        request=request,
        operation=(operation or "")[:300],
        ended_on=ended_on,
        due_on=ended_on + dt.timedelta(days=due_days()),
        owner_user=owner_user,
        owner_id=source["owner_id"],
        handling=source["handling"],
        compartment_id=source["compartment_id"],
        created_by=user,
    )
    debrief.save()
    debrief.shared_with.set(source["shared_with"])
    audit.record(
        AuditAction.CREATE,
        debrief,
        user=user,
        reason=reason,
        changes={"after": audit.snapshot(debrief), **m2m_snapshot(debrief, "shared_with")},
    )
    return debrief


def _protection_of(record) -> dict:
    return {
        "owner_id": record.owner_id,
        "handling": record.handling,
        "compartment_id": record.compartment_id,
        "shared_with": list(record.shared_with.values_list("pk", flat=True)),
    }


def _once(build) -> Debrief | None:
    """Run ``build`` in its own transaction; None if another run made the same debrief due
    first (the unique constraints say so)."""
    try:
        with transaction.atomic():
            return build()
    except IntegrityError:
        return None


def _covered_threats() -> Exists:
    covered = Debrief.objects.filter(threat=OuterRef("pk")).filter(
        Q(trigger=DebriefTrigger.THREAT_CLOSED)
        | Q(trigger=DebriefTrigger.BY_HAND, ended_on__gte=OuterRef("closed_on"))
    )
    return Exists(covered)


def threats_closed_without_debrief(today: dt.date | None = None) -> QuerySet:
    """Threats in a closed phase, closed within the look-back window, with no debrief for it."""
    from socmaster.threats.models import Threat

    today = _today(today)
    cutoff = today - dt.timedelta(days=lookback_days())
    return (
        Threat.objects.filter(_closed_phase_q(), closed_on__gte=cutoff, closed_on__lte=today)
        .exclude(_covered_threats())
        .select_related("phase")
        .order_by("closed_on", "pk")
    )


def requests_completed_without_debrief(today: dt.date | None = None) -> QuerySet:
    """Gateway requests completed within the look-back window that have no debrief."""
    from socmaster.gateway.choices import RequestStatus
    from socmaster.gateway.models import SupportRequest

    today = _today(today)
    cutoff = today - dt.timedelta(days=lookback_days())
    start = timezone.make_aware(dt.datetime.combine(cutoff, dt.time.min))
    has = Debrief.objects.filter(request=OuterRef("pk"))
    return (
        SupportRequest.objects.filter(status=RequestStatus.COMPLETED, completed_at__gte=start)
        .exclude(Exists(has))
        .order_by("completed_at", "pk")
    )


def debrief_for_threat_closure(threat, *, today: dt.date | None = None) -> Debrief | None:
    """Make the debrief of ``threat``'s closure due, if its closure calls for one and it has
    none (None otherwise). Its owner is the threat's LRO."""
    today = _today(today)
    found = threats_closed_without_debrief(today).filter(pk=threat.pk).first()
    if found is None:
        return None

    def build():
        return _create(
            trigger=DebriefTrigger.THREAT_CLOSED,
            source=_protection_of(found),
            threat=found,
            ended_on=found.closed_on,
            operation=found.operation_names or found.name,
            owner_user=found.lro,
            reason=f"{found.reference} entered a closed phase ({found.phase.name}) on "
            f"{found.closed_on:%d %b %Y}.",
        )

    return _once(build)


def completed_by(request):
    """The gateway officer who completed ``request`` (from its audit trail), or its assignee."""
    from socmaster.core.models import AuditEntry

    entries = AuditEntry.objects.filter(
        record_type=audit.record_type_of(request),
        record_id=str(request.pk),
        action=AuditAction.TRANSITION,
        user__isnull=False,
    ).order_by("-seq")
    for entry in entries.select_related("user")[:20]:
        if (entry.changes or {}).get("transition") == "complete":
            return entry.user
    return request.assigned_to or request.decided_by


def debrief_for_request_completion(request, *, today: dt.date | None = None) -> Debrief | None:
    """Make the debrief of a completed gateway request due, if it has none. Its owner is the
    gateway officer who completed the request; it is about the request's threat, if any."""
    today = _today(today)
    found = requests_completed_without_debrief(today).filter(pk=request.pk).first()
    if found is None:
        return None

    def build():
        return _create(
            trigger=DebriefTrigger.REQUEST_COMPLETED,
            source=_protection_of(found),
            request=found,
            threat=found.threat,
            ended_on=timezone.localdate(found.completed_at),
            operation=found.operation or f"{found.reference} {found.capability.name}",
            owner_user=completed_by(found),
            reason=f"{found.reference} was completed on "
            f"{timezone.localdate(found.completed_at):%d %b %Y}.",
        )

    return _once(build)


def debriefs_due_from_events(*, today: dt.date | None = None) -> dict[str, int]:
    """Make due every debrief that a closed threat or a completed gateway request calls for and
    that is not there yet (idempotent: a second run makes none). Returns how many of each."""
    from socmaster.gateway.models import SupportRequest
    from socmaster.threats.models import Threat

    today = _today(today)
    made = {"threats": 0, "requests": 0}
    # The ids first: each debrief is then made in its own transaction, and a failure in one
    # leaves the others made.
    for pk in list(threats_closed_without_debrief(today).values_list("pk", flat=True)):
        if debrief_for_threat_closure(Threat(pk=pk), today=today) is not None:
            made["threats"] += 1
    for pk in list(requests_completed_without_debrief(today).values_list("pk", flat=True)):
        if debrief_for_request_completion(SupportRequest(pk=pk), today=today) is not None:
            made["requests"] += 1
    return made


@transaction.atomic
def add_debrief(
    user,
    *,
    ended_on,
    threat=None,
    request=None,
    owner=None,
    handling: str | None = None,
    operation: str = "",
    owner_user=None,
) -> Debrief:
    """A debrief added by hand: about a threat, a gateway request (and so its threat), or
    neither (an operation on neither; then ``owner`` and ``handling`` say who may see it)."""
    if user is None or not user.is_authenticated or policy.is_read_only(user):
        raise PermissionDenied("Inspectors do not add debriefs.")
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    operation = (operation or "").strip()
    if not isinstance(ended_on, dt.date):
        errors["ended_on"] = ["Give the day the operation ended."]
    elif ended_on > today:
        errors["ended_on"] = ["The operation cannot end in the future."]
    if threat is not None and not policy.can(user, Action.VIEW, threat):
        errors["threat"] = ["No such threat."]
        threat = None
    if request is not None and not policy.can(user, Action.VIEW, request):
        errors["request"] = ["No such gateway request."]
        request = None
    source = None
    if request is not None:
        if threat is not None and request.threat_id != threat.pk:
            errors["threat"] = ["The gateway request is about another threat."]
        elif Debrief.objects.filter(request=request).exists():
            errors["request"] = ["This gateway request already has a debrief."]
        elif not policy.can(user, Action.CHANGE, request):
            errors["request"] = ["Only the gateway that holds the request adds its debrief."]
        source, threat = request, request.threat
    elif threat is not None:
        if not policy.can(user, Action.CHANGE, threat):
            errors["threat"] = ["Only the threat's LRO and its owner's officers add its debrief."]
        source = threat
    elif "threat" not in errors and "request" not in errors:
        if owner is None or not policy.can_create_for(user, owner):
            errors["owner"] = ["Choose an organisation you work in."]
        if handling not in HANDLING_CHOICES:
            errors["handling"] = ["Choose who may see the debrief."]
        if not operation:
            errors["operation"] = [
                "Name the operation: it is on neither the master list nor the gateway."
            ]
    organisation = source.owner if source is not None else owner
    if owner_user is not None and organisation is not None:
        errors.update(_check_owner_user(user, owner_user, organisation, threat))
    if not errors:
        try:
            check_text(Debrief, {"operation": operation})
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    if source is not None:
        protection = _protection_of(source)
    else:
        protection = {
            "owner_id": owner.pk,
            "handling": handling,
            "compartment_id": None,
            "shared_with": [],
        }
    if not operation:
        operation = (request.operation if request else "") or (
            threat.operation_names or threat.name if threat else ""
        )
    return _create(
        trigger=DebriefTrigger.BY_HAND,
        source=protection,
        threat=threat,
        request=request,
        ended_on=ended_on,
        operation=operation,
        owner_user=owner_user or user,
        user=user,
    )


# --- recording -----------------------------------------------------------------------------------


def _refuse_if_cancelled(debrief: Debrief) -> None:
    if debrief.status == DebriefStatus.CANCELLED:
        raise ValidationError(
            {"status": ["The debrief is cancelled: reinstate it before changing it."]}
        )


@transaction.atomic
def update_debrief(user, debrief: Debrief, values: dict, *, expected_version=None) -> dict:
    """Write the debrief's record (what worked, what did not, partner feedback, the operation's
    name, its owner). Nothing is written when nothing changed; returns the changes."""
    _require_recorder(user, debrief)
    refuse_unknown(values, RECORD_FIELDS)
    debrief = _locked(debrief)
    _refuse_if_cancelled(debrief)
    values = {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()}
    errors: dict[str, list[str]] = {}
    if "owner_user" in values:
        owner_user = values["owner_user"]
        if owner_user is not None and owner_user.pk != debrief.owner_user_id:
            errors.update(_check_owner_user(user, owner_user, debrief.owner, debrief.threat))
    if debrief.status == DebriefStatus.HELD:
        for name in ("what_worked", "what_did_not"):
            if name in values and not values[name]:
                errors[name] = ["A held debrief keeps its record: this cannot be emptied."]
    if errors:
        raise ValidationError(errors)
    return audited_update(user, debrief, values, expected_version=expected_version)


@transaction.atomic
def hold(user, debrief: Debrief, *, held_on) -> Debrief:
    """Record that the debrief was held on ``held_on``: its record (what worked and what did
    not) and at least one lesson must be written first."""
    _require_recorder(user, debrief)
    debrief = _locked(debrief)
    if debrief.status in DEBRIEF_TRANSITIONS["hold"][0]:
        errors: dict[str, list[str]] = {}
        if not isinstance(held_on, dt.date):
            errors["held_on"] = ["Give the day the debrief was held."]
        elif held_on > timezone.localdate():
            errors["held_on"] = ["The day it was held cannot be in the future."]
        elif held_on < debrief.ended_on:
            errors["held_on"] = [
                f"A debrief is held after the operation ended ({debrief.ended_on:%d %b %Y})."
            ]
        if not debrief.what_worked.strip():
            errors["what_worked"] = ["Say what worked before recording that it was held."]
        if not debrief.what_did_not.strip():
            errors["what_did_not"] = ["Say what did not work before recording that it was held."]
        if not debrief.lessons.exists():
            errors["lessons"] = ["Add at least one lesson before recording that it was held."]
        if errors:
            raise ValidationError(errors)
    return transition(
        user,
        debrief,
        "hold",
        DEBRIEF_TRANSITIONS,
        held_on=held_on,
        lock_version=debrief.lock_version + 1,
    )


def _reason(reason: str, message: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [message]})
    check_text(Debrief, {"cancel_reason": reason})
    return reason


@transaction.atomic
def cancel(user, debrief: Debrief, *, reason: str) -> Debrief:
    """Cancel a due debrief, saying why (cancelled debriefs are flagged)."""
    _require_recorder(user, debrief)
    debrief = _locked(debrief)
    reason = _reason(reason, "Say why the debrief is cancelled.")
    return transition(
        user,
        debrief,
        "cancel",
        DEBRIEF_TRANSITIONS,
        reason=reason,
        cancel_reason=reason,
        lock_version=debrief.lock_version + 1,
    )


@transaction.atomic
def reinstate(user, debrief: Debrief, *, reason: str) -> Debrief:
    """Make a cancelled debrief due again (on its original date), saying why."""
    _require_recorder(user, debrief)
    debrief = _locked(debrief)
    reason = _reason(reason, "Say why the debrief is reinstated.")
    return transition(
        user,
        debrief,
        "reinstate",
        DEBRIEF_TRANSITIONS,
        reason=reason,
        cancel_reason="",
        lock_version=debrief.lock_version + 1,
    )


def available_transitions(user, debrief: Debrief) -> list[str]:
    """The state changes ``user`` may make to ``debrief`` now, for its page."""
    if not can_record(user, debrief):
        return []
    return [name for name, (sources, _) in DEBRIEF_TRANSITIONS.items() if debrief.status in sources]


# --- lessons -------------------------------------------------------------------------------------


def _lesson_problems(values: dict) -> dict[str, list[str]]:
    from socmaster.disruptions.models import Tactic
    from socmaster.gateway.models import Capability
    from socmaster.threats.models import CrimeType

    errors: dict[str, list[str]] = {}
    if "text" in values and not (values["text"] or "").strip():
        errors["text"] = ["Write the lesson."]
    if values.get("tactic") is not None and not isinstance(values["tactic"], Tactic):
        errors["tactic"] = ["No such tactic."]
    if values.get("capability") is not None and not isinstance(values["capability"], Capability):
        errors["capability"] = ["No such capability."]
    crime_types = values.get("crime_types")
    if crime_types is not None and not all(isinstance(c, CrimeType) for c in crime_types):
        errors["crime_types"] = ["No such crime type."]
    if not errors:
        try:
            check_text(Lesson, {"text": values.get("text", "")})
        except ValidationError as exc:
            errors.update(exc.message_dict)
    return errors


@transaction.atomic
def add_lesson(
    user, debrief: Debrief, *, text: str, tactic=None, capability=None, crime_types=()
) -> Lesson:
    """A lesson of ``debrief``, tagged with a tactic, a capability and crime types."""
    _require_recorder(user, debrief)
    debrief = _locked(debrief)
    _refuse_if_cancelled(debrief)
    crime_types = list(crime_types or [])
    values = {"text": text, "tactic": tactic, "capability": capability, "crime_types": crime_types}
    errors = _lesson_problems(values)
    if errors:
        raise ValidationError(errors)
    lesson = Lesson.objects.create(
        debrief=debrief,
        text=text.strip(),
        tactic=tactic,
        capability=capability,
        created_by=user,
    )
    lesson.crime_types.set(crime_types)
    audit.record(
        AuditAction.CREATE,
        lesson,
        user=user,
        changes={"after": audit.snapshot(lesson), **m2m_snapshot(lesson, "crime_types")},
    )
    return lesson


def _lesson_of(user, lesson: Lesson) -> tuple[Lesson, Debrief]:
    _require_recorder(user, lesson.debrief)
    debrief = _locked(lesson.debrief)
    _refuse_if_cancelled(debrief)
    return Lesson.objects.select_for_update().get(pk=lesson.pk), debrief


@transaction.atomic
def update_lesson(user, lesson: Lesson, values: dict, *, expected_version=None) -> dict:
    """Change a lesson's text or tags; nothing is written when nothing changed."""
    refuse_unknown(values, LESSON_FIELDS)
    lesson, _ = _lesson_of(user, lesson)
    values = {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()}
    errors = _lesson_problems(values)
    if errors:
        raise ValidationError(errors)
    crime_types = values.pop("crime_types", None)
    return audited_update(
        user,
        lesson,
        values,
        m2m={"crime_types": list(crime_types) if crime_types is not None else None},
        expected_version=expected_version,
    )


@transaction.atomic
def remove_lesson(user, lesson: Lesson) -> None:
    """Take a lesson off its debrief (a held debrief keeps at least one)."""
    lesson, debrief = _lesson_of(user, lesson)
    if debrief.status == DebriefStatus.HELD and debrief.lessons.count() <= 1:
        raise ValidationError({"lessons": ["A held debrief keeps at least one lesson."]})
    before = audit.snapshot(lesson) | m2m_snapshot(lesson, "crime_types")
    audit.record(AuditAction.DELETE, lesson, user=user, changes={"before": before})
    lesson.delete()

"""What debriefs add to the shared registries and signals (from ``registry._debriefs()``): the
"Debriefs" menu entry, the owner's home-page figure, the exceptions report's checks (overdue and
cancelled debriefs), and the hooks that make a debrief due as soon as a threat's closure or a
gateway request's completion is committed (the lower apps know nothing of debriefs)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, Min, Q
from django.db.models.signals import post_save
from django.urls import reverse
from django.utils import timezone

from socmaster.core.registry import (
    AttentionCount,
    AttentionItem,
    NavItem,
    register_attention,
    register_nav_item,
)
from socmaster.organisations.choices import Role
from socmaster.threats.exceptions import ExceptionCheck, RecordRows, Scope, register

from .choices import DebriefStatus
from .models import Debrief
from .services import debriefs as services

OVERDUE = "debrief_overdue"
CANCELLED = "debrief_cancelled"


# --- The exceptions report -----------------------------------------------------------------------


def _owner_name(debrief) -> str:
    who = debrief.owner_user
    return (who.get_full_name() or who.username) if who else "nobody"


def _row(debrief, detail: str) -> dict:
    return {
        "record": debrief,
        "kind": "debrief",
        "reference": debrief.reference,
        "label": debrief.operation or debrief.get_trigger_display().lower(),
        "url": debrief.get_absolute_url(),
        "owner": debrief.owner,
        "detail": detail,
    }


def _records(scope: Scope, q: Q):
    return (
        scope.records(Debrief, "threat")
        .filter(q)
        .select_related("owner__region", "owner_user")
        .order_by("due_on", "id")
    )


def _overdue(scope: Scope) -> RecordRows:
    today = timezone.localdate()

    def row(debrief):
        days = services.days_overdue(debrief, today)
        return _row(
            debrief,
            f"Due {debrief.due_on:%d %b %Y} ({days} day{'s' if days != 1 else ''} overdue); "
            f"owner {_owner_name(debrief)}",
        )

    return RecordRows(_records(scope, services.overdue_q(today)), row)


def _cancelled(scope: Scope) -> RecordRows:
    def row(debrief):
        return _row(
            debrief,
            f"Operation ended {debrief.ended_on:%d %b %Y}; cancelled: {debrief.cancel_reason}",
        )

    return RecordRows(_records(scope, services.flagged_cancelled_q()), row)


def _register_checks() -> None:
    register(
        ExceptionCheck(
            OVERDUE,
            "Debriefs overdue",
            "A debrief not held by its due date loses what the operation taught; the due date "
            "is set days after the operation ended.",
            _overdue,
            over="debriefs",
        )
    )
    register(
        ExceptionCheck(
            CANCELLED,
            "Debriefs cancelled",
            "Operations that ended in the last year whose debrief was cancelled: their lessons "
            "are not in the learning library.",
            _cancelled,
            over="debriefs",
        )
    )


# --- The home page -------------------------------------------------------------------------------


def list_url(**params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{reverse('tasking:debriefs')}?{query}"


def _mine(user) -> AttentionCount | None:
    """For the owner of debriefs (and every LRO and gateway officer): their due debriefs, urgent
    when any is overdue, with their overdue and cancelled ones."""
    today = timezone.localdate()
    figures = (
        Debrief.objects.visible_to(user)
        .filter(owner_user_id=user.pk)
        .aggregate(
            due=Count("id", filter=Q(status=DebriefStatus.DUE)),
            overdue=Count("id", filter=services.overdue_q(today)),
            cancelled=Count("id", filter=services.flagged_cancelled_q(today)),
            oldest=Min("due_on", filter=Q(status=DebriefStatus.DUE)),
            held=Count("id", filter=Q(status=DebriefStatus.HELD)),
        )
    )
    owns = figures["due"] or figures["cancelled"] or figures["held"]
    if not owns and not user.has_role(Role.LRO, Role.GATEWAY_OFFICER):
        return None
    links = []
    if figures["overdue"]:
        links.append((f"{figures['overdue']} overdue", list_url(mine="yes", status="overdue")))
    if figures["cancelled"]:
        links.append(
            (f"{figures['cancelled']} cancelled", list_url(mine="yes", status="cancelled"))
        )
    oldest = figures["oldest"]
    return AttentionCount(
        figures["due"],
        "debriefs of operations you led or supported that are due",
        list_url(mine="yes", status="due"),
        links=tuple(links),
        urgent=bool(figures["overdue"]),
        detail=f"oldest due {oldest.day} {oldest:%b %Y}" if oldest else "",
    )


# --- Making debriefs due as soon as an operation ends --------------------------------------------


def _threat_saved(sender, instance, raw=False, **kwargs) -> None:
    if raw or instance.closed_on is None or instance.phase_id is None:
        return
    if not instance.phase.is_closed:
        return
    threat = type(instance)(pk=instance.pk)
    transaction.on_commit(lambda: services.debrief_for_threat_closure(threat), robust=True)


def _request_saved(sender, instance, raw=False, **kwargs) -> None:
    from socmaster.gateway.choices import RequestStatus

    if raw or instance.status != RequestStatus.COMPLETED:
        return
    request = type(instance)(pk=instance.pk)
    transaction.on_commit(lambda: services.debrief_for_request_completion(request), robust=True)


def _connect_signals() -> None:
    from socmaster.gateway.models import SupportRequest
    from socmaster.threats.models import Threat

    post_save.connect(_threat_saved, sender=Threat, dispatch_uid="tasking-debrief-threat")
    post_save.connect(_request_saved, sender=SupportRequest, dispatch_uid="tasking-debrief-request")


def register_debriefs() -> None:
    register_nav_item(
        NavItem(
            "debriefs",
            "Debriefs",
            "tasking:debriefs",
            750,
            active_prefix="/tasking/debriefs/",
        )
    )
    register_attention(AttentionItem("debriefs-due", 210, _mine))
    _register_checks()
    _connect_signals()

"""What the meetings add to the shared registries: the "Tasking" menu entry, the home page's
figure of the user's meeting actions past their due date, and the agenda sources over the
master list, plans, disruptions and the exceptions report (``agenda.py``)."""

from __future__ import annotations

from django.db.models import Count, Min
from django.urls import reverse
from django.utils import timezone

from socmaster.core import policy
from socmaster.core.registry import (
    AttentionCount,
    AttentionItem,
    NavItem,
    register_attention,
    register_nav_item,
)

from . import agenda


def _my_actions_overdue(user) -> AttentionCount | None:
    """Open meeting actions the user owns, past their due date (none for inspectors, who hold
    none)."""
    from .models import MeetingAction

    if policy.is_read_only(user):
        return None
    figures = (
        MeetingAction.objects.visible_to(user)
        .filter(owner=user)
        .overdue()
        .aggregate(n=Count("id"), oldest=Min("due_on"))
    )
    count, oldest = figures["n"], figures["oldest"]
    detail = ""
    if oldest:
        days = (timezone.localdate() - oldest).days
        detail = (
            f"oldest due {oldest.day} {oldest:%b %Y} ({days} day{'s' if days != 1 else ''} ago)"
        )
    return AttentionCount(
        count,
        "tasking meeting actions you own past their due date",
        f"{reverse('tasking:actions')}?scope=mine&overdue=1",
        urgent=bool(count),
        detail=detail,
    )


def register_meetings() -> None:
    register_nav_item(
        NavItem("tasking", "Tasking", "tasking:meetings", 760, active_prefix="/tasking/")
    )
    register_attention(AttentionItem("meeting-actions-overdue", 130, _my_actions_overdue))
    agenda.register()

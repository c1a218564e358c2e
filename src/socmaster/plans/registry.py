"""What the plans app adds to the shared registries (from ``PlansConfig.ready()``)."""

from __future__ import annotations

from django.urls import reverse

from socmaster.core.registry import (
    AttentionCount,
    AttentionItem,
    NavItem,
    ThreatPanel,
    register_attention,
    register_nav_item,
    register_threat_panel,
)

from . import quality, services
from .choices import OPEN_STATUSES, PlanStatus
from .models import Plan, PlanAction


def _threat_panel(request, threat) -> dict:
    """The threat's current 4P plan that this user may see, with its quality checks."""
    user = request.user
    plan = Plan.objects.visible_to(user).filter(threat=threat, status=PlanStatus.CURRENT).first()
    checked = quality.evaluate(Plan.objects.filter(pk=plan.pk), user=user)[0] if plan else None
    return {
        "plan": plan,
        "plan_quality": checked,
        "may_write_plan": plan is None and services.may_write_plan(user, threat),
    }


def _my_actions(user) -> AttentionCount:
    """Open actions in current 4P plans held by the user or their organisations."""
    mine = PlanAction.objects.assigned_to(user).filter(
        plan__status=PlanStatus.CURRENT, status__in=OPEN_STATUSES
    )
    overdue = mine.overdue().count()
    url = reverse("plans:actions")
    return AttentionCount(
        mine.count(),
        "open 4P plan actions held by you or your organisation",
        url,
        links=((f"{overdue} overdue", f"{url}?overdue=1"),) if overdue else (),
    )


def register() -> None:
    register_threat_panel(
        ThreatPanel("plan", "4P plan", 200, "plans/_threat_plan.html", _threat_panel)
    )
    register_nav_item(NavItem("plans", "4P plans", "plans:list", 700))
    register_attention(AttentionItem("my-actions", 400, _my_actions))

"""What the plans app adds to the shared registries (from ``PlansConfig.ready()``)."""

from __future__ import annotations

from django.db.models import Count, Min
from django.urls import reverse
from django.utils import timezone

from socmaster.core.registry import (
    AttentionCount,
    AttentionItem,
    NavItem,
    ThreatPanel,
    register_attention,
    register_nav_item,
    register_threat_panel,
)
from socmaster.organisations.choices import Role

from . import quality, services
from .choices import OPEN_STATUSES, PlanStatus
from .filters import DUE_SOON_DAYS
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


def _current_actions(user):
    """Actions of current plans the user may see: the plan-actions page's starting point."""
    return PlanAction.objects.visible_to(user).filter(
        plan__status=PlanStatus.CURRENT, status__in=OPEN_STATUSES
    )


def _ago(day) -> str:
    days = (timezone.localdate() - day).days
    return f"{days} day{'s' if days != 1 else ''} ago"


def _overdue(actions, label: str, url: str) -> AttentionCount:
    figures = actions.overdue().aggregate(n=Count("id"), oldest=Min("due_date"))
    count, oldest = figures["n"], figures["oldest"]
    detail = f"oldest due {oldest.day} {oldest:%b %Y} ({_ago(oldest)})" if oldest else ""
    return AttentionCount(count, label, url, urgent=bool(count), detail=detail)


def _my_actions_overdue(user) -> AttentionCount:
    """Open actions held by the user or their organisation, past their due date."""
    mine = _current_actions(user).assigned_to(user)
    url = f"{reverse('plans:actions')}?scope=mine&overdue=1"
    return _overdue(mine, "overdue 4P plan actions held by you or your organisation", url)


def _my_actions_due(user) -> AttentionCount:
    """Open actions held by the user or their organisation, due in the next days."""
    soon = _current_actions(user).assigned_to(user).due_soon(DUE_SOON_DAYS)
    return AttentionCount(
        soon.count(),
        f"4P plan actions held by you or your organisation due in the next {DUE_SOON_DAYS} days",
        f"{reverse('plans:actions')}?scope=mine&due_soon=1",
    )


def _led_actions_overdue(user) -> AttentionCount | None:
    """For an LRO: overdue actions in the plans of the threats they lead, whoever holds them."""
    if not user.has_role(Role.LRO):
        return None
    led = _current_actions(user).filter(plan__threat__lro_id=user.pk)
    url = f"{reverse('plans:actions')}?scope=led&overdue=1"
    return _overdue(led, "overdue actions in the 4P plans of threats you lead", url)


def _reviews_due(user) -> AttentionCount | None:
    """For a chief officer, plan reviews due on their organisations' threats; for an LRO, on the
    threats they lead."""
    if user.has_role(Role.CHIEF_OFFICER):
        scope, whose = "organisation", "your organisation's threats"
    elif user.has_role(Role.LRO):
        scope, whose = "lro", "threats you lead"
    else:
        return None
    today = timezone.localdate()
    rows = quality.reviews_due(user, scope, today=today)
    overdue = sum(1 for r in rows if r.next_review_due < today)
    return AttentionCount(
        len(rows),
        f"4P plan reviews overdue or due in the next {quality.REVIEW_HORIZON_DAYS} days on {whose}",
        f"{reverse('plans:reviews-due')}?mine={scope}",
        urgent=bool(overdue),
        detail=f"{overdue} overdue" if overdue else "",
    )


def register() -> None:
    register_threat_panel(
        ThreatPanel("plan", "4P plan", 200, "plans/_threat_plan.html", _threat_panel)
    )
    register_nav_item(NavItem("plans", "4P plans", "plans:list", 700))
    register_attention(AttentionItem("my-actions-overdue", 100, _my_actions_overdue))
    register_attention(AttentionItem("my-actions-due", 110, _my_actions_due))
    register_attention(AttentionItem("led-actions-overdue", 120, _led_actions_overdue))
    register_attention(AttentionItem("reviews-due", 200, _reviews_due))
    _register_imports()


def _register_imports() -> None:
    """The three plan history imports, on the upload page and undone through the journal."""
    from socmaster.core.importing import register_importer, register_undo
    from socmaster.threats.choices import ImportKind

    from . import importer

    register_undo(services.PLAN_RECORD_TYPE, services.undo_import_plan)
    register_undo(services.ACTION_RECORD_TYPE, services.undo_import_action)
    register_undo(services.REVIEW_RECORD_TYPE, services.undo_import_review)
    guide = "docs/import-plans.md"
    for kind, label, run, columns in (
        (ImportKind.PLANS, "4P plans", importer.import_plans, importer.PLAN_COLUMNS),
        (
            ImportKind.PLAN_ACTIONS,
            "4P plan actions",
            importer.import_plan_actions,
            importer.ACTION_COLUMNS,
        ),
        (
            ImportKind.PLAN_REVIEWS,
            "4P plan reviews",
            importer.import_plan_reviews,
            importer.REVIEW_COLUMNS,
        ),
    ):
        register_importer(kind, label=label, run=run, columns=columns, guide=guide)

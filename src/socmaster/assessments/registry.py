"""What the assessments app adds to the shared registries (from ``AssessmentsConfig.ready()``)."""

from __future__ import annotations

from socmaster.core.registry import NavItem, ThreatPanel, register_nav_item, register_threat_panel

from .models import Assessment
from .services import may_assess


def _threat_panel(request, threat) -> dict:
    """The threat's assessment history and whether this user may (re-)assess it."""
    history = (
        Assessment.objects.visible_to(request.user)
        .filter(threat=threat)
        .select_related("scheme")
        .order_by("-version_number")
    )
    return {"assessment_history": list(history), "may_assess": may_assess(request.user, threat)}


def _is_moderator(user) -> bool:
    return user.has_role("moderator")


def register() -> None:
    register_threat_panel(
        ThreatPanel(
            "assessments",
            "MoRiLE assessments",
            100,
            "assessments/_threat_history.html",
            _threat_panel,
        )
    )
    register_nav_item(
        NavItem(
            "moderation",
            "Moderation",
            "assessments:queue",
            900,
            visible=_is_moderator,
            active_prefix="/assessments/",
        )
    )

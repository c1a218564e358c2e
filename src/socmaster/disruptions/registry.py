"""What the disruptions app adds to the shared registries (from ``DisruptionsConfig.ready()``)."""

from __future__ import annotations

from socmaster.core import policy
from socmaster.core.registry import NavItem, ThreatPanel, register_nav_item, register_threat_panel

from .models import Disruption


def _threat_panel(request, threat) -> dict:
    """The threat's latest disruptions and whether this user may record one."""
    disruptions = (
        Disruption.objects.visible_to(request.user)
        .filter(threat=threat)
        .select_related("recording_organisation")
        .order_by("-event_date")[:50]
    )
    return {
        "disruptions": list(disruptions),
        "may_record_disruption": not policy.is_read_only(request.user),
    }


def register() -> None:
    register_threat_panel(
        ThreatPanel(
            "disruptions",
            "Disruptions",
            300,
            "disruptions/_threat_disruptions.html",
            _threat_panel,
        )
    )
    register_nav_item(NavItem("disruptions", "Disruptions", "disruptions:list", 600))
    from socmaster.core.importing import register_undo

    from . import services

    register_undo(services.RECORD_TYPE, services.undo_import_change)
    from .checks import register_checks

    register_checks()

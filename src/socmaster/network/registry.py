"""What network analysis adds to the shared registries (from ``NetworkConfig.ready()``): the
"Network" navigation item, the threat page's network panel (key players, suggested members
and splits, loaded after the page) and the nominal page's associates panel."""

from __future__ import annotations

from socmaster.core import policy
from socmaster.core.choices import Action
from socmaster.core.registry import (
    NavItem,
    RecordPanel,
    ThreatPanel,
    register_nav_item,
    register_record_panel,
    register_threat_panel,
)


def _active(user) -> bool:
    return user.is_authenticated and bool(user.active_memberships)


def _threat_panel(request, threat) -> dict | None:
    return {} if _active(request.user) else None


def _nominal_panel(request, nominal) -> dict | None:
    from . import services

    return {
        "associations": list(services.associations_of(request.user, nominal)[:100]),
        "can_change": policy.can(request.user, Action.CHANGE, nominal)
        and not policy.is_read_only(request.user),
    }


def register() -> None:
    register_nav_item(
        NavItem(
            "network", "Network", "network:index", 670, visible=_active, active_prefix="/network/"
        )
    )
    register_threat_panel(
        ThreatPanel(
            "network",
            "Network: key players and possible members",
            360,
            "network/_threat_panel_loader.html",
            _threat_panel,
        )
    )
    register_record_panel(
        "nominal",
        RecordPanel(
            "associates",
            "Associates and link chart",
            110,
            "network/_nominal_panel.html",
            _nominal_panel,
        ),
    )

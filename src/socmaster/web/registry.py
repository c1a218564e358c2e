"""What the web app adds to the shared registries (from ``WebConfig.ready()``)."""

from __future__ import annotations

from socmaster.core.policy import is_police_user
from socmaster.core.registry import NavItem, register_nav_item


def register() -> None:
    register_nav_item(NavItem("home", "Home", "home", 100, exact=True))
    register_nav_item(
        NavItem("api", "API", "swagger-ui", 1200, visible=is_police_user, active_prefix="/api/")
    )

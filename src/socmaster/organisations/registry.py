"""What the organisations app adds to the shared registries (from ``OrganisationsConfig.ready()``)."""

from __future__ import annotations

from socmaster.core.policy import is_police_user
from socmaster.core.registry import NavItem, register_nav_item


def register() -> None:
    register_nav_item(NavItem("organisations", "Organisations", "organisations:directory", 400))
    # Partners see only their colleagues: the people directory is for police and agency staff.
    register_nav_item(
        NavItem("people", "People", "organisations:people", 800, visible=is_police_user)
    )

"""What the threats app adds to the shared registries (from ``ThreatsConfig.ready()``)."""

from __future__ import annotations

from django.urls import reverse

from socmaster.core.policy import is_police_user
from socmaster.core.registry import (
    AttentionCount,
    AttentionItem,
    NavItem,
    register_attention,
    register_nav_item,
)
from socmaster.organisations.choices import Role

from . import exceptions
from .models import Threat


def _exceptions(user, scope: str, label: str) -> AttentionCount:
    """The exceptions report's items over the user's threats in ``scope``, as the report counts
    them (the link opens the report narrowed to the same threats)."""
    threats = exceptions.scoped(Threat.objects.visible_to(user), user, scope)
    results = exceptions.run_all(threats, scope=exceptions.scope_for(threats, user, scope))
    failing = [(check, len(rows)) for check, rows in results if rows]
    detail = "; ".join(f"{check.title}: {n}" for check, n in failing[:3])
    if len(failing) > 3:
        detail += f"; and {len(failing) - 3} more checks"
    return AttentionCount(
        exceptions.total(results),
        label,
        f"{reverse('threats:exceptions')}?mine={scope}",
        detail=detail,
    )


def _my_exceptions(user) -> AttentionCount | None:
    """For an LRO: exceptions on the threats they lead."""
    if not user.has_role(Role.LRO):
        return None
    return _exceptions(user, "lro", "exceptions on threats you lead")


def _organisation_exceptions(user) -> AttentionCount | None:
    """For a chief officer: exceptions on the threats their organisations own."""
    if not user.has_role(Role.CHIEF_OFFICER):
        return None
    return _exceptions(
        user, "organisation", "exceptions on your organisation's threats and intelligence"
    )


def register() -> None:
    register_nav_item(NavItem("master-list", "Master list", "threats:list", 200))
    register_nav_item(
        NavItem("exceptions", "Exceptions", "threats:exceptions", 300, visible=is_police_user)
    )
    register_nav_item(NavItem("nominals", "Nominals", "threats:nominals", 500))
    register_attention(AttentionItem("my-exceptions", 600, _my_exceptions))
    register_attention(AttentionItem("organisation-exceptions", 650, _organisation_exceptions))
    from socmaster.core.importing import register_importer, register_undo

    from . import members_importer, services
    from .choices import ImportKind

    register_undo("threats.threat", services.undo_import_change)
    register_undo(members_importer.RECORD_TYPE, members_importer.undo_import_change)
    register_importer(
        ImportKind.MEMBERS,
        label="Threat members",
        run=members_importer.import_members,
        columns=members_importer.COLUMNS,
        guide="docs/import-members.md",
    )

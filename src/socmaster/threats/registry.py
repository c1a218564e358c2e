"""What the threats app adds to the shared registries (from ``ThreatsConfig.ready()``)."""

from __future__ import annotations

from django.urls import reverse

from socmaster.core.registry import (
    AttentionCount,
    AttentionItem,
    NavItem,
    register_attention,
    register_nav_item,
)

from .models import Threat


def _visible_threats(user) -> AttentionCount:
    return AttentionCount(
        Threat.objects.visible_to(user).count(),
        "threats on the master list you may see",
        reverse("threats:list"),
    )


def _no_lro(user) -> AttentionCount:
    open_threats = Threat.objects.visible_to(user).filter(closed_on__isnull=True)
    return AttentionCount(
        open_threats.filter(lro__isnull=True).count(),
        "open threats without an LRO",
        f"{reverse('threats:list')}?lro=none",
    )


def _my_lro(user) -> AttentionCount:
    return AttentionCount(
        Threat.objects.visible_to(user).filter(lro=user).count(),
        "threats for which you are LRO",
        f"{reverse('threats:list')}?lro=me",
    )


def register() -> None:
    register_nav_item(NavItem("master-list", "Master list", "threats:list", 200))
    register_nav_item(NavItem("exceptions", "Exceptions", "threats:exceptions", 300))
    register_nav_item(NavItem("nominals", "Nominals", "threats:nominals", 500))
    register_attention(AttentionItem("threats", 100, _visible_threats))
    register_attention(AttentionItem("no-lro", 200, _no_lro))
    register_attention(AttentionItem("my-lro", 300, _my_lro))
    from socmaster.core.importing import register_undo

    from . import services

    register_undo("threats.threat", services.undo_import_change)

"""What the organisations app adds to the shared registries (from ``OrganisationsConfig.ready()``)."""

from __future__ import annotations

from django.urls import reverse

from socmaster.core.registry import (
    AttentionCount,
    AttentionItem,
    NavItem,
    register_attention,
    register_nav_item,
)

from .models import Organisation


def _organisations(user) -> AttentionCount:
    return AttentionCount(
        Organisation.objects.filter(active=True).count(),
        "organisations in the directory",
        reverse("organisations:directory"),
    )


def register() -> None:
    register_nav_item(NavItem("organisations", "Organisations", "organisations:directory", 400))
    register_nav_item(NavItem("people", "People", "organisations:people", 800))
    register_attention(AttentionItem("organisations", 500, _organisations))

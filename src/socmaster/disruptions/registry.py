"""What the disruptions app adds to the shared registries (from ``DisruptionsConfig.ready()``)."""

from __future__ import annotations

from django.db.models import Count, Min, Q
from django.urls import reverse
from django.utils import timezone

from socmaster.core import policy
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

from . import services
from .choices import DisruptionStatus
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


def _queue(user) -> AttentionCount | None:
    """For a moderator: submitted disruptions waiting for them, and how long the oldest has."""
    if not user.has_role(Role.MODERATOR):
        return None
    figures = services.moderation_queue(user).aggregate(n=Count("id"), oldest=Min("updated_at"))
    detail = ""
    if figures["oldest"] is not None:
        days = (timezone.localdate() - timezone.localtime(figures["oldest"]).date()).days
        detail = f"oldest waiting {days} day{'s' if days != 1 else ''}"
    return AttentionCount(
        figures["n"],
        "disruptions waiting for your moderation",
        reverse("disruptions:queue"),
        detail=detail,
    )


def _returned(user) -> AttentionCount | None:
    """Disruptions returned by a moderator, to their recorder and to the threat's LRO."""
    if policy.is_read_only(user):
        return None
    returned = (
        Disruption.objects.visible_to(user)
        .filter(status=DisruptionStatus.RETURNED)
        .filter(Q(recorder_id=user.pk) | Q(threat__lro_id=user.pk))
        .count()
    )
    return AttentionCount(
        returned,
        "disruptions returned to you or on threats you lead, to correct and resubmit",
        f"{reverse('disruptions:list')}?status={DisruptionStatus.RETURNED}&mine=true",
        urgent=bool(returned),
    )


def _support_lead(user) -> AttentionCount | None:
    """Approved support records recorded by the user or on threats they lead, whose lead record
    is not approved: not counted until it is. Shown only when there is one (a re-check that
    arises when a lead is returned or rejected, not a standing duty)."""
    if policy.is_read_only(user):
        return None
    flagged = (
        Disruption.objects.visible_to(user)
        .support_lead_not_approved()
        .filter(Q(recorder_id=user.pk) | Q(threat__lro_id=user.pk))
        .count()
    )
    if not flagged:
        return None
    return AttentionCount(
        flagged,
        "approved support disruptions whose lead is not approved: not counted until it is, "
        "re-check them",
        f"{reverse('disruptions:list')}?lead_not_approved=true&mine=true",
    )


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
    register_attention(AttentionItem("returned-disruptions", 300, _returned))
    register_attention(AttentionItem("disruption-queue", 410, _queue))
    register_attention(AttentionItem("support-lead-not-approved", 310, _support_lead))
    from socmaster.core.importing import register_importer, register_undo
    from socmaster.threats.choices import ImportKind

    from . import importer
    from . import services as disruption_services

    register_undo(disruption_services.RECORD_TYPE, disruption_services.undo_import_change)
    register_importer(
        ImportKind.DISRUPTIONS,
        label="Disruption records",
        run=importer.import_disruptions,
        columns=importer.ALL_COLUMNS,
        guide="docs/import-disruptions.md",
    )
    from .checks import register_checks

    register_checks()

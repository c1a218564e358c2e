"""What the assessments app adds to the shared registries (from ``AssessmentsConfig.ready()``)."""

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
from socmaster.threats import exceptions
from socmaster.threats.models import Threat

from .models import Assessment
from .services import may_assess, moderation_queue


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


def _queue(user) -> AttentionCount | None:
    """For a moderator: submitted assessments waiting for them, and how long the oldest has."""
    if not _is_moderator(user):
        return None
    figures = moderation_queue(user).aggregate(n=Count("id"), oldest=Min("submitted_at"))
    detail = ""
    if figures["oldest"] is not None:
        days = (timezone.localdate() - timezone.localtime(figures["oldest"]).date()).days
        detail = f"oldest waiting {days} day{'s' if days != 1 else ''}"
    return AttentionCount(
        figures["n"],
        "MoRiLE assessments waiting for your moderation",
        reverse("assessments:queue"),
        detail=detail,
    )


#: The exceptions report's check for assessments past their review date (``checks.py``).
PAST_REVIEW = "review_overdue"


def _past_review(user) -> AttentionCount | None:
    """For an LRO: threats they lead whose latest moderated assessment is past its review date."""
    if not user.has_role(Role.LRO):
        return None
    threats = exceptions.scoped(Threat.objects.visible_to(user), user, "lro")
    count = exceptions.total(exceptions.run_all(threats, only=PAST_REVIEW))
    return AttentionCount(
        count,
        "threats you lead whose MoRiLE assessment is past its review date",
        f"{reverse('threats:exceptions')}?mine=lro&check={PAST_REVIEW}",
        urgent=bool(count),
    )


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
    register_attention(AttentionItem("assessments-past-review", 150, _past_review))
    register_attention(AttentionItem("assessment-queue", 400, _queue))
    from socmaster.core.importing import register_importer, register_undo
    from socmaster.threats.choices import ImportKind

    from . import importer, services

    register_undo(services.RECORD_TYPE, services.undo_import_change)
    register_importer(
        ImportKind.ASSESSMENTS,
        label="MoRiLE assessments",
        run=importer.import_assessments,
        columns=importer.COLUMNS,
        guide="docs/import-assessments.md",
    )

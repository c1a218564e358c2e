"""The inspectorate's standard extracts, counted in the database."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from socmaster.threats.choices import Category, ModerationStatus, Soc


def masterlist_counted(queryset: QuerySet) -> QuerySet:
    """Threats the inspectorate's master-list extract counts: Type is Tactical, Moderation status is
    Moderated, SOC is SOC, Tier is not Tier 5, and Phase does not contain "Closed"."""
    return (
        queryset.filter(
            category=Category.TACTICAL,
            moderation_status=ModerationStatus.MODERATED,
            soc=Soc.SOC,
            tier__isnull=False,
        )
        .exclude(tier=5)
        .exclude(phase__name__contains="Closed")
    )


def masterlist_extract(queryset: QuerySet, region=None) -> list[dict]:
    """One row per owning organisation with at least one counted threat: region, organisation, threats."""
    counted = masterlist_counted(queryset)
    if region is not None:
        counted = counted.filter(owner__region=region)
    rows = (
        counted.values("owner__region__name", "owner__name", "owner__key")
        .annotate(threats=Count("id"))
        .order_by("owner__region__name", "owner__name")
    )
    return [
        {
            "region": r["owner__region__name"] or "National",
            "organisation": r["owner__name"],
            "organisation_key": r["owner__key"],
            "threats": r["threats"],
        }
        for r in rows
    ]

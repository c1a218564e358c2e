"""Network analysis's records: associations between nominals recorded by analysts (an edge
source of their own) and analysis runs with their stored, dated results."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from socmaster.core.models import PEOPLE, InheritedProtection, ProtectedQuerySet, inherits

from .choices import AssociationKind, RunKind, RunStatus


class AssociationQuerySet(ProtectedQuerySet):
    def visible_to(self, user):
        """Associations of a nominal the user may see, with another nominal they may see too."""
        from socmaster.threats.models import Nominal

        # EXISTS, not other__in: see ThreatMemberQuerySet.visible_to (SQLite and a two-column
        # unique index with two IN lists).
        visible = Nominal.objects.visible_to(user).filter(pk=models.OuterRef("other_id"))
        return super().visible_to(user).filter(models.Exists(visible))


class Association(InheritedProtection, models.Model):
    """Two nominals an analyst recorded as associates, with the kind and dates of the tie.
    Protected as its ``nominal``; seen only by those who may see ``other`` too."""

    protection = inherits("nominal")

    nominal = models.ForeignKey(
        "threats.Nominal", on_delete=models.CASCADE, related_name="associations"
    )
    other = models.ForeignKey(
        "threats.Nominal", on_delete=models.CASCADE, related_name="associated_by"
    )
    kind = models.CharField(
        max_length=16, choices=AssociationKind.choices, default=AssociationKind.ASSOCIATE
    )
    from_date = models.DateField(null=True, blank=True)
    to_date = models.DateField(null=True, blank=True)
    notes = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = AssociationQuerySet.as_manager()

    class Meta:
        ordering = ["nominal_id", "other_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(nominal=models.F("other")), name="association_not_self"
            ),
            models.UniqueConstraint(
                fields=["nominal", "other", "kind"], name="one_association_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.nominal} – {self.get_kind_display().lower()} – {self.other}"


class NetworkRun(models.Model):
    """One analysis of a user's visible network (or of an uploaded edge list), with its progress
    and stored results. Its results were computed over what its starter could see, so only its
    starter sees it (:func:`network.services.runs_for`)."""

    protection = PEOPLE

    kind = models.CharField(max_length=10, choices=RunKind.choices, default=RunKind.NETWORK)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    #: What was analysed: ``{"region": pk or None, "edge_types": [...]}``, or the upload's name.
    scope = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=8, choices=RunStatus.choices, default=RunStatus.QUEUED)
    progress = models.JSONField(default=dict, blank=True)
    #: Nodes and edges analysed, communities found, whether betweenness was sampled.
    counts = models.JSONField(default=dict, blank=True)
    results = models.JSONField(default=dict, blank=True)
    #: A hash of the edges analysed: two runs with the same fingerprint saw the same graph.
    fingerprint = models.CharField(max_length=64, blank=True)
    upload = models.CharField(max_length=300, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Network analysis {self.pk} ({self.get_status_display().lower()})"

"""MoRiLE assessments of threats: scoring schemes as versioned data, assessments and moderation."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from socmaster.core.models import (
    REFERENCE_DATA,
    DecidedOutside,
    Imported,
    InheritedProtection,
    ProtectedQuerySet,
    Versioned,
    inherits,
)
from socmaster.threats.models import Threat

from .choices import AssessmentStatus


class SchemeVersion(models.Model):
    """One version of a scoring scheme, stored whole so old assessments keep their meaning."""

    protection = REFERENCE_DATA

    name = models.CharField(max_length=80)
    version = models.CharField(max_length=40)
    label = models.CharField(max_length=200)
    definition = models.JSONField(help_text="The scheme as data (validated by the MoRiLE engine).")
    is_current = models.BooleanField(default=False, help_text="Offered for new assessments.")
    loaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "-loaded_at"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="unique_scheme_version")
        ]

    def __str__(self) -> str:
        return f"{self.label} (version {self.version})"

    def engine_scheme(self):
        from socmaster.morile import load_scheme

        return load_scheme(self.definition)


class AssessmentQuerySet(ProtectedQuerySet):
    """Assessments follow the access policy of their threat (declared below)."""


class Assessment(InheritedProtection, Versioned, Imported, DecidedOutside, models.Model):
    """One version of a threat's MoRiLE assessment, entered in the product or imported from a
    force's own records (``Imported``; moderated there: ``DecidedOutside``)."""

    protection = inherits("threat")

    threat = models.ForeignKey(Threat, on_delete=models.CASCADE, related_name="assessments")
    version_number = models.PositiveIntegerField()
    scheme = models.ForeignKey(SchemeVersion, on_delete=models.PROTECT, related_name="assessments")
    answers = models.JSONField(default=dict)
    result = models.JSONField(
        default=dict, help_text="Every figure the engine computed, with explanations."
    )
    score = models.DecimalField(max_digits=10, decimal_places=2)
    tier = models.PositiveSmallIntegerField()
    whole_threat = models.BooleanField(
        default=True, help_text="Covers all members and all criminality of the threat."
    )
    partial_justification = models.TextField(blank=True)
    evidence_from = models.DateField()
    evidence_to = models.DateField()
    review_due = models.DateField()
    summary = models.TextField(blank=True)
    status = models.CharField(
        max_length=12,
        choices=AssessmentStatus.choices,
        default=AssessmentStatus.DRAFT,
        db_index=True,
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["threat", "-version_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["threat", "version_number"], name="unique_assessment_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.threat.reference} assessment v{self.version_number}"

    def get_absolute_url(self) -> str:
        return reverse("assessments:detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.status in (AssessmentStatus.DRAFT, AssessmentStatus.RETURNED)

    @property
    def evidence_age_days(self) -> int:
        return (timezone.localdate() - self.evidence_to).days

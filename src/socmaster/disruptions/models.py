"""Disruptions recorded against threats, the minimum standards they are checked against, tactics."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
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
from socmaster.threats.models import Nominal, Threat

from .choices import Category, DisruptionStatus, DisruptionType, FourP


class Tactic(models.Model):
    protection = REFERENCE_DATA

    code = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=120)
    four_p = models.CharField("4P", max_length=8, choices=FourP.choices)

    class Meta:
        ordering = ["four_p", "label"]

    def __str__(self) -> str:
        return f"{self.label} ({self.get_four_p_display()})"


class Standard(models.Model):
    """A version of the national minimum standards for recording disruptions: settings, not code."""

    protection = REFERENCE_DATA

    version = models.CharField(max_length=40, unique=True)
    label = models.CharField(max_length=200)
    effective_from = models.DateField()
    is_current = models.BooleanField(default=False)
    allowed_threat_types = models.JSONField(
        default=list, help_text="Threat types that may hold disruptions."
    )
    required_fields = models.JSONField(default=list, help_text="Fields that must be completed.")
    excluded_activities = models.JSONField(
        default=list,
        help_text='Activities that are never SOC disruptions: [{"phrase": ..., "message": ...}].',
    )
    max_days_to_record = models.PositiveIntegerField(
        default=30, help_text="Days allowed from event to record."
    )

    class Meta:
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"{self.label} (version {self.version})"


class DisruptionQuerySet(ProtectedQuerySet):
    """Disruptions follow the access policy of their threat (declared below)."""

    def counted(self):
        """The disruptions every figure counts: approved ones, and of support records only those
        whose lead record is approved too (a support record whose lead is rejected, returned or
        not yet moderated is flagged on the exceptions report instead, and counts again once its
        lead is approved)."""
        return self.filter(status=DisruptionStatus.APPROVED).filter(
            Q(disruption_type=DisruptionType.LEAD) | Q(lead__status=DisruptionStatus.APPROVED)
        )

    def support_lead_not_approved(self):
        """Approved support records that do not count because their lead is not approved (or
        is missing)."""
        return self.filter(
            status=DisruptionStatus.APPROVED, disruption_type=DisruptionType.SUPPORT
        ).filter(Q(lead__isnull=True) | ~Q(lead__status=DisruptionStatus.APPROVED))


class Disruption(Versioned, InheritedProtection, Imported, DecidedOutside, models.Model):
    """A disruption record. An imported one (``Imported``) keeps its source system's dates:
    ``created_at`` is the day it was entered there (its "Entered on"), or the time of the import
    when the file did not say (``created_at`` then equals ``imported_at``); a decision made in the
    source system is ``DecidedOutside``, and the source's recorder is ``recorder_name``."""

    protection = inherits("threat")

    reference = models.CharField(max_length=40, unique=True)
    threat = models.ForeignKey(Threat, on_delete=models.PROTECT, related_name="disruptions")
    standard = models.ForeignKey(Standard, on_delete=models.PROTECT, related_name="disruptions")
    event_date = models.DateField(db_index=True)
    record_date = models.DateField(db_index=True, default=timezone.localdate)
    recording_organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="recorded_disruptions"
    )
    team = models.CharField(max_length=120, blank=True)
    disruption_type = models.CharField(
        "lead or support",
        max_length=8,
        choices=DisruptionType.choices,
        default=DisruptionType.LEAD,
        db_index=True,
    )
    lead = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supports",
        help_text="For a support record: the lead record it supports.",
    )
    four_p = models.CharField("4P", max_length=8, choices=FourP.choices, db_index=True)
    category = models.CharField(
        "assessment category", max_length=8, choices=Category.choices, db_index=True
    )
    tactic = models.ForeignKey(
        Tactic, null=True, blank=True, on_delete=models.PROTECT, related_name="disruptions"
    )
    narrative = models.TextField(blank=True)
    evidence = models.TextField("evidence references", blank=True)
    nominals = models.ManyToManyField(Nominal, blank=True, related_name="disruptions")
    status = models.CharField(
        max_length=10,
        choices=DisruptionStatus.choices,
        default=DisruptionStatus.DRAFT,
        db_index=True,
    )
    recorder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    #: Who recorded an imported record in the source system (a name, not a user of the product).
    recorder_name = models.CharField("recorded by (source system)", max_length=200, blank=True)

    objects = DisruptionQuerySet.as_manager()

    class Meta:
        ordering = ["-event_date", "-id"]
        indexes = [models.Index(fields=["status", "disruption_type", "record_date"])]

    def __str__(self) -> str:
        return f"{self.reference} {self.get_four_p_display()} ({self.get_category_display()}) on {self.threat.reference}"

    def get_absolute_url(self) -> str:
        return reverse("disruptions:detail", args=[self.reference])

    @property
    def is_editable(self) -> bool:
        return self.status in (DisruptionStatus.DRAFT, DisruptionStatus.RETURNED)

    @property
    def entered_on_known(self) -> bool:
        """Was the day of entry given (recorded in the product, or an import's "Entered on")?"""
        return not self.import_source or (
            self.imported_at is not None and self.created_at != self.imported_at
        )

    @property
    def is_counted(self) -> bool:
        """Does this record count in the figures (see ``DisruptionQuerySet.counted``)?"""
        if self.status != DisruptionStatus.APPROVED:
            return False
        if self.disruption_type == DisruptionType.LEAD:
            return True
        return self.lead is not None and self.lead.status == DisruptionStatus.APPROVED

"""Graded intelligence reports and suspicious activity reports (SARs), and the people, places,
phones and vehicles they mention.

Both own their protection (owner = the submitting or receiving organisation, handling, shared
with, compartment). Their subjects, mentions, disseminations and extensions inherit it. The
original text of a report is further restricted (``services.can_read_original``): everyone else
who may see the report reads only its sanitised copy.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from socmaster.core.models import (
    Imported,
    InheritedProtection,
    ProtectedModel,
    ProtectedQuerySet,
    Versioned,
    inherits,
)
from socmaster.threats.models import Nominal, PersonRecord, Threat

from .choices import (
    QUEUED,
    ConsentDecision,
    HandlingCode,
    IntelAssessment,
    MentionKind,
    Priority,
    ProcessingStatus,
    ReporterSector,
    SarType,
    ScreeningStatus,
    SourceEvaluation,
)


class Processed(models.Model):
    """What a report and a SAR share: the processing state, priority, who works it, its score."""

    status = models.CharField(
        max_length=16,
        choices=ProcessingStatus.choices,
        default=ProcessingStatus.AWAITING,
        editable=False,
        db_index=True,
    )
    priority = models.CharField(
        max_length=8, choices=Priority.choices, default=Priority.NORMAL, db_index=True
    )
    triaged_at = models.DateTimeField(null=True, blank=True, editable=False)
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    assigned_at = models.DateTimeField(null=True, blank=True, editable=False)
    processed_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)
    #: The risk score without its age part (flags, grading or type, Tier 1–2 mentions); the
    #: queue adds the age part when it sorts (``services.queue``), so the order is always today's.
    risk_base = models.PositiveSmallIntegerField(default=0, editable=False)
    #: The queue's sort key: the risk score with its age part as of ``scored_on`` (and, for SARs,
    #: their type first), kept so that the queue is read in index order; brought up to date once
    #: a day by ``services.refresh_queue_scores`` before the queue is read.
    queue_score = models.IntegerField(default=0, editable=False)
    scored_on = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True


class IntelligenceReport(Versioned, Processed, ProtectedModel, Imported):
    """An intelligence report graded 3x5x2, as submitted, with its sanitised copy."""

    reference = models.CharField(max_length=40, unique=True)
    submitting_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The officer who submitted it (blank for a report imported from elsewhere).",
    )
    officer_name = models.CharField(
        max_length=200, blank=True, help_text="The submitting officer's name as recorded."
    )
    submitted_on = models.DateField(default=timezone.localdate, db_index=True)
    original_text = models.TextField("report as submitted")
    sanitised_text = models.TextField("sanitised copy", blank=True)
    sanitised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    sanitised_at = models.DateTimeField(null=True, blank=True, editable=False)
    source_evaluation = models.CharField(max_length=1, choices=SourceEvaluation.choices)
    intelligence_assessment = models.CharField(max_length=1, choices=IntelAssessment.choices)
    handling_code = models.CharField(max_length=1, choices=HandlingCode.choices)
    handling_conditions = models.TextField(
        blank=True, help_text="Required for handling code C: the conditions, in words."
    )
    threat_to_life = models.BooleanField(default=False)
    child_at_risk = models.BooleanField(default=False)
    vulnerable_victim = models.BooleanField(default=False)
    time_critical = models.BooleanField("time-critical", default=False)
    researchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        help_text="Named researchers who may read the original as well as the intelligence unit.",
    )
    threats = models.ManyToManyField(Threat, blank=True, related_name="intelligence_reports")

    objects = ProtectedQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_on", "-id"]
        indexes = [
            models.Index(fields=["owner", "status", "submitted_on"]),
            models.Index(
                fields=["-queue_score", "submitted_on", "id"],
                condition=Q(status__in=QUEUED),
                name="intel_report_queue",
            ),
            models.Index(fields=["status", "scored_on"], name="intel_report_scored"),
        ]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("intelligence:report", args=[self.reference])

    @property
    def grading(self) -> str:
        """The grading as written on a report, e.g. ``1B P`` or ``2C C``."""
        return f"{self.source_evaluation}{self.intelligence_assessment} {self.handling_code}"

    @property
    def flags(self) -> list[str]:
        from .choices import Flag

        return [label for value, label in Flag.choices if getattr(self, value)]


class ReportSubject(InheritedProtection, PersonRecord):
    """A person an intelligence report mentions (a person record, like a nominal), linked to the
    master-list nominal where the researcher knows it."""

    protection = inherits("report")

    report = models.ForeignKey(
        IntelligenceReport, on_delete=models.CASCADE, related_name="subjects"
    )
    nominal = models.ForeignKey(
        Nominal, null=True, blank=True, on_delete=models.PROTECT, related_name="report_mentions"
    )
    address = models.CharField(max_length=300, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    phone = models.CharField(max_length=40, blank=True)

    objects = ProtectedQuerySet.as_manager()

    class Meta:
        ordering = ["report_id", "family_name", "given_names", "id"]


class ReportMention(InheritedProtection, models.Model):
    """A place, phone or vehicle an intelligence report mentions."""

    protection = inherits("report")

    report = models.ForeignKey(
        IntelligenceReport, on_delete=models.CASCADE, related_name="mentions"
    )
    kind = models.CharField(max_length=8, choices=MentionKind.choices)
    value = models.CharField(max_length=200)
    normalised = models.CharField(max_length=200, editable=False, db_index=True)

    objects = ProtectedQuerySet.as_manager()

    class Meta:
        ordering = ["report", "kind", "value"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"


class Dissemination(InheritedProtection, models.Model):
    """The sanitised copy of a report disclosed to a named organisation (an audited disclosure)."""

    protection = inherits("report")

    report = models.ForeignKey(
        IntelligenceReport, on_delete=models.CASCADE, related_name="disseminations"
    )
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    disseminated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    disseminated_at = models.DateTimeField(default=timezone.now)
    purpose = models.CharField(max_length=300)

    objects = ProtectedQuerySet.as_manager()

    class Meta:
        ordering = ["report", "-disseminated_at"]
        constraints = [
            models.UniqueConstraint(fields=["report", "organisation"], name="one_dissemination")
        ]

    def __str__(self) -> str:
        return f"{self.report} to {self.organisation}"


class SuspiciousActivityReport(Versioned, Processed, ProtectedModel, Imported):
    """A SAR from the UK Financial Intelligence Unit, received by a force or ROCU."""

    reference = models.CharField("SAR reference", max_length=40, unique=True)
    reporter_sector = models.CharField(max_length=20, choices=ReporterSector.choices)
    submitted_on = models.DateField("date of the SAR", db_index=True)
    sar_type = models.CharField(
        "type", max_length=16, choices=SarType.choices, default=SarType.STANDARD, db_index=True
    )
    reason_text = models.TextField("reason for suspicion")
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, default="GBP")
    screening_status = models.CharField(
        max_length=16,
        choices=ScreeningStatus.choices,
        default=ScreeningStatus.NOT_SCREENED,
        editable=False,
        db_index=True,
    )
    screened_at = models.DateTimeField(null=True, blank=True, editable=False)
    consent_decision = models.CharField(
        max_length=8,
        choices=ConsentDecision.choices,
        blank=True,
        editable=False,
        help_text="DAML SARs only.",
    )
    consent_decided_on = models.DateField(null=True, blank=True, editable=False)

    objects = ProtectedQuerySet.as_manager()

    class Meta:
        verbose_name = "suspicious activity report"
        ordering = ["-submitted_on", "-id"]
        indexes = [
            models.Index(fields=["owner", "status", "submitted_on"]),
            models.Index(
                fields=["-queue_score", "submitted_on", "id"],
                condition=Q(status__in=QUEUED),
                name="intel_sar_queue",
            ),
            models.Index(fields=["status", "scored_on"], name="intel_sar_scored"),
        ]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("intelligence:sar", args=[self.reference])

    @property
    def is_daml(self) -> bool:
        return self.sar_type == SarType.DAML


class SarSubject(InheritedProtection, PersonRecord):
    """A person a SAR is about (a person record, like a nominal), with their identifiers."""

    protection = inherits("sar")

    sar = models.ForeignKey(
        SuspiciousActivityReport, on_delete=models.CASCADE, related_name="subjects"
    )
    address = models.CharField(max_length=300, blank=True)
    postcode = models.CharField(max_length=10, blank=True, db_index=True)
    phones = models.JSONField(default=list, blank=True)
    accounts = models.JSONField(default=list, blank=True)

    objects = ProtectedQuerySet.as_manager()

    class Meta:
        ordering = ["sar_id", "id"]  # by key: no join to order them


class SarAccount(InheritedProtection, models.Model):
    """An account linked to a SAR (sort code and number, or another identifier)."""

    protection = inherits("sar")

    sar = models.ForeignKey(
        SuspiciousActivityReport, on_delete=models.CASCADE, related_name="linked_accounts"
    )
    institution = models.CharField(max_length=200, blank=True)
    sort_code = models.CharField(max_length=8, blank=True)
    account_number = models.CharField(max_length=34)
    holder = models.CharField(max_length=200, blank=True)

    objects = ProtectedQuerySet.as_manager()

    class Meta:
        ordering = ["sar_id", "id"]  # by key: no join to order them

    def __str__(self) -> str:
        return " ".join(p for p in (self.sort_code, self.account_number) if p)


class MoratoriumExtension(InheritedProtection, models.Model):
    """A court's extension of a DAML SAR's moratorium period (Proceeds of Crime Act 2002 s.336A)."""

    protection = inherits("sar")

    sar = models.ForeignKey(
        SuspiciousActivityReport, on_delete=models.CASCADE, related_name="extensions"
    )
    granted_on = models.DateField()
    days = models.PositiveSmallIntegerField(help_text="Days added to the moratorium (at most 31).")
    court = models.CharField(max_length=200)
    order_reference = models.CharField(max_length=80, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = ProtectedQuerySet.as_manager()

    class Meta:
        ordering = ["sar", "granted_on", "id"]

    def __str__(self) -> str:
        return f"{self.sar}: {self.days} days from {self.granted_on:%-d %B %Y}"

"""Entity resolution's records: the trained models, screening runs, candidate matches with
their reviewers' decisions, and deconfliction's access requests."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from socmaster.core.models import PEOPLE, REFERENCE_DATA, InheritedProtection, inherits

from .choices import (
    AccessRequestStatus,
    Decision,
    MatchStatus,
    ModelStatus,
    RunStatus,
    SubjectKind,
)


class LinkageModel(models.Model):
    """A trained matching model (``linkage.engine.Model`` as JSON). One is in use at a time; a
    newly trained one waits, with its comparison with the model in use on the same data, until
    someone puts it into use. Its parameters and comparison hold no personal data (pairs are
    named by record ids only)."""

    protection = REFERENCE_DATA

    version = models.PositiveIntegerField(unique=True)
    status = models.CharField(
        max_length=16, choices=ModelStatus.choices, default=ModelStatus.CANDIDATE
    )
    model = models.JSONField()
    trained_at = models.DateTimeField()
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    comparison = models.JSONField(default=dict, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="in_use"), name="one_model_in_use"
            )
        ]

    def __str__(self) -> str:
        return f"Matching model v{self.version} ({self.get_status_display().lower()})"


class ScreeningRun(models.Model):
    """One batch screened against the master list, with its progress. Seen by whoever started
    it and the administrators of its organisation, like an import (``policy.import_jobs_scope``
    semantics, :func:`linkage.services.runs_for`)."""

    protection = PEOPLE

    kind = models.CharField(max_length=16, choices=SubjectKind.choices)
    owner = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    model_version = models.PositiveIntegerField()
    #: What the run screens: ``{"organisation": pk, "include_screened": bool}`` for SARs.
    scope = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=8, choices=RunStatus.choices, default=RunStatus.QUEUED)
    progress = models.JSONField(default=dict, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    #: For an uploaded list: each person's best match (a nominal the starter may see, or only
    #: which organisation holds one), at most LIST_RESULTS_KEPT of them.
    results = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Screening run {self.pk} ({self.get_status_display().lower()})"


class CandidateMatch(InheritedProtection, models.Model):
    """A person record (a SAR subject, an intelligence report subject, or another nominal) that
    may be the master-list ``nominal``. Protected as its nominal; every list and page also
    requires the subject's record to be visible (:func:`linkage.services.visible_candidates`)."""

    protection = inherits("nominal")

    kind = models.CharField(max_length=16, choices=SubjectKind.choices)
    nominal = models.ForeignKey(
        "threats.Nominal", on_delete=models.CASCADE, related_name="candidate_matches"
    )
    sar_subject = models.ForeignKey(
        "intelligence.SarSubject",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="candidate_matches",
    )
    report_subject = models.ForeignKey(
        "intelligence.ReportSubject",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="candidate_matches",
    )
    other_nominal = models.ForeignKey(
        "threats.Nominal",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="duplicate_candidates",
    )
    run = models.ForeignKey(
        ScreeningRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="candidates"
    )
    model_version = models.PositiveIntegerField()
    probability = models.FloatField()
    weight = models.FloatField()
    vetoed = models.BooleanField(default=False)
    explanation = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=MatchStatus.choices, db_index=True)
    conflict_with = models.JSONField(default=list, blank=True)
    lro_seen = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-probability", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["nominal", "sar_subject"],
                condition=models.Q(sar_subject__isnull=False),
                name="one_match_per_sar_pair",
            ),
            models.UniqueConstraint(
                fields=["nominal", "report_subject"],
                condition=models.Q(report_subject__isnull=False),
                name="one_match_per_report_pair",
            ),
            models.UniqueConstraint(
                fields=["nominal", "other_nominal"],
                condition=models.Q(other_nominal__isnull=False),
                name="one_match_per_nominal_pair",
            ),
        ]
        indexes = [models.Index(fields=["status", "probability"])]

    def __str__(self) -> str:
        return f"{self.subject} ~ {self.nominal} ({self.probability:.3f})"

    @property
    def subject(self):
        return self.sar_subject or self.report_subject or self.other_nominal


class MatchDecision(InheritedProtection, models.Model):
    """A reviewer's decision on a candidate match, kept for ever (a later decision supersedes it
    but does not erase it)."""

    protection = inherits("candidate__nominal")

    candidate = models.ForeignKey(
        CandidateMatch, on_delete=models.CASCADE, related_name="decisions"
    )
    decision = models.CharField(max_length=10, choices=[*Decision.choices, ("unlink", "Unlink")])
    reason = models.TextField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} ({self.decided_at:%Y-%m-%d})"


class AccessRequest(models.Model):
    """Deconfliction: a user was told another organisation holds information on a person
    matching the details they entered, and asked for access. The owner approves (the nominal is
    shared with the requester's organisation) or declines with a reason. Seen only by the two
    organisations (:func:`linkage.services.access_requests_for`); it names the nominal, which
    the requester still may not open until approved."""

    protection = PEOPLE

    nominal = models.ForeignKey(
        "threats.Nominal", on_delete=models.CASCADE, related_name="access_requests"
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requesting_organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    owner = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField()
    status = models.CharField(
        max_length=10, choices=AccessRequestStatus.choices, default=AccessRequestStatus.OPEN
    )
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["nominal", "requesting_organisation"],
                condition=models.Q(status="open"),
                name="one_open_request_per_organisation",
            )
        ]

    def __str__(self) -> str:
        return f"Access request {self.pk} ({self.get_status_display().lower()})"

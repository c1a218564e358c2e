"""4P plans: one current plan per managed threat, its dated actions under each P, and reviews."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from socmaster.core.models import (
    REFERENCE_DATA,
    Imported,
    InheritedProtection,
    ProtectedQuerySet,
    Versioned,
    inherits,
)
from socmaster.threats.choices import ThreatType
from socmaster.threats.models import Threat

from .choices import (
    OPEN_STATUSES,
    ActionStatus,
    AuthorRole,
    FourP,
    PartnerSection,
    PlanStatus,
    ReviewerRole,
    ReviewOutcome,
)

#: The plan's text fields, one per P, in the order the form and the plan on a page show them.
OBJECTIVE_FIELDS = {
    FourP.PURSUE: "pursue_objectives",
    FourP.PREVENT: "prevent_objectives",
    FourP.PROTECT: "protect_objectives",
    FourP.PREPARE: "prepare_objectives",
}


class PlanTemplate(models.Model):
    """Objectives and suggested actions that pre-fill a new plan. Reference data that administrators edit.

    An organisation has at most one template per threat type, so its plans look alike; where it has
    none, the national template (no organisation) for the threat type is used.
    """

    protection = REFERENCE_DATA

    organisation = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="plan_templates",
        help_text="Leave empty for the national template.",
    )
    threat_type = models.CharField(max_length=24, choices=ThreatType.choices)
    name = models.CharField(max_length=200)
    aim = models.TextField(blank=True)
    pursue_objectives = models.TextField(blank=True)
    prevent_objectives = models.TextField(blank=True)
    protect_objectives = models.TextField(blank=True)
    prepare_objectives = models.TextField(blank=True)
    suggested_actions = models.JSONField(
        default=list, blank=True, help_text='[{"four_p": "prevent", "description": "..."}, ...]'
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["organisation__name", "threat_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "threat_type"], name="one_template_per_type"
            ),
            models.UniqueConstraint(
                fields=["threat_type"],
                condition=Q(organisation__isnull=True),
                name="one_national_template_per_type",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PlanQuerySet(ProtectedQuerySet):
    def visible_to(self, user):
        """Plans of threats the user may see (the declared protection), and plans holding an action
        assigned to them or their organisation (partners see those, and only what the LRO chose
        to show)."""
        from socmaster.core import policy

        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if policy.is_reader_of_everything(user):
            return self
        assigned = PlanAction.objects.assigned_to(user).values("plan_id")
        return self.filter(Q(pk__in=super().visible_to(user).values("pk")) | Q(pk__in=assigned))

    def current(self):
        return self.filter(status=PlanStatus.CURRENT)

    def held_showing(self, user, section: str) -> list[int]:
        """Ids of plans in which the user holds an action and the LRO shows holders ``section``."""
        held = self.filter(pk__in=PlanAction.objects.assigned_to(user).values("plan_id"))
        return [
            pk
            for pk, sections in held.values_list("pk", "partner_sections")
            if section in (sections or [])
        ]


class Plan(InheritedProtection, Versioned, Imported, models.Model):
    protection = inherits("threat")

    threat = models.ForeignKey(Threat, on_delete=models.CASCADE, related_name="plans")
    version = models.PositiveIntegerField(default=1)
    status = models.CharField(
        max_length=12, choices=PlanStatus.choices, default=PlanStatus.CURRENT, db_index=True
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_role = models.CharField(max_length=8, choices=AuthorRole.choices, default=AuthorRole.LRO)
    template = models.ForeignKey(
        PlanTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="plans"
    )
    aim = models.TextField(help_text="What the plan sets out to achieve against this threat.")
    pursue_objectives = models.TextField(
        "Pursue objectives", blank=True, help_text="Prosecuting and disrupting the people involved."
    )
    prevent_objectives = models.TextField(
        "Prevent objectives", blank=True, help_text="Stopping people becoming involved in SOC."
    )
    protect_objectives = models.TextField(
        "Protect objectives",
        blank=True,
        help_text="Safeguarding victims, places and systems; target hardening.",
    )
    prepare_objectives = models.TextField(
        "Prepare objectives",
        blank=True,
        help_text="Reducing the impact of SOC; community resilience.",
    )
    intelligence_gaps = models.TextField(blank=True)
    safeguarding_plans = models.TextField(
        "linked safeguarding plans",
        blank=True,
        help_text="References of linked safeguarding plans, one per line.",
    )
    investigation_plans = models.TextField(
        "linked investigation plans",
        blank=True,
        help_text="References of linked investigation plans, one per line.",
    )
    review_frequency_days = models.PositiveSmallIntegerField(
        default=90,
        validators=[
            MinValueValidator(7, "Give a review period of at least 7 days."),
            MaxValueValidator(365, "Give a review period of at most 365 days."),
        ],
        help_text="How often supervisors review the plan (days, 7 to 365).",
    )
    partner_sections = models.JSONField(
        default=list,
        blank=True,
        help_text="What partners holding actions see beyond their own actions.",
    )
    template_lines = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text="The template's text when the plan was written: those lines "
        "are not the plan's own text.",
    )
    text_signature = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text="MinHash signature of the plan's own text (copy detection).",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(
        default=timezone.now, help_text="Last change to the plan or its actions."
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    superseded_at = models.DateTimeField(null=True, blank=True)

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["threat__reference", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["threat", "version"], name="unique_plan_version"),
            models.UniqueConstraint(
                fields=["threat"], condition=Q(status="current"), name="one_current_plan"
            ),
        ]

    def __str__(self) -> str:
        return f"4P plan v{self.version} for {self.threat.reference}"

    def get_absolute_url(self) -> str:
        url = reverse("plans:detail", args=[self.threat.reference])
        return url if self.status == PlanStatus.CURRENT else f"{url}?version={self.version}"

    @property
    def is_current(self) -> bool:
        return self.status == PlanStatus.CURRENT

    def objectives(self) -> list[tuple[str, str, str]]:
        """(four_p, label, text) for each P."""
        return [(p, FourP(p).label, getattr(self, name)) for p, name in OBJECTIVE_FIELDS.items()]


class PlanTextBand(InheritedProtection, models.Model):
    """One locality-sensitive-hashing band of a current plan's text signature: plans sharing a band
    are candidates for copied text (checked against the full signatures)."""

    protection = inherits("plan__threat")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="text_bands")
    band = models.PositiveSmallIntegerField()
    value = models.BigIntegerField()

    objects = ProtectedQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["value", "band"])]

    def __str__(self) -> str:
        return f"{self.plan_id}:{self.band}"


class PlanActionQuerySet(ProtectedQuerySet):
    def assigned_to(self, user):
        return self.filter(
            Q(owner_organisation_id__in=user.organisation_ids) | Q(owner_user_id=user.pk)
        )

    def visible_to(self, user):
        """Actions of plans whose threat the user may see, and actions assigned to them or their organisation."""
        from socmaster.core import policy

        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if policy.is_reader_of_everything(user):
            return self
        assigned = Q(owner_organisation_id__in=user.organisation_ids) | Q(owner_user_id=user.pk)
        shown = Plan.objects.held_showing(user, PartnerSection.OTHER_ACTIONS)
        return self.filter(
            Q(pk__in=super().visible_to(user).values("pk")) | assigned | Q(plan_id__in=shown)
        )

    def overdue(self, today: dt.date | None = None):
        return self.filter(status__in=OPEN_STATUSES, due_date__lt=today or timezone.localdate())

    def due_soon(self, days: int, today: dt.date | None = None):
        """Open actions due from today to ``days`` days ahead (not yet overdue)."""
        today = today or timezone.localdate()
        return self.filter(
            status__in=OPEN_STATUSES,
            due_date__gte=today,
            due_date__lte=today + dt.timedelta(days=days),
        )


class PlanAction(InheritedProtection, Versioned, Imported, models.Model):
    protection = inherits("plan__threat")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="actions")
    four_p = models.CharField("4P", max_length=8, choices=FourP.choices, db_index=True)
    description = models.TextField()
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="plan_actions",
        verbose_name="owner (person)",
    )
    owner_organisation = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plan_actions",
        verbose_name="owner (organisation)",
        help_text="Partner organisations may own actions.",
    )
    start_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True, db_index=True)
    status = models.CharField(
        max_length=12, choices=ActionStatus.choices, default=ActionStatus.NOT_STARTED, db_index=True
    )
    result = models.TextField(
        blank=True,
        help_text="What the action achieved (covert activity included). "
        "Required before the action can be completed.",
    )
    completed_on = models.DateField(null=True, blank=True)
    disruptions = models.ManyToManyField(
        "disruptions.Disruption", blank=True, related_name="plan_actions"
    )
    carried_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The same action in the previous version of the plan.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = PlanActionQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "four_p", "due_date", "id"]

    def __str__(self) -> str:
        return f"{self.get_four_p_display()} action {self.pk} on {self.plan.threat.reference}"

    def get_absolute_url(self) -> str:
        return reverse("plans:action", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_date is not None and self.due_date < timezone.localdate()

    @property
    def owner_display(self) -> str:
        parts = [
            str(p)
            for p in (
                self.owner_user,
                self.owner_organisation and self.owner_organisation.short_name,
            )
            if p
        ]
        return ", ".join(parts)


class PlanReviewQuerySet(ProtectedQuerySet):
    def visible_to(self, user):
        """Reviews of plans whose threat the user may see, and of plans where they hold an action and
        the LRO shows holders the reviews."""
        from socmaster.core import policy

        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if policy.is_reader_of_everything(user):
            return self
        shown = Plan.objects.held_showing(user, PartnerSection.REVIEWS)
        return self.filter(Q(pk__in=super().visible_to(user).values("pk")) | Q(plan_id__in=shown))


class PlanReview(InheritedProtection, Imported, models.Model):
    """A dated quality-assurance review of a plan by a supervisor or chief officer."""

    protection = inherits("plan__threat")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reviewer_role = models.CharField(max_length=16, choices=ReviewerRole.choices)
    reviewed_on = models.DateField(default=timezone.localdate)
    outcome = models.CharField(max_length=12, choices=ReviewOutcome.choices)
    comments = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    objects = PlanReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-reviewed_on", "-id"]

    def __str__(self) -> str:
        return f"Review of {self.plan} on {self.reviewed_on:%d %b %Y}"

"""The ROCU gateway: specialist capabilities, who offers them with what capacity, and requests
for them from forces' single points of contact and ROCU units.

Capabilities and offers are reference data every signed-in user may read (a force needs to know
what it can ask for); administrators maintain them through ``services`` (audited). A request is
owned by the organisation whose gateway decides it (the ROCU, or the NCA) and shared with the
organisation that asked, so the requester follows its progress; its handling (the receiving
ROCU's region by default) says who else may see it. Its pauses inherit its protection.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from socmaster.core.models import (
    REFERENCE_DATA,
    InheritedProtection,
    ProtectedModel,
    ProtectedQuerySet,
    Versioned,
    inherits,
)
from socmaster.threats.models import Threat

from .choices import CapacityUnit, DeclineReason, ReferralReason, RequestStatus, Urgency


class Capability(models.Model):
    """A specialist capability (domain.md §6) and the criteria a request must meet to be taken.

    ``acceptance_criteria`` is data (``services.CRITERIA`` says which kinds there are): a list of
    ``{"kind": ..., ...}``, e.g. ``[{"kind": "threat_required"}, {"kind": "tiers", "tiers": [1,
    2]}, {"kind": "notice_days", "days": 5}, {"kind": "assessed"}]``."""

    protection = REFERENCE_DATA

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    acceptance_criteria = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "capabilities"

    def __str__(self) -> str:
        return self.name


class CapabilityOffer(models.Model):
    """A capability as one ROCU (or the NCA) offers it: the team, its monthly capacity and the
    person who owns it."""

    protection = REFERENCE_DATA

    capability = models.ForeignKey(Capability, on_delete=models.PROTECT, related_name="offers")
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="capability_offers",
        help_text="The ROCU or national agency that offers it.",
    )
    team = models.CharField(max_length=200)
    monthly_capacity = models.DecimalField(
        max_digits=8, decimal_places=1, help_text="What the team can commit in a month."
    )
    capacity_unit = models.CharField(
        max_length=16, choices=CapacityUnit.choices, default=CapacityUnit.TEAM_DAYS
    )
    capability_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who owns the capability in this organisation.",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["organisation__name", "capability__name", "team"]
        constraints = [
            models.UniqueConstraint(
                fields=["capability", "organisation", "team"], name="gateway_offer_unique"
            ),
            models.CheckConstraint(
                condition=Q(monthly_capacity__gte=0), name="gateway_offer_capacity_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.capability} – {self.organisation.short_name} ({self.team})"


class SupportRequestQuerySet(ProtectedQuerySet):
    def with_related(self):
        return self.select_related(
            "capability", "owner", "requesting_organisation", "threat", "requested_by", "offer"
        )


class SupportRequest(Versioned, ProtectedModel):
    """A request for a specialist capability, owned by the gateway that decides it."""

    reference = models.CharField(max_length=40, unique=True)
    capability = models.ForeignKey(Capability, on_delete=models.PROTECT, related_name="requests")
    requesting_organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The force or unit that asks (its single point of contact).",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    threat = models.ForeignKey(
        Threat,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="support_requests",
        help_text="The threat the support is for, if it is on the master list.",
    )
    threat_description = models.TextField(
        blank=True, help_text="Where there is no threat on the master list yet: what it is."
    )
    operation = models.CharField("investigation or operation", max_length=200, blank=True)
    asked_for = models.TextField("what is asked for")
    justification = models.TextField("why it is needed")
    needed_from = models.DateField()
    needed_to = models.DateField(null=True, blank=True)
    urgency = models.CharField(
        max_length=12, choices=Urgency.choices, default=Urgency.ROUTINE, db_index=True
    )
    threat_to_life = models.BooleanField(default=False)
    authorities = models.JSONField(
        "authorities required", default=list, blank=True, help_text="Codes of ``Authority``."
    )

    status = models.CharField(
        max_length=12,
        choices=RequestStatus.choices,
        default=RequestStatus.SUBMITTED,
        editable=False,
        db_index=True,
    )
    submitted_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    triaged_at = models.DateTimeField(null=True, blank=True, editable=False)
    decided_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    decline_reason = models.CharField(
        max_length=16, choices=DeclineReason.choices, blank=True, editable=False
    )
    referral_reason = models.CharField(
        max_length=16, choices=ReferralReason.choices, blank=True, editable=False
    )
    decision_notes = models.TextField(blank=True, editable=False)
    offer = models.ForeignKey(
        CapabilityOffer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests",
        editable=False,
        help_text="The team committed, once accepted.",
    )
    committed_from = models.DateField(null=True, blank=True, editable=False)
    committed_to = models.DateField(null=True, blank=True, editable=False)
    committed_capacity = models.DecimalField(
        max_digits=8, decimal_places=1, null=True, blank=True, editable=False
    )
    referred_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referred_from",
        editable=False,
        help_text="The request the receiving gateway got when this one was referred.",
    )
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    outcome = models.TextField(blank=True, editable=False)
    disruptions = models.ManyToManyField(
        "disruptions.Disruption", blank=True, related_name="support_requests"
    )
    #: The triage score's parts that do not change with age (tier, harm, urgency, threat to
    #: life), worked out when the request is submitted or its threat changes; the queue adds age.
    score_base = models.PositiveSmallIntegerField(default=0, editable=False)
    #: A gateway officer's own score, replacing the computed one in the queue, with the reason.
    override_score = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    override_reason = models.TextField(blank=True, editable=False)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    objects = SupportRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = "support request"
        indexes = [
            models.Index(fields=["owner", "status", "submitted_at"]),
            models.Index(fields=["owner", "capability", "submitted_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(needed_to__isnull=True) | Q(needed_to__gte=models.F("needed_from")),
                name="gateway_request_dates_in_order",
            ),
            models.CheckConstraint(
                condition=~Q(threat__isnull=True, threat_description=""),
                name="gateway_request_names_a_threat_or_describes_one",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} – {self.capability}"

    def get_absolute_url(self) -> str:
        return reverse("gateway:request", args=[self.reference])

    @property
    def is_open(self) -> bool:
        from .choices import CLOSED

        return self.status not in CLOSED


class RequestPause(InheritedProtection, models.Model):
    """A time the gateway waited on the requester for information: the request's clocks stop
    from ``started_at`` to ``ended_at`` (still running while ``ended_at`` is empty)."""

    protection = inherits("request")

    request = models.ForeignKey(SupportRequest, on_delete=models.CASCADE, related_name="pauses")
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    asked = models.TextField("information asked for")
    answer = models.TextField(blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ProtectedQuerySet.as_manager()

    class Meta:
        ordering = ["request_id", "started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(ended_at__isnull=True),
                name="gateway_one_open_pause_per_request",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="gateway_pause_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"Pause of {self.request_id} from {self.started_at:%d %b %Y %H:%M}"

"""Debriefs after operations, and the lessons of the learning library.

**Protection.** A debrief owns its protection (``ProtectedModel``): it is about an operation,
which is a threat on the master list, a gateway request, or neither (one added by hand about an
operation that is on neither), so no single parent could give it. When it is made due, it takes
its protection from the record whose end made it due, once: the owner is the organisation that
ran the operation (the threat's owner, or the gateway that completed the request), and the
handling level, the organisations it is shared with and the compartment are copied from that
record. Whoever could see the threat or the request when the operation ended sees its debrief;
a later change to the threat's handling does not move the debrief (the threat itself is shown
on the debrief's page only to those who may still see it). A debrief added by hand about a
threat or a request copies its protection the same way; one about neither is owned by the
organisation that adds it, with the handling its author chooses.

Lessons inherit their debrief's protection (``inherits("debrief")``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from socmaster.core.models import (
    InheritedProtection,
    ProtectedModel,
    ProtectedQuerySet,
    Versioned,
    inherits,
)

from ..choices import DebriefStatus, DebriefTrigger

__all__ = ["Debrief", "Lesson"]


class DebriefQuerySet(ProtectedQuerySet):
    def with_related(self):
        return self.select_related("owner", "owner__region", "owner_user", "threat", "request")

    def overdue(self, today=None):
        """Due and not held (nor cancelled) past their due date."""
        today = today or timezone.localdate()
        return self.filter(status=DebriefStatus.DUE, due_on__lt=today)


class Debrief(Versioned, ProtectedModel):
    """The debrief of one operation: what worked, what did not, partner feedback and lessons.

    Due (``due_on``) a number of days after the operation ended (``ended_on``); held on a date
    once its record is written; or cancelled, with the reason. Its state changes only through
    ``DEBRIEF_TRANSITIONS``."""

    reference = models.CharField(max_length=40, unique=True)
    trigger = models.CharField(
        "made due by", max_length=20, choices=DebriefTrigger.choices, editable=False
    )
    threat = models.ForeignKey(
        "threats.Threat",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="debriefs",
        help_text="The threat the operation was against, if it is on the master list.",
    )
    request = models.ForeignKey(
        "gateway.SupportRequest",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="debriefs",
        verbose_name="gateway request",
        help_text="The gateway request whose completion made it due.",
    )
    operation = models.CharField(
        "operation", max_length=300, blank=True, help_text="The operation's name."
    )
    ended_on = models.DateField("operation ended on")
    due_on = models.DateField(db_index=True)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="debrief owner",
        help_text="Who is to hold it: the threat's LRO, or the gateway officer who completed "
        "the request.",
    )
    status = models.CharField(
        max_length=12,
        choices=DebriefStatus.choices,
        default=DebriefStatus.DUE,
        editable=False,
        db_index=True,
    )
    held_on = models.DateField(null=True, blank=True, editable=False)
    what_worked = models.TextField(blank=True)
    what_did_not = models.TextField("what did not work", blank=True)
    partner_feedback = models.TextField(blank=True)
    cancel_reason = models.TextField("reason for cancelling", blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        help_text="Who added it by hand (empty when the end of the operation made it due).",
    )

    objects = DebriefQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["status", "due_on"]),
            models.Index(fields=["owner_user", "status"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["threat"],
                condition=Q(trigger="threat_closed"),
                name="tasking_one_debrief_per_threat_closure",
            ),
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(request__isnull=False),
                name="tasking_one_debrief_per_request",
            ),
            models.CheckConstraint(
                condition=~Q(trigger="threat_closed") | Q(threat__isnull=False),
                name="tasking_closure_debrief_names_its_threat",
            ),
            models.CheckConstraint(
                condition=~Q(trigger="request_completed") | Q(request__isnull=False),
                name="tasking_completion_debrief_names_its_request",
            ),
            models.CheckConstraint(
                condition=~Q(status="held") | Q(held_on__isnull=False),
                name="tasking_held_debrief_has_its_date",
            ),
            models.CheckConstraint(
                condition=Q(due_on__gte=models.F("ended_on")),
                name="tasking_debrief_due_after_the_end",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} debrief" + (f" of {self.operation}" if self.operation else "")

    def get_absolute_url(self) -> str:
        return reverse("tasking:debrief", args=[self.reference])

    def is_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.status == DebriefStatus.DUE and self.due_on < today


class Lesson(Versioned, InheritedProtection, models.Model):
    """A lesson learnt in a debrief, tagged with the tactic, the capability and the crime types
    it is about, for the learning library."""

    protection = inherits("debrief")

    debrief = models.ForeignKey(Debrief, on_delete=models.CASCADE, related_name="lessons")
    text = models.TextField("lesson")
    tactic = models.ForeignKey(
        "disruptions.Tactic", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    capability = models.ForeignKey(
        "gateway.Capability", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    crime_types = models.ManyToManyField("threats.CrimeType", blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ProtectedQuerySet.as_manager()

    class Meta:
        ordering = ["debrief_id", "id"]

    def __str__(self) -> str:
        text = " ".join(self.text.split())
        return f"Lesson of {self.debrief.reference}: {text[:60]}"

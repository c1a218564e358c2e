"""Tasking and co-ordination meetings, their agendas, decisions and actions.

**Protection.** A meeting owns its protection (``ProtectedModel``): its owner is the organisation
whose body meets (a force, the ROCU for a region's meeting, the NCA for the national one), and
the partner organisations attending are in ``shared_with``, so their people see the meeting.
Agenda items, decisions and actions inherit the meeting's protection, and more: each item about
a record (a threat, a gateway request, a disruption) is seen only by those who may also see that
record, so a partner at the meeting sees only the items about records shared with them, with
their decisions and actions (:meth:`AgendaItemQuerySet.visible_to`). An item about no record (a
heading the chair added, the carried actions) is seen by everyone who sees the meeting; a figure
over many records (unmet demand) by its police attendees only.
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from socmaster.core.models import (
    InheritedProtection,
    ProtectedModel,
    ProtectedQuerySet,
    inherits,
)

from ..choices import MeetingActionStatus, MeetingLevel, MeetingStatus

__all__ = ["AgendaItem", "Decision", "Meeting", "MeetingAction"]


class MeetingQuerySet(ProtectedQuerySet):
    def with_related(self):
        return self.select_related("owner", "owner__region", "chair", "area")

    def same_body(self, meeting):
        """The meetings of ``meeting``'s body: the same owner, level and name."""
        return self.filter(
            owner_id=meeting.owner_id, level=meeting.level, body__iexact=meeting.body
        )


class Meeting(ProtectedModel):
    """One meeting of a tasking and co-ordination group (its ``body``, at its ``level``).

    Its agenda is built when it is created, from the data since the previous meeting of the
    same body (``since``). Its state changes only through ``MEETING_TRANSITIONS``: draft
    agenda, held, minutes approved (after which nothing in it changes but its actions' progress).
    """

    level = models.CharField(max_length=10, choices=MeetingLevel.choices, db_index=True)
    body = models.CharField(
        max_length=200,
        help_text="The group that meets, e.g. 'Eastern region tasking and co-ordination group'.",
    )
    held_on = models.DateField(db_index=True)
    chair = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    area = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="For an area meeting: the area (a force or a local authority) it covers.",
    )
    top_n = models.PositiveSmallIntegerField(
        "top threats listed", default=10, help_text="How many top threats the agenda lists."
    )
    status = models.CharField(
        max_length=10,
        choices=MeetingStatus.choices,
        default=MeetingStatus.DRAFT,
        editable=False,
        db_index=True,
    )
    since = models.DateField(
        editable=False, help_text="The agenda covers the data from this day (the last meeting)."
    )
    previous = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        help_text="The previous meeting of the same body when this one was created.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    held_at = models.DateTimeField(null=True, blank=True, editable=False)
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["body", "-held_on", "-id"]
        indexes = [models.Index(fields=["owner", "level", "held_on"])]

    def __str__(self) -> str:
        return f"{self.body}, {self.held_on:%d %b %Y}"

    def get_absolute_url(self) -> str:
        return reverse("tasking:meeting", args=[self.pk])

    @property
    def is_approved(self) -> bool:
        return self.status == MeetingStatus.APPROVED


def about_visible_q(user) -> Q:
    """Agenda items about records ``user`` may see: items about no record, items whose record
    and threat they may see, and (for police users) figures over many records."""
    from socmaster.core import policy
    from socmaster.core.registry import agenda_record_types
    from socmaster.threats.models import Threat

    threat_q = Q(threat__isnull=True) | Q(threat__in=Threat.objects.visible_to(user).values("pk"))
    record_q = Q(record_type="")
    for label in sorted(agenda_record_types() | {"threats.threat"}):
        model = apps.get_model(label)
        record_q |= Q(record_type=label, record_id__in=model.objects.visible_to(user).values("pk"))
    figure_q = Q(figure=False) if policy.is_partner_only(user) else Q()
    return threat_q & record_q & figure_q


class AgendaItemQuerySet(ProtectedQuerySet):
    def visible_to(self, user):
        """Items of meetings the user may see (the declared protection), about records they may
        see too (see :func:`about_visible_q`)."""
        return super().visible_to(user).filter(about_visible_q(user))


class AgendaItem(InheritedProtection, models.Model):
    """One item of a meeting's agenda, in ``position`` order, under the section of its kind.

    ``kind`` is the key of the agenda source that proposed it (``core.registry``), ``"chair"``
    for an item the chair added, or ``"carried_actions"`` for the item that lists the open
    actions of earlier meetings of the same body (``carried``: the same actions, not copies).
    ``record_type`` and ``record_id`` name the record it is about, ``threat`` the threat it
    concerns; they decide who sees it.
    """

    protection = inherits("meeting")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=40, db_index=True)
    section = models.CharField(max_length=200, help_text="The heading it is listed under.")
    title = models.CharField(max_length=300)
    detail = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    record_type = models.CharField(max_length=100, blank=True)
    record_id = models.PositiveBigIntegerField(null=True, blank=True)
    threat = models.ForeignKey(
        "threats.Threat", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    figure = models.BooleanField(
        default=False, help_text="A figure over many records: police attendees only."
    )
    pending = models.BooleanField(
        default=False,
        editable=False,
        help_text="A placeholder for a section a background task is still working out.",
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who added it (empty for the items the agenda was built with).",
    )
    carried = models.ManyToManyField("MeetingAction", blank=True, related_name="carried_in")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = AgendaItemQuerySet.as_manager()

    class Meta:
        ordering = ["meeting", "position", "id"]
        indexes = [models.Index(fields=["meeting", "position"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(record_type="", record_id__isnull=True)
                | (~Q(record_type="") & Q(record_id__isnull=False)),
                name="tasking_item_names_a_whole_record_or_none",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"


class _ThroughItemQuerySet(ProtectedQuerySet):
    def visible_to(self, user):
        """Of items the user may see (:meth:`AgendaItemQuerySet.visible_to`)."""
        return self.filter(item__in=AgendaItem.objects.visible_to(user).values("pk"))


class Decision(InheritedProtection, models.Model):
    """A decision the meeting made on one agenda item."""

    protection = inherits("item__meeting")

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="decisions")
    text = models.TextField("decision")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = _ThroughItemQuerySet.as_manager()

    class Meta:
        ordering = ["item", "recorded_at", "id"]

    def __str__(self) -> str:
        return f"Decision on {self.item}"


class MeetingActionQuerySet(_ThroughItemQuerySet):
    def open(self):
        return self.filter(status=MeetingActionStatus.OPEN)

    def overdue(self, today=None):
        return self.open().filter(due_on__lt=today or timezone.localdate())


class MeetingAction(InheritedProtection, models.Model):
    """An action the meeting gave on one agenda item: who, what, by when.

    It stays open until its owner or the meeting closes it (done, or no longer needed, with what
    came of it); until then each later meeting of the same body lists it as carried. Its state
    changes only through ``MEETING_ACTION_TRANSITIONS``.
    """

    protection = inherits("item__meeting")

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="actions")
    description = models.TextField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="meeting_actions"
    )
    due_on = models.DateField(db_index=True)
    status = models.CharField(
        max_length=10,
        choices=MeetingActionStatus.choices,
        default=MeetingActionStatus.OPEN,
        editable=False,
        db_index=True,
    )
    outcome = models.TextField(blank=True, editable=False, help_text="What came of it.")
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    closed_in = models.ForeignKey(
        Meeting,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        help_text="The meeting at which it was closed, if it was closed at one.",
    )

    objects = MeetingActionQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = "meeting action"
        indexes = [models.Index(fields=["owner", "status", "due_on"])]

    def __str__(self) -> str:
        return f"Action {self.pk}: {self.description[:60]}"

    def get_absolute_url(self) -> str:
        return reverse("tasking:action", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == MeetingActionStatus.OPEN

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_on < timezone.localdate()

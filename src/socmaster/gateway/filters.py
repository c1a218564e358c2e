"""One filter definition for the gateway's request list and the API, and the query forms of two
of the service's flags (so that lists and the exceptions report filter in the database)."""

from __future__ import annotations

import datetime as dt

import django_filters
from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django_filters.widgets import BooleanWidget

from socmaster.threats.filters import VisibleThreatFilter

from . import services
from .choices import CLOSED, RequestStatus, Urgency
from .models import Capability, RequestPause, SupportRequest

#: Whose requests a list shows, beyond what the user may see at all.
SCOPES = [
    ("", "Every request you may see"),
    ("me", "Asked for by you, or about threats you lead"),
    ("asked", "Asked for by your organisations"),
    ("gateway", "At the gateways you work in"),
]
#: ``open`` is not a stored status: it selects the requests not yet closed.
STATUSES = [("open", "Open"), *RequestStatus.choices]
ORDERINGS = (
    ("submitted_at", "submitted"),
    ("needed_from", "needed"),
    ("reference", "reference"),
    ("urgency", "urgency"),
)


def current_assessment_q() -> Exists:
    """Has the request's threat a moderated MoRiLE assessment whose evidence is within the
    limit? The query form of ``services.unassessed`` (its tests hold the two to one answer)."""
    from socmaster.assessments.choices import AssessmentStatus
    from socmaster.assessments.models import Assessment

    limit = int(settings.SOCMASTER.get("STALE_EVIDENCE_DAYS", 365))
    cutoff = timezone.localdate() - dt.timedelta(days=limit)
    return Exists(
        Assessment.objects.filter(
            threat=OuterRef("threat"), status=AssessmentStatus.MODERATED, evidence_to__gte=cutoff
        )
    )


def unassessed(queryset):
    """Requests about a threat on the master list that has no current moderated assessment."""
    return queryset.filter(threat__isnull=False).exclude(current_assessment_q())


def waiting_on_requester(queryset):
    """Requests whose clocks are paused for an answer from the requester."""
    return queryset.filter(
        Exists(RequestPause.objects.filter(request=OuterRef("pk"), ended_at__isnull=True))
    )


def asked_by(queryset, user):
    """Requests ``user`` asked for, or about threats they lead (what waits on them)."""
    return queryset.filter(Q(requested_by_id=user.pk) | Q(threat__lro_id=user.pk))


def overdue(queryset):
    """Requests waiting for a decision past their urgency's limit (pauses taken off)."""
    return queryset.filter(pk__in=[r.pk for r in services.overdue_decisions(queryset)])


class SupportRequestFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search", label="Search", help_text="Reference, operation or threat reference"
    )
    status = django_filters.ChoiceFilter(choices=STATUSES, method="by_status")
    capability = django_filters.ModelChoiceFilter(
        queryset=Capability.objects.all(), to_field_name="code"
    )
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices)
    threat = VisibleThreatFilter()
    mine = django_filters.ChoiceFilter(
        choices=SCOPES[1:], method="by_scope", label="Whose", empty_label=SCOPES[0][1]
    )
    overdue = django_filters.BooleanFilter(
        method="by_overdue", widget=BooleanWidget, label="Waiting for a decision past the limit"
    )
    unassessed = django_filters.BooleanFilter(
        method="by_unassessed",
        widget=BooleanWidget,
        label="About a threat with no current moderated assessment",
    )
    waiting = django_filters.BooleanFilter(
        method="by_waiting", widget=BooleanWidget, label="Waiting for the requester's answer"
    )
    ordering = django_filters.OrderingFilter(fields=ORDERINGS, label="Sort by")

    class Meta:
        model = SupportRequest
        fields = []

    def _user(self):
        return getattr(self.request, "user", None)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(reference__icontains=value)
            | Q(operation__icontains=value)
            | Q(threat__reference__iexact=value)
        )

    def by_status(self, queryset, name, value):
        if value == "open":
            return queryset.exclude(status__in=CLOSED)
        return queryset.filter(status=value)

    def by_scope(self, queryset, name, value):
        user = self._user()
        if user is None or not user.is_authenticated:
            return queryset.none()
        if value == "me":
            return asked_by(queryset, user)
        if value == "asked":
            return queryset.filter(requesting_organisation_id__in=user.organisation_ids)
        if value == "gateway":
            return queryset.filter(owner_id__in=services.gateway_organisation_ids(user))
        return queryset

    def by_overdue(self, queryset, name, value):
        found = overdue(queryset)
        return found if value else queryset.exclude(pk__in=found.values("pk"))

    def by_unassessed(self, queryset, name, value):
        found = unassessed(queryset)
        return found if value else queryset.exclude(pk__in=found.values("pk"))

    def by_waiting(self, queryset, name, value):
        found = waiting_on_requester(queryset)
        return found if value else queryset.exclude(pk__in=found.values("pk"))

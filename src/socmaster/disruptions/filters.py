"""One filter definition for the disruptions list page and the API."""

import django_filters
from django.db.models import Q
from django_filters.widgets import BooleanWidget

from socmaster.core.filters import GovukDateFilter
from socmaster.threats.filters import VisibleThreatFilter, organisation_named

from .choices import Category, DisruptionStatus, DisruptionType, FourP
from .models import Disruption


class DisruptionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=DisruptionStatus.choices)
    four_p = django_filters.ChoiceFilter(choices=FourP.choices, label="4P")
    category = django_filters.ChoiceFilter(choices=Category.choices)
    disruption_type = django_filters.ChoiceFilter(
        choices=DisruptionType.choices, label="Lead or support"
    )
    threat = VisibleThreatFilter()
    recording_organisation = django_filters.CharFilter(
        method="by_recording_organisation",
        label="Recorded by",
        help_text="Organisation name or short name",
    )
    event_date_from = GovukDateFilter(
        field_name="event_date", lookup_expr="gte", label="Event on or after"
    )
    event_date_to = GovukDateFilter(
        field_name="event_date", lookup_expr="lte", label="Event on or before"
    )
    lead_not_approved = django_filters.BooleanFilter(
        method="by_lead_not_approved",
        widget=BooleanWidget,
        label="Approved support records whose lead is not approved (not counted)",
    )
    mine = django_filters.BooleanFilter(
        method="by_mine", widget=BooleanWidget, label="Recorded by me or on threats I lead"
    )
    ordering = django_filters.OrderingFilter(
        fields=(("event_date", "event_date"), ("record_date", "record_date")),
    )

    class Meta:
        model = Disruption
        fields = []

    def by_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if not value:
            return queryset
        if user is None or not user.is_authenticated:
            return queryset.none()
        return queryset.filter(Q(recorder_id=user.pk) | Q(threat__lro_id=user.pk))

    def by_lead_not_approved(self, queryset, name, value):
        flagged = queryset.support_lead_not_approved()
        return flagged if value else queryset.exclude(pk__in=flagged.values("pk"))

    def by_recording_organisation(self, queryset, name, value):
        org = organisation_named(value.strip())
        return queryset.filter(recording_organisation=org) if org else queryset.none()

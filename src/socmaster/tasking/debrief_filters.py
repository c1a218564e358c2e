"""Filters of the debriefs list and the learning library: one definition for the pages and the
API. They narrow what the access policy already let the user see."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from socmaster.core.filters import GovukDateFilter
from socmaster.disruptions.models import Tactic
from socmaster.gateway.models import Capability
from socmaster.threats.filters import organisation_named
from socmaster.threats.models import CrimeType

from .choices import DebriefStatus, DebriefTrigger
from .models import Debrief, Lesson
from .services import debriefs as services

#: The debriefs list's "Show" choices: a state, or overdue (due and past its date).
STATUS_CHOICES = [
    ("due", "Due (overdue included)"),
    ("overdue", "Overdue"),
    ("held", "Held"),
    ("cancelled", "Cancelled"),
]


def _by_organisation(queryset, name, value):
    org = organisation_named(value.strip()) if value.strip() else None
    if value.strip() and org is None:
        return queryset.none()
    return queryset.filter(**{name: org}) if org else queryset


class DebriefFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=STATUS_CHOICES, method="by_status", label="Show", empty_label="Every debrief"
    )
    mine = django_filters.ChoiceFilter(
        choices=[("yes", "Debriefs I own")],
        method="by_owner",
        label="Whose",
        empty_label="Everyone's",
    )
    organisation = django_filters.CharFilter(
        field_name="owner",
        method=_by_organisation,
        label="Organisation",
        help_text="Name, short name or alias.",
    )
    trigger = django_filters.ChoiceFilter(
        choices=DebriefTrigger.choices, label="Made due by", empty_label="Anything"
    )
    q = django_filters.CharFilter(method="search", label="Reference or operation")

    class Meta:
        model = Debrief
        fields = ["status", "mine", "organisation", "trigger", "q"]

    def by_status(self, queryset, name, value):
        if value == "overdue":
            return queryset.filter(services.overdue_q())
        if value in DebriefStatus.values:
            return queryset.filter(status=value)
        return queryset

    def by_owner(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if value == "yes" and user is not None:
            return queryset.filter(owner_user_id=user.pk)
        return queryset

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(reference__iexact=value) | Q(operation__icontains=value))


class LessonFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search", label="Words in the lesson", help_text="Every word must appear."
    )
    tactic = django_filters.ModelChoiceFilter(
        queryset=Tactic.objects.all(), to_field_name="code", empty_label="Any tactic"
    )
    capability = django_filters.ModelChoiceFilter(
        queryset=Capability.objects.all(), to_field_name="code", empty_label="Any capability"
    )
    crime_type = django_filters.ModelChoiceFilter(
        field_name="crime_types",
        queryset=CrimeType.objects.all(),
        to_field_name="code",
        label="Crime type",
        empty_label="Any crime type",
    )
    organisation = django_filters.CharFilter(
        field_name="debrief__owner",
        method=_by_organisation,
        label="Organisation",
        help_text="Name, short name or alias.",
    )
    held_from = GovukDateFilter(
        field_name="debrief__held_on",
        lookup_expr="gte",
        label="Debriefed from",
        error_name="Start date",
    )
    held_to = GovukDateFilter(
        field_name="debrief__held_on",
        lookup_expr="lte",
        label="Debriefed to",
        error_name="End date",
    )
    debrief = django_filters.CharFilter(
        field_name="debrief__reference", lookup_expr="iexact", label="Debrief reference"
    )
    debrief_status = django_filters.ChoiceFilter(
        field_name="debrief__status", choices=DebriefStatus.choices, label="Debrief's state"
    )

    class Meta:
        model = Lesson
        fields = [
            "q",
            "tactic",
            "capability",
            "crime_type",
            "organisation",
            "held_from",
            "held_to",
            "debrief",
            "debrief_status",
        ]

    def search(self, queryset, name, value):
        for word in value.split()[:12]:
            queryset = queryset.filter(text__icontains=word)
        return queryset

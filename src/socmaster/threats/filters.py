"""One filter definition for the master-list page and the API."""

import django_filters
from django.db.models import Q

from socmaster.organisations.models import Organisation

from .choices import Category, ModerationStatus, Soc, ThreatType, Tier
from .models import CrimeType, Phase, Threat


class ThreatFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search names, references and operations")
    threat_type = django_filters.ChoiceFilter(choices=ThreatType.choices, label="Threat type")
    category = django_filters.ChoiceFilter(choices=Category.choices, label="Type")
    soc = django_filters.ChoiceFilter(choices=Soc.choices, label="SOC")
    tier = django_filters.ChoiceFilter(choices=Tier.choices)
    phase = django_filters.ModelChoiceFilter(queryset=Phase.objects.all())
    moderation_status = django_filters.ChoiceFilter(choices=ModerationStatus.choices, label="Moderation status")
    owner = django_filters.CharFilter(method="by_owner", label="Owner (name, short name or key)")
    region = django_filters.CharFilter(method="by_region", label="Region (name or key)")
    crime_type = django_filters.ModelChoiceFilter(field_name="crime_types", queryset=CrimeType.objects.all(), label="Crime type")
    lro = django_filters.CharFilter(method="by_lro", label="LRO (user name, 'me' or 'none')")
    ordering = django_filters.OrderingFilter(
        fields=(("reference", "reference"), ("name", "name"), ("tier", "tier"), ("owner__name", "owner"),
                ("updated_at", "updated"), ("score", "score")),
    )

    class Meta:
        model = Threat
        fields = []

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(reference__icontains=value) | Q(operation_names__icontains=value))

    def _org(self, value):
        org = Organisation.objects.filter(key=value).first()
        if org is None:
            try:
                org = Organisation.objects.resolve(value)
            except Organisation.DoesNotExist:
                return None
        return org

    def by_owner(self, queryset, name, value):
        org = self._org(value)
        return queryset.filter(owner=org) if org else queryset.none()

    def by_region(self, queryset, name, value):
        org = self._org(value)
        return queryset.filter(owner__region=org.region_id) if org and org.region_id else queryset.none()

    def by_lro(self, queryset, name, value):
        if value == "none":
            return queryset.filter(lro__isnull=True)
        if value == "me":
            return queryset.filter(lro=self.request.user) if self.request else queryset.none()
        return queryset.filter(lro__username=value)

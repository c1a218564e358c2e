import django_filters
from django import forms

from .choices import AuditAction
from .models import AuditEntry


class AuditFilter(django_filters.FilterSet):
    user = django_filters.CharFilter(field_name="username", lookup_expr="iexact", label="User name")
    organisation = django_filters.CharFilter(
        field_name="organisation_name", lookup_expr="icontains", label="Organisation"
    )
    action = django_filters.ChoiceFilter(choices=AuditAction.choices)
    record_type = django_filters.CharFilter(
        lookup_expr="iexact", label="Record type (e.g. threats.threat)"
    )
    record_id = django_filters.CharFilter(lookup_expr="exact", label="Record id")
    date_from = django_filters.DateFilter(
        field_name="timestamp",
        lookup_expr="date__gte",
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        field_name="timestamp",
        lookup_expr="date__lte",
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = AuditEntry
        fields = [
            "user",
            "organisation",
            "action",
            "record_type",
            "record_id",
            "date_from",
            "date_to",
        ]

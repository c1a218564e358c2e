import django_filters

from .choices import AuditAction
from .forms import GovukDateField
from .models import AuditEntry


class GovukDateFilter(django_filters.DateFilter):
    """A date filter entered as day, month and year on pages (the GOV.UK date input), and as an
    ISO date (``2025-01-31``) in the API and in links; the applied value stays on the form."""

    field_class = GovukDateField


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
    date_from = GovukDateFilter(
        field_name="timestamp", lookup_expr="date__gte", label="From", error_name="Start date"
    )
    date_to = GovukDateFilter(
        field_name="timestamp", lookup_expr="date__lte", label="To", error_name="End date"
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

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
    action = django_filters.ChoiceFilter(
        choices=[
            (value, "Status change" if value == AuditAction.TRANSITION else label)
            for value, label in AuditAction.choices
        ]
    )
    record_type = django_filters.CharFilter(
        method="by_record_type",
        label="Kind of record",
        help_text="For example threat, disruption or plan action",
    )
    record_id = django_filters.CharFilter(lookup_expr="exact", label="Record number")
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

    def by_record_type(self, queryset, name, value):
        """A kind of record in words ("plan action") or as stored ("plans.planaction")."""
        from django.apps import apps

        value = value.strip().lower()
        kinds = [
            m._meta.label_lower
            for m in apps.get_models()
            if value in (m._meta.verbose_name.lower(), m._meta.model_name)
        ]
        return queryset.filter(record_type__in=kinds or [value])

import django_filters
from django.db.models import Q

from .choices import OrganisationType
from .models import Organisation


class OrganisationFilter(django_filters.FilterSet):
    type = django_filters.ChoiceFilter(choices=OrganisationType.choices)
    region = django_filters.CharFilter(field_name="region__key", label="Region")
    q = django_filters.CharFilter(method="search", label="Name, short name or alias")

    class Meta:
        model = Organisation
        fields = ["type", "region", "q"]

    def search(self, queryset, name, value):
        from .models import normalise_name

        key = normalise_name(value)
        return queryset.filter(
            Q(normalised_name__contains=key)
            | Q(normalised_short_name__contains=key)
            | Q(aliases__normalised__contains=key)
        ).distinct()

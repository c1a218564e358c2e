"""One filter definition for assessment lists (the API; the moderation queue is a per-user list)."""

import django_filters
from django_filters.widgets import BooleanWidget

from socmaster.threats.choices import Tier
from socmaster.threats.filters import VisibleThreatFilter

from .choices import AssessmentStatus
from .models import Assessment


class AssessmentFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=AssessmentStatus.choices)
    tier = django_filters.TypedChoiceFilter(choices=Tier.choices, coerce=int)
    whole_threat = django_filters.BooleanFilter(
        label="Covers the whole threat", widget=BooleanWidget
    )
    threat = VisibleThreatFilter()

    class Meta:
        model = Assessment
        fields = []

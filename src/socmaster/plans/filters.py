"""One filter definition for the plan-actions page and the API, and the plans API's filter."""

import django_filters
from django_filters.widgets import BooleanWidget

from socmaster.threats.filters import VisibleThreatFilter

from .choices import OPEN_STATUSES, ActionStatus, AuthorRole, FourP, PlanStatus
from .models import Plan, PlanAction

SCOPES = [
    ("mine", "Held by me or my organisation"),
    ("led", "In plans of threats I lead"),
    ("all", "Every action I may see"),
]
#: ``open`` is not a stored status: it selects the statuses still to be done.
STATUSES = [("open", "Open (not started or in progress)"), *ActionStatus.choices]
#: How far ahead an action counts as due soon.
DUE_SOON_DAYS = 14


def _visible_plans(request):
    return Plan.objects.visible_to(getattr(request, "user", None))


class PlanActionFilter(django_filters.FilterSet):
    scope = django_filters.ChoiceFilter(
        choices=SCOPES, empty_label=None, method="by_scope", label="Show"
    )
    status = django_filters.ChoiceFilter(choices=STATUSES, method="by_status")
    four_p = django_filters.ChoiceFilter(choices=FourP.choices, label="4P")
    threat = VisibleThreatFilter(field_name="plan__threat")
    plan = django_filters.NumberFilter(method="by_plan", label="Plan number")
    overdue = django_filters.BooleanFilter(
        method="by_overdue", widget=BooleanWidget, label="Overdue"
    )
    due_soon = django_filters.BooleanFilter(
        method="by_due_soon", widget=BooleanWidget, label=f"Due in the next {DUE_SOON_DAYS} days"
    )

    class Meta:
        model = PlanAction
        fields = []

    def by_scope(self, queryset, name, value):
        """``mine``: actions held by the requesting user or their organisation; ``all``: every
        action they may see (the queryset already is)."""
        if value == "mine":
            user = getattr(self.request, "user", None)
            if user is None or not user.is_authenticated:
                return queryset.none()
            return queryset.assigned_to(user)
        if value == "led":
            user = getattr(self.request, "user", None)
            if user is None or not user.is_authenticated:
                return queryset.none()
            return queryset.filter(plan__threat__lro_id=user.pk)
        return queryset

    def by_status(self, queryset, name, value):
        if value == "open":
            return queryset.filter(status__in=OPEN_STATUSES)
        return queryset.filter(status=value)

    def by_plan(self, queryset, name, value):
        """Actions of a plan the user may see; a hidden plan has none, like a missing one."""
        return queryset.filter(plan__in=_visible_plans(self.request).filter(pk=value))

    def by_overdue(self, queryset, name, value):
        overdue = queryset.overdue()
        return overdue if value else queryset.exclude(pk__in=overdue.values("pk"))

    def by_due_soon(self, queryset, name, value):
        soon = queryset.due_soon(DUE_SOON_DAYS)
        return soon if value else queryset.exclude(pk__in=soon.values("pk"))


class PlanFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=PlanStatus.choices)
    author_role = django_filters.ChoiceFilter(choices=AuthorRole.choices, label="Author role")
    threat = VisibleThreatFilter()

    class Meta:
        model = Plan
        fields = []

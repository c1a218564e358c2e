"""The home page and the log-in form."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render

from socmaster.core.models import AuditEntry
from socmaster.organisations.models import Organisation
from socmaster.threats.models import Threat


class GovukAuthenticationForm(AuthenticationForm):
    """Django's log-in form with GOV.UK input classes and a clear error message."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Enter a correct user name and password. Both are case-sensitive.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "User name"
        self.fields["username"].widget.attrs.update(
            {"class": "govuk-input govuk-!-width-one-half", "autocomplete": "username"}
        )
        self.fields["password"].widget.attrs.update({"class": "govuk-input govuk-!-width-one-half"})


@login_required
def home(request):
    user = request.user
    visible = Threat.objects.visible_to(user)
    my_orgs = [m.organisation for m in user.active_memberships]
    context = {
        "threat_count": visible.count(),
        "no_lro_count": visible.filter(lro__isnull=True, closed_on__isnull=True).count(),
        "my_lro_count": visible.filter(lro=user).count(),
        "organisation_count": Organisation.objects.filter(active=True).count(),
        "my_organisations": sorted({(o.name, o.get_absolute_url()) for o in my_orgs}),
        "my_roles": sorted({m.get_role_display() for m in user.active_memberships}),
        "recent_activity": AuditEntry.objects.filter(user=user).order_by("-seq")[:5],
        **_my_actions(user),
    }
    return render(request, "web/home.html", context)


def _my_actions(user) -> dict:
    """Open actions in current 4P plans held by the user or their organisations."""
    from socmaster.plans.choices import OPEN_STATUSES
    from socmaster.plans.models import PlanAction

    mine = PlanAction.objects.assigned_to(user).filter(
        plan__status="current", status__in=OPEN_STATUSES
    )
    return {"my_action_count": mine.count(), "my_overdue_count": mine.overdue().count()}

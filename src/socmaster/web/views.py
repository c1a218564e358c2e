"""The home page and the log-in form."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render

from socmaster.core import registry
from socmaster.core.models import AuditEntry


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
    """Who the user is, the figures apps register for the attention list, and recent activity."""
    user = request.user
    my_orgs = [m.organisation for m in user.active_memberships]
    context = {
        "attention": registry.attention_list(user),
        "my_organisations": sorted({(o.name, o.get_absolute_url()) for o in my_orgs}),
        "my_roles": sorted({m.get_role_display() for m in user.active_memberships}),
        "recent_activity": AuditEntry.objects.filter(user=user).order_by("-seq")[:5],
    }
    return render(request, "web/home.html", context)

"""The home page and the log-in form."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

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


class SyntheticForm(forms.Form):
    scale = forms.ChoiceField(
        label="How much data",
        choices=[
            ("demo", "One region (demo scale: about 200 threats, a minute or two)"),
            (
                "national",
                "The whole country (national scale: about 4,600 threats, several minutes)",
            ),
        ],
        initial="demo",
        widget=forms.RadioSelect,
    )
    seed = forms.IntegerField(
        label="Seed",
        min_value=0,
        max_value=2**31 - 1,
        initial=2026,
        help_text="The same seed always builds the same data.",
    )
    replace = forms.BooleanField(
        required=False, label="Replace the synthetic data already loaded (it is removed first)"
    )


@login_required
def synthetic(request):
    """National administrators build invented data (for training and trials) in the background."""
    from socmaster.core import policy
    from socmaster.core.forms import style_form
    from socmaster.threats.choices import ImportKind
    from socmaster.threats.models import ImportJob

    from .synthetic import start_synthetic_build, synthetic_data_present
    from .tasks import build_synthetic

    if not policy.is_national_administrator(request.user):
        raise PermissionDenied("Only administrators of a national agency build synthetic data.")
    form = style_form(SyntheticForm(request.POST or None))
    if request.method == "POST" and form.is_valid():
        job = start_synthetic_build(request.user, **form.cleaned_data)
        build_synthetic.enqueue(
            job.pk,
            form.cleaned_data["scale"],
            form.cleaned_data["seed"],
            form.cleaned_data["replace"],
        )
        return redirect(job)
    jobs = policy.import_jobs_scope(
        ImportJob.objects.filter(kind=ImportKind.SYNTHETIC).select_related("created_by"),
        request.user,
    )[:10]
    return render(
        request,
        "web/synthetic.html",
        {"form": form, "jobs": jobs, "present": synthetic_data_present()},
        status=400 if form.errors else 200,
    )

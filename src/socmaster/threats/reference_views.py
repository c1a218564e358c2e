"""The page where national administrators add lifecycle phases and crime types."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render

from socmaster.core import policy
from socmaster.core.forms import style_form

from . import services
from .models import CrimeType, Phase


class PhaseForm(forms.Form):
    name = forms.CharField(max_length=80, help_text='A name containing "Closed" closes a threat.')
    aliases = forms.CharField(
        required=False, help_text="Other names files use for it, separated by semicolons."
    )


class CrimeTypeForm(forms.Form):
    code = forms.SlugField(max_length=40)
    label = forms.CharField(max_length=120)
    aliases = forms.CharField(
        required=False, help_text="Other names files use for it, separated by semicolons."
    )


@login_required
def reference_data(request):
    if not policy.is_national_administrator(request.user):
        raise PermissionDenied("Only administrators of a national agency change reference data.")
    kind = request.POST.get("kind")
    data = request.POST if request.method == "POST" else None
    phase_form = style_form(PhaseForm(data if kind == "phase" else None, prefix="phase"))
    crime_form = style_form(CrimeTypeForm(data if kind == "crime" else None, prefix="crime"))
    form = {"phase": phase_form, "crime": crime_form}.get(kind)
    if form is not None and form.is_valid():
        try:
            if kind == "phase":
                services.add_phase(request.user, **form.cleaned_data)
            else:
                services.add_crime_type(request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
        else:
            return redirect("threats:reference_data")
    return render(
        request,
        "threats/reference_data.html",
        {
            "phase_form": phase_form,
            "crime_form": crime_form,
            "phases": Phase.objects.all(),
            "crime_types": CrimeType.objects.all(),
        },
        status=400 if form is not None and form.errors else 200,
    )

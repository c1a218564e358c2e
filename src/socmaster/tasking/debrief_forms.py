"""Forms of the debrief pages. They read what was typed; the services decide what is allowed."""

from __future__ import annotations

from django import forms
from django.db.models import Q

from socmaster.core import policy
from socmaster.core.choices import Handling
from socmaster.core.forms import VersionField
from socmaster.disruptions.models import Tactic
from socmaster.gateway.models import Capability, SupportRequest
from socmaster.organisations.models import Organisation, User
from socmaster.threats.models import CrimeType, Threat

from .services import debriefs as services


def _person(user) -> str:
    return user.get_full_name() or user.username


class DebriefRecordForm(forms.Form):
    """What the debrief found, and who owns it."""

    operation = forms.CharField(max_length=300, required=False, label="Operation")
    what_worked = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), required=False)
    what_did_not = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}), required=False, label="What did not work"
    )
    partner_feedback = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="What partners who took part said about the operation.",
    )
    owner_user = forms.ModelChoiceField(
        queryset=None, required=False, label="Debrief owner", empty_label="Nobody"
    )
    lock_version = VersionField()

    def __init__(self, *args, user, debrief, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["owner_user"]
        candidates = services.owner_candidates(user, debrief.owner, debrief.threat)
        if debrief.owner_user_id:  # whoever owns it now stays a choice, so saving keeps them
            candidates = User.objects.filter(
                Q(pk__in=candidates.values("pk")) | Q(pk=debrief.owner_user_id)
            ).order_by("last_name", "first_name", "username")
        field.queryset = candidates
        field.label_from_instance = _person

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in services.RECORD_FIELDS}


class LessonForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="Lesson")
    tactic = forms.ModelChoiceField(
        queryset=Tactic.objects.all(), required=False, to_field_name="code", empty_label="None"
    )
    capability = forms.ModelChoiceField(
        queryset=Capability.objects.all(),
        required=False,
        to_field_name="code",
        empty_label="None",
        help_text="The specialist capability the lesson is about.",
    )
    crime_types = forms.ModelMultipleChoiceField(
        queryset=CrimeType.objects.all(),
        required=False,
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
    )
    lock_version = VersionField()

    def __init__(self, *args, current_capability=None, **kwargs):
        super().__init__(*args, **kwargs)
        offered = Capability.objects.filter(active=True)
        if current_capability is not None:
            offered = Capability.objects.filter(active=True) | Capability.objects.filter(
                pk=current_capability.pk
            )
        self.fields["capability"].queryset = offered.order_by("name")

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in services.LESSON_FIELDS}


class HoldForm(forms.Form):
    held_on = forms.DateField(label="Held on")


class DebriefReasonForm(forms.Form):
    #: Not required here: the service says what is missing.
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label="Reason", required=False
    )
    reason.hide_optional = True


class DebriefAddForm(forms.Form):
    """A debrief added by hand, about a threat, a gateway request, or an operation on neither."""

    threat = forms.CharField(
        required=False,
        label="Threat reference",
        help_text="Leave blank if the operation was not against a threat on the master list.",
    )
    request = forms.CharField(
        required=False,
        label="Gateway request reference",
        help_text="The request for specialist support the operation used, if any.",
    )
    operation = forms.CharField(max_length=300, required=False, label="Operation")
    ended_on = forms.DateField(label="Operation ended on")
    owner = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        to_field_name="key",
        label="Organisation",
        help_text="Only for an operation on neither the master list nor the gateway: the "
        "organisation that ran it.",
    )
    handling = forms.ChoiceField(
        choices=[("", "Choose who may see it")]
        + [(h, label) for h, label in Handling.choices if h in services.HANDLING_CHOICES],
        required=False,
        label="Who may see it",
        help_text="Only for an operation on neither: a debrief of a threat or a request is "
        "seen by whoever may see them.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["owner"].queryset = Organisation.objects.filter(
            pk__in=[
                m.organisation_id
                for m in user.active_memberships
                if policy.can_create_for(user, m.organisation)
            ]
        ).order_by("name")

    def _visible(self, model, name: str, noun: str):
        reference = (self.cleaned_data.get(name) or "").strip()
        if not reference:
            return None
        found = model.objects.visible_to(self.user).filter(reference=reference).first()
        if found is None:
            raise forms.ValidationError(f"No such {noun}.")
        return found

    def clean_threat(self):
        return self._visible(Threat, "threat", "threat")

    def clean_request(self):
        return self._visible(SupportRequest, "request", "gateway request")

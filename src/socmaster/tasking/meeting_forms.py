"""Forms of the meeting pages. They read what was typed; the services decide what is allowed.

People are named by user name and threats by reference; a threat resolves only among those the
user may see, and a hidden one gets the answer of a missing one ("No such threat.")."""

from __future__ import annotations

import re

from django import forms

from socmaster.core.choices import Handling
from socmaster.organisations.choices import OrganisationType
from socmaster.organisations.models import Organisation, User
from socmaster.threats.models import Threat

from .choices import (
    CHAIR_ITEM,
    CHAIR_ITEM_TITLE,
    DEFAULT_TOP_THREATS,
    MAX_TOP_THREATS,
    MeetingLevel,
)
from .services import meetings as services

NO_SUCH_USER = "No such user: {names}."


def user_names(text: str) -> list[str]:
    """User names typed one per line, or separated by commas or spaces."""
    return [n for n in re.split(r"[\s,;]+", text or "") if n]


def resolve_users(names: list[str]) -> tuple[list, list[str]]:
    """The active users named, and the names that match none."""
    found = {u.username: u for u in User.objects.filter(username__in=names, is_active=True)}
    return [found[n] for n in dict.fromkeys(names) if n in found], [
        n for n in names if n not in found
    ]


class UserNameField(forms.CharField):
    """One active user, by user name."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        users, unknown = resolve_users([value.strip()])
        if unknown:
            raise forms.ValidationError(NO_SUCH_USER.format(names=value.strip()))
        return users[0]


class UserNamesField(forms.CharField):
    """Active users, by user name (one per line, or separated by commas)."""

    widget = forms.Textarea(attrs={"rows": 4})

    def clean(self, value):
        value = super().clean(value)
        users, unknown = resolve_users(user_names(value))
        if unknown:
            raise forms.ValidationError(NO_SUCH_USER.format(names=", ".join(unknown)))
        return users


class ThreatReferenceField(forms.CharField):
    """A threat the user may see, by reference."""

    def __init__(self, *, user, **kwargs):
        self.user = user
        super().__init__(**kwargs)

    def clean(self, value):
        value = (super().clean(value) or "").strip()
        if not value:
            return None
        threat = Threat.objects.visible_to(self.user).filter(reference=value).first()
        if threat is None:
            raise forms.ValidationError("No such threat.")
        return threat


def _organisations(**filters):
    return Organisation.objects.filter(active=True, **filters).order_by("name")


class MeetingForm(forms.Form):
    level = forms.ChoiceField(choices=MeetingLevel.choices, widget=forms.RadioSelect)
    owner = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        to_field_name="key",
        label="Organisation whose group meets",
        help_text="A force for a force or area meeting, the ROCU for its region's, a national "
        "agency for the national one.",
    )
    body = forms.CharField(
        max_length=200,
        label="Group",
        help_text="The tasking and co-ordination group, e.g. 'Eastern region tasking and "
        "co-ordination group'. Meetings of the same group follow on from each other.",
    )
    held_on = forms.DateField(label="Date of the meeting")
    chair = UserNameField(label="Chair", help_text="Their user name.")
    attendees = UserNamesField(
        required=False,
        help_text="User names, one per line (partners' staff included).",
    )
    organisations = forms.ModelMultipleChoiceField(
        queryset=_organisations().exclude(type=OrganisationType.REGION),
        to_field_name="key",
        required=False,
        label="Organisations attending",
        help_text="Partner agencies and other organisations whose people attend: they see the "
        "meeting, and of its agenda only the items about records shared with them.",
    )
    handling = forms.ChoiceField(
        choices=[
            ("", "As usual for the level (the owner's region; national for a national meeting)")
        ]
        + [(h.value, h.label) for h in Handling if h.value in services.HANDLING_CHOICES],
        required=False,
        widget=forms.RadioSelect,
        label="Who may see the meeting",
    )
    area = forms.ModelChoiceField(
        queryset=_organisations(type__in=sorted(services.AREA_TYPES)),
        to_field_name="key",
        required=False,
        help_text="For an area meeting: the force area or local authority it covers.",
    )
    top_n = forms.IntegerField(
        label="Top threats to list",
        initial=DEFAULT_TOP_THREATS,
        min_value=1,
        max_value=MAX_TOP_THREATS,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = Organisation.objects.filter(
            pk__in=[o.pk for o in services.creatable_for(user)]
        ).order_by("name")


class ItemForm(forms.Form):
    title = forms.CharField(max_length=300)
    detail = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    section = forms.ChoiceField(required=False, label="Under")
    threat = forms.CharField(
        required=False,
        label="About the threat",
        help_text="Its reference, if the item is about a threat: only those who may see the "
        "threat see the item.",
    )

    def __init__(self, *args, user, sections=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["threat"] = ThreatReferenceField(
            user=user,
            required=False,
            label=self.fields["threat"].label,
            help_text=self.fields["threat"].help_text,
        )
        choices = [(CHAIR_ITEM, CHAIR_ITEM_TITLE)]
        choices += [(kind, title) for kind, title in sections if kind != CHAIR_ITEM]
        self.fields["section"].choices = choices


class DecisionForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Decision")


class ActionForm(forms.Form):
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Action")
    owner = UserNameField(label="Owner", help_text="Their user name.")
    due_on = forms.DateField(label="Due")


class CloseActionForm(forms.Form):
    outcome = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Outcome",
        help_text="What came of it, or why it is no longer needed.",
    )
    done = forms.TypedChoiceField(
        choices=[("yes", "Done"), ("no", "No longer needed")],
        coerce=lambda v: v == "yes",
        initial="yes",
        widget=forms.RadioSelect,
        label="Close it as",
    )


class ActionFilterForm(forms.Form):
    scope = forms.ChoiceField(
        choices=[("mine", "Mine"), ("", "Every action I may see")], required=False, label="Whose"
    )
    status = forms.ChoiceField(
        choices=[("open", "Open"), ("closed", "Closed"), ("", "Any")], required=False
    )
    overdue = forms.BooleanField(required=False, label="Only overdue")


class MeetingFilterForm(forms.Form):
    body = forms.ChoiceField(required=False, label="Group")
    level = forms.ChoiceField(choices=[("", "Any level"), *MeetingLevel.choices], required=False)

    def __init__(self, *args, bodies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].choices = [("", "Every group"), *((b, b) for b in bodies)]

"""Forms of the review workflow. Each only reads input; the services decide."""

from __future__ import annotations

from django import forms

from socmaster.core.forms import GovukDateField

from .choices import Decision, MatchStatus

STATUS_FILTERS = [
    ("open", "Waiting for review (and conflicts)"),
    *MatchStatus.choices,
    ("all", "Any status"),
]


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(choices=STATUS_FILTERS, required=False, label="Status")
    kind = forms.ChoiceField(
        choices=[
            ("", "Any"),
            ("sar_subject", "SAR subjects"),
            ("report_subject", "Intelligence subjects"),
            ("nominal", "Possible duplicates"),
        ],
        required=False,
        label="Records",
    )
    q = forms.CharField(required=False, label="Name", max_length=100)
    mine = forms.ChoiceField(
        choices=[("", "Everyone's"), ("lro", "Threats I lead")], required=False, label="Threats"
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=Decision.choices, widget=forms.RadioSelect, label="Are they the same person?"
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Reason",
        help_text="What you checked, e.g. 'PNC and custody photo confirm the same person'.",
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Reason")


class AnswerForm(forms.Form):
    approve = forms.TypedChoiceField(
        choices=[("yes", "Approve: share the record with them"), ("no", "Decline")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        label="Your answer",
    )
    answer = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="Reason",
        help_text="Required when you decline.",
    )


class LookupForm(forms.Form):
    given_names = forms.CharField(required=False, max_length=200, label="Given names")
    family_name = forms.CharField(required=False, max_length=120, label="Family name")
    date_of_birth = GovukDateField(required=False, label="Date of birth")
    postcode = forms.CharField(required=False, max_length=10, label="Postcode")
    phone = forms.CharField(required=False, max_length=40, label="Phone")

    def clean(self):
        data = super().clean()
        if (
            not (data.get("family_name") or "").strip()
            and not (data.get("given_names") or "").strip()
        ):
            raise forms.ValidationError("Enter at least a family name or given names.")
        return data

    def person(self) -> dict:
        data = self.cleaned_data
        first, _, middle = (data.get("given_names") or "").strip().partition(" ")
        dob = data.get("date_of_birth")
        return {
            "first_name": first,
            "middle_name": middle.strip(),
            "surname": (data.get("family_name") or "").strip(),
            "dob": dob.isoformat() if dob else "",
            "gender": "",
            "postcode": data.get("postcode") or "",
            "phone": data.get("phone") or "",
        }


class ListUploadForm(forms.Form):
    file = forms.FileField(
        label="The list (CSV)",
        help_text=(
            "UTF-8 CSV with the columns subject_id, first_name, middle_name, surname, dob "
            "(YYYY-MM-DD), gender, postcode, phone; any but subject_id may be empty."
        ),
    )
    organisation = forms.ModelChoiceField(queryset=None, label="For")
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why you are screening this list",
        help_text="For example 'Prison releases due in December, for offender management'.",
    )

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        from socmaster.organisations.models import Organisation

        self.fields["organisation"].queryset = Organisation.objects.filter(
            pk__in=[o.pk for o in organisations]
        )
        if len(organisations) == 1:
            self.fields["organisation"].initial = organisations[0].pk

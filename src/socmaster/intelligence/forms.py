"""Intelligence and SAR forms: input shape only (the rules live in services)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from socmaster.core import policy
from socmaster.core.choices import Handling
from socmaster.core.forms import GovukDateField, VersionField
from socmaster.organisations.models import Organisation
from socmaster.threats.models import Nominal, Threat

from .choices import (
    Flag,
    HandlingCode,
    IntelAssessment,
    MentionKind,
    Priority,
    SourceEvaluation,
)

SUBJECT_HINT = (
    "One person a line: family name, given names, date of birth (YYYY-MM-DD) — or a nominal's "
    "reference (NOM-…) to link the master-list record."
)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class GradingFields(forms.Form):
    source_evaluation = forms.ChoiceField(choices=SourceEvaluation.choices)
    intelligence_assessment = forms.ChoiceField(choices=IntelAssessment.choices)
    handling_code = forms.ChoiceField(choices=HandlingCode.choices)
    handling_conditions = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Required for handling code C: the conditions, in words.",
    )
    threat_to_life = forms.BooleanField(required=False, label=Flag.THREAT_TO_LIFE.label)
    child_at_risk = forms.BooleanField(required=False, label=Flag.CHILD_AT_RISK.label)
    vulnerable_victim = forms.BooleanField(required=False, label=Flag.VULNERABLE_VICTIM.label)
    time_critical = forms.BooleanField(required=False, label=Flag.TIME_CRITICAL.label)


class ReportForm(GradingFields):
    """A new intelligence report, as submitted."""

    owner = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), label="Submitting organisation"
    )
    submitted_on = GovukDateField(label="Date of the report")
    original_text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}), label="The report as submitted"
    )
    handling = forms.ChoiceField(
        choices=Handling.choices,
        initial=Handling.REGION,
        label="Who may see it beyond your organisation",
    )
    subjects = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text=SUBJECT_HINT
    )
    places = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, help_text="One a line."
    )
    phones = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, help_text="One a line."
    )
    vehicles = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Registration marks, one a line.",
    )
    threats = forms.CharField(
        required=False, help_text="Threat references, separated by commas (SOC-…)."
    )

    field_order = [
        "owner",
        "submitted_on",
        "original_text",
        "source_evaluation",
        "intelligence_assessment",
        "handling_code",
        "handling_conditions",
        "threat_to_life",
        "child_at_risk",
        "vulnerable_victim",
        "time_critical",
        "handling",
        "subjects",
        "places",
        "phones",
        "vehicles",
        "threats",
    ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["owner"].queryset = Organisation.objects.filter(
            pk__in=[o for o in user.organisation_ids if policy.can_create_for(user, _org(o))]
        ).order_by("name")

    def clean_submitted_on(self):
        value = self.cleaned_data["submitted_on"]
        if value and value > timezone.localdate():
            raise ValidationError("The date of the report cannot be in the future.")
        return value

    def clean_subjects(self):
        subjects, problems = [], []
        for n, line in enumerate(_lines(self.cleaned_data.get("subjects")), start=1):
            if line.upper().startswith("NOM-"):
                nominal = Nominal.objects.visible_to(self.user).filter(reference=line).first()
                if nominal is None:
                    problems.append(f"Line {n}: no such nominal.")
                else:
                    subjects.append({"nominal": nominal, "family_name": nominal.family_name})
                continue
            parts = [p.strip() for p in line.split(",")]
            subject = {"family_name": parts[0], "given_names": parts[1] if len(parts) > 1 else ""}
            if len(parts) > 2 and parts[2]:
                try:
                    subject["date_of_birth"] = dt.date.fromisoformat(parts[2])
                except ValueError:
                    problems.append(f"Line {n}: '{parts[2]}' is not a date (YYYY-MM-DD).")
            subjects.append(subject)
        if problems:
            raise ValidationError(problems)
        return subjects

    def clean_threats(self):
        references = [r.strip() for r in (self.cleaned_data.get("threats") or "").split(",")]
        found, missing = [], []
        for reference in filter(None, references):
            threat = Threat.objects.visible_to(self.user).filter(reference=reference).first()
            (found if threat else missing).append(threat or reference)
        if missing:
            raise ValidationError(f"No such threat: {', '.join(missing)}.")
        return found

    def mentions(self) -> list[tuple[str, str]]:
        return [
            (kind, value)
            for kind, name in (
                (MentionKind.PLACE, "places"),
                (MentionKind.PHONE, "phones"),
                (MentionKind.VEHICLE, "vehicles"),
            )
            for value in _lines(self.cleaned_data.get(name))
        ]

    def values(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in (
                "submitted_on",
                "original_text",
                "source_evaluation",
                "intelligence_assessment",
                "handling_code",
                "handling_conditions",
                "handling",
                *Flag.values,
            )
        }


def _org(pk):
    return Organisation.objects.get(pk=pk)


class GradingForm(GradingFields):
    """Correct a report's grading or flags (the original text never changes)."""

    lock_version = VersionField()


class SanitisedForm(forms.Form):
    sanitised_text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        label="Sanitised copy",
        help_text="The version others read and that is disseminated: leave out anything that "
        "identifies the source.",
    )
    lock_version = VersionField()


class DisseminateForm(forms.Form):
    organisations = forms.ModelMultipleChoiceField(
        queryset=Organisation.objects.none(),
        help_text="Hold Ctrl (or Cmd) to choose more than one.",
    )
    purpose = forms.CharField(max_length=300, help_text="Why they receive it (recorded).")

    def __init__(self, *args, report, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisations"].queryset = (
            Organisation.objects.exclude(pk=report.owner_id)
            .exclude(type__in=["region", "inspectorate"])
            .order_by("name")
        )
        self.fields["organisations"].widget.attrs["size"] = 8


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=500)


class TriageForm(forms.Form):
    """Bulk triage from a queue: the chosen records get a priority, an assignee, or both."""

    priority = forms.ChoiceField(choices=[("", "Keep as it is"), *Priority.choices], required=False)
    assignee = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), required=False, label="Assign to"
    )

    def __init__(self, *args, assignees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignees
        self.fields["assignee"].empty_label = "Nobody new"


class ConsentForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("granted", "Consent granted"), ("refused", "Consent refused")]
    )
    decided_on = GovukDateField(label="Date of the decision")


class ExtensionForm(forms.Form):
    granted_on = GovukDateField(label="Date of the court's order")
    days = forms.IntegerField(min_value=1, max_value=31, label="Days added (at most 31)")
    court = forms.CharField(max_length=200)
    order_reference = forms.CharField(max_length=80, required=False)

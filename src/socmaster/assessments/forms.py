from django import forms
from django.utils import timezone

from socmaster.core.forms import GovukDateField
from socmaster.core.widgets import GovukRadioSelect


def _factors(scheme_version):
    scheme = scheme_version.engine_scheme()
    return list(scheme.factors)


class AssessmentForm(forms.Form):
    """One choice per scheme factor, grouped, plus the evidence dates and whole-threat question."""

    evidence_from = GovukDateField(
        label="Oldest evidence used", error_name="Date of the oldest evidence"
    )
    evidence_to = GovukDateField(
        label="Newest evidence used", error_name="Date of the newest evidence"
    )
    review_due = GovukDateField(label="Review by", error_name="Review date")
    whole_threat = forms.TypedChoiceField(
        label="Does this assessment cover the whole threat: all members and all criminality?",
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda v: v == "yes",
        widget=GovukRadioSelect(inline=True),
        error_messages={"required": "Select yes if this assessment covers the whole threat"},
        initial="yes",
    )
    partial_justification = forms.CharField(
        label="If not, why not?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    summary = forms.CharField(
        label="Assessment summary", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, scheme_version, **kwargs):
        super().__init__(*args, **kwargs)
        self.factor_fields = []
        for factor in _factors(scheme_version):
            name = f"factor__{factor.key}"
            self.fields[name] = forms.ChoiceField(
                label=factor.label,
                help_text=getattr(factor, "help", "") or getattr(factor, "help_text", ""),
                choices=[("", "Choose an answer")]
                + [(a.key, f"{a.label} ({a.value:g})") for a in factor.answers],
            )
            self.fields[name].group = factor.group
            self.factor_fields.append(name)
        if not self.is_bound:
            self.initial.setdefault(
                "review_due", timezone.localdate().replace(year=timezone.localdate().year + 1)
            )

    def answers(self) -> dict:
        return {name.split("__", 1)[1]: self.cleaned_data[name] for name in self.factor_fields}

    def grouped_factor_fields(self):
        groups: dict[str, list] = {}
        for name in self.factor_fields:
            groups.setdefault(self.fields[name].group, []).append(self[name])
        return [(group.replace("_", " ").capitalize(), fields) for group, fields in groups.items()]


class ReturnForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why is it being returned?",
        error_messages={"required": "Say why the assessment is being returned"},
    )

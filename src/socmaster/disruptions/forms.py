from django import forms

from socmaster.core.forms import GovukDateField, VersionField
from socmaster.organisations.models import Organisation

from .choices import DisruptionType
from .models import Disruption, Tactic


class DisruptionForm(forms.ModelForm):
    """Input shape only: the minimum-standard rules live in services."""

    recording_organisation = forms.ModelChoiceField(queryset=Organisation.objects.none())

    class Meta:
        model = Disruption
        fields = [
            "recording_organisation",
            "team",
            "disruption_type",
            "lead",
            "event_date",
            "record_date",
            "four_p",
            "category",
            "tactic",
            "narrative",
            "evidence",
        ]
        field_classes = {"event_date": GovukDateField, "record_date": GovukDateField}
        widgets = {
            "narrative": forms.Textarea(attrs={"rows": 4}),
            "evidence": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, user, threat, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["lock_version"] = VersionField(initial=self.instance.lock_version)
        self.fields["recording_organisation"].queryset = Organisation.objects.filter(
            pk__in=user.organisation_ids
        )
        self.fields["recording_organisation"].initial = user.primary_organisation
        self.fields["lead"].queryset = Disruption.objects.filter(
            threat=threat, disruption_type=DisruptionType.LEAD
        )
        self.fields["tactic"].queryset = Tactic.objects.all()
        if self.instance.pk:
            self.fields.pop("recording_organisation")


class DecisionForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Reason (required to return or reject)",
    )


class PeriodForm(forms.Form):
    date_from = GovukDateField(label="From", error_name="Start date")
    date_to = GovukDateField(label="To", error_name="End date")
    region = forms.ModelChoiceField(
        queryset=Organisation.objects.filter(type="region"),
        required=False,
        to_field_name="key",
        empty_label="All regions",
    )

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", "The end of the period cannot be before its start.")
        return data

from django import forms

from socmaster.core import policy
from socmaster.organisations.models import Organisation, User

from .models import CrimeType, Threat


class ThreatForm(forms.ModelForm):
    """Input shape only: business rules live in services.create_threat/update_threat."""

    class Meta:
        model = Threat
        fields = ["reference", "name", "operation_names", "threat_type", "category", "soc", "tier", "phase",
                  "owner", "lro", "sro", "crime_types", "description", "opened_on", "closed_on",
                  "closed_reason", "handling", "shared_with"]
        widgets = {
            "opened_on": forms.DateInput(attrs={"type": "date"}),
            "closed_on": forms.DateInput(attrs={"type": "date"}),
            "crime_types": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        writable = [m.organisation_id for m in user.active_memberships if m.role in policy.WRITE_ROLES]
        self.fields["owner"].queryset = Organisation.objects.filter(pk__in=writable)
        self.fields["lro"].queryset = User.objects.filter(is_active=True)
        self.fields["sro"].queryset = User.objects.filter(is_active=True)
        self.fields["crime_types"].queryset = CrimeType.objects.all()
        self.fields["shared_with"].queryset = Organisation.objects.filter(active=True)
        self.fields["reference"].required = False
        self.fields["reference"].help_text = "Leave blank to have one assigned."
        if self.instance.pk:
            self.fields.pop("owner")
            self.fields["reference"].disabled = True


class DeleteForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), min_length=5,
                             help_text="Deletions are recorded with their reason.")

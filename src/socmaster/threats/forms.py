from django import forms
from django.db.models import Q

from socmaster.core import policy
from socmaster.core.forms import GovukDateField, VersionField
from socmaster.core.reasons import MIN_REASON_LENGTH
from socmaster.core.widgets import GovukCheckboxSelectMultiple, GovukGroupedCheckboxes
from socmaster.organisations.models import Organisation, User

from .choices import AliasType, IdentifierType, LinkType, MemberRole
from .models import CrimeType, Nominal, Threat


def organisation_group(org) -> str:
    """Organisations grouped by region; those outside a region by their kind."""
    if org.region_id:
        return org.region.name
    return org.get_type_display()


def _grouped(field) -> None:
    field.queryset = field.queryset.select_related("region").order_by("name")
    field.widget = GovukGroupedCheckboxes(choices=field.choices, group_of=organisation_group)


class ThreatForm(forms.ModelForm):
    """Input shape only: business rules live in services.create_threat/update_threat."""

    class Meta:
        model = Threat
        fields = [
            "reference",
            "name",
            "operation_names",
            "threat_type",
            "category",
            "soc",
            "phase",
            "owner",
            "lro",
            "sro",
            "crime_types",
            "areas",
            "description",
            "opened_on",
            "closed_on",
            "closed_reason",
            "handling",
            "shared_with",
        ]
        field_classes = {"opened_on": GovukDateField, "closed_on": GovukDateField}
        widgets = {
            "crime_types": GovukCheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        writable = [
            m.organisation_id for m in user.active_memberships if m.role in policy.WRITE_ROLES
        ]
        self.fields["owner"].queryset = Organisation.objects.filter(pk__in=writable)
        # Only people the user may look up (their colleagues), never the whole country's users.
        people = policy.visible_users(User.objects.filter(is_active=True), user)
        current = [self.instance.lro_id, self.instance.sro_id] if self.instance.pk else []
        people = User.objects.filter(
            Q(pk__in=people.values("pk")) | Q(pk__in=[pk for pk in current if pk])
        ).order_by("last_name", "first_name", "username")
        self.fields["lro"].queryset = people
        self.fields["sro"].queryset = people
        self.fields["crime_types"].queryset = CrimeType.objects.all()
        self.fields["shared_with"].queryset = Organisation.objects.filter(active=True)
        self.fields["areas"].queryset = Organisation.objects.filter(
            active=True, type__in=["force", "local_partner"]
        )
        _grouped(self.fields["areas"])
        _grouped(self.fields["shared_with"])
        self.fields["reference"].required = False
        self.fields["reference"].help_text = "Leave blank to have one assigned."
        if self.instance.pk:
            self.fields.pop("owner")
            self.fields["reference"].disabled = True
            self.fields["lock_version"] = VersionField(initial=self.instance.lock_version)
            if not policy.can_share(user, self.instance):
                # Handling and sharing are the owning organisation's decisions.
                self.fields.pop("handling")
                self.fields.pop("shared_with")


class DeleteForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        min_length=MIN_REASON_LENGTH,
        help_text="Deletions are recorded with their reason.",
    )


class NominalForm(forms.ModelForm):
    owner = forms.ModelChoiceField(queryset=Organisation.objects.none())
    aliases = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line: given names, family name (e.g. 'Bob, Smith').",
    )
    identifiers = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line as type: value, e.g. 'phone: 07700 900123', 'pnc_id: 12/345678A'.",
    )

    class Meta:
        model = Nominal
        fields = [
            "family_name",
            "given_names",
            "date_of_birth",
            "gender",
            "nationality",
            "notes",
            "handling",
            "shared_with",
        ]
        field_classes = {"date_of_birth": GovukDateField}
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        writable = [
            m.organisation_id for m in user.active_memberships if m.role in policy.WRITE_ROLES
        ]
        self.fields["owner"].queryset = Organisation.objects.filter(pk__in=writable)
        self.fields["shared_with"].queryset = Organisation.objects.filter(active=True)
        _grouped(self.fields["shared_with"])
        self.order_fields(["owner"])

    def clean_aliases(self):
        out = []
        for n, line in enumerate(self.cleaned_data["aliases"].splitlines(), 1):
            if not line.strip():
                continue
            given, sep, family = line.partition(",")
            if not sep or not family.strip():
                raise forms.ValidationError(
                    f"Line {n}: write the alias as 'given names, family name'."
                )
            out.append((given.strip(), family.strip(), AliasType.ALIAS))
        return out

    def clean_identifiers(self):
        out = []
        kinds = dict(IdentifierType.choices)
        for n, line in enumerate(self.cleaned_data["identifiers"].splitlines(), 1):
            if not line.strip():
                continue
            kind, sep, value = line.partition(":")
            kind = kind.strip().lower().replace(" ", "_")
            if not sep or kind not in kinds or not value.strip():
                raise forms.ValidationError(
                    f"Line {n}: write 'type: value' with a type from {', '.join(kinds)}."
                )
            out.append((kind, value.strip()))
        return out


class MemberForm(forms.Form):
    nominal = forms.CharField(label="Nominal reference", help_text="For example NOM-000123.")
    role = forms.ChoiceField(choices=MemberRole.choices)
    from_date = GovukDateField(required=False, label="Member from", error_name="Start date")
    to_date = GovukDateField(required=False, label="Member until", error_name="End date")
    notes = forms.CharField(required=False, max_length=300)


class LinkForm(forms.Form):
    kind = forms.ChoiceField(choices=LinkType.choices, label="Type")
    name = forms.CharField(max_length=200)
    detail = forms.CharField(max_length=300, required=False)

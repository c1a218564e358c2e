from django import forms

from socmaster.core.forms import GovukDateField
from socmaster.organisations.choices import OrganisationType
from socmaster.organisations.models import Organisation
from socmaster.threats.choices import MemberRole

from .choices import AssociationKind, EdgeType
from .services import EXPORT_FORMATS


class AssociationForm(forms.Form):
    other = forms.CharField(
        label="Associate's nominal reference", help_text="For example NOM-000123."
    )
    kind = forms.ChoiceField(choices=AssociationKind.choices, label="Kind of association")
    from_date = GovukDateField(required=False, label="Associates from", error_name="Start date")
    to_date = GovukDateField(required=False, label="Associates until", error_name="End date")
    notes = forms.CharField(required=False, max_length=300, label="How it is known")


class AnalysisForm(forms.Form):
    region = forms.ModelChoiceField(
        queryset=Organisation.objects.filter(type=OrganisationType.REGION).order_by("name"),
        required=False,
        empty_label="Everything I may see",
        label="Which part of the network",
        help_text="Only nominals and threats owned in the region, or everything you may see.",
    )


class EdgeListForm(forms.Form):
    file = forms.FileField(
        label="Edge list (CSV)",
        help_text="UTF-8 CSV with the columns source,target and optionally type,weight,date.",
    )


class ChartFilterForm(forms.Form):
    types = forms.MultipleChoiceField(
        choices=EdgeType.choices,
        required=False,
        label="Kinds of tie",
        widget=forms.CheckboxSelectMultiple,
    )
    date_from = forms.DateField(required=False, label="Ties from (YYYY-MM-DD)")
    date_to = forms.DateField(required=False, label="Ties until (YYYY-MM-DD)")
    steps = forms.TypedChoiceField(
        choices=[(1, "1 step"), (2, "2 steps"), (3, "3 steps")],
        coerce=int,
        required=False,
        initial=2,
        label="How far from the centre",
    )

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", "The end date cannot be before the start date.")
        return data


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        choices=[
            ("graphml", "GraphML"),
            ("csv", "CSV (nodes and edges, zipped)"),
            ("anx", "i2 Analyst's Notebook (ANX)"),
        ],
        label="Format",
    )
    reason = forms.CharField(label="Why you are exporting this chart", max_length=500)

    def clean_format(self):
        value = self.cleaned_data["format"]
        if value not in EXPORT_FORMATS:
            raise forms.ValidationError("Choose GraphML, CSV or i2 ANX.")
        return value


class AddMemberForm(forms.Form):
    nominal = forms.CharField(widget=forms.HiddenInput)
    role = forms.ChoiceField(choices=MemberRole.choices, initial=MemberRole.ASSOCIATE)


class PathForm(forms.Form):
    a = forms.CharField(label="From nominal reference", max_length=40)
    b = forms.CharField(label="To nominal reference", max_length=40)

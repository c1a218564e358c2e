"""Input shape only: the plan rules live in services."""

from __future__ import annotations

from django import forms

from socmaster.core.forms import GovukDateField
from socmaster.core.widgets import GovukCheckboxSelectMultiple
from socmaster.organisations.models import Organisation
from socmaster.threats.choices import ThreatType

from . import services
from .choices import FourP, PartnerSection
from .models import OBJECTIVE_FIELDS, Plan, PlanAction, PlanReview
from .quality import CHECKS


class PlanForm(forms.ModelForm):
    partner_sections = forms.MultipleChoiceField(
        choices=PartnerSection.choices,
        required=False,
        widget=GovukCheckboxSelectMultiple,
        label="What partners holding actions may see",
        help_text="Partners always see their own actions and the threat's reference and name.",
    )

    class Meta:
        model = Plan
        fields = [
            "aim",
            *OBJECTIVE_FIELDS.values(),
            "intelligence_gaps",
            "safeguarding_plans",
            "investigation_plans",
            "review_frequency_days",
            "partner_sections",
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in [
                "aim",
                *OBJECTIVE_FIELDS.values(),
                "intelligence_gaps",
                "safeguarding_plans",
                "investigation_plans",
            ]
        }


class NewPlanForm(PlanForm):
    add_suggested_actions = forms.BooleanField(
        required=False,
        initial=True,
        label="Add the template's suggested actions",
        help_text="Give each one an owner, a start date and a due date afterwards.",
    )


class ActionForm(forms.ModelForm):
    class Meta:
        model = PlanAction
        fields = [
            "four_p",
            "description",
            "owner_user",
            "owner_organisation",
            "start_date",
            "due_date",
            "status",
            "result",
            "disruptions",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "result": forms.Textarea(attrs={"rows": 3}),
            "disruptions": GovukCheckboxSelectMultiple,
        }
        field_classes = {"start_date": GovukDateField, "due_date": GovukDateField}

    def __init__(self, *args, plan: Plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_user"].queryset = services.possible_holders(plan)
        self.fields["owner_organisation"].queryset = Organisation.objects.filter(active=True)
        self.fields["disruptions"].queryset = plan.threat.disruptions.order_by("-event_date")
        self.fields["disruptions"].label_from_instance = lambda d: (
            f"{d.reference} {d.event_date:%d %b %Y} {d.get_four_p_display()} ({d.get_status_display()})"
        )
        self.fields[
            "disruptions"
        ].help_text = "Disruptions recorded against this threat that the action led to."


class AssigneeActionForm(forms.ModelForm):
    """What the holder of an action (a partner, say) may change."""

    class Meta:
        model = PlanAction
        fields = ["status", "start_date", "result"]
        widgets = {
            "result": forms.Textarea(attrs={"rows": 4}),
        }
        field_classes = {"start_date": GovukDateField}


class ReviewForm(forms.ModelForm):
    class Meta:
        model = PlanReview
        fields = ["reviewed_on", "outcome", "comments"]
        field_classes = {"reviewed_on": GovukDateField}
        widgets = {
            "comments": forms.Textarea(attrs={"rows": 4}),
        }


class TemplateForm(forms.Form):
    name = forms.CharField(max_length=200)
    aim = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    pursue_objectives = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    prevent_objectives = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    protect_objectives = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    prepare_objectives = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    suggested_actions = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text="One per line as 'P: description', e.g. 'prevent: Refer young people to a diversion scheme'.",
    )

    def clean_suggested_actions(self):
        out = []
        for n, line in enumerate(self.cleaned_data["suggested_actions"].splitlines(), 1):
            if not line.strip():
                continue
            p, sep, description = line.partition(":")
            if not sep or p.strip().lower() not in FourP.values or not description.strip():
                raise forms.ValidationError(
                    f"Line {n}: write 'P: description' with P one of pursue, prevent, protect or prepare."
                )
            out.append({"four_p": p.strip().lower(), "description": description.strip()})
        return out


class PlanFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Threat reference or name")
    region = forms.ModelChoiceField(
        queryset=Organisation.objects.filter(type="region"),
        required=False,
        to_field_name="key",
        empty_label="All regions",
    )
    organisation = forms.CharField(
        required=False, label="Owning organisation", help_text="Name, short name or alias."
    )
    check = forms.ChoiceField(
        choices=[
            ("", "Any"),
            ("failing", "Failing any check"),
            ("passing", "Passing every check"),
            *[(c.key, c.title) for c in CHECKS],
        ],
        required=False,
        label="Quality check",
    )
    threat_type = forms.ChoiceField(choices=[("", "Any"), *ThreatType.choices], required=False)
    lro = forms.CharField(required=False, label="LRO user name")
    sort = forms.ChoiceField(
        choices=[
            ("organisation", "Organisation"),
            ("threat", "Threat reference"),
            ("failures", "Most failed checks"),
            ("review", "Next review due"),
        ],
        required=False,
    )

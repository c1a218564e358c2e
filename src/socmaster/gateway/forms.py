"""Gateway forms: input shape only (the rules live in ``services``). References to threats,
disruptions and people resolve only among the records the user may see."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from socmaster.core import policy
from socmaster.core.choices import Handling
from socmaster.core.forms import GovukDateField
from socmaster.organisations.models import Organisation
from socmaster.threats.models import Threat

from . import services
from .choices import Authority, CapacityUnit, DeclineReason, ReferralReason, Urgency
from .models import Capability, CapabilityOffer

#: What each handling level a requester may choose means for a request.
HANDLING_LABELS = {
    Handling.REGION: "The gateway's region: police and agencies there may see it",
    Handling.NAMED: "Only the gateway and your organisation (opening it asks for a reason)",
    Handling.NATIONAL: "Any police organisation or agency",
}


def _offered_capabilities():
    return Capability.objects.filter(active=True, offers__active=True).distinct().order_by("name")


def _gateways():
    return (
        Organisation.objects.filter(type__in=services.GATEWAY_TYPES, capability_offers__active=True)
        .distinct()
        .order_by("name")
    )


def _narrow(width: int) -> forms.NumberInput:
    """A number input as wide as the figures it takes (GOV.UK fixed-width inputs)."""
    return forms.NumberInput(attrs={"class": f"govuk-input govuk-input--width-{width}"})


def _references(text: str) -> list[str]:
    return [r.strip() for r in (text or "").replace(";", ",").split(",") if r.strip()]


class RequestForm(forms.Form):
    """A request for specialist support, as a force's single point of contact fills it in."""

    capability = forms.ModelChoiceField(
        queryset=Capability.objects.none(), to_field_name="code", label="Capability"
    )
    gateway = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        to_field_name="key",
        label="Gateway to ask",
        help_text="The ROCU or national agency that offers the capability.",
    )
    requesting_organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        to_field_name="key",
        label="Asking on behalf of",
    )
    threat = forms.CharField(
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"class": "govuk-input govuk-input--width-10"}),
        label="Threat reference",
        help_text="The threat's reference on the master list. Leave it empty and describe the "
        "threat below if it is not on the master list yet.",
    )
    threat_description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="The threat, if it is not on the master list",
    )
    operation = forms.CharField(required=False, max_length=200, label="Investigation or operation")
    asked_for = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label="What is asked for",
        error_messages={"required": "Say what is asked for."},
    )
    justification = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Why it is needed",
        error_messages={"required": "Say why it is needed."},
    )
    needed_from = GovukDateField(label="Needed from")
    needed_to = GovukDateField(required=False, label="Needed until")
    urgency = forms.ChoiceField(
        choices=Urgency.choices, initial=Urgency.ROUTINE, widget=forms.RadioSelect
    )
    threat_to_life = forms.BooleanField(required=False, label="There is a threat to life")
    authorities = forms.MultipleChoiceField(
        choices=Authority.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Authorities required",
    )
    handling = forms.ChoiceField(
        choices=[(h.value, HANDLING_LABELS[h]) for h in services.HANDLING_CHOICES],
        initial=Handling.REGION,
        widget=forms.RadioSelect,
        label="Who may see the request beyond the gateway and your organisation",
    )

    def __init__(self, *args, user, capability=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["capability"].queryset = _offered_capabilities()
        gateways = _gateways()
        if capability is not None:
            gateways = gateways.filter(pk__in=[o.pk for o in services.gateways_for(capability)])
        self.fields["gateway"].queryset = gateways
        self.fields["requesting_organisation"].queryset = Organisation.objects.filter(
            pk__in=[o.pk for o in services.requesting_organisations(user)]
        ).order_by("name")

    def clean_threat(self):
        reference = (self.cleaned_data.get("threat") or "").strip()
        if not reference:
            return None
        threat = Threat.objects.visible_to(self.user).filter(reference__iexact=reference).first()
        if threat is None:
            raise ValidationError("No such threat on the master list.")
        return threat

    def values(self) -> dict:
        """What the service takes as the request's own fields."""
        return {name: self.cleaned_data[name] for name in services.REQUEST_FIELDS}


# --- The steps of a request's workflow: one small form each ----------------------------------


class TriageForm(forms.Form):
    notes = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Triage notes"
    )


class AcceptForm(forms.Form):
    offer = forms.ModelChoiceField(queryset=CapabilityOffer.objects.none(), label="Team committed")
    committed_from = GovukDateField(label="Committed from")
    committed_to = GovukDateField(label="Committed until")
    committed_capacity = forms.DecimalField(
        max_digits=8, decimal_places=1, label="Capacity committed", widget=_narrow(5)
    )
    notes = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Notes for the requester"
    )

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["offer"].queryset = services.offers_of(request.capability, request.owner_id)
        self.fields["offer"].label_from_instance = lambda o: (
            f"{o.team} ({o.monthly_capacity:g} {o.get_capacity_unit_display()} a month)"
        )


class DeclineForm(forms.Form):
    decline_reason = forms.ChoiceField(
        choices=DeclineReason.choices, widget=forms.RadioSelect, label="Why is it declined?"
    )
    decision_notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label="Explain the decision to the requester"
    )


class ReferForm(forms.Form):
    referred_to = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), to_field_name="key", label="Refer it to"
    )
    referral_reason = forms.ChoiceField(
        choices=ReferralReason.choices, widget=forms.RadioSelect, label="Why is it referred?"
    )
    decision_notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why, for the requester and the receiving gateway",
    )

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        others = [
            o.pk for o in services.gateways_for(request.capability) if o.pk != request.owner_id
        ]
        self.fields["referred_to"].queryset = Organisation.objects.filter(pk__in=others).order_by(
            "name"
        )


class StartForm(forms.Form):
    """Starting the work needs nothing more than the button."""


class CompleteForm(forms.Form):
    outcome = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label="What the support achieved"
    )
    disruptions = forms.CharField(
        required=False,
        label="Disruptions it produced",
        help_text="Disruption references, separated by commas.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_disruptions(self):
        from socmaster.disruptions.models import Disruption

        references = _references(self.cleaned_data.get("disruptions"))
        found = {
            d.reference.upper(): d
            for d in Disruption.objects.visible_to(self.user).filter(reference__in=references)
        }
        missing = [r for r in references if r.upper() not in found]
        if missing:
            raise ValidationError(f"No such disruption: {', '.join(missing)}.")
        return list(found.values())


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), label="Why is the request withdrawn?"
    )


class PauseForm(forms.Form):
    asked = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Information needed from the requester",
        help_text="The clocks stop until it is answered.",
    )


class ResumeForm(forms.Form):
    answer = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="The answer")


class AssignForm(forms.Form):
    assigned_to = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        to_field_name="username",
        label="Assign to",
    )

    def __init__(self, *args, request, user, **kwargs):
        super().__init__(*args, **kwargs)
        officers = policy.visible_users(get_user_model().objects.all(), user).filter(
            memberships__organisation_id=request.owner_id,
            memberships__role="gateway_officer",
        )
        self.fields["assigned_to"].queryset = officers.distinct().order_by("username")
        self.fields["assigned_to"].empty_label = "Nobody"
        self.fields["assigned_to"].label_from_instance = lambda u: u.get_full_name() or u.username


class OverrideForm(forms.Form):
    override_score = forms.IntegerField(
        required=False,
        widget=_narrow(4),
        label="Score to put it at",
        help_text=f"0 to {services.MAX_OVERRIDE}; leave it empty to take the override off.",
    )
    override_reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), label="Why the queue's order is overridden"
    )


# --- Capabilities and offers --------------------------------------------------------------------

TIERS = [(t, f"Tier {t}") for t in range(1, 6)]


class CriteriaForm(forms.Form):
    """A capability's acceptance criteria, one control per kind of criterion
    (``services.CRITERIA``), and its description and whether it is offered at all."""

    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    active = forms.BooleanField(required=False, label="Requests may be made for it")
    threat_required = forms.BooleanField(
        required=False, label="The request must name a threat on the master list"
    )
    tiers = forms.TypedMultipleChoiceField(
        choices=TIERS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Tiers of threat it is for",
        help_text="Leave them all empty for any tier. A threat to life meets it whatever the tier.",
    )
    notice_days = forms.IntegerField(
        required=False,
        widget=_narrow(3),
        label="Days' notice needed",
        help_text="Leave it empty for none. Immediate requests and threats to life meet it.",
    )
    assessed = forms.BooleanField(
        required=False, label="The threat must have a current moderated MoRiLE assessment"
    )
    authorities = forms.BooleanField(
        required=False, label="The request must name the authorities it needs"
    )

    KINDS = ("threat_required", "tiers", "notice_days", "assessed", "authorities")

    @classmethod
    def initial_for(cls, capability: Capability) -> dict:
        initial = {"description": capability.description, "active": capability.active}
        for spec in capability.acceptance_criteria:
            kind = spec.get("kind")
            if kind == "tiers":
                initial["tiers"] = list(spec.get("tiers", []))
            elif kind == "notice_days":
                initial["notice_days"] = spec.get("days")
            elif kind in cls.KINDS:
                initial[kind] = True
        return initial

    def criteria(self, existing: list) -> list:
        """The criteria as data: those already held keep their order (so saving unchanged
        changes nothing), new kinds follow in the order of ``KINDS``."""
        data = self.cleaned_data
        wanted = {}
        for kind in ("threat_required", "assessed", "authorities"):
            if data.get(kind):
                wanted[kind] = {"kind": kind}
        if data.get("tiers"):
            wanted["tiers"] = {"kind": "tiers", "tiers": sorted(data["tiers"])}
        if data.get("notice_days") is not None:
            wanted["notice_days"] = {"kind": "notice_days", "days": data["notice_days"]}
        out = []
        for spec in existing:
            kind = spec.get("kind") if isinstance(spec, dict) else None
            if kind in self.KINDS:
                if kind in wanted:
                    out.append(wanted.pop(kind))
            else:
                out.append(spec)  # a kind this form has no control for stays as it is
        out.extend(wanted[kind] for kind in self.KINDS if kind in wanted)
        return out


class OfferForm(forms.Form):
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), to_field_name="key", label="Offered by"
    )
    team = forms.CharField(max_length=200)
    monthly_capacity = forms.DecimalField(
        max_digits=8,
        decimal_places=1,
        label="Monthly capacity",
        help_text="What the team can commit in a month.",
        widget=_narrow(5),
    )
    capacity_unit = forms.ChoiceField(choices=CapacityUnit.choices, label="Counted in")
    capability_owner = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        to_field_name="username",
        label="Capability owner",
    )
    active = forms.BooleanField(required=False, initial=True, label="Offered now")

    def __init__(self, *args, user, offer=None, **kwargs):
        super().__init__(*args, **kwargs)
        if offer is not None:
            del self.fields["organisation"]  # an offer stays with the organisation that made it
            organisation_ids = [offer.organisation_id]
        else:
            maintained = [
                o.pk
                for o in Organisation.objects.filter(type__in=services.GATEWAY_TYPES)
                if services.may_maintain_offers(user, o)
            ]
            self.fields["organisation"].queryset = Organisation.objects.filter(
                pk__in=maintained
            ).order_by("name")
            organisation_ids = maintained
        people = policy.visible_users(get_user_model().objects.all(), user).filter(
            memberships__organisation_id__in=organisation_ids
        )
        self.fields["capability_owner"].queryset = people.distinct().order_by("username")
        self.fields["capability_owner"].empty_label = "Nobody named"
        self.fields["capability_owner"].label_from_instance = lambda u: (
            u.get_full_name() or u.username
        )

    def values(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in ("team", "monthly_capacity", "capacity_unit", "capability_owner", "active")
        }


# --- The demand dashboard -------------------------------------------------------------------------

PERIODS = [
    (3, "The last 3 months"),
    (6, "The last 6 months"),
    (12, "The last 12 months"),
    (24, "The last 24 months"),
]


class DemandForm(forms.Form):
    months = forms.TypedChoiceField(
        choices=PERIODS, coerce=int, initial=12, required=False, empty_value=12, label="Period"
    )
    gateway = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        to_field_name="key",
        empty_label="Every gateway",
    )
    capability = forms.ModelChoiceField(
        queryset=Capability.objects.order_by("name"),
        required=False,
        to_field_name="code",
        empty_label="Every capability",
    )
    region = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        to_field_name="key",
        label="Regional view",
        empty_label="Every region",
    )

    def __init__(self, *args, **kwargs):
        from socmaster.organisations.choices import OrganisationType

        super().__init__(*args, **kwargs)
        self.fields["gateway"].queryset = Organisation.objects.filter(
            type__in=services.GATEWAY_TYPES
        ).order_by("name")
        self.fields["region"].queryset = Organisation.objects.filter(
            type=OrganisationType.REGION
        ).order_by("name")

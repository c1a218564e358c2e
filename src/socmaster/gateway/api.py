"""The gateway API: requests (listed and opened through the access policy, submitted and moved
through their workflow by the same services as the pages) and the capabilities with who offers
them (reference data). A service's error is a field-level 400; a request the user may not see
answers 404 like a missing one, whatever the step asked for."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from socmaster.core import policy
from socmaster.core.api import ListSummaryMixin, ProtectedViewSet, VisibleRelatedField
from socmaster.core.choices import Action
from socmaster.organisations.api import OrganisationField
from socmaster.threats.models import Threat

from . import services
from .choices import AWAITING_DECISION, REQUEST_HANDLING, Authority, Urgency
from .filters import SupportRequestFilter
from .models import Capability, CapabilityOffer, SupportRequest


def _clock(state) -> dict | None:
    if state is None:
        return None
    return {
        "running_seconds": int(state.running.total_seconds()),
        "paused_seconds": int(state.paused.total_seconds()),
        "stopped": state.stopped,
        "waiting_now": state.waiting_now,
    }


CLOCK = inline_serializer(
    "GatewayClock",
    {
        "running_seconds": serializers.IntegerField(),
        "paused_seconds": serializers.IntegerField(),
        "stopped": serializers.BooleanField(),
        "waiting_now": serializers.BooleanField(),
    },
)


class PauseSerializer(serializers.Serializer):
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    asked = serializers.CharField()
    answer = serializers.CharField()


class SupportRequestSerializer(ListSummaryMixin, serializers.ModelSerializer):
    """A request. On submission: ``capability`` (its code), ``gateway`` (the organisation that
    offers it), ``requesting_organisation``, ``threat`` (a master-list reference) or
    ``threat_description``, and what is asked for, why and when."""

    capability = serializers.SlugRelatedField(slug_field="code", queryset=Capability.objects.all())
    gateway = OrganisationField(source="owner")
    requesting_organisation = OrganisationField()
    threat = VisibleRelatedField(Threat, required=False, allow_null=True)
    authorities = serializers.ListField(
        child=serializers.ChoiceField(choices=Authority.choices), required=False
    )
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    handling = serializers.ChoiceField(choices=REQUEST_HANDLING, required=False)
    asked_for = serializers.CharField(required=False, allow_blank=True)
    justification = serializers.CharField(required=False, allow_blank=True)
    needed_from = serializers.DateField(required=False, allow_null=True)
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    assigned_to = serializers.SlugRelatedField(slug_field="username", read_only=True)
    team = serializers.CharField(source="offer.team", read_only=True, default=None)
    score = serializers.SerializerMethodField()
    decision_clock = serializers.SerializerMethodField()
    completion_clock = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    waiting_on_requester = serializers.SerializerMethodField()
    pauses = serializers.SerializerMethodField()

    class Meta:
        model = SupportRequest
        fields = [
            "reference",
            "capability",
            "gateway",
            "requesting_organisation",
            "requested_by",
            "handling",
            "threat",
            "threat_description",
            "operation",
            "asked_for",
            "justification",
            "needed_from",
            "needed_to",
            "urgency",
            "threat_to_life",
            "authorities",
            "status",
            "submitted_at",
            "assigned_to",
            "triaged_at",
            "decided_at",
            "decline_reason",
            "referral_reason",
            "decision_notes",
            "team",
            "committed_from",
            "committed_to",
            "committed_capacity",
            "started_at",
            "completed_at",
            "outcome",
            "score",
            "override_score",
            "override_reason",
            "decision_clock",
            "completion_clock",
            "overdue",
            "waiting_on_requester",
            "pauses",
            "lock_version",
        ]
        read_only_fields = [
            "reference",
            "status",
            "submitted_at",
            "triaged_at",
            "decided_at",
            "decline_reason",
            "referral_reason",
            "decision_notes",
            "committed_from",
            "committed_to",
            "committed_capacity",
            "started_at",
            "completed_at",
            "outcome",
            "override_score",
            "override_reason",
            "lock_version",
        ]
        list_fields = [
            "reference",
            "capability",
            "gateway",
            "requesting_organisation",
            "urgency",
            "status",
            "submitted_at",
        ]

    def get_score(self, obj) -> int | None:
        """The score the queue sorts by, while the request waits for a decision."""
        return services.queue_score(obj) if obj.status in AWAITING_DECISION else None

    @extend_schema_field(CLOCK)
    def get_decision_clock(self, obj):
        return _clock(services.decision_clock(obj))

    @extend_schema_field(CLOCK)
    def get_completion_clock(self, obj):
        return _clock(services.completion_clock(obj))

    def get_overdue(self, obj) -> bool:
        return services.is_decision_overdue(obj)

    def get_waiting_on_requester(self, obj) -> bool:
        return obj.is_open and any(p.ended_at is None for p in obj.pauses.all())

    @extend_schema_field(PauseSerializer(many=True))
    def get_pauses(self, obj):
        return PauseSerializer(obj.pauses.all(), many=True).data

    def create(self, validated_data):
        data = dict(validated_data)
        fixed = {
            "capability": data.pop("capability"),
            "gateway": data.pop("owner"),
            "requesting_organisation": data.pop("requesting_organisation"),
            "threat": data.pop("threat", None),
        }
        if "handling" in data:
            fixed["handling"] = data.pop("handling")
        return services.submit_request(self.context["request"].user, **fixed, **data)


class SupportRequestDetailSerializer(SupportRequestSerializer):
    """One request, with the request it was referred to and the disruptions it produced (where
    the reader may see them), its acceptance criteria (each met or not), its triage factors and
    the flag for a threat with no current moderated assessment."""

    referred_to = serializers.SerializerMethodField()
    disruptions = serializers.SerializerMethodField()
    acceptance = serializers.SerializerMethodField()
    factors = serializers.SerializerMethodField()
    unassessed = serializers.SerializerMethodField()

    class Meta(SupportRequestSerializer.Meta):
        fields = [
            *SupportRequestSerializer.Meta.fields,
            "referred_to",
            "disruptions",
            "acceptance",
            "factors",
            "unassessed",
        ]

    def get_referred_to(self, obj) -> str | None:
        """The request the receiving gateway got, where the reader may see it."""
        target = obj.referred_to
        user = self.context["request"].user
        return target.reference if target and policy.can(user, Action.VIEW, target) else None

    def get_disruptions(self, obj) -> list[str]:
        from socmaster.disruptions.models import Disruption

        user = self.context["request"].user
        return list(
            Disruption.objects.visible_to(user)
            .filter(support_requests=obj)
            .order_by("reference")
            .values_list("reference", flat=True)
        )

    @extend_schema_field(
        inline_serializer(
            "GatewayCriterion",
            {
                "kind": serializers.CharField(),
                "text": serializers.CharField(),
                "met": serializers.BooleanField(),
                "detail": serializers.CharField(),
            },
            many=True,
        )
    )
    def get_acceptance(self, obj):
        return [
            {"kind": c.kind, "text": c.text, "met": c.met, "detail": c.detail}
            for c in services.acceptance(obj)
        ]

    @extend_schema_field(
        inline_serializer(
            "GatewayFactor",
            {
                "label": serializers.CharField(),
                "points": serializers.IntegerField(),
                "explanation": serializers.CharField(),
            },
            many=True,
        )
    )
    def get_factors(self, obj):
        return [
            {"label": f.label, "points": f.points, "explanation": f.explanation}
            for f in services.triage_factors(obj)
        ]

    def get_unassessed(self, obj) -> bool:
        return services.unassessed(obj)


# --- the steps of the workflow ------------------------------------------------------------------


def _date(data, name: str, message: str):
    value = data.get(name)
    if value in (None, ""):
        return None
    try:
        return serializers.DateField().to_internal_value(value)
    except serializers.ValidationError:
        raise ValidationError({name: [message]}) from None


def _text(data, name: str) -> str:
    value = data.get(name, "")
    return value if isinstance(value, str) else ""


def _step(name, fields):
    return inline_serializer(name, fields)


STEP_BODIES = {
    "triage": _step("GatewayTriage", {"notes": serializers.CharField(required=False)}),
    "accept": _step(
        "GatewayAccept",
        {
            "offer": serializers.IntegerField(help_text="The team (offer) committed, by id."),
            "committed_from": serializers.DateField(),
            "committed_to": serializers.DateField(),
            "committed_capacity": serializers.DecimalField(max_digits=8, decimal_places=1),
            "notes": serializers.CharField(required=False),
        },
    ),
    "decline": _step(
        "GatewayDecline",
        {"decline_reason": serializers.CharField(), "decision_notes": serializers.CharField()},
    ),
    "refer": _step(
        "GatewayRefer",
        {
            "referred_to": serializers.CharField(help_text="The organisation to refer it to."),
            "referral_reason": serializers.CharField(),
            "decision_notes": serializers.CharField(),
        },
    ),
    "complete": _step(
        "GatewayComplete",
        {
            "outcome": serializers.CharField(),
            "disruptions": serializers.ListField(child=serializers.CharField(), required=False),
        },
    ),
    "withdraw": _step("GatewayWithdraw", {"reason": serializers.CharField()}),
    "pause": _step("GatewayPause", {"asked": serializers.CharField()}),
    "resume": _step("GatewayResume", {"answer": serializers.CharField()}),
    "assign": _step(
        "GatewayAssign", {"assigned_to": serializers.CharField(required=False, allow_null=True)}
    ),
    "override": _step(
        "GatewayOverride",
        {
            "override_score": serializers.IntegerField(required=False, allow_null=True),
            "override_reason": serializers.CharField(),
        },
    ),
}


def _organisation(value):
    from socmaster.threats.filters import organisation_named

    if not isinstance(value, str) or not value.strip() or "\x00" in value:
        return None
    return organisation_named(value.strip())


class SupportRequestViewSet(ProtectedViewSet):
    """Requests for ROCU and national specialist capabilities. Listed and opened through the
    access policy (a restricted request's list entry is a summary; opening it needs a reason);
    submitted by a police user on behalf of their organisation; moved through its workflow only
    by the steps below, each taken by the service that checks who may take it."""

    queryset = SupportRequest.objects.all()
    serializer_class = SupportRequestSerializer
    filterset_class = SupportRequestFilter
    search_fields = ["reference", "operation"]
    ordering_fields = ["submitted_at", "needed_from", "reference"]
    lookup_field = "reference"
    lookup_value_regex = "[^/]+"
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .with_related()
            .select_related("assigned_to", "referred_to")
            .prefetch_related("pauses")
            .order_by("-submitted_at", "-id")
        )

    def get_serializer_class(self):
        if self.action == "list" or self.action == "create":
            return SupportRequestSerializer
        return SupportRequestDetailSerializer

    def _request(self) -> SupportRequest:
        return get_object_or_404(self.get_queryset(), reference=self.kwargs["reference"])

    def _answer(self, obj) -> Response:
        fresh = self.get_queryset().get(pk=obj.pk)
        return Response(
            SupportRequestDetailSerializer(fresh, context=self.get_serializer_context()).data
        )

    @extend_schema(request=STEP_BODIES["triage"], responses=SupportRequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def triage(self, request, reference=None):
        """Mark the request as triaged (a gateway officer of the receiving gateway)."""
        obj = self._request()
        services.triage(request.user, obj, notes=_text(request.data, "notes"))
        return self._answer(obj)

    @extend_schema(request=STEP_BODIES["accept"], responses=SupportRequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, reference=None):
        """Accept with the team (an offer of this gateway for the capability), the dates and the
        capacity committed; refused while an acceptance criterion is unmet."""
        obj = self._request()
        offer_id = request.data.get("offer")
        offer = None
        if isinstance(offer_id, int | str) and str(offer_id).isdigit():
            offer = (
                services.offers_of(obj.capability, obj.owner_id).filter(pk=int(offer_id)).first()
            )
        services.accept(
            request.user,
            obj,
            offer=offer,
            committed_from=_date(request.data, "committed_from", "Give the date as YYYY-MM-DD."),
            committed_to=_date(request.data, "committed_to", "Give the date as YYYY-MM-DD."),
            committed_capacity=request.data.get("committed_capacity"),
            notes=_text(request.data, "notes"),
        )
        return self._answer(obj)

    @extend_schema(request=STEP_BODIES["decline"], responses=SupportRequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, reference=None):
        """Decline, with the reason and notes for the requester."""
        obj = self._request()
        services.decline(
            request.user,
            obj,
            reason=_text(request.data, "decline_reason"),
            notes=_text(request.data, "decision_notes"),
        )
        return self._answer(obj)

    @extend_schema(request=STEP_BODIES["refer"], responses=SupportRequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def refer(self, request, reference=None):
        """Refer to another gateway that offers the capability: this request closes as referred
        and names the one opened there (``referred_to``)."""
        obj = self._request()
        services.refer(
            request.user,
            obj,
            to=_organisation(request.data.get("referred_to")),
            reason=_text(request.data, "referral_reason"),
            notes=_text(request.data, "decision_notes"),
        )
        return self._answer(obj)

    @extend_schema(request=None, responses=SupportRequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, reference=None):
        """Start the work accepted."""
        obj = self._request()
        services.start(request.user, obj)
        return self._answer(obj)

    @extend_schema(request=STEP_BODIES["complete"], responses=SupportRequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, reference=None):
        """Record the outcome and the disruptions the support produced (references of
        disruptions the user may see)."""
        from socmaster.disruptions.models import Disruption

        obj = self._request()
        references = request.data.get("disruptions") or []
        if not isinstance(references, list) or not all(isinstance(r, str) for r in references):
            raise ValidationError({"disruptions": ["Give a list of disruption references."]})
        found = list(Disruption.objects.visible_to(request.user).filter(reference__in=references))
        if len(found) != len(set(references)):
            known = {d.reference for d in found}
            missing = ", ".join(r for r in references if r not in known)
            raise ValidationError({"disruptions": [f"No such disruption: {missing}."]})
        services.complete(
            request.user, obj, outcome=_text(request.data, "outcome"), disruptions=found
        )
        return self._answer(obj)

    @extend_schema(request=STEP_BODIES["withdraw"], responses=SupportRequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, reference=None):
        """Withdraw the request (the requesting organisation), with the reason."""
        obj = self._request()
        services.withdraw(request.user, obj, reason=_text(request.data, "reason"))
        return self._answer(obj)

    @extend_schema(request=STEP_BODIES["pause"], responses=SupportRequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request, reference=None):
        """Stop the clocks while the gateway waits on the requester for the information asked."""
        obj = self._request()
        services.pause(request.user, obj, asked=_text(request.data, "asked"))
        return self._answer(obj)

    @extend_schema(request=STEP_BODIES["resume"], responses=SupportRequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, reference=None):
        """Answer the gateway's question (or record the answer): the clocks run again."""
        obj = self._request()
        services.resume(request.user, obj, answer=_text(request.data, "answer"))
        return self._answer(obj)

    @extend_schema(request=STEP_BODIES["assign"], responses=SupportRequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, reference=None):
        """Assign the request to a gateway officer of this gateway (by user name), or to nobody."""
        obj = self._request()
        username = request.data.get("assigned_to")
        assignee = None
        if username not in (None, ""):
            people = policy.visible_users(get_user_model().objects.all(), request.user)
            assignee = (
                people.filter(username=username).first() if isinstance(username, str) else None
            )
            if assignee is None:
                raise ValidationError({"assigned_to": ["No such user."]})
        services.assign(request.user, obj, assignee)
        return self._answer(obj)

    @extend_schema(request=STEP_BODIES["override"], responses=SupportRequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def override(self, request, reference=None):
        """Put the request where the officer judges in the queue (``override_score``, or null to
        take the override off), with the reason."""
        obj = self._request()
        score = request.data.get("override_score")
        if isinstance(score, bool) or not isinstance(score, int | str | type(None)):
            score = -1
        services.override(
            request.user, obj, score=score, reason=_text(request.data, "override_reason")
        )
        return self._answer(obj)


# --- capabilities -------------------------------------------------------------------------------


class OfferSerializer(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="key", read_only=True)
    capability_owner = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CapabilityOffer
        fields = [
            "id",
            "organisation",
            "team",
            "monthly_capacity",
            "capacity_unit",
            "capability_owner",
            "active",
        ]
        read_only_fields = fields


class CapabilitySerializer(serializers.ModelSerializer):
    offers = OfferSerializer(many=True, read_only=True)

    class Meta:
        model = Capability
        fields = ["code", "name", "description", "acceptance_criteria", "active", "offers"]
        read_only_fields = fields


class CapabilityViewSet(viewsets.ReadOnlyModelViewSet):
    """The specialist capabilities (reference data), their acceptance criteria and the ROCUs and
    national agencies that offer each, with the team, monthly capacity and owner."""

    queryset = Capability.objects.prefetch_related(
        "offers__organisation", "offers__capability_owner"
    ).order_by("name")
    serializer_class = CapabilitySerializer
    lookup_field = "code"
    search_fields = ["name", "code"]
    filterset_fields = ["active"]

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from socmaster.core.api import ListSummaryMixin, ProtectedViewSet, VisibleRelatedField
from socmaster.organisations.api import OrganisationField
from socmaster.threats.models import Nominal, Threat

from . import services
from .filters import DisruptionFilter
from .models import Disruption, Tactic


class DisruptionSerializer(ListSummaryMixin, serializers.ModelSerializer):
    threat = VisibleRelatedField(Threat)
    recording_organisation = OrganisationField()
    lead = VisibleRelatedField(Disruption, required=False, allow_null=True)
    tactic = serializers.SlugRelatedField(
        # Reference data every signed-in user may read: no hidden records to resolve.
        slug_field="code",
        queryset=Tactic.objects.all(),
        required=False,
        allow_null=True,
    )
    nominals = VisibleRelatedField(Nominal, many=True, required=False)
    recorder = serializers.SlugRelatedField(slug_field="username", read_only=True)
    moderator = serializers.SlugRelatedField(slug_field="username", read_only=True)
    standard = serializers.SlugRelatedField(slug_field="version", read_only=True)

    class Meta:
        model = Disruption
        fields = [
            "reference",
            "threat",
            "standard",
            "event_date",
            "record_date",
            "recording_organisation",
            "team",
            "disruption_type",
            "lead",
            "four_p",
            "category",
            "tactic",
            "narrative",
            "evidence",
            "nominals",
            "status",
            "recorder",
            "moderator",
            "moderated_at",
            "decision_reason",
            "created_at",
            "import_source",
            "imported_at",
            "recorder_name",
            "outside_decision_by",
            "outside_decision_on",
        ]
        read_only_fields = [
            "reference",
            "standard",
            "status",
            "recorder",
            "moderator",
            "moderated_at",
            "decision_reason",
            "created_at",
            "import_source",
            "imported_at",
            "recorder_name",
            "outside_decision_by",
            "outside_decision_on",
        ]
        list_fields = ["reference", "threat", "event_date", "disruption_type", "status"]

    def create(self, validated_data):
        threat = validated_data.pop("threat")
        return services.record_disruption(
            self.context["request"].user,
            threat,
            recording_organisation=validated_data.pop("recording_organisation"),
            nominals=validated_data.pop("nominals", []),
            **validated_data,
        )

    def update(self, instance, validated_data):
        for fixed in ("threat", "recording_organisation"):
            if fixed in validated_data and validated_data.pop(fixed) != getattr(instance, fixed):
                raise serializers.ValidationError({fixed: ["This cannot be changed."]})
        return services.update_disruption(
            self.context["request"].user,
            instance,
            expected_version=self.context.get("expected_version"),
            **validated_data,
        )


class DisruptionViewSet(ProtectedViewSet):
    """Disruptions with their moderation workflow. Only approved ones count in figures."""

    queryset = Disruption.objects.all()
    serializer_class = DisruptionSerializer
    lookup_field = "reference"
    lookup_value_regex = "[^/]+"
    filterset_class = DisruptionFilter
    ordering_fields = ["event_date", "record_date"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def allowed(self, action, obj):
        return services.may_change(self.request.user, obj)

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related(
                "threat",
                "recording_organisation",
                "lead",
                "tactic",
                "recorder",
                "moderator",
                "standard",
            )
            .prefetch_related("nominals__owner__region")
            .order_by("-event_date", "-id")
        )

    def _run(self, fn, *args, **kwargs):
        disruption = get_object_or_404(self.get_queryset(), reference=self.kwargs["reference"])
        return Response(
            self.get_serializer(fn(self.request.user, disruption, *args, **kwargs)).data
        )

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def submit(self, request, reference=None):
        return self._run(services.submit_disruption)

    @extend_schema(
        request=inline_serializer(
            "DecisionRequest", {"reason": serializers.CharField(required=False)}
        )
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, reference=None):
        return self._run(
            services.moderate_disruption, "approve", str(request.data.get("reason", ""))
        )

    @extend_schema(request=inline_serializer("ReturnDecision", {"reason": serializers.CharField()}))
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, reference=None):
        return self._run(
            services.moderate_disruption, "return", str(request.data.get("reason", ""))
        )

    @extend_schema(request=inline_serializer("RejectDecision", {"reason": serializers.CharField()}))
    @action(detail=True, methods=["post"])
    def reject(self, request, reference=None):
        return self._run(
            services.moderate_disruption, "reject", str(request.data.get("reason", ""))
        )

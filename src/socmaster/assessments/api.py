from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from socmaster.core.api import (
    IMPORT_FIELDS,
    OUTSIDE_DECISION_FIELDS,
    ListSummaryMixin,
    ProtectedViewSet,
    VisibleRelatedField,
)
from socmaster.threats.models import Threat

from . import services
from .filters import AssessmentFilter
from .models import Assessment, SchemeVersion


class SchemeVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = SchemeVersion
        fields = ["id", "name", "version", "label", "is_current", "loaded_at", "definition"]
        read_only_fields = ["id", "name", "version", "label", "loaded_at"]

    def create(self, validated_data):
        return services.load_scheme_version(
            self.context["request"].user,
            validated_data["definition"],
            make_current=validated_data.get("is_current", True),
        )


class SchemeVersionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Scoring schemes. Every version is kept; assessments record the version they used."""

    queryset = SchemeVersion.objects.all()
    serializer_class = SchemeVersionSerializer


class AssessmentSerializer(ListSummaryMixin, serializers.ModelSerializer):
    threat = VisibleRelatedField(Threat)
    scheme = serializers.PrimaryKeyRelatedField(
        # Reference data every signed-in user may read: no hidden records to resolve.
        queryset=SchemeVersion.objects.all(),
        required=False,
    )
    assessor = serializers.SlugRelatedField(slug_field="username", read_only=True)
    moderator = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Assessment
        fields = [
            "id",
            "threat",
            "version_number",
            "scheme",
            "answers",
            "result",
            "score",
            "tier",
            "whole_threat",
            "partial_justification",
            "evidence_from",
            "evidence_to",
            "review_due",
            "summary",
            "status",
            "assessor",
            "submitted_at",
            "moderator",
            "moderated_at",
            "return_reason",
            "created_at",
            *IMPORT_FIELDS,
            *OUTSIDE_DECISION_FIELDS,
        ]
        read_only_fields = [
            "id",
            "version_number",
            "result",
            "score",
            "tier",
            "status",
            "assessor",
            "submitted_at",
            "moderator",
            "moderated_at",
            "return_reason",
            "created_at",
            *IMPORT_FIELDS,
            *OUTSIDE_DECISION_FIELDS,
        ]
        list_fields = ["id", "threat", "version_number", "status", "created_at"]

    def create(self, validated_data):
        threat = validated_data.pop("threat")
        return services.create_assessment(self.context["request"].user, threat, **validated_data)

    def update(self, instance, validated_data):
        validated_data.pop("threat", None)
        validated_data.pop("scheme", None)
        return services.update_assessment(
            self.context["request"].user,
            instance,
            expected_version=self.context.get("expected_version"),
            **validated_data,
        )


class AssessmentViewSet(ProtectedViewSet):
    """MoRiLE assessments with their workflow: submit, moderate, return."""

    queryset = Assessment.objects.all()
    serializer_class = AssessmentSerializer
    filterset_class = AssessmentFilter
    ordering_fields = ["created_at", "score", "tier"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def allowed(self, action, obj):
        return services.may_assess(self.request.user, obj.threat)

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("threat", "threat__owner", "scheme", "assessor", "moderator")
            .order_by("-created_at", "-id")
        )

    def _run(self, fn, **kwargs):
        assessment = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        result = fn(self.request.user, assessment, **kwargs)
        return Response(self.get_serializer(result).data, status=status.HTTP_200_OK)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._run(services.submit_assessment)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def moderate(self, request, pk=None):
        return self._run(services.moderate_assessment)

    @extend_schema(request=inline_serializer("ReturnRequest", {"reason": serializers.CharField()}))
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        return self._run(services.return_assessment, reason=str(request.data.get("reason", "")))

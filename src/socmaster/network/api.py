"""The network API: recorded associations (through the services, both nominals visible), the
user's own analyses with their stored results, and a record's link chart."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from socmaster.core import policy
from socmaster.core.api import ProtectedViewSet, VisibleRelatedField
from socmaster.threats.models import Nominal, Threat

from . import build, services
from .choices import EdgeType
from .models import Association, NetworkRun


class AssociationSerializer(serializers.ModelSerializer):
    nominal = VisibleRelatedField(Nominal)
    other = VisibleRelatedField(Nominal)

    class Meta:
        model = Association
        fields = ["id", "nominal", "other", "kind", "from_date", "to_date", "notes", "recorded_at"]
        read_only_fields = ["id", "recorded_at"]

    def create(self, validated_data):
        return services.record_association(
            self.context["request"].user,
            validated_data.pop("nominal"),
            validated_data.pop("other"),
            **validated_data,
        )


class AssociationViewSet(ProtectedViewSet):
    """Associations between nominals recorded by analysts (both nominals must be visible)."""

    queryset = Association.objects.all()
    serializer_class = AssociationSerializer
    filterset_fields = ["kind"]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return super().get_queryset().select_related("nominal", "other").order_by("id")


class NetworkRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = NetworkRun
        fields = [
            "id",
            "kind",
            "status",
            "scope",
            "progress",
            "counts",
            "results",
            "fingerprint",
            "error",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields


class ChartQuery(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["threat", "nominal"])
    reference = serializers.CharField(max_length=40)
    steps = serializers.IntegerField(min_value=1, max_value=3, default=2)
    types = serializers.MultipleChoiceField(choices=EdgeType.choices, required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)

    def validate(self, data):
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            raise serializers.ValidationError(
                {"date_to": ["The end date cannot be before the start date."]}
            )
        return data


class NetworkRunViewSet(viewsets.ReadOnlyModelViewSet):
    """Your own network analyses (each computed over what you could see) and link charts."""

    serializer_class = NetworkRunSerializer
    queryset = NetworkRun.objects.none()

    def get_queryset(self):
        return services.runs_for(self.request.user).order_by("-created_at", "-id")

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", str, enum=["threat", "nominal"], required=True),
            OpenApiParameter("reference", str, required=True),
            OpenApiParameter("steps", int),
            OpenApiParameter("types", str, many=True, enum=EdgeType.values),
            OpenApiParameter("date_from", str),
            OpenApiParameter("date_to", str),
        ],
        responses={200: dict},
    )
    @action(detail=False, methods=["get"])
    def chart(self, request):
        """The nodes and ties within ``steps`` of a threat or nominal you may see."""
        params = request.query_params
        query = ChartQuery(data={**params.dict(), "types": params.getlist("types")})
        query.is_valid(raise_exception=True)
        data = query.validated_data
        model = Threat if data["kind"] == "threat" else Nominal
        obj = policy.get_or_404(model.objects.all(), request.user, reference=data["reference"])
        node = build.threat_node(obj.pk) if model is Threat else build.nominal_node(obj.pk)
        return Response(
            services.chart(
                request.user,
                node,
                steps=data["steps"],
                types=sorted(data["types"]) if data.get("types") else None,
                date_from=data["date_from"].isoformat() if data.get("date_from") else None,
                date_to=data["date_to"].isoformat() if data.get("date_to") else None,
            )
        )

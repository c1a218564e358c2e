from rest_framework import serializers

from socmaster.core.api import ProtectedViewSet
from socmaster.organisations.api import OrganisationField
from socmaster.organisations.models import User

from . import services
from .filters import ThreatFilter
from .models import CrimeType, Phase, Threat


class OrganisationListField(serializers.ListField):
    child = OrganisationField()

    def to_representation(self, data):
        return [o.key for o in data.all()]


class ThreatSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(max_length=40, required=False, allow_blank=True)
    owner = OrganisationField()
    shared_with = OrganisationListField(required=False)
    lro = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.all(), required=False, allow_null=True)
    sro = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.all(), required=False, allow_null=True)
    phase = serializers.SlugRelatedField(slug_field="name", queryset=Phase.objects.all(), required=False, allow_null=True)
    crime_types = serializers.SlugRelatedField(slug_field="code", queryset=CrimeType.objects.all(), many=True, required=False)

    class Meta:
        model = Threat
        fields = ["id", "reference", "name", "operation_names", "threat_type", "category", "soc", "tier", "phase",
                  "moderation_status", "score", "assessed_on", "owner", "lro", "sro", "crime_types",
                  "description", "opened_on", "closed_on", "closed_reason", "handling", "shared_with",
                  "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate(self, attrs):
        if self.instance is not None:
            for fixed in ("reference", "owner"):
                if fixed in attrs and attrs[fixed] != getattr(self.instance, fixed):
                    raise serializers.ValidationError({fixed: ["This cannot be changed once the threat exists."]})
                attrs.pop(fixed, None)
        return attrs

    def create(self, validated_data):
        user = self.context["request"].user
        return services.create_threat(
            user, owner=validated_data.pop("owner"), crime_types=validated_data.pop("crime_types", []),
            shared_with=validated_data.pop("shared_with", []), **validated_data,
        )

    def update(self, instance, validated_data):
        user = self.context["request"].user
        return services.update_threat(
            user, instance, crime_types=validated_data.pop("crime_types", None),
            shared_with=validated_data.pop("shared_with", None), **validated_data,
        )


class ThreatViewSet(ProtectedViewSet):
    """The SOC master list. Reads follow the access policy; writes go through the services."""

    queryset = Threat.objects.all()
    serializer_class = ThreatSerializer
    filterset_class = ThreatFilter
    lookup_field = "reference"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return super().get_queryset().with_related().prefetch_related("shared_with")

    def perform_destroy(self, instance):
        reason = (self.request.headers.get("X-Reason") or self.request.query_params.get("reason") or "")
        services.delete_threat(self.request.user, instance, reason=reason)

from rest_framework import serializers

from socmaster.core.api import (
    IMPORT_FIELDS,
    ListSummaryMixin,
    ProtectedViewSet,
    VisibleRelatedField,
    VisibleUserField,
)
from socmaster.organisations.api import OrganisationField

from . import services
from .filters import NominalFilter, ThreatFilter
from .models import CrimeType, Identifier, Nominal, NominalAlias, Phase, Threat, ThreatMember


class OrganisationListField(serializers.ListField):
    child = OrganisationField()

    def to_representation(self, data):
        return [o.key for o in data.all()]


class ThreatSerializer(ListSummaryMixin, serializers.ModelSerializer):
    reference = serializers.CharField(max_length=40, required=False, allow_blank=True)
    owner = OrganisationField()
    shared_with = OrganisationListField(required=False)
    areas = OrganisationListField(required=False)
    lro = VisibleUserField(required=False, allow_null=True)
    sro = VisibleUserField(required=False, allow_null=True)
    # Phases and crime types are reference data every signed-in user may read.
    phase = serializers.SlugRelatedField(
        slug_field="name", queryset=Phase.objects.all(), required=False, allow_null=True
    )
    crime_types = serializers.SlugRelatedField(
        slug_field="code", queryset=CrimeType.objects.all(), many=True, required=False
    )

    class Meta:
        model = Threat
        fields = [
            "id",
            "reference",
            "name",
            "operation_names",
            "threat_type",
            "category",
            "soc",
            "tier",
            "phase",
            "moderation_status",
            "score",
            "assessed_on",
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
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        list_fields = ["id", "reference", "name", "threat_type", "owner", "handling"]

    def validate(self, attrs):
        if self.instance is not None:
            for fixed in ("reference", "owner"):
                if fixed in attrs and attrs[fixed] != getattr(self.instance, fixed):
                    raise serializers.ValidationError(
                        {fixed: ["This cannot be changed once the threat exists."]}
                    )
                attrs.pop(fixed, None)
        return attrs

    def create(self, validated_data):
        user = self.context["request"].user
        return services.create_threat(
            user,
            owner=validated_data.pop("owner"),
            crime_types=validated_data.pop("crime_types", []),
            shared_with=validated_data.pop("shared_with", []),
            areas=validated_data.pop("areas", []),
            **validated_data,
        )

    def update(self, instance, validated_data):
        user = self.context["request"].user
        return services.update_threat(
            user,
            instance,
            crime_types=validated_data.pop("crime_types", None),
            shared_with=validated_data.pop("shared_with", None),
            areas=validated_data.pop("areas", None),
            expected_version=self.context.get("expected_version"),
            **validated_data,
        )


class ThreatViewSet(ProtectedViewSet):
    """The SOC master list. Reads follow the access policy; writes go through the services."""

    queryset = Threat.objects.all()
    serializer_class = ThreatSerializer
    filterset_class = ThreatFilter
    lookup_field = "reference"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return super().get_queryset().with_related().prefetch_related("shared_with", "areas")

    def perform_destroy(self, instance):
        reason = (
            self.request.headers.get("X-Reason") or self.request.query_params.get("reason") or ""
        )
        services.delete_threat(self.request.user, instance, reason=reason)


class NominalAliasSerializer(serializers.ModelSerializer):
    class Meta:
        model = NominalAlias
        fields = ["given_names", "family_name", "alias_type"]


class IdentifierSerializer(serializers.ModelSerializer):
    class Meta:
        model = Identifier
        fields = ["kind", "value"]


class NominalSerializer(ListSummaryMixin, serializers.ModelSerializer):
    reference = serializers.CharField(max_length=40, required=False, allow_blank=True)
    owner = OrganisationField()
    shared_with = OrganisationListField(required=False)
    aliases = NominalAliasSerializer(many=True, required=False)
    identifiers = IdentifierSerializer(many=True, required=False)

    class Meta:
        model = Nominal
        fields = [
            "id",
            "reference",
            "family_name",
            "given_names",
            "date_of_birth",
            "gender",
            "nationality",
            "notes",
            "owner",
            "handling",
            "shared_with",
            "aliases",
            "identifiers",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        list_fields = ["id", "reference", "family_name", "given_names", "owner", "handling"]

    def validate(self, attrs):
        if self.instance is not None:
            for fixed in ("reference", "owner", "aliases", "identifiers"):
                if fixed in attrs:
                    raise serializers.ValidationError(
                        {fixed: ["This cannot be changed through this endpoint."]}
                    )
        return attrs

    def create(self, validated_data):
        aliases = [
            (a.get("given_names", ""), a.get("family_name", ""), a.get("alias_type", "alias"))
            for a in validated_data.pop("aliases", [])
        ]
        identifiers = [(i["kind"], i["value"]) for i in validated_data.pop("identifiers", [])]
        return services.create_nominal(
            self.context["request"].user,
            owner=validated_data.pop("owner"),
            shared_with=validated_data.pop("shared_with", []),
            aliases=aliases,
            identifiers=identifiers,
            **validated_data,
        )

    def update(self, instance, validated_data):
        return services.update_nominal(
            self.context["request"].user,
            instance,
            shared_with=validated_data.pop("shared_with", None),
            expected_version=self.context.get("expected_version"),
            **validated_data,
        )


class NominalViewSet(ProtectedViewSet):
    """Nominals (people). Opening one is audited; restricted ones need a reason."""

    queryset = Nominal.objects.all()
    serializer_class = NominalSerializer
    filterset_class = NominalFilter
    lookup_field = "reference"
    lookup_value_regex = "[^/]+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("owner")
            .prefetch_related("aliases", "identifiers")
        )


class ThreatMemberSerializer(ListSummaryMixin, serializers.ModelSerializer):
    threat = VisibleRelatedField(Threat)
    nominal = VisibleRelatedField(Nominal)

    class Meta:
        model = ThreatMember
        fields = [
            "id",
            "threat",
            "nominal",
            "role",
            "from_date",
            "to_date",
            "notes",
            *IMPORT_FIELDS,
        ]
        read_only_fields = ["id", *IMPORT_FIELDS]
        list_fields = ["id", "threat", "nominal", "role"]

    def create(self, validated_data):
        return services.add_member(
            self.context["request"].user,
            validated_data.pop("threat"),
            validated_data.pop("nominal"),
            **validated_data,
        )

    def update(self, instance, validated_data):
        if set(validated_data) - {"to_date"} or not validated_data.get("to_date"):
            raise serializers.ValidationError(
                {
                    "to_date": [
                        "Give the end date: only the end date of a membership can be changed."
                    ]
                }
            )
        return services.end_member(
            self.context["request"].user, instance, to_date=validated_data["to_date"]
        )


class ThreatMemberViewSet(ProtectedViewSet):
    """Memberships of nominals in threats (both must be visible to you)."""

    queryset = ThreatMember.objects.all()
    serializer_class = ThreatMemberSerializer
    filterset_fields = ["role"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return super().get_queryset().select_related("threat", "nominal").order_by("id")

from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from socmaster.core import policy
from socmaster.core.services import record_view

from . import services
from .choices import Role
from .filters import OrganisationFilter
from .models import Membership, Organisation, User


@extend_schema_field(OpenApiTypes.STR)
class OrganisationField(serializers.Field):
    """An organisation given by key, name, short name or alias; shown as its key."""

    default_error_messages = {"unknown": "{message}"}

    def to_representation(self, value):
        return value.key

    def to_internal_value(self, data):
        if not isinstance(data, str) or "\x00" in data:
            raise serializers.ValidationError(
                "Give the organisation's name, short name, alias or key."
            )
        org = Organisation.objects.filter(key=data).first()
        if org is not None:
            return org
        try:
            return Organisation.objects.resolve(data)
        except Organisation.DoesNotExist as exc:
            self.fail("unknown", message=str(exc))


class OrganisationSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="key", read_only=True)
    rocu = serializers.SlugRelatedField(slug_field="key", read_only=True)
    aliases = serializers.SlugRelatedField(slug_field="alias", many=True, read_only=True)

    class Meta:
        model = Organisation
        fields = ["key", "name", "short_name", "type", "region", "rocu", "aliases", "active"]


class OrganisationViewSet(viewsets.ReadOnlyModelViewSet):
    """The organisation directory: regions, ROCUs, forces, agencies and partners."""

    queryset = Organisation.objects.select_related("region", "rocu").prefetch_related("aliases")
    serializer_class = OrganisationSerializer
    lookup_field = "key"
    filterset_class = OrganisationFilter
    ordering_fields = ["name", "type"]


class MembershipSerializer(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="key", read_only=True)

    class Meta:
        model = Membership
        fields = ["organisation", "role", "valid_from", "valid_to"]


class UserSerializer(serializers.ModelSerializer):
    memberships = MembershipSerializer(many=True, read_only=True)

    class Meta:
        model = User
        fields = [
            "username",
            "first_name",
            "last_name",
            "email",
            "job_title",
            "is_active",
            "memberships",
        ]


class UserCreateSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    first_name = serializers.CharField(max_length=150, required=False, default="")
    last_name = serializers.CharField(max_length=150, required=False, default="")
    email = serializers.EmailField(required=False, default="")
    job_title = serializers.CharField(max_length=120, required=False, default="")
    organisation = OrganisationField()
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices), allow_empty=False
    )
    password = serializers.CharField(write_only=True, required=False, allow_blank=True, default="")


class UserViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """People. Everyone sees colleagues in their own organisations; administrators add users to theirs."""

    serializer_class = UserSerializer
    lookup_field = "username"
    lookup_value_regex = "[^/]+"
    search_fields = ["username", "first_name", "last_name"]
    ordering_fields = ["username", "last_name"]

    def get_queryset(self):
        return policy.visible_users(
            User.objects.prefetch_related("memberships__organisation"), self.request.user
        ).order_by("username")

    def get_serializer_class(self):
        return UserCreateSerializer if self.action == "create" else UserSerializer

    def retrieve(self, request, *args, **kwargs):
        person = self.get_object()
        if person.pk != request.user.pk:  # opening another person is recorded, as on the page
            with transaction.atomic():
                record_view(request.user, person)
        return Response(UserSerializer(person).data)

    def create(self, request, *args, **kwargs):
        incoming = UserCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        with transaction.atomic():
            user = services.create_user(request.user, **incoming.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)

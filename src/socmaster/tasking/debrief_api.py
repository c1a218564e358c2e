"""Debriefs and lessons over the API (``/api/debriefs/``, ``/api/lessons/``): the same policy,
services and audit as the pages. Reads start from ``visible_to``; a debrief is added by hand,
recorded, held, cancelled and reinstated, and its lessons written, through the services."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from socmaster.core import policy
from socmaster.core.api import ListSummaryMixin, ProtectedViewSet, VisibleRelatedField, etag
from socmaster.core.choices import Action
from socmaster.disruptions.models import Tactic
from socmaster.gateway.models import Capability, SupportRequest
from socmaster.organisations.api import OrganisationField
from socmaster.organisations.models import User
from socmaster.threats.models import CrimeType, Threat

from .debrief_filters import DebriefFilter, LessonFilter
from .models import Debrief, Lesson
from .services import debriefs as services


class _OwnerUserField(serializers.SlugRelatedField):
    """The debrief's owner by user name; the service checks they work for its organisation."""

    default_error_messages = {"does_not_exist": "No such user.", "invalid": "No such user."}

    def __init__(self, **kwargs):
        super().__init__(
            slug_field="username", queryset=User.objects.filter(is_active=True), **kwargs
        )


class DebriefSerializer(ListSummaryMixin, serializers.ModelSerializer):
    owner = OrganisationField(required=False)
    threat = VisibleRelatedField(Threat, required=False, allow_null=True)
    request = VisibleRelatedField(SupportRequest, required=False, allow_null=True)
    owner_user = _OwnerUserField(required=False, allow_null=True)
    overdue = serializers.SerializerMethodField()
    lessons = serializers.SerializerMethodField()

    class Meta:
        model = Debrief
        fields = [
            "reference",
            "trigger",
            "owner",
            "handling",
            "threat",
            "request",
            "operation",
            "ended_on",
            "due_on",
            "overdue",
            "owner_user",
            "status",
            "held_on",
            "what_worked",
            "what_did_not",
            "partner_feedback",
            "cancel_reason",
            "lessons",
            "lock_version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "reference",
            "trigger",
            "due_on",
            "status",
            "held_on",
            "cancel_reason",
            "lock_version",
            "created_at",
            "updated_at",
        ]
        list_fields = ["reference", "owner", "status", "ended_on", "due_on", "overdue"]

    def get_overdue(self, debrief) -> bool:
        return debrief.is_overdue()

    def get_lessons(self, debrief) -> list[int]:
        return [lesson.pk for lesson in debrief.lessons.all()]

    def to_representation(self, debrief):
        data = super().to_representation(debrief)
        # The threat and the request are named only to those who may still see them.
        user = self.context["request"].user
        for name in ("threat", "request"):
            record = getattr(debrief, name)
            if name in data and record is not None and not policy.can(user, Action.VIEW, record):
                data[name] = None
        return data

    def create(self, validated_data):
        written = ("what_worked", "what_did_not", "partner_feedback")
        record_fields = {k: validated_data.pop(k) for k in written if k in validated_data}
        user = self.context["request"].user
        debrief = services.add_debrief(
            user,
            ended_on=validated_data.get("ended_on"),
            threat=validated_data.get("threat"),
            request=validated_data.get("request"),
            owner=validated_data.get("owner"),
            handling=validated_data.get("handling"),
            operation=validated_data.get("operation", ""),
            owner_user=validated_data.get("owner_user"),
        )
        if record_fields:
            services.update_debrief(user, debrief, record_fields)
            debrief.refresh_from_db()
        return debrief

    def update(self, instance, validated_data):
        for fixed in ("owner", "handling", "threat", "request", "ended_on"):
            if fixed in validated_data:
                raise serializers.ValidationError({fixed: ["This cannot be changed here."]})
        services.update_debrief(
            self.context["request"].user,
            instance,
            validated_data,
            expected_version=self.context.get("expected_version"),
        )
        instance.refresh_from_db()
        return instance


class LessonSerializer(ListSummaryMixin, serializers.ModelSerializer):
    debrief = VisibleRelatedField(Debrief)
    organisation = serializers.SlugRelatedField(
        source="debrief.owner", slug_field="key", read_only=True
    )
    held_on = serializers.DateField(source="debrief.held_on", read_only=True)
    tactic = serializers.SlugRelatedField(
        slug_field="code", queryset=Tactic.objects.all(), required=False, allow_null=True
    )
    capability = serializers.SlugRelatedField(
        slug_field="code", queryset=Capability.objects.all(), required=False, allow_null=True
    )
    crime_types = serializers.SlugRelatedField(
        slug_field="code", queryset=CrimeType.objects.all(), many=True, required=False
    )

    class Meta:
        model = Lesson
        fields = [
            "id",
            "debrief",
            "organisation",
            "held_on",
            "text",
            "tactic",
            "capability",
            "crime_types",
            "lock_version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "lock_version", "created_at", "updated_at"]
        list_fields = ["id", "debrief", "organisation", "held_on"]

    def create(self, validated_data):
        debrief = validated_data.pop("debrief")
        return services.add_lesson(self.context["request"].user, debrief, **validated_data)

    def update(self, instance, validated_data):
        if "debrief" in validated_data and validated_data.pop("debrief") != instance.debrief:
            raise serializers.ValidationError(
                {"debrief": ["A lesson cannot move to another debrief."]}
            )
        services.update_lesson(
            self.context["request"].user,
            instance,
            validated_data,
            expected_version=self.context.get("expected_version"),
        )
        instance.refresh_from_db()
        return instance


class DebriefViewSet(ProtectedViewSet):
    """Debriefs of operations you may see: filter with ``?status=due|overdue|held|cancelled``,
    ``?mine=yes``, ``?organisation=``, ``?q=``. Opening one with restricted handling needs a
    reason (X-Reason header or ``?reason=``)."""

    queryset = Debrief.objects.all()
    serializer_class = DebriefSerializer
    filterset_class = DebriefFilter
    lookup_field = "reference"
    lookup_value_regex = "[^/]+"
    ordering_fields = ["due_on", "ended_on", "held_on"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def allowed(self, action, obj):
        return services.can_record(self.request.user, obj)

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .with_related()
            .prefetch_related("lessons")
            .order_by("due_on", "id")
        )

    def _debrief(self):
        return get_object_or_404(self.get_queryset(), reference=self.kwargs["reference"])

    def _answer(self, debrief):
        debrief.refresh_from_db()
        return Response(self.get_serializer(debrief).data, headers={"ETag": etag(debrief)})

    @extend_schema(
        request=inline_serializer("DebriefHeld", {"held_on": serializers.DateField()}),
        responses=DebriefSerializer,
    )
    @action(detail=True, methods=["post"])
    def hold(self, request, reference=None):
        try:
            held_on = serializers.DateField().to_internal_value(request.data.get("held_on"))
        except serializers.ValidationError:
            raise ValidationError(
                {"held_on": ["Give the day it was held as YYYY-MM-DD."]}
            ) from None
        return self._answer(services.hold(request.user, self._debrief(), held_on=held_on))

    @extend_schema(
        request=inline_serializer("DebriefCancel", {"reason": serializers.CharField()}),
        responses=DebriefSerializer,
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, reference=None):
        reason = str(request.data.get("reason", ""))
        return self._answer(services.cancel(request.user, self._debrief(), reason=reason))

    @extend_schema(
        request=inline_serializer("DebriefReinstate", {"reason": serializers.CharField()}),
        responses=DebriefSerializer,
    )
    @action(detail=True, methods=["post"])
    def reinstate(self, request, reference=None):
        reason = str(request.data.get("reason", ""))
        return self._answer(services.reinstate(request.user, self._debrief(), reason=reason))


class LessonViewSet(ProtectedViewSet):
    """Lessons of the debriefs you may see (the learning library: ``?debrief_status=held``):
    filter with ``?q=`` (words of the lesson), ``?tactic=``, ``?capability=``, ``?crime_type=`` (codes),
    ``?organisation=``, ``?held_from=`` and ``?held_to=``."""

    queryset = Lesson.objects.all()
    serializer_class = LessonSerializer
    filterset_class = LessonFilter
    ordering_fields = ["created_at", "debrief__held_on"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def allowed(self, action, obj):
        return services.can_record(self.request.user, obj.debrief)

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("debrief", "debrief__owner", "tactic", "capability")
            .prefetch_related("crime_types")
            .order_by("-id")
        )

    def perform_destroy(self, instance):
        services.remove_lesson(self.request.user, instance)

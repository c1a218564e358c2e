"""4P plans, actions, reviews and templates over the API. Reads follow Plan/PlanAction.visible_to;
writes go through the services; partners see only what the LRO chose to show."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from socmaster.core.api import (
    IMPORT_FIELDS,
    ListSummaryMixin,
    ProtectedViewSet,
    VisibleRelatedField,
    etag,
)
from socmaster.disruptions.models import Disruption
from socmaster.organisations.api import OrganisationField
from socmaster.organisations.models import User
from socmaster.threats.models import Threat

from . import quality, services
from .choices import PartnerSection
from .filters import PlanActionFilter, PlanFilter
from .models import OBJECTIVE_FIELDS, Plan, PlanAction, PlanReview, PlanTemplate

#: Plan fields a partner sees only when the LRO shows the section.
SECTION_FIELDS = {
    PartnerSection.AIM: ["aim"],
    PartnerSection.OBJECTIVES: list(OBJECTIVE_FIELDS.values()),
    PartnerSection.INTELLIGENCE_GAPS: ["intelligence_gaps"],
    PartnerSection.LINKED_PLANS: ["safeguarding_plans", "investigation_plans"],
}


class PlanActionSerializer(ListSummaryMixin, serializers.ModelSerializer):
    plan = VisibleRelatedField(Plan, slug_field="id")
    threat = serializers.CharField(source="plan.threat.reference", read_only=True)
    owner_user = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        error_messages={"does_not_exist": "No such user.", "invalid": "No such user."},
    )
    owner_organisation = OrganisationField(required=False, allow_null=True)
    disruptions = VisibleRelatedField(Disruption, many=True, required=False)
    updated_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = PlanAction
        fields = [
            "id",
            "plan",
            "threat",
            "four_p",
            "description",
            "owner_user",
            "owner_organisation",
            "start_date",
            "due_date",
            "status",
            "result",
            "completed_on",
            "disruptions",
            "created_at",
            "updated_at",
            "updated_by",
            *IMPORT_FIELDS,
        ]
        read_only_fields = ["id", "completed_on", "created_at", "updated_at", *IMPORT_FIELDS]
        list_fields = ["id", "plan", "threat", "four_p", "status", "due_date"]

    def create(self, validated_data):
        plan = validated_data.pop("plan")
        return services.add_action(
            self.context["request"].user,
            plan,
            disruptions=validated_data.pop("disruptions", []),
            **validated_data,
        )

    def update(self, instance, validated_data):
        if "plan" in validated_data and validated_data.pop("plan") != instance.plan:
            raise serializers.ValidationError({"plan": ["An action cannot move to another plan."]})
        return services.update_action(
            self.context["request"].user,
            instance,
            expected_version=self.context.get("expected_version"),
            disruptions=validated_data.pop("disruptions", None),
            **validated_data,
        )


class PlanReviewSerializer(ListSummaryMixin, serializers.ModelSerializer):
    plan = VisibleRelatedField(Plan, slug_field="id")
    reviewer = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = PlanReview
        fields = [
            "id",
            "plan",
            "reviewer",
            "reviewer_role",
            "reviewed_on",
            "outcome",
            "comments",
            "created_at",
            *IMPORT_FIELDS,
        ]
        read_only_fields = ["id", "reviewer", "reviewer_role", "created_at", *IMPORT_FIELDS]
        list_fields = ["id", "plan", "reviewed_on", "outcome"]

    def create(self, validated_data):
        plan = validated_data.pop("plan")
        return services.record_review(self.context["request"].user, plan, **validated_data)


class PlanSerializer(ListSummaryMixin, serializers.ModelSerializer):
    threat = VisibleRelatedField(Threat)
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)
    updated_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    partner_sections = serializers.ListField(
        child=serializers.ChoiceField(choices=PartnerSection.choices), required=False
    )
    add_suggested_actions = serializers.BooleanField(write_only=True, required=False, default=False)
    actions = serializers.SerializerMethodField()

    class Meta:
        model = Plan
        fields = [
            "id",
            "threat",
            "version",
            "status",
            "author",
            "author_role",
            "aim",
            *OBJECTIVE_FIELDS.values(),
            "intelligence_gaps",
            "safeguarding_plans",
            "investigation_plans",
            "review_frequency_days",
            "partner_sections",
            "add_suggested_actions",
            "actions",
            "created_at",
            "updated_at",
            "updated_by",
            "superseded_at",
            *IMPORT_FIELDS,
        ]
        read_only_fields = [
            "id",
            "version",
            "status",
            "author",
            "author_role",
            "created_at",
            "updated_at",
            "superseded_at",
            *IMPORT_FIELDS,
        ]
        list_fields = ["id", "threat", "version", "status", "author", "updated_at"]
        validators = []  # one current plan per threat: the service checks it and says so on the threat field

    def get_actions(self, plan) -> list[dict]:
        actions = services.visible_actions(self.context["request"].user, plan).select_related(
            "plan__threat", "owner_user", "owner_organisation", "updated_by"
        )
        return PlanActionSerializer(
            actions.prefetch_related("disruptions"), many=True, context=self.context
        ).data

    def to_representation(self, plan):
        data = super().to_representation(plan)
        sections = services.visible_partner_sections(self.context["request"].user, plan)
        for section, names in SECTION_FIELDS.items():
            if section not in sections:
                for name in names:
                    data.pop(name, None)
        if len(sections) < len(PartnerSection.values):
            data.pop("partner_sections", None)
        return data

    def validate(self, attrs):
        if (
            self.instance is not None
            and "threat" in attrs
            and attrs.pop("threat") != self.instance.threat
        ):
            raise serializers.ValidationError({"threat": ["A plan cannot move to another threat."]})
        return attrs

    def create(self, validated_data):
        threat = validated_data.pop("threat")
        return services.create_plan(self.context["request"].user, threat, **validated_data)

    def update(self, instance, validated_data):
        validated_data.pop("add_suggested_actions", None)
        return services.update_plan(
            self.context["request"].user,
            instance,
            expected_version=self.context.get("expected_version"),
            **validated_data,
        )


class PlanApiBase(ProtectedViewSet):
    """Plans, actions and reviews: the shared protected base; the plan services decide who may
    change what (LROs, holders of an action, reviewers), so the view does not pre-judge it."""

    def allowed(self, action, obj):
        return True


class PlanViewSet(PlanApiBase):
    """4P plans. Filter with ?threat=REF and ?status=current. Opening a plan is audited; a plan of a
    threat with restricted handling needs a reason (X-Reason header or ?reason=)."""

    queryset = Plan.objects.all()
    serializer_class = PlanSerializer
    filterset_class = PlanFilter
    ordering_fields = ["updated_at", "created_at", "version"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("threat", "threat__owner", "author", "updated_by")
            .order_by("threat__reference", "-version")
        )

    def retrieve(self, request, *args, **kwargs):
        plan = self.get_object()
        data = self.get_serializer(plan).data
        if plan.is_current and services.has_full_view(request.user, plan):
            result = quality.evaluate(Plan.objects.filter(pk=plan.pk), user=request.user)[0]
            data["quality"] = {
                "next_review_due": result.next_review_due,
                "failures": [
                    {"check": f.key, "title": f.title, "reason": f.reason} for f in result.failures
                ],
            }
        return Response(data, headers={"ETag": etag(plan)})

    @extend_schema(request=None, responses=PlanSerializer)
    @action(detail=True, methods=["post"], url_path="new-version")
    def new_version(self, request, pk=None):
        plan = get_object_or_404(self.get_queryset(), pk=pk)
        return Response(
            self.get_serializer(services.new_version(request.user, plan)).data, status=201
        )

    @extend_schema(
        responses=inline_serializer(
            "PlanQualityRow",
            {
                "threat": serializers.CharField(),
                "organisation": serializers.CharField(),
                "region": serializers.CharField(),
                "lro": serializers.CharField(),
                "plan_version": serializers.CharField(),
                "checks_failed": serializers.CharField(),
                "next_review_due": serializers.CharField(),
            },
            many=True,
        )
    )
    @action(detail=False, methods=["get"])
    def quality(self, request):
        """One row per current plan you may see and per managed threat without a plan, with failed checks."""
        threats = Threat.objects.visible_to(request.user)
        rows = quality.report(
            threats,
            Plan.objects.visible_to(request.user).filter(threat__in=threats),
            user=request.user,
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response([r.as_row() for r in page])


class PlanActionViewSet(PlanApiBase):
    """Plan actions you may see: those of plans whose threat you may see, and those you or your
    organisation hold. Holders may change status, result and start date."""

    queryset = PlanAction.objects.all()
    serializer_class = PlanActionSerializer
    filterset_class = PlanActionFilter
    ordering_fields = ["due_date", "updated_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related(
                "plan", "plan__threat", "owner_user", "owner_organisation", "updated_by"
            )
            .prefetch_related("disruptions")
            .order_by("due_date", "id")
        )


class PlanReviewViewSet(PlanApiBase):
    """Quality-assurance reviews of plans whose threat you may see, and of plans where you hold an
    action and the LRO shows holders the reviews."""

    queryset = PlanReview.objects.all()
    serializer_class = PlanReviewSerializer
    filterset_fields = ["plan", "outcome", "reviewer_role"]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("plan", "plan__threat", "reviewer")
            .order_by("-reviewed_on", "-id")
        )


class PlanTemplateSerializer(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="key", read_only=True)

    class Meta:
        model = PlanTemplate
        fields = [
            "id",
            "organisation",
            "threat_type",
            "name",
            "aim",
            *OBJECTIVE_FIELDS.values(),
            "suggested_actions",
            "updated_at",
        ]


class PlanTemplateViewSet(viewsets.ReadOnlyModelViewSet):
    """Plan templates (national, and your organisations' own)."""

    serializer_class = PlanTemplateSerializer
    filterset_fields = ["threat_type"]

    def get_queryset(self):
        own = getattr(self.request.user, "organisation_ids", frozenset())
        return (
            (
                PlanTemplate.objects.filter(organisation__isnull=True)
                | PlanTemplate.objects.filter(organisation__in=own)
            )
            .select_related("organisation")
            .order_by("threat_type", "id")
        )

"""The intelligence and SAR API: the same policy, services and audit as the pages.

A report's body carries its sanitised copy, never the original; the original is read, by those
allowed, at ``/api/intelligence-reports/<ref>/original/`` with a reason (audited). A C-coded report
carries its handling conditions in every representation."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from socmaster.core.api import (
    IMPORT_FIELDS,
    ListSummaryMixin,
    ProtectedViewSet,
    VisibleRelatedField,
)
from socmaster.organisations.api import OrganisationField
from socmaster.organisations.models import Organisation
from socmaster.threats.models import Threat

from . import services
from .models import IntelligenceReport, SuspiciousActivityReport


class ReportSerializer(ListSummaryMixin, serializers.ModelSerializer):
    owner = OrganisationField()
    threats = VisibleRelatedField(Threat, many=True, required=False)
    assigned_to = serializers.SlugRelatedField(slug_field="username", read_only=True)
    grading = serializers.CharField(read_only=True)
    flags = serializers.ListField(read_only=True)

    class Meta:
        model = IntelligenceReport
        fields = [
            "reference",
            "owner",
            "handling",
            "submitted_on",
            "officer_name",
            "original_text",
            "sanitised_text",
            "grading",
            "source_evaluation",
            "intelligence_assessment",
            "handling_code",
            "handling_conditions",
            "threat_to_life",
            "child_at_risk",
            "vulnerable_victim",
            "time_critical",
            "flags",
            "priority",
            "status",
            "assigned_to",
            "risk_base",
            "threats",
            "lock_version",
            *IMPORT_FIELDS,
        ]
        read_only_fields = [
            "reference",
            "officer_name",
            "sanitised_text",
            "priority",
            "status",
            "risk_base",
            "lock_version",
            *IMPORT_FIELDS,
        ]
        extra_kwargs = {"original_text": {"write_only": True}}
        list_fields = [
            "reference",
            "owner",
            "submitted_on",
            "grading",
            "handling_conditions",
            "priority",
            "status",
        ]

    def create(self, validated_data):
        threats = validated_data.pop("threats", [])
        owner = validated_data.pop("owner")
        return services.submit_report(
            self.context["request"].user, owner=owner, values=validated_data, threats=threats
        )

    def update(self, instance, validated_data):
        for fixed in ("owner", "original_text", "submitted_on", "handling", "threats"):
            if fixed in validated_data:
                raise serializers.ValidationError({fixed: ["This cannot be changed here."]})
        services.update_report(
            self.context["request"].user,
            instance,
            validated_data,
            expected_version=self.context.get("expected_version"),
        )
        instance.refresh_from_db()
        return instance


class SarSerializer(ListSummaryMixin, serializers.ModelSerializer):
    owner = OrganisationField(read_only=True)
    assigned_to = serializers.SlugRelatedField(slug_field="username", read_only=True)
    daml_clock = serializers.SerializerMethodField()

    class Meta:
        model = SuspiciousActivityReport
        fields = [
            "reference",
            "owner",
            "handling",
            "reporter_sector",
            "submitted_on",
            "sar_type",
            "reason_text",
            "amount",
            "currency",
            "priority",
            "status",
            "assigned_to",
            "risk_base",
            "screening_status",
            "consent_decision",
            "consent_decided_on",
            "daml_clock",
            *IMPORT_FIELDS,
        ]
        read_only_fields = fields
        list_fields = ["reference", "owner", "submitted_on", "sar_type", "priority", "status"]

    def get_daml_clock(self, sar) -> dict | None:
        state = services.sar_clock(sar)
        if state is None:
            return None
        return {
            "notice_ends": state.notice_ends.isoformat(),
            "notice_working_days_left": state.notice_working_days_left,
            "moratorium_ends": state.moratorium_ends.isoformat() if state.moratorium_ends else None,
            "moratorium_days_left": state.moratorium_days_left,
            "extension_days": state.extension_days,
        }


def _user(request, username):
    if not username:
        return None
    user = get_user_model().objects.filter(username=str(username)).first()
    if user is None:
        raise ValidationError({"assignee": ["No such user."]})
    return user


class _Processing:
    """Actions shared by reports and SARs: move, triage."""

    def _record(self):
        return get_object_or_404(self.get_queryset(), reference=self.kwargs["reference"])

    @extend_schema(
        request=inline_serializer(
            "ProcessingStep",
            {"name": serializers.CharField(), "reason": serializers.CharField(required=False)},
        )
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, reference=None):
        record = services.move(
            request.user,
            self._record(),
            str(request.data.get("name", "")),
            reason=str(request.data.get("reason", "")),
        )
        return Response(self.get_serializer(record).data)

    @extend_schema(
        request=inline_serializer(
            "Triage",
            {
                "priority": serializers.CharField(required=False),
                "assignee": serializers.CharField(required=False),
            },
        )
    )
    @action(detail=True, methods=["post"])
    def triage(self, request, reference=None):
        record = self._record()
        services.triage(
            request.user,
            [record],
            priority=request.data.get("priority") or None,
            assignee=_user(request, request.data.get("assignee")),
        )
        record.refresh_from_db()
        return Response(self.get_serializer(record).data)


class IntelligenceReportViewSet(_Processing, ProtectedViewSet):
    """Intelligence reports. The original is never in the body (see ``original``)."""

    queryset = IntelligenceReport.objects.all()
    serializer_class = ReportSerializer
    lookup_field = "reference"
    lookup_value_regex = "[^/]+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def allowed(self, action, obj):
        return services.can_process(self.request.user, obj)

    def get_queryset(self):
        qs = super().get_queryset().select_related("owner", "assigned_to")
        qs = qs.prefetch_related("threats__owner__region", "threats__shared_with")
        if self.request.query_params.get("queue"):
            return services.ordered_queue(qs)
        return qs.order_by("-submitted_on", "-id")

    @extend_schema(
        responses=inline_serializer(
            "Original",
            {"reference": serializers.CharField(), "original_text": serializers.CharField()},
        )
    )
    @action(detail=True, methods=["get"])
    def original(self, request, reference=None):
        report = self._record()
        reason = request.headers.get("X-Reason") or request.query_params.get("reason") or ""
        text = services.open_original(request.user, report, reason=reason)
        return Response(
            {
                "reference": report.reference,
                "original_text": text,
                "handling_conditions": report.handling_conditions,
            }
        )

    @extend_schema(request=inline_serializer("Sanitised", {"text": serializers.CharField()}))
    @action(detail=True, methods=["post"])
    def sanitised(self, request, reference=None):
        report = self._record()
        services.write_sanitised(request.user, report, str(request.data.get("text", "")))
        report.refresh_from_db()
        return Response(self.get_serializer(report).data)

    @extend_schema(
        request=inline_serializer(
            "Disseminate",
            {
                "organisations": serializers.ListField(child=serializers.CharField()),
                "purpose": serializers.CharField(),
            },
        )
    )
    @action(detail=True, methods=["post"])
    def disseminate(self, request, reference=None):
        report = self._record()
        keys = request.data.get("organisations") or []
        if not isinstance(keys, list):
            raise ValidationError({"organisations": ["Give a list of organisations."]})
        organisations = []
        for key in keys:
            try:
                organisations.append(
                    Organisation.objects.filter(key=str(key)).first()
                    or Organisation.objects.resolve(str(key))
                )
            except Organisation.DoesNotExist:
                raise ValidationError(
                    {"organisations": [f"No such organisation: {key}."]}
                ) from None
        services.disseminate(
            request.user, report, organisations, purpose=str(request.data.get("purpose", ""))
        )
        report.refresh_from_db()
        return Response(self.get_serializer(report).data)


class SarViewSet(_Processing, ProtectedViewSet):
    """Suspicious activity reports (imported from the UKFIU's bulk file), with the DAML clock."""

    queryset = SuspiciousActivityReport.objects.all()
    serializer_class = SarSerializer
    lookup_field = "reference"
    lookup_value_regex = "[^/]+"
    http_method_names = ["get", "post", "head", "options"]

    def create(self, request, *args, **kwargs):
        raise ValidationError({"detail": ["SARs are imported (socmaster import-sars)."]})

    def get_queryset(self):
        qs = (
            super()
            .get_queryset()
            .select_related("owner", "assigned_to")
            .prefetch_related("extensions")
        )
        if self.request.query_params.get("queue"):
            return services.ordered_queue(qs)
        return qs.order_by("-submitted_on", "-id")

    @extend_schema(
        request=inline_serializer(
            "Consent", {"decision": serializers.CharField(), "decided_on": serializers.DateField()}
        )
    )
    @action(detail=True, methods=["post"])
    def consent(self, request, reference=None):
        field = serializers.DateField()
        try:
            on = field.to_internal_value(request.data.get("decided_on"))
        except serializers.ValidationError:
            raise ValidationError({"decided_on": ["Give the date as YYYY-MM-DD."]}) from None
        sar = services.record_consent(
            request.user, self._record(), str(request.data.get("decision", "")), on=on
        )
        return Response(self.get_serializer(sar).data)

"""API plumbing shared by every app: error mapping, base viewset and the audit endpoint."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.views import exception_handler as drf_exception_handler

from . import policy
from .choices import Action
from .filters import AuditFilter
from .models import AuditEntry
from .reasons import current_reason, record_key
from .services import record_view


def exception_handler(exc, context):
    """Turn service-layer errors into field-level 400s and 403s."""
    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found.")
    return drf_exception_handler(exc, context)


class ReasonRequired(exceptions.PermissionDenied):
    default_detail = {
        "reason": [
            "A reason is required to open a record with restricted handling. "
            "Send it in the X-Reason header or the 'reason' query parameter."
        ]
    }
    default_code = "reason_required"


def record_opening(request, obj) -> None:
    """Audit that one record was opened through the API; a restricted one needs a reason
    (X-Reason header, ``reason`` query parameter, or one given in this session)."""
    reason = (request.headers.get("X-Reason") or request.query_params.get("reason") or "").strip()
    if obj.is_restricted:
        reason = reason or current_reason(request, record_key(obj))
        if not reason:
            raise ReasonRequired()
    record_view(request.user, obj, reason)


class ProtectedViewSet(viewsets.ModelViewSet):
    """Reads start from visible_to; one-record reads are audited and may need a reason."""

    lookup_field = "pk"

    def get_queryset(self):
        return self.queryset.model.objects.visible_to(self.request.user)

    def get_object(self):
        obj = super().get_object()
        if self.action == "retrieve":
            record_opening(self.request, obj)
        elif self.action in ("update", "partial_update", "destroy"):
            action = Action.DELETE if self.action == "destroy" else Action.CHANGE
            if not policy.can(self.request.user, action, obj):
                raise exceptions.PermissionDenied(f"You may not {action} this record.")
        return obj


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = [
            "seq",
            "timestamp",
            "username",
            "organisation_name",
            "action",
            "record_type",
            "record_id",
            "record_repr",
            "changes",
            "reason",
            "ip_address",
            "prev_hash",
            "entry_hash",
        ]


class AuditEntryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The audit log (administrators: their own organisations; inspectors: everything)."""

    serializer_class = AuditEntrySerializer
    filterset_class = AuditFilter
    search_fields = ["record_repr", "reason"]
    ordering_fields = ["seq", "timestamp"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AuditEntry.objects.none()
        if not policy.can_view_audit(self.request.user):
            raise exceptions.PermissionDenied(
                "Only administrators and inspectors may read the audit log."
            )
        return policy.audit_scope(AuditEntry.objects.all(), self.request.user).order_by("-seq")

"""API plumbing shared by every app: error mapping, base viewset and the audit endpoint."""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.relations import MANY_RELATION_KWARGS
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from . import policy
from .choices import Action
from .filters import AuditFilter
from .models import AuditEntry
from .reasons import current_reason, is_enough, record_key
from .services import VersionConflict, record_search, record_view


def exception_handler(exc, context):
    """Turn service-layer errors into field-level 400s, 403s and 409s."""
    if isinstance(exc, VersionConflict):
        return Response(
            {"detail": str(exc), "current_version": exc.current_version},
            status=409,
            headers={"ETag": etag(exc.obj)},
        )
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


def etag(obj) -> str:
    """A record's version as a strong ETag (``"3"``)."""
    return f'"{obj.lock_version}"'


def if_match_version(request):
    """The version named by the request's If-Match header (``"3"``, ``W/"3"`` or ``3``); None
    when there is no header or it is ``*``. Anything else is a 400."""
    value = (request.headers.get("If-Match") or "").strip()
    if not value or value == "*":
        return None
    tag = value.removeprefix("W/").strip().strip('"')
    if not tag.isdigit():
        raise exceptions.ValidationError(
            {"If-Match": ['Send the ETag of the version you started from, for example "3".']}
        )
    return int(tag)


class ReasonRequired(exceptions.PermissionDenied):
    default_detail = {
        "reason": [
            "A reason of at least 5 characters is required to open a record with restricted "
            "handling. Send it in the X-Reason header or the 'reason' query parameter."
        ]
    }
    default_code = "reason_required"


def record_opening(request, obj) -> None:
    """Audit that one record was opened through the API; a restricted one (by its own handling or
    its parent's) needs a reason (X-Reason header, ``reason`` query parameter, or one given in
    this session)."""
    reason = (request.headers.get("X-Reason") or request.query_params.get("reason") or "").strip()
    if policy.is_restricted(obj):
        reason = reason or current_reason(request, record_key(policy.root_of(obj)))
        if not is_enough(reason):
            raise ReasonRequired()
    record_view(request.user, obj, reason)


def _request_user(field):
    request = field.context.get("request")
    return getattr(request, "user", None)


class VisibleManyField(serializers.ManyRelatedField):
    """Many references: resolved like :class:`VisibleRelatedField`, and shown only where the
    reader may see them (a record linked by someone else may be hidden from this reader)."""

    def to_representation(self, iterable):
        user = _request_user(self.child_relation)
        return [
            self.child_relation.to_representation(obj)
            for obj in iterable
            if policy.can(user, Action.VIEW, obj)
        ]


class VisibleRelatedField(serializers.SlugRelatedField):
    """A reference to a protected record, resolved only among the records the requesting user may
    see: a hidden record and a missing one get the same answer, "No such …"."""

    default_error_messages = {"no_such": "No such {noun}.", "invalid": "No such {noun}."}

    def __init__(self, model=None, slug_field="reference", **kwargs):
        self.model = model
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", model.objects.none())
        super().__init__(slug_field=slug_field, **kwargs)

    @classmethod
    def many_init(cls, *args, **kwargs):
        child = cls(*args, **kwargs)
        many = {k: v for k, v in kwargs.items() if k in MANY_RELATION_KWARGS}
        return VisibleManyField(child_relation=child, **many)

    def get_queryset(self):
        return self.model.objects.visible_to(_request_user(self))

    def to_internal_value(self, data):
        noun = self.model._meta.verbose_name
        if not isinstance(data, str | int) or isinstance(data, bool) or "\x00" in str(data):
            self.fail("invalid", noun=noun)
        try:
            return self.get_queryset().get(**{self.slug_field: data})
        except (ObjectDoesNotExist, TypeError, ValueError):
            self.fail("no_such", noun=noun)


class VisibleUserField(serializers.SlugRelatedField):
    """A person named by user name, among the people the requesting user may look up; anyone else
    is "No such user.", exactly like a user name nobody has."""

    default_error_messages = {"no_such": "No such user.", "invalid": "No such user."}

    def __init__(self, **kwargs):
        self.model = get_user_model()
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", self.model.objects.none())
        super().__init__(slug_field="username", **kwargs)

    def get_queryset(self):
        return policy.visible_users(self.model.objects.all(), _request_user(self))

    def to_internal_value(self, data):
        if not isinstance(data, str) or "\x00" in data:
            self.fail("invalid")
        try:
            return self.get_queryset().get(username=data)
        except ObjectDoesNotExist:
            self.fail("no_such")


#: Read-only fields of a record brought in by an import (``core.models.Imported``): the file and
#: row it came from and when; blank for a record entered in the product.
IMPORT_FIELDS = ["import_source", "imported_at"]
#: And of a decision made in the source system (``core.models.DecidedOutside``).
OUTSIDE_DECISION_FIELDS = ["outside_decision_by", "outside_decision_on"]


class ListSummaryMixin:
    """In lists, a record with restricted handling (its own or its parent's) shows only the fields
    named in ``Meta.list_fields`` and ``"is_summary": true``; the full record is opened one at a time,
    with a reason, and that opening is audited."""

    def to_representation(self, instance):
        data = super().to_representation(instance)
        view = self.context.get("view")
        if getattr(view, "action", None) == "list" and policy.is_restricted(instance):
            data = {name: data[name] for name in self.Meta.list_fields if name in data}
            data["is_summary"] = True
        return data


class ProtectedViewSet(viewsets.ModelViewSet):
    """The one API base for protected records, owning or inheriting their protection.

    Lists start from ``visible_to`` and are logged (criteria and count); restricted records in
    them are summaries. Opening one record is audited and needs a reason where restricted.
    Changing or deleting checks the policy; a record the user may not see answers 404 like a
    missing one.
    """

    lookup_field = "pk"

    def get_queryset(self):
        return self.queryset.model.objects.visible_to(self.request.user)

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        page = getattr(self.paginator, "page", None)
        count = page.paginator.count if page is not None else len(response.data)
        with transaction.atomic():
            record_search(
                request.user,
                self.get_queryset().model,
                params=request.query_params,
                count=count,
                where="api",
            )
        return response

    def retrieve(self, request, *args, **kwargs):
        obj = self.get_object()
        response = Response(self.get_serializer(obj).data)
        if hasattr(obj, "lock_version"):
            response["ETag"] = etag(obj)
        return response

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if getattr(self, "action", None) in ("update", "partial_update"):
            context["expected_version"] = if_match_version(self.request)
        return context

    def update(self, request, *args, **kwargs):
        response = super().update(request, *args, **kwargs)
        instance = getattr(self, "_updated", None)
        if instance is not None and hasattr(instance, "lock_version"):
            response["ETag"] = etag(instance)
        return response

    def perform_update(self, serializer):
        self._updated = serializer.save()

    def allowed(self, action: str, obj) -> bool:
        """May the user change or delete ``obj``? Apps whose services add rules (a recorder
        changing their own draft) override this with the service's own check."""
        return policy.can(self.request.user, action, obj)

    def get_object(self):
        obj = super().get_object()
        if self.action == "retrieve":
            record_opening(self.request, obj)
        elif self.action in ("update", "partial_update", "destroy"):
            action = Action.DELETE if self.action == "destroy" else Action.CHANGE
            if not self.allowed(action, obj):
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


def lockout_response(request):
    """A 429 while django-axes has the user name or the address locked out, else None."""
    data = request.data
    username = data.get("username", "") if hasattr(data, "get") else ""
    credentials = {"username": str(username)[:150]}
    if AxesProxyHandler.is_locked(request._request, credentials):
        return Response(
            {"detail": "Too many failed sign-in attempts. Try again later."},
            status=status.HTTP_429_TOO_MANY_REQUESTS,
        )
    return None

"""Helpers every app's services use: policy checks, audited saves and view logging."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404

from . import audit, policy
from .choices import Action, AuditAction


def require(user, action: str, obj) -> None:
    """Raise 404 if ``user`` may not see ``obj``; 403 if they may see but not ``action`` it."""
    if not policy.can(user, Action.VIEW, obj):
        raise Http404("No such record.")
    if not policy.can(user, action, obj):
        raise PermissionDenied(f"You may not {action} this record.")


def m2m_snapshot(obj: models.Model, *names: str) -> dict:
    return {name: sorted(getattr(obj, name).values_list("pk", flat=True)) for name in names}


def record_view(user, obj, reason: str = "") -> None:
    """Log that ``user`` opened ``obj`` (with the reason given, where one was required)."""
    audit.record(AuditAction.VIEW, obj, user=user, reason=reason)


def record_export(user, *, record_type: str, reason: str, count: int, filters: dict) -> None:
    if not reason.strip():
        raise PermissionDenied("A reason is required to export.")
    audit.record(
        AuditAction.EXPORT,
        user=user,
        reason=reason.strip(),
        record_type=record_type,
        record_repr=f"{count} records",
        changes={"filters": filters, "count": count},
    )

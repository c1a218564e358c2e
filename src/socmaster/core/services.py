"""Helpers every app's services use: policy checks, audited saves and view logging."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404
from django.utils import timezone

from . import audit, policy
from .choices import Action, AuditAction
from .validators import check_text


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


#: Query parameters that say nothing about what was looked for.
_NOT_CRITERIA = {"page", "reason", "format"}


def record_search(user, model, *, params, count: int, where: str = "") -> None:
    """Log one list or search read (consultation logging, Data Protection Act 2018 s.62): who,
    what kind of record, the query and filters used, and how many records came back."""
    criteria = {
        key: params.getlist(key) if len(params.getlist(key)) > 1 else params.get(key)
        for key in sorted(params)
        if key not in _NOT_CRITERIA and params.get(key) not in (None, "")
    }
    audit.record(
        AuditAction.SEARCH,
        user=user,
        record_type=audit.record_type_of(model),
        record_repr=f"{count} {model._meta.verbose_name_plural}"[:300],
        changes={"criteria": criteria, "count": count, "where": where},
    )


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


def refuse_unknown(values, allowed, message: str = "This field cannot be changed here.") -> None:
    """A field-level error for every name in ``values`` that is not in ``allowed``."""
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValidationError({name: [message] for name in sorted(unknown)})


def audited_update(
    user, obj: models.Model, values: dict, *, m2m: dict | None = None, validate=None
):
    """Apply ``values`` (and ``m2m`` name -> new objects) to a locked ``obj`` and record the change.

    The one sequence every update follows: refuse control characters in text, snapshot before, set, validate (``validate(obj)`` may
    raise a ValidationError or adjust derived fields), ``full_clean``, snapshot after, diff;
    nothing is written when nothing changed, else one save and one audit entry with before and
    after values. Returns the changes (empty when nothing changed).
    """
    check_text(type(obj), values)
    m2m = {name: value for name, value in (m2m or {}).items() if value is not None}
    m2m_names = [f.name for f in obj._meta.many_to_many]
    before = audit.snapshot(obj) | m2m_snapshot(obj, *m2m_names)
    for name, value in values.items():
        setattr(obj, name, value)
    if validate is not None:
        validate(obj)
    obj.full_clean(exclude=m2m_names)
    after = audit.snapshot(obj) | {
        name: sorted(o.pk for o in m2m[name]) if name in m2m else before[name] for name in m2m_names
    }
    changes = audit.diff(before, after)
    if not changes:
        return {}
    if hasattr(obj, "updated_at"):
        obj.updated_at = timezone.now()
    obj.save()
    for name, value in m2m.items():
        getattr(obj, name).set(value)
    audit.record(AuditAction.UPDATE, obj, user=user, changes=changes)
    return changes

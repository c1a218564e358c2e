"""Helpers every app's services use: policy checks, audited saves and view logging."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404
from django.utils import timezone

from . import audit, policy
from .choices import Action, AuditAction
from .reasons import REASON_TOO_SHORT, is_enough
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
    if not is_enough(reason):
        raise ValidationError({"reason": [REASON_TOO_SHORT]})
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


class VersionConflict(Exception):
    """Someone else changed the record since the version the user started from was read."""

    def __init__(self, obj: models.Model, expected: int):
        self.obj, self.expected, self.current_version = obj, expected, obj.lock_version
        super().__init__(
            f"Someone else changed {obj} since you opened it (you started from version "
            f"{expected}; it is now version {obj.lock_version}). Nothing was saved: check what is "
            "stored now and make your change again."
        )


def check_version(obj: models.Model, expected_version) -> None:
    """Refuse the change if ``obj`` (locked) is no longer at ``expected_version``; None skips."""
    if expected_version in (None, ""):
        return
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        raise ValidationError({"lock_version": ["The version must be a whole number."]}) from None
    if expected != obj.lock_version:
        raise VersionConflict(obj, expected)


def audited_update(
    user,
    obj: models.Model,
    values: dict,
    *,
    m2m: dict | None = None,
    validate=None,
    expected_version=None,
):
    """Apply ``values`` (and ``m2m`` name -> new objects) to a locked ``obj`` and record the change.

    The one sequence every update follows: refuse control characters in text, snapshot before, set, validate (``validate(obj)`` may
    raise a ValidationError or adjust derived fields), ``full_clean``, snapshot after, diff;
    nothing is written when nothing changed, else one save and one audit entry with before and
    after values. Returns the changes (empty when nothing changed).

    A record with a ``lock_version`` is checked against ``expected_version`` (the version the
    user started from; None skips the check) and its version goes up by one with each change.
    """
    if hasattr(obj, "lock_version"):
        check_version(obj, expected_version)
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
    if hasattr(obj, "lock_version"):
        obj.lock_version += 1
    obj.save()
    for name, value in m2m.items():
        getattr(obj, name).set(value)
    audit.record(AuditAction.UPDATE, obj, user=user, changes=changes)
    return changes


def cli_reason(options: dict) -> str:
    """The reason an operator gave with --reason, checked before anything is exported."""
    from django.core.management.base import CommandError

    reason = (options.get("reason") or "").strip()
    if len(reason) < 5:
        raise CommandError("Give the reason for this export with --reason (at least 5 characters).")
    return reason


def audit_cli_export(what: str, options: dict, count: int) -> None:
    """Record an operator's export at the command line, once it has been written out."""
    from django.db import transaction

    reason = cli_reason(options)
    filters = {
        key: str(value)
        for key, value in sorted(options.items())
        if key in ("kind", "region", "organisation", "date_from", "date_to", "format") and value
    }
    with transaction.atomic():
        record_export(None, record_type=what, reason=reason, count=count, filters=filters)


def undo_import_write(
    model: type[models.Model],
    pk: int,
    before: dict | None,
    *,
    user,
    reason: str,
    m2m: tuple[str, ...] = (),
) -> None:
    """Put one record back as it was before an import that did not finish, with an audit entry:
    delete it if the import created it (``before`` None), else restore its fields (and the
    many-to-many ``m2m`` ids) from the before-image. A record already gone is left alone."""
    from django.db import transaction

    with transaction.atomic():
        obj = model._base_manager.select_for_update().filter(pk=pk).first()
        if obj is None:
            return
        current = audit.snapshot(obj) | m2m_snapshot(obj, *m2m)
        if before is None:
            audit.record(
                AuditAction.DELETE, obj, user=user, reason=reason, changes={"before": current}
            )
            obj.delete()
            return
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        values = {
            name: by_attname[name].to_python(value)
            for name, value in before.items()
            if name in by_attname and name != "id"
        }
        # A queryset update, so that updated_at and the version go back to what they were too.
        model._base_manager.filter(pk=pk).update(**values)
        for name in m2m:
            if name in before:
                getattr(obj, name).set(before[name])
        obj.refresh_from_db()
        restored = audit.snapshot(obj) | m2m_snapshot(obj, *m2m)
        audit.record(
            AuditAction.UPDATE, obj, user=user, reason=reason, changes=audit.diff(current, restored)
        )

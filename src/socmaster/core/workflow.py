"""Moderation workflows: one way to move a record between states, check first, audit always."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone

from . import audit
from .choices import AuditAction


def transition(user, record, name: str, transitions: dict, *, reason: str = "", **extra):
    """Apply the named transition to ``record`` (which has a ``status``) if its current state allows it.

    ``transitions`` maps a name to (states it may start from, state it ends in). ``extra`` fields are
    set with the new state. Writes one audit entry; call inside the caller's transaction.
    """
    allowed_from, target = transitions[name]
    if record.status not in allowed_from:
        noun = record._meta.verbose_name
        article = "an" if noun[:1] in "aeiou" else "a"
        raise ValidationError(
            {
                "status": [
                    f"Cannot {name} {article} {noun} that is {record.get_status_display().lower()}."
                ]
            }
        )
    before = record.status
    record.status = target
    for key, value in extra.items():
        setattr(record, key, value)
    record.updated_at = timezone.now()
    record.save()
    audit.record(
        AuditAction.TRANSITION,
        record,
        user=user,
        reason=reason,
        changes={"status": {"before": before, "after": target}, "transition": name},
    )
    return record

"""Security-changing management commands from Django and its libraries, wrapped so that each run
writes its audit entry (an operator at the command line is the actor). ``socmaster.core`` is first
in INSTALLED_APPS, so these wrappers take the commands' names."""

from __future__ import annotations

from django.db import transaction

from socmaster.core import audit
from socmaster.core.choices import AuditAction


def command_entry(command: str, action: str = AuditAction.UPDATE, **fields) -> None:
    """One entry for a run of ``command`` that changed security state."""
    with transaction.atomic():
        audit.record(action, reason=f"{command} at the command line", **fields)


def record_new_users(command: str, before_ids: set[int]) -> None:
    """An entry for every user a command created (snapshots never hold the password hash)."""
    from django.contrib.auth import get_user_model

    for user in get_user_model().objects.exclude(pk__in=before_ids):
        with transaction.atomic():
            audit.record(
                AuditAction.CREATE,
                user,
                reason=f"{command} at the command line",
                changes={"after": audit.snapshot(user)},
            )

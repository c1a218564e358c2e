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


def audited_axes_reset(axes_command, name: str):
    """An ``axes_reset*`` command that records which lock-outs it reset."""

    class Command(axes_command):
        help = axes_command.help + " The reset is recorded in the audit log."

        def handle(self, *args, **options):
            super().handle(*args, **options)
            given = [
                f"{k}={v}" for k, v in sorted(options.items()) if k in ("ip", "username") and v
            ]
            command_entry(
                name,
                record_type="axes.accessattempt",
                record_repr="log-in lock-outs reset",
                changes={"arguments": [str(a) for a in args] + given},
            )

    return Command

from rest_framework.authtoken.management.commands.drf_create_token import (
    Command as DrfCommand,
)

from socmaster.core.choices import AuditAction
from socmaster.core.management.auditing import command_entry


class Command(DrfCommand):
    help = DrfCommand.help + " Issuing the token is recorded in the audit log (never the key)."

    def create_user_token(self, username, reset_token):
        token = super().create_user_token(username, reset_token)
        command_entry(
            "drf_create_token",
            AuditAction.CREATE,
            record_type="authtoken.token",
            record_id=str(token.user_id),
            record_repr=f"API token for {username}",
            changes={"issued": True, "replaced": bool(reset_token)},
        )
        return token

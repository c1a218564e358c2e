from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from socmaster.core.tokens import issue_api_token


class Command(BaseCommand):
    help = (
        "Issue a new API token for USER and print it once (it is stored only as a hash). The "
        "user's earlier tokens stop working; the issue is recorded in the audit log (never the "
        "token)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user named {options['username']!r}.")
        try:
            token = issue_api_token(user, via="cli", reason="create-api-token at the command line")
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(token.key)
        self.stderr.write(
            f"Token for {user.username}, valid until {token.expires.isoformat()}; "
            "it is not shown again."
        )

import getpass
import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from socmaster.organisations import services
from socmaster.organisations.choices import Role


class Command(BaseCommand):
    help = "Create a user with one or more roles in an organisation (named by name, short name or alias)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--organisation", required=True, help="e.g. 'Durham Constabulary', 'NEROCU'"
        )
        parser.add_argument(
            "--role",
            action="append",
            dest="roles",
            required=True,
            choices=Role.values,
            help="Repeat for several roles.",
        )
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password-env",
            default="SOCMASTER_NEW_PASSWORD",
            help="Environment variable holding the password (else asked for on a terminal).",
        )
        parser.add_argument(
            "--superuser", action="store_true", help="Also make the user a Django superuser."
        )

    def handle(self, *args, **options):
        password = os.environ.get(options["password_env"], "")
        if not password:
            if not self.stdin_is_tty():
                raise CommandError(
                    f"Set {options['password_env']} or run on a terminal to type the password."
                )
            password = getpass.getpass("Password: ")
        try:
            organisation = services.resolve_organisation(options["organisation"])
            user = services.create_user(
                None,
                username=options["username"],
                organisation=organisation,
                roles=options["roles"],
                password=password,
                first_name=options["first_name"],
                last_name=options["last_name"],
                email=options["email"],
            )
        except ValidationError as exc:
            lines = [f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()]
            raise CommandError("User not created.\n" + "\n".join(lines)) from exc
        if options["superuser"]:
            services.set_superuser(None, user, True)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {user.username} in {organisation} as {', '.join(options['roles'])}."
            )
        )

    @staticmethod
    def stdin_is_tty() -> bool:
        import sys

        return sys.stdin is not None and sys.stdin.isatty()

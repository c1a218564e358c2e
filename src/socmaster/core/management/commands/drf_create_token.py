from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Replaced by 'socmaster create-api-token USER' (audited; tokens stored only as a hash)."

    def add_arguments(self, parser):
        parser.add_argument("args", nargs="*")
        parser.add_argument("-r", "--reset", action="store_true")

    def handle(self, *args, **options):
        raise CommandError(
            "drf_create_token is no longer available: API tokens are django-rest-knox tokens. "
            "Use 'socmaster create-api-token USER', which prints a new token once and records "
            "the issue in the audit log."
        )

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from socmaster.core.importing import add_import_arguments, run_import_command
from socmaster.intelligence.importer import import_sars, sars_rejects
from socmaster.organisations.models import Organisation, User


class Command(BaseCommand):
    help = (
        "Import suspicious activity reports (the UK FIU bulk file, CSV or JSON) received by an "
        "organisation. All or nothing, unless --skip-bad. See docs/import-sars.md."
    )

    def add_arguments(self, parser):
        add_import_arguments(parser)
        parser.add_argument(
            "--organisation",
            required=True,
            help="The key of the organisation that received the SARs (e.g. force-durham).",
        )
        parser.add_argument(
            "--as",
            dest="as_user",
            help="The username the import is recorded under (who must be allowed to create "
            "records for the organisation); without it, an operator at the command line.",
        )

    def handle(self, *args, **options):
        owner = Organisation.objects.filter(key=options["organisation"]).first()
        if owner is None:
            raise CommandError(
                f"No organisation '{options['organisation']}'; give its key (e.g. force-durham)."
            )
        user = None
        if options.get("as_user"):
            user = User.objects.filter(username=options["as_user"], is_active=True).first()
            if user is None:
                raise CommandError(f"No active user '{options['as_user']}'.")
        name = Path(options["file"]).name  # each SAR is marked "<file name>, row N"
        run_import_command(
            self,
            options,
            lambda data, **kwargs: import_sars(data, owner=owner, user=user, source=name, **kwargs),
            sars_rejects,
            stream=True,
        )

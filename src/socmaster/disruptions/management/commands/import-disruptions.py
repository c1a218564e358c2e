from pathlib import Path

from django.core.management.base import BaseCommand

from socmaster.core.importing import add_import_arguments, run_import_command
from socmaster.disruptions.importer import disruption_rejects, import_disruptions


class Command(BaseCommand):
    help = (
        "Import disruption records (CSV), with their history where the file gives it. All or "
        "nothing, unless --skip-bad. See docs/import-disruptions.md."
    )

    def add_arguments(self, parser):
        add_import_arguments(parser)

    def handle(self, *args, **options):
        name = Path(options["file"]).name  # each record is marked "<file name>, row N"
        run_import_command(
            self,
            options,
            lambda data, **kwargs: import_disruptions(data, source=name, **kwargs),
            disruption_rejects,
        )

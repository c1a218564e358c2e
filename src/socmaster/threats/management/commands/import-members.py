from django.core.management.base import BaseCommand

from socmaster.core.importing import add_import_arguments, run_import_command
from socmaster.threats.members_importer import import_members, member_rejects


class Command(BaseCommand):
    help = (
        "Import threat memberships with their dates (CSV), creating new nominals. All or "
        "nothing, unless --skip-bad. See docs/import-members.md."
    )

    def add_arguments(self, parser):
        add_import_arguments(parser)

    def handle(self, *args, **options):
        from pathlib import Path

        name = Path(options["file"]).name

        def run(data, **kwargs):
            return import_members(data, source=name, **kwargs)

        run_import_command(self, options, run, member_rejects)

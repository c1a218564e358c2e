from django.core.management.base import BaseCommand

from socmaster.core.importing import add_import_arguments, run_import_command
from socmaster.threats.importer import import_masterlist, masterlist_rejects


class Command(BaseCommand):
    help = "Import a master-list extract (CSV). All or nothing, unless --skip-bad. See docs/import-masterlist.md."

    def add_arguments(self, parser):
        add_import_arguments(parser)

    def handle(self, *args, **options):
        run_import_command(self, options, import_masterlist, masterlist_rejects, stream=True)

from django.core.management.base import BaseCommand

from socmaster.core.importing import add_import_arguments, run_import_command
from socmaster.disruptions.importer import disruption_rejects, import_disruptions


class Command(BaseCommand):
    help = "Import disruption records (CSV). All or nothing, unless --skip-bad. See docs/disruptions.md."

    def add_arguments(self, parser):
        add_import_arguments(parser)

    def handle(self, *args, **options):
        run_import_command(self, options, import_disruptions, disruption_rejects)

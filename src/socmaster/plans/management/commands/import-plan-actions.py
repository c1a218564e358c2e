from django.core.management.base import BaseCommand

from socmaster.core.importing import add_import_arguments, run_import_command
from socmaster.plans.importer import action_rejects, import_plan_actions


class Command(BaseCommand):
    help = "Import 4P plan actions (plan-actions.csv). All or nothing, unless --skip-bad. See docs/import-plans.md."

    def add_arguments(self, parser):
        add_import_arguments(parser)

    def handle(self, *args, **options):
        run_import_command(self, options, import_plan_actions, action_rejects, stream=True)

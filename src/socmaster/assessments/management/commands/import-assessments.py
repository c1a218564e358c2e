from django.core.management.base import BaseCommand

from socmaster.assessments.importer import assessment_rejects, import_assessments
from socmaster.core.importing import add_import_arguments, run_import_command


class Command(BaseCommand):
    help = (
        "Import MoRiLE assessments made in a force's own systems (CSV). All or nothing, unless "
        "--skip-bad. See docs/import-assessments.md."
    )

    def add_arguments(self, parser):
        add_import_arguments(parser)

    def handle(self, *args, **options):
        from pathlib import Path

        name = Path(options["file"]).name

        def run(data, **kwargs):
            return import_assessments(data, source=name, **kwargs)

        run_import_command(self, options, run, assessment_rejects)

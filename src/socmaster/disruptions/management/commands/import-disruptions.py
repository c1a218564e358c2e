from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from socmaster.disruptions.importer import disruption_rejects, import_disruptions


class Command(BaseCommand):
    help = "Import disruption records (CSV). All or nothing, unless --skip-bad. See docs/disruptions.md."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--skip-bad", action="store_true")
        parser.add_argument("--rejects", help="Where to write rejected rows (default FILE.rejects.csv).")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        with Progress(TextColumn("Importing"), BarColumn(), MofNCompleteColumn(),
                      disable=not self.stdout.isatty()) as bar:
            task = bar.add_task("import", total=None)
            result = import_disruptions(path.read_bytes(), skip_bad=options["skip_bad"],
                                        progress=lambda done, total: bar.update(task, completed=done, total=total))
        for error in result.errors:
            self.stderr.write(str(error))
        if not result.written:
            raise CommandError(f"Nothing was imported: {len(result.errors)} problem(s) found. "
                               "Fix them, or use --skip-bad to import the good rows.")
        summary = f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged"
        if result.rejected:
            default = path.with_suffix(".rejects.csv") if path.suffix.lower() == ".csv" else Path(f"{path}.rejects.csv")
            rejects = Path(options["rejects"]) if options["rejects"] else default
            rejects.write_text(disruption_rejects(result), encoding="utf-8")
            summary += f", {len(result.rejected)} rejected (written to {rejects})"
        self.stdout.write(self.style.SUCCESS(summary + "."))

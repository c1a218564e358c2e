from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from socmaster.threats.importer import import_masterlist, masterlist_rejects


class Command(BaseCommand):
    help = "Import a master-list extract (CSV). All or nothing, unless --skip-bad. See docs/import-masterlist.md."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--skip-bad", action="store_true", help="Write the good rows; put bad ones in a rejects file.")
        parser.add_argument("--rejects", help="Where to write rejected rows (default FILE.rejects.csv).")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        with Progress(TextColumn("Importing"), BarColumn(), MofNCompleteColumn(),
                      disable=not self.stdout.isatty()) as bar:
            task = bar.add_task("import", total=None)
            result = import_masterlist(path.read_bytes(), skip_bad=options["skip_bad"],
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
            rejects.write_text(masterlist_rejects(result), encoding="utf-8")
            summary += f", {len(result.rejected)} rejected (written to {rejects})"
        self.stdout.write(self.style.SUCCESS(summary + "."))

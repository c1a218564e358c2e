from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from socmaster.web.history import HISTORY_FILES, history_files, import_history


class Command(BaseCommand):
    help = (
        "Import a whole history from the CSV files in DIR (masterlist.csv, members.csv, "
        "assessments.csv, disruptions.csv, plans.csv, plan-actions.csv, plan-reviews.csv; each "
        "optional), in that order, each through its importer. Stops at the first file with "
        "problems. See docs/import-history.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory")
        parser.add_argument(
            "--skip-bad",
            action="store_true",
            help="Write each file's good rows; put its bad ones in FILE.rejects.csv beside it.",
        )

    def handle(self, *args, **options):
        directory = Path(options["directory"])
        if not directory.is_dir():
            raise CommandError(f"No such directory: {directory}")
        if not history_files(directory):
            names = ", ".join(name for name, _ in HISTORY_FILES)
            raise CommandError(f"No history files in {directory}: expected any of {names}.")
        console = Console(stderr=True)
        with Progress(
            TextColumn("{task.description:<18}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            disable=not console.is_terminal,
        ) as bar:
            tasks = {}

            def progress(name, done, total):
                if name not in tasks:
                    tasks[name] = bar.add_task(name, total=total)
                bar.update(tasks[name], completed=done, total=total)

            def on_file(outcome):
                for error in outcome.result.errors:
                    self.stderr.write(f"{outcome.name}: {error}")
                line = outcome.summary()
                self.stdout.write(self.style.SUCCESS(line) if outcome.written else line)

            outcomes = import_history(
                directory, skip_bad=options["skip_bad"], progress=progress, on_file=on_file
            )
        last = outcomes[-1]
        if not last.written:
            done = [o.name for o in outcomes[:-1]]
            left = [name for name, _, _ in history_files(directory)][len(outcomes) :]
            if last.problem:
                why = f"{last.problem}. Install its importer, or move the file away"
            else:
                why = (
                    f"nothing from it was imported ({len(last.result.errors)} problem(s)). "
                    "Fix the file (or use --skip-bad)"
                )
            raise CommandError(
                f"Stopped at {last.name}: {why}, and run the command again: the files already "
                "imported will be unchanged."
                + (f" Imported before it: {', '.join(done)}." if done else "")
                + (f" Not tried: {', '.join(left)}." if left else "")
            )
        self.stdout.write(self.style.SUCCESS(f"History imported: {len(outcomes)} file(s)."))

"""``socmaster linkage``: the matching model and screening runs at the command line.

- ``train``: retrain on the master list and the SARs held, compare with the model in use on the
  same data (links gained, lost, decisions that flip) and store it, waiting; with
  ``--nominals``/``--subjects``/``--out``, train from files into a JSON file instead.
- ``models``: the stored models and their status.
- ``use VERSION --reason``: put a waiting model into use (audited).
- ``screen-sars --organisation KEY``: screen that organisation's unscreened SARs.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn


def _errors(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return "; ".join(exc.messages)


class Command(BaseCommand):
    help = "The matching model (train, models, use) and screening SARs (screen-sars)."

    def add_arguments(self, parser):
        parser.add_argument(
            "action", choices=["train", "models", "use", "screen-sars", "duplicates"]
        )
        parser.add_argument("version", nargs="?", type=int)
        parser.add_argument("--nominals", help="train: nominals file (CSV) to train from.")
        parser.add_argument("--subjects", help="train: subjects file (CSV) to train from.")
        parser.add_argument("--out", help="train: write the model to this JSON file.")
        parser.add_argument("--reason", help="use: why this model is put into use.")
        parser.add_argument("--organisation", help="screen-sars: the organisation's key.")
        parser.add_argument("--all", action="store_true", help="screen-sars: screened ones too.")

    def handle(self, *args, **options):
        try:
            getattr(self, options["action"].replace("-", "_"))(options)
        except ValidationError as exc:
            raise CommandError(_errors(exc)) from None
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None

    def _progress(self):
        return Progress(
            TextColumn("{task.description:<12}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            console=Console(file=sys.stderr),
            disable=not sys.stderr.isatty(),
        )

    def train(self, options):
        started = time.perf_counter()
        if options.get("nominals") or options.get("subjects") or options.get("out"):
            return self._train_files(options, started)
        from socmaster.linkage import services

        with self._progress() as bar:
            task = bar.add_task("training", total=3)
            row = services.train_model(
                progress=lambda n, d, t: bar.update(task, completed=d, description=n)
            )
        self.stdout.write(
            f"Model v{row.version} trained in {time.perf_counter() - started:.1f} s; waiting."
        )
        c = row.comparison
        if c.get("error"):
            self.stdout.write(f"Not comparable with v{c['against_version']}: {c['error']}")
        elif c:
            self.stdout.write(
                f"Against v{c['against_version']} on the same data: {c['links_before']:,} links "
                f"before, {c['links_after']:,} after; {c['gained']:,} gained, {c['lost']:,} lost, "
                f"{c['flipped']:,} decisions flip."
            )
        self.stdout.write(
            f"Put it into use with: socmaster linkage use {row.version} --reason '...'"
        )

    def _train_files(self, options, started):
        from socmaster.linkage.engine import prepare, train
        from socmaster.linkage.engine.files import FileError, read_people

        if not (options.get("nominals") and options.get("out")):
            raise CommandError("Training from files needs --nominals and --out (and --subjects).")
        try:
            nominals = prepare(read_people(options["nominals"], "id"), "id")
            subjects = None
            if options.get("subjects"):
                subjects = prepare(read_people(options["subjects"], "subject_id"), "subject_id")
        except FileError as exc:
            raise CommandError(f"{exc.path}:\n  " + "\n  ".join(exc.problems)) from None
        model = train(nominals, subjects)
        Path(options["out"]).write_text(model.to_json(), encoding="utf-8")
        self.stdout.write(
            self.style.SUCCESS(
                f"Model trained in {time.perf_counter() - started:.1f} s: {options['out']}"
            )
        )

    def models(self, options):
        from socmaster.linkage.models import LinkageModel

        rows = LinkageModel.objects.all()
        if not rows:
            self.stdout.write("No models yet: socmaster linkage train")
        for row in rows:
            self.stdout.write(
                f"v{row.version}\t{row.get_status_display()}\ttrained {row.trained_at:%Y-%m-%d %H:%M}"
                f"\t{json.dumps({k: row.comparison.get(k) for k in ('gained', 'lost', 'flipped') if k in row.comparison})}"
            )

    def use(self, options):
        from socmaster.linkage import services

        if options.get("version") is None:
            raise CommandError("Give the version: socmaster linkage use VERSION --reason '...'")
        row = services.put_into_use(None, options["version"], options.get("reason") or "")
        self.stdout.write(self.style.SUCCESS(f"Model v{row.version} is in use."))

    def screen_sars(self, options):
        from socmaster.linkage import services
        from socmaster.organisations.models import Organisation

        owner = Organisation.objects.filter(key=options.get("organisation") or "").first()
        if owner is None:
            raise CommandError("Give --organisation KEY (e.g. force-durham).")
        sars = services.sars_in_scope(
            {"organisation": owner.pk, "include_screened": options["all"]}
        )
        try:
            with self._progress() as bar:
                task = bar.add_task("screening", total=4)
                run = services.screen_sars(
                    sars,
                    owner=owner,
                    progress=lambda n, d, t: bar.update(task, completed=d, description=n),
                )
        except services.NoModel as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"Screening run {run.pk}: {json.dumps(run.counts)}"))

    def duplicates(self, options):
        from socmaster.linkage import services

        try:
            with self._progress() as bar:
                task = bar.add_task("duplicates", total=4)
                run = services.screen_duplicates(
                    progress=lambda n, d, t: bar.update(task, completed=d, description=n)
                )
        except services.NoModel as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"Duplicates run {run.pk}: {json.dumps(run.counts)}"))

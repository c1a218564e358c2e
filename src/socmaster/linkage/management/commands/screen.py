"""``socmaster screen``: link a file of people to master-list nominals, without touching the
database when both files are given (docs/linkage.md)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from socmaster.linkage.engine import Model, ModelError
from socmaster.linkage.engine.backends import BACKENDS
from socmaster.linkage.engine.files import FileError, screen_files


class Command(BaseCommand):
    help = (
        "Screen SUBJECTS.csv against NOMINALS.csv (or, without --against, the master-list "
        "nominals the user given with --as may see) and write each linked subject's best match "
        "(subject_id, nominal_id, match_probability) to --out. Uses the matching model in use, or "
        "--model FILE. See docs/linkage.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("--subjects", required=True, help="The people to screen (CSV).")
        parser.add_argument("--against", help="The nominals to screen against (CSV).")
        parser.add_argument("--out", required=True, help="Where to write the matches (CSV).")
        parser.add_argument("--model", help="A trained model (JSON) instead of the one in use.")
        parser.add_argument("--backend", choices=BACKENDS, default="duckdb")
        parser.add_argument(
            "--as",
            dest="as_user",
            help="Without --against: the user whose visible nominals are screened against.",
        )
        parser.add_argument("--reason", help="Without --against: why (recorded, as an export).")

    def handle(self, *args, **options):
        started = time.perf_counter()
        model = self._model(options)
        out = Path(options["out"])
        if out.exists() and out.is_dir():
            raise CommandError(f"--out {out} is a directory.")
        against = options.get("against")
        user = None
        if against is None:
            user = self._user(options)
            from socmaster.core.services import cli_reason

            cli_reason(options)
            against = self._visible_nominals(user)
        console = Console(file=sys.stderr)
        with Progress(
            TextColumn("{task.description:<14}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            console=console,
            disable=not sys.stderr.isatty(),
        ) as bar:
            task = bar.add_task("screening", total=4)

            def progress(name, done, total):
                bar.update(task, completed=done, description=name)

            try:
                counts = screen_files(
                    model,
                    options["subjects"],
                    against,
                    out,
                    backend=options["backend"],
                    progress=progress,
                )
            except FileError as exc:
                raise CommandError(
                    f"{exc.path} cannot be screened:\n  " + "\n  ".join(exc.problems)
                ) from None
        if user is not None:
            self._references(out)
            from socmaster.core.services import audit_cli_export

            audit_cli_export("screening matches", options, counts["matches"])
        self.stdout.write(
            self.style.SUCCESS(
                f"{counts['matches']:,} of {counts['subjects']:,} subjects linked to "
                f"{counts['nominals']:,} nominals in {time.perf_counter() - started:.1f} s: {out}"
            )
        )

    def _model(self, options) -> Model:
        if options.get("model"):
            path = Path(options["model"])
            if not path.is_file():
                raise CommandError(f"--model {path}: no such file.")
            try:
                return Model.from_json(path.read_text(encoding="utf-8"))
            except ModelError as exc:
                raise CommandError(f"--model {path}: {exc}") from None
        from socmaster.linkage.services import NoModel, model_in_use

        try:
            return model_in_use()[1]
        except NoModel as exc:
            raise CommandError(f"{exc} Or give --model FILE.") from None

    def _user(self, options):
        from socmaster.organisations.models import User

        if not options.get("as_user"):
            raise CommandError(
                "Without --against, give --as USERNAME: the nominals that user may see are used."
            )
        user = User.objects.filter(username=options["as_user"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user '{options['as_user']}'.")
        return user

    def _visible_nominals(self, user):
        from socmaster.linkage.services import nominal_frame
        from socmaster.threats.models import Nominal

        return nominal_frame(Nominal.objects.visible_to(user))

    def _references(self, out: Path) -> None:
        """Write nominals' references, not their database keys, in the output."""
        import pandas as pd

        from socmaster.threats.models import Nominal

        matches = pd.read_csv(out, dtype=str)
        pks = {int(v.split("~")[0]) for v in matches["nominal_id"]}
        refs = dict(Nominal.objects.filter(pk__in=pks).values_list("pk", "reference"))
        matches["nominal_id"] = matches["nominal_id"].map(lambda v: refs[int(v.split("~")[0])])
        matches.to_csv(out, index=False)

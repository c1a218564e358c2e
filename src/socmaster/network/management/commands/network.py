"""``socmaster network``: network analysis at the command line.

- ``analyse --edges EDGES.csv --out DIR``: analyse an edge list from another system (call data
  records, a partner's shared addresses) without touching the database: writes
  ``DIR/key_players.csv`` and ``DIR/communities.csv`` (docs/network.md).
- ``run --as USERNAME [--region NAME]``: analyse the network that user may see and store the
  results as their analysis (what the page's "Analyse my network" does, in the foreground).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn


def _progress(total: int):
    return Progress(
        TextColumn("{task.description:<26}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        console=Console(file=sys.stderr),
        disable=not sys.stderr.isatty(),
    )


class Command(BaseCommand):
    help = (
        "Network analysis: 'analyse --edges EDGES.csv --out DIR' analyses an edge list file "
        "(columns source,target and optionally type,weight,date) into DIR/key_players.csv and "
        "DIR/communities.csv without touching the database; 'run --as USERNAME' analyses the "
        "network that user may see and stores it as their analysis. See docs/network.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["analyse", "run"])
        parser.add_argument("--edges", help="analyse: the edge list (UTF-8 CSV).")
        parser.add_argument("--out", help="analyse: the folder to write the results to.")
        parser.add_argument("--seed", type=int, default=0, help="analyse: the random seed.")
        parser.add_argument("--as", dest="as_user", help="run: whose visible network.")
        parser.add_argument("--region", help="run: only the part owned in this region.")

    def handle(self, *args, **options):
        if options["action"] == "analyse":
            return self._analyse(options)
        return self._run(options)

    def _analyse(self, options):
        from socmaster.network.engine import EdgeFileError, analyse_edge_file

        if not options.get("edges") or not options.get("out"):
            raise CommandError("Give the edge list with --edges and the folder with --out.")
        edges, out = Path(options["edges"]), Path(options["out"])
        if not edges.is_file():
            raise CommandError(f"--edges {edges}: no such file.")
        if out.exists() and not out.is_dir():
            raise CommandError(f"--out {out} is a file, not a folder.")
        started = time.perf_counter()
        with _progress(5) as bar:
            task = bar.add_task("reading", total=5)

            def progress(step, done, total):
                bar.update(task, completed=done, total=total, description=step)

            out.mkdir(parents=True, exist_ok=True)
            try:
                summary = analyse_edge_file(edges, out, progress=progress, seed=options["seed"])
            except EdgeFileError as exc:
                raise CommandError(f"{edges} cannot be analysed: {exc}") from None
        sampled = (
            f", betweenness sampled from {summary['samples']} sources"
            if summary["betweenness_sampled"]
            else ", betweenness exact"
        )
        self.stdout.write(
            f"{summary['nodes']:,} nodes, {summary['edges']:,} edges, "
            f"{summary['communities']:,} communities{sampled}; wrote {out / 'key_players.csv'} "
            f"and {out / 'communities.csv'} in {time.perf_counter() - started:.1f} s"
        )

    def _run(self, options):
        from socmaster.network import services
        from socmaster.organisations.choices import OrganisationType
        from socmaster.organisations.models import Organisation, User

        user = User.objects.filter(username=options.get("as_user") or "").first()
        if user is None:
            raise CommandError("Give the user whose visible network to analyse with --as.")
        region = None
        if options.get("region"):
            region = (
                Organisation.objects.filter(type=OrganisationType.REGION)
                .filter(Q(name__iexact=options["region"]) | Q(key=options["region"]))
                .first()
            )
            if region is None:
                raise CommandError(f"No region called {options['region']!r}.")
        try:
            run = services.start_analysis(user, region=region)
        except (PermissionDenied, ValidationError) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from None
        with _progress(6) as bar:
            task = bar.add_task("reading", total=6)
            try:
                run = services.run_queued(
                    run,
                    lambda step, done, total: bar.update(
                        task, completed=done, total=total, description=step
                    ),
                )
            except Exception as exc:
                raise CommandError(f"The analysis failed: {exc}") from None
        counts = run.counts
        self.stdout.write(
            f"Analysis {run.pk}: {counts['nodes']:,} nominals, {counts['edges']:,} ties, "
            f"{counts['communities']:,} communities, {counts['hidden']:,} suggested members, "
            f"{counts['splits']:,} split threats."
        )

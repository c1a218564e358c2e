import time
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from socmaster.synth import generate
from socmaster.web.synthetic import (
    load_dataset,
    organisation_specs,
    remove_synthetic,
    synthetic_data_present,
)


def parse_scale(value: str):
    if value in ("demo", "national", "stress"):
        return value
    try:
        factor = float(value)
    except ValueError as exc:
        raise CommandError(
            "--scale must be demo, national, stress or a multiplier such as 0.5 or 2 "
            f"(got '{value}')."
        ) from exc
    if factor <= 0:
        raise CommandError("--scale must be greater than 0.")
    return factor


def _generate(scale, options):
    """The dataset of ``scale``: the stress scale is the demo master list, its intelligence the
    stress scale's (no reports; SARs up to exactly 1,000,000 subjects)."""
    dataset = generate(
        "demo" if scale == "stress" else scale,
        options["seed"],
        organisation_specs(),
        disruptions=options["disruptions"],
    )
    if scale == "stress":
        dataset.intelligence_scale = "stress"
    return dataset


class Command(BaseCommand):
    help = "Write a synthetic dataset (invented people and groups) into the configured database."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            default="demo",
            help="demo (one region), national, stress (the demo master list with 1,000,000 "
            "SAR subjects), or a multiplier of national",
        )
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--replace", action="store_true", help="Remove earlier synthetic data first."
        )
        parser.add_argument(
            "--disruptions", type=int, help="How many disruptions (default 15 per threat)."
        )
        parser.add_argument(
            "--export",
            metavar="DIR",
            help="Write the dataset as the history-import CSV files (and README.txt) in DIR "
            "instead of loading it (docs/import-history.md); with --replace, over earlier ones.",
        )

    def handle(self, *args, **options):
        scale = parse_scale(options["scale"])
        started = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0)
        if options["export"]:
            return self.export(scale, options, started)
        if synthetic_data_present():
            if not options["replace"]:
                raise CommandError(
                    "Synthetic data is already loaded; use --replace to generate it again."
                )
            remove_synthetic()
        if options["disruptions"] is not None and options["disruptions"] < 0:
            raise CommandError("--disruptions cannot be negative.")
        dataset = _generate(scale, options)
        with Progress(
            TextColumn("{task.description:<12}"),
            BarColumn(),
            MofNCompleteColumn(),
            disable=not self.stdout.isatty(),
        ) as bar:
            tasks = {}

            def progress(name, done, total):
                if name not in tasks:
                    tasks[name] = bar.add_task(name, total=total)
                bar.update(tasks[name], completed=done)

            counts = load_dataset(dataset, progress=progress)
        elapsed = time.perf_counter() - started
        summary = ", ".join(f"{v:,} {k}" for k, v in counts.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"Synthetic {dataset.scale} dataset written: {summary} in {elapsed:.1f} s."
            )
        )

    def export(self, scale, options, started):
        """Write the history files instead of loading the dataset; progress on stderr."""
        from socmaster.synth.export import FILES
        from socmaster.web.history import export_history

        directory = Path(options["export"])
        if directory.exists() and not directory.is_dir():
            raise CommandError(f"{directory} is not a directory.")
        present = [name for name in [*FILES, "README.txt"] if (directory / name).exists()]
        if present and not options["replace"]:
            raise CommandError(
                f"{directory} already holds {', '.join(present)}; use --replace to write over them."
            )
        if options["disruptions"] is not None and options["disruptions"] < 0:
            raise CommandError("--disruptions cannot be negative.")
        dataset = _generate(scale, options)

        def progress(name, done, total):
            self.stderr.write(f"{name}: {done:,} rows", style_func=str)

        counts = export_history(dataset, directory, progress=progress)
        elapsed = time.perf_counter() - started
        summary = ", ".join(f"{v:,} {k.removesuffix('.csv')}" for k, v in counts.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"Synthetic {dataset.scale} history written to {directory}: {summary}, and "
                f"README.txt (the users it names must exist before it is imported) in "
                f"{elapsed:.1f} s."
            )
        )

import time

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
    if value in ("demo", "national"):
        return value
    try:
        factor = float(value)
    except ValueError as exc:
        raise CommandError(
            f"--scale must be demo, national or a multiplier such as 0.5 or 2 (got '{value}')."
        ) from exc
    if factor <= 0:
        raise CommandError("--scale must be greater than 0.")
    return factor


class Command(BaseCommand):
    help = "Write a synthetic dataset (invented people and groups) into the configured database."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            default="demo",
            help="demo (one region), national, or a multiplier of national",
        )
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--replace", action="store_true", help="Remove earlier synthetic data first."
        )
        parser.add_argument(
            "--disruptions", type=int, help="How many disruptions (default 15 per threat)."
        )

    def handle(self, *args, **options):
        scale = parse_scale(options["scale"])
        started = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0)
        if synthetic_data_present():
            if not options["replace"]:
                raise CommandError(
                    "Synthetic data is already loaded; use --replace to generate it again."
                )
            remove_synthetic()
        if options["disruptions"] is not None and options["disruptions"] < 0:
            raise CommandError("--disruptions cannot be negative.")
        dataset = generate(
            scale, options["seed"], organisation_specs(), disruptions=options["disruptions"]
        )
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

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from socmaster.threats.services import recover_stalled_imports


class Command(BaseCommand):
    help = (
        "Undo and mark failed every import whose worker stopped part-way (still 'running', no "
        "progress for --stalled-minutes). Safe to run at any time, e.g. when a worker starts."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--stalled-minutes",
            type=float,
            default=10,
            help="How long a running import may show no progress before it counts as stalled.",
        )

    def handle(self, *args, **options):
        minutes = options["stalled_minutes"]
        if minutes < 0:
            raise CommandError("--stalled-minutes cannot be negative.")
        jobs = recover_stalled_imports(stalled_for=dt.timedelta(minutes=minutes))
        for job in jobs:
            self.stdout.write(f"Import {job.pk} ({job.source_name}): undone and marked failed.")
        self.stdout.write(self.style.SUCCESS(f"{len(jobs)} stalled import(s) recovered."))

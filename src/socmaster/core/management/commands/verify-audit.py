from django.core.management.base import BaseCommand, CommandError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from socmaster.core.audit import anchor_path, verify_chain
from socmaster.core.models import AuditEntry


class Command(BaseCommand):
    help = (
        "Check the audit log's keyed hash chain, its head and every checkpoint in the anchor "
        "file; name the first break and exit non-zero on any."
    )

    def handle(self, *args, **options):
        total = AuditEntry.objects.count()
        with Progress(
            TextColumn("Verifying audit log"),
            BarColumn(),
            MofNCompleteColumn(),
            disable=not self.stdout.isatty(),
        ) as progress:
            task = progress.add_task("verify", total=total)
            result = verify_chain(
                progress=lambda n: (
                    progress.update(task, completed=n) if n % 500 == 0 or n == total else None
                )
            )
        if not result.ok:
            raise CommandError(
                f"Audit chain broken at {result.first_break} ({result.checked} entries read)."
            )
        if not result.checkpoints:
            self.stderr.write(
                f"Warning: no checkpoints in {anchor_path()}; entries removed from the end "
                "cannot be detected. Run `socmaster audit-checkpoint` regularly."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain intact: {result.checked} entries verified against "
                f"{result.checkpoints} checkpoints."
            )
        )

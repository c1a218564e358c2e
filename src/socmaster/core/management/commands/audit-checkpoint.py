from django.core.management.base import BaseCommand, CommandError

from socmaster.core.audit import AuditError, anchor_path, checkpoint


class Command(BaseCommand):
    help = (
        "Verify the audit chain and append its head (sequence number, hash, time) to the anchor "
        "file outside the database; print the checkpoint for an external witness."
    )

    def handle(self, *args, **options):
        try:
            cp = checkpoint()
        except AuditError as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write(f"Checkpoint appended to {anchor_path()}:")
        self.stdout.write(cp.line())

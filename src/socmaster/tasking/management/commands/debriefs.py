"""``socmaster debriefs --refresh``: make due every debrief that a closed threat or a completed
gateway request calls for and that is not there yet. Idempotent (a second run makes none) and
audited (one entry per debrief made due); run it daily from cron, or whenever you like."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from socmaster.tasking.services import debriefs as services


class Command(BaseCommand):
    help = (
        "Debriefs: --refresh makes due the debriefs of threats that entered a closed phase and "
        "of gateway requests completed, where there is none yet (idempotent, audited)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--refresh",
            action="store_true",
            help="Make due every debrief a closed threat or a completed request calls for.",
        )

    def handle(self, *args, **options):
        if not options["refresh"]:
            raise CommandError("Say what to do: socmaster debriefs --refresh")
        made = services.debriefs_due_from_events()
        total = made["threats"] + made["requests"]
        self.stdout.write(
            f"{total} debrief{'s' if total != 1 else ''} made due: {made['threats']} of closed "
            f"threats, {made['requests']} of completed gateway requests (each due "
            f"{services.due_days()} days after the operation ended)."
        )

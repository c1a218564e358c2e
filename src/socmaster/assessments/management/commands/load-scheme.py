from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from socmaster.assessments.services import load_scheme_version


class Command(BaseCommand):
    help = "Load a MoRiLE scoring scheme (JSON or YAML) as a new version; without FILE, the shipped default."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?")
        parser.add_argument(
            "--not-current",
            action="store_true",
            help="Store it without offering it for new assessments.",
        )

    def handle(self, *args, **options):
        from socmaster.morile import default_scheme

        if options["file"]:
            path = Path(options["file"])
            if not path.exists():
                raise CommandError(f"No such file: {path}")
            definition = path.read_text(encoding="utf-8")
        else:
            definition = default_scheme().to_dict()
        try:
            version = load_scheme_version(None, definition, make_current=not options["not_current"])
        except ValidationError as exc:
            lines = [f"- {m}" for msgs in exc.message_dict.values() for m in msgs]
            raise CommandError("The scheme is not valid:\n" + "\n".join(lines)) from exc
        self.stdout.write(self.style.SUCCESS(f"Loaded {version}."))

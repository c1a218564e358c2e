from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from socmaster.web.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Create the database, load synthetic demo data and serve it on http://127.0.0.1:8000/."

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="Load the data and stop.")
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--scale",
            default="demo",
            help="demo (one region, the default), national, or a multiplier of national",
        )

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        from socmaster.web.management.commands.generate import parse_scale

        summary = load_demo(seed=options["seed"], scale=parse_scale(options["scale"]))
        self.stdout.write(
            self.style.SUCCESS(
                f"Synthetic demo data ready: {summary['threats']} threats, {summary['users']} demo users."
            )
        )
        self.stdout.write("Demo log-ins (all synthetic; password for each: " + DEMO_PASSWORD + "):")
        for username, role, org in summary["logins"]:
            self.stdout.write(f"  {username:<12} {role:<28} {org}")
        if options["no_serve"]:
            return
        settings.DEMO_MODE = True
        self.stdout.write(f"Open http://{options['bind']}/ in your browser.")
        call_command("serve", bind=options["bind"], worker=True)

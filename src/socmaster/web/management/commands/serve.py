import subprocess
import sys
from argparse import BooleanOptionalAction

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the web interface and API with gunicorn (static files served by WhiteNoise)."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument(
            "--worker",
            action=BooleanOptionalAction,
            default=not settings.PRODUCTION,
            help="Also run the background-task worker (db_worker) beside the server; on by "
            "default except in production, where the worker runs as its own service.",
        )

    def handle(self, *args, **options):
        from gunicorn.app.base import BaseApplication

        from socmaster.wsgi import application

        class App(BaseApplication):
            def load_config(self):
                self.cfg.set("bind", options["bind"])
                self.cfg.set("workers", options["workers"])
                self.cfg.set("threads", options["threads"])
                self.cfg.set("accesslog", "-" if settings.DEBUG else None)

            def load(self):
                return application

        worker = None
        if options["worker"]:
            # The imports and other long work run here (see docs/operations.md).
            worker = subprocess.Popen(
                [sys.executable, "-m", "socmaster.cli", "db_worker", "--no-reload"]
            )
            self.stdout.write(f"Background worker started (process {worker.pid}).")
        self.stdout.write(f"socmaster is serving on http://{options['bind']}/ (Ctrl-C to stop)")
        try:
            App().run()
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=30)

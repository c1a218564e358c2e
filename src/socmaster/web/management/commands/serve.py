import subprocess
import sys
from argparse import BooleanOptionalAction
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

# A Unix socket's path must fit in sun_path (108 bytes on Linux, including the final NUL).
MAX_SOCKET_PATH = 107


def control_socket_path() -> Path:
    """This instance's gunicorn control socket: in its own var dir, never shared by the host."""
    return Path(settings.VAR_DIR) / "run" / "gunicorn.ctl"


def gunicorn_options(options: dict) -> dict:
    """The gunicorn settings ``serve`` runs with.

    gunicorn's default control socket is one path per user on the host, so a second server would
    take it over from the first; each instance keeps its own in its var dir, or none at all.
    """
    config = {
        "bind": options["bind"],
        "workers": options["workers"],
        "threads": options["threads"],
        "accesslog": "-" if settings.DEBUG else None,
    }
    path = control_socket_path()
    if options.get("no_control_socket") or len(str(path).encode()) > MAX_SOCKET_PATH:
        config["control_socket_disable"] = True
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        config["control_socket"] = str(path)
        config["control_socket_mode"] = 0o600
    return config


class Command(BaseCommand):
    help = "Serve the web interface and API with gunicorn (static files served by WhiteNoise)."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument(
            "--no-control-socket",
            action="store_true",
            help="Run without gunicorn's control socket (by default it is var/run/gunicorn.ctl).",
        )
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

        config = gunicorn_options(options)

        class App(BaseApplication):
            def load_config(self):
                for key, value in config.items():
                    self.cfg.set(key, value)

            def load(self):
                return application

        if config.get("control_socket_disable"):
            self.stdout.write("gunicorn's control socket is off for this server.")
        else:
            self.stdout.write(f"gunicorn's control socket: {config['control_socket']}")
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

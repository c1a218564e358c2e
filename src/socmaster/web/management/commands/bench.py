import subprocess
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run the benchmarks in bench/ (from a source checkout). `socmaster bench --list` lists them."

    def add_arguments(self, parser):
        parser.add_argument("args", nargs="*")
        parser.add_argument("--list", action="store_true")

    def handle(self, *args, **options):
        root = Path(__file__).resolve().parents[5]
        if not (root / "bench" / "run.py").exists():
            raise CommandError(
                "The benchmarks live in the source checkout's bench/ folder, which is not here."
            )
        argv = [*args] + (["--list"] if options["list"] else [])
        result = subprocess.run([sys.executable, "-m", "bench.run", *argv], cwd=root)
        if result.returncode:
            raise CommandError(f"Benchmarks failed (exit {result.returncode}).")

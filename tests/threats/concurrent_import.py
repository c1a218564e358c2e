"""Run a master-list import while another user writes from another process (as the web server and
the worker are separate processes), on a SQLite file in WAL mode as the product runs, and print
the outcome as JSON. Used by the tests (with a slowed import) and the benchmark:

    python -m tests.threats.concurrent_import FILE.csv WRITER_USERNAME [DELAY [BATCH_SIZE]]

Needs DATABASE_URL pointing at the database to use.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path


def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socmaster.settings")
    import django

    django.setup()


def writer(username: str, stop_file: str) -> None:
    """Create a threat every 50 ms until ``stop_file`` exists; print successes, failures, waits."""
    _setup()
    from socmaster.organisations.models import User
    from socmaster.threats import services

    user = User.objects.get(username=username)
    owner = user.primary_organisation
    ok, failed, failures, waits = 0, 0, [], []
    i = 0
    print("ready", flush=True)
    while not Path(stop_file).exists():
        started = time.perf_counter()
        try:
            services.create_threat(
                user,
                owner=owner,
                name=f"Written meanwhile {i}",
                threat_type="ocg",
                category="tactical",
                soc="soc",
            )
            ok += 1
        except Exception as exc:
            failed += 1
            failures.append(repr(exc)[:200])
        waits.append(time.perf_counter() - started)
        i += 1
        time.sleep(0.05)
    waits.sort()
    print(
        json.dumps(
            {
                "writer_ok": ok,
                "writer_failed": failed,
                "writer_failures": failures[:5],
                "writer_wait_max": round(waits[-1], 3) if waits else None,
                "writer_wait_p95": round(waits[int(0.95 * (len(waits) - 1))], 3) if waits else None,
            }
        )
    )


def main(csv_path: str, writer_username: str, delay: float = 0.0, batch_size: int | None = None):
    stop_file = f"{csv_path}.stop"
    other = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.threats.concurrent_import",
            "--writer",
            writer_username,
            stop_file,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert other.stdout.readline().strip() == "ready"
    _setup()
    from socmaster.threats import importer

    if delay:
        real = importer._apply_many

        def slow(user, batch, *rest):
            time.sleep(delay * len(batch))  # as slow as writing each row takes ``delay``
            return real(user, batch, *rest)

        importer._apply_many = slow
    outcome: dict = {}
    started, cpu = time.perf_counter(), time.process_time()
    try:
        result = importer.import_masterlist(Path(csv_path), batch_size=batch_size)
        outcome.update(written=result.written, created=result.created, updated=result.updated)
        outcome["errors"] = [str(e) for e in result.errors[:5]]
    except Exception as exc:
        outcome["exception"] = repr(exc)
    outcome["import_seconds"] = round(time.perf_counter() - started, 2)
    # The importer's own processor time: what the import costs whatever else the machine runs.
    outcome["import_cpu_seconds"] = round(time.process_time() - cpu, 2)
    Path(stop_file).touch()
    out, _ = other.communicate(timeout=60)
    outcome.update(json.loads(out.strip().splitlines()[-1]))
    print(json.dumps(outcome))


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[0] == "--writer":
        writer(args[1], args[2])
    else:
        main(
            args[0],
            args[1],
            float(args[2]) if len(args) > 2 else 0.0,
            int(args[3]) if len(args) > 3 else None,
        )

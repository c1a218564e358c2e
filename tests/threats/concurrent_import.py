"""Run a master-list import in one thread while another user writes, on a SQLite file in WAL mode
(as the product runs), and print the outcome as JSON. Used by the tests (with a slowed import) and
the benchmark: ``python -m tests.threats.concurrent_import FILE.csv WRITER_USERNAME [DELAY]``.

Needs DATABASE_URL pointing at the database to use.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path


def main(csv_path: str, writer_username: str, delay: float = 0.0, batch_size: int | None = None):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socmaster.settings")
    import django

    django.setup()
    from django.db import connection

    from socmaster.organisations.models import User
    from socmaster.threats import importer, services

    if delay:
        real = importer._apply

        def slow(user, values):
            time.sleep(delay)
            return real(user, values)

        importer._apply = slow
    writer = User.objects.get(username=writer_username)
    owner = writer.primary_organisation
    outcome: dict = {}
    done = threading.Event()

    def run_import():
        started = time.perf_counter()
        try:
            result = importer.import_masterlist(Path(csv_path), batch_size=batch_size)
            outcome.update(written=result.written, created=result.created, updated=result.updated)
            outcome["errors"] = [str(e) for e in result.errors[:5]]
        except Exception as exc:
            outcome["exception"] = repr(exc)
        finally:
            outcome["import_seconds"] = round(time.perf_counter() - started, 2)
            connection.close()
            done.set()

    thread = threading.Thread(target=run_import)
    thread.start()
    ok, failed, failures, waits = 0, 0, [], []
    i = 0
    while not done.is_set():
        started = time.perf_counter()
        try:
            services.create_threat(
                writer,
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
    thread.join()
    waits.sort()
    outcome.update(
        writer_ok=ok,
        writer_failed=failed,
        writer_failures=failures[:5],
        writer_wait_max=round(waits[-1], 3) if waits else None,
        writer_wait_p95=round(waits[int(0.95 * (len(waits) - 1))], 3) if waits else None,
    )
    print(json.dumps(outcome))


if __name__ == "__main__":
    args = sys.argv[1:]
    main(
        args[0],
        args[1],
        float(args[2]) if len(args) > 2 else 0.0,
        int(args[3]) if len(args) > 3 else None,
    )

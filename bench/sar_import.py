"""Importing SARs from the bulk file (target: 1,000,000 subjects ≤ 90 s and ≤ 2 GiB peak on SQLite).

    .venv/bin/python -m bench.sar_import [--subjects 1000000] [--profile]

Writes the synthetic stress file (``synth.intelligence``: SARs with their subjects and linked
accounts, cut at exactly ``--subjects`` subjects) to a temporary directory, builds a fresh SQLite
database with the organisations, and imports the file for one force the way
``socmaster import-sars`` does (one pass to check, batches written each in its own transaction).
Prints the time to write the file, the import's elapsed and processor time, its peak memory (the
process's maximum resident size) and the rows written. ``--profile`` prints the 25 costliest
functions of the import (cProfile, cumulative).
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        from bench.harness import fresh_django

        fresh_django(tmp)
        from socmaster.intelligence.importer import import_sars
        from socmaster.intelligence.models import SarAccount, SarSubject, SuspiciousActivityReport
        from socmaster.organisations.models import Organisation
        from socmaster.synth import intelligence as si
        from socmaster.synth.generator import generate
        from socmaster.web.synthetic import organisation_specs

        if os.environ.get("SOCMASTER_BENCH_DROP_INDEXES"):  # an experiment: what indexes cost
            from django.db import connection

            with connection.cursor() as cursor:
                for name in os.environ["SOCMASTER_BENCH_DROP_INDEXES"].split(","):
                    cursor.execute(f'DROP INDEX "{name}"')
        durham = Organisation.objects.get(key="force-durham")

        started = time.perf_counter()
        orgs = organisation_specs()
        dataset = generate("demo", 2026, orgs, disruptions=0)
        plan = si.intelligence_for(dataset, orgs, "stress", reports=False)
        plan.subject_limit = args.subjects
        path = Path(tmp) / "sars.csv"
        rows = si.write_sars_csv(plan.sars(), path)
        size = path.stat().st_size / 1e6
        print(
            f"stress file: {rows:,} rows, {size:.0f} MB, written in "
            f"{time.perf_counter() - started:.1f} s"
        )

        from socmaster.intelligence import importer

        spent = {}

        def timed(name, fn):
            def run(*a, **k):
                t0 = time.process_time()
                try:
                    return fn(*a, **k)
                finally:
                    spent[name] = spent.get(name, 0) + time.process_time() - t0

            return run

        importer._check = timed("check", importer._check)
        importer._write = timed("write", importer._write)
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
        wall, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        result = import_sars(path, owner=durham, user=None, source=path.name)
        if profiler:
            profiler.disable()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if result.errors:
            print(f"problems: {result.errors[:5]}")
            return 1
        sars = SuspiciousActivityReport.objects.count()
        subjects = SarSubject.objects.count()
        accounts = SarAccount.objects.count()
        target = 90 * args.subjects / 1_000_000
        print(
            f"import: {sars:,} SARs, {subjects:,} subjects, {accounts:,} accounts in "
            f"{wall:.1f} s elapsed ({cpu:.1f} s processor), peak {peak:.0f} MiB   "
            f"{'✓' if wall <= target else '✗'} target ≤ {target:.0f} s at this size"
        )
        print(
            f"  processor time: checking {spent.get('check', 0):.1f} s, "
            f"writing {spent.get('write', 0):.1f} s"
        )
        if profiler:
            import pstats

            pstats.Stats(profiler).sort_stats(
                os.environ.get("SOCMASTER_BENCH_SORT", "cumulative")
            ).print_stats(25)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

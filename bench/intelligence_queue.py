"""The intelligence processing queue over 200,000 reports (target: p95 ≤ 150 ms for one client,
queries independent of the page size).

    .venv/bin/python -m bench.intelligence_queue [--reports 200000] [--requests 60]

Builds a fresh SQLite database in a temporary directory with the organisations and 200,000
synthetic reports owned by one force (a realistic backlog: about one in five still waiting), then
times the queue page (``/intelligence/``, first page, sorted by risk then age) and the API queue
(``/api/intelligence-reports/?queue=1``) through Django's test client in this process (no HTTP
server: see ``masterlist_page`` in bench/run.py for the served figures of a comparable page), for
an intelligence researcher of that force. Prints p50/p95 and the query counts at two page sizes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import tempfile
import time


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        from bench.harness import fresh_django

        fresh_django(tmp)
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext
        from django.utils import timezone

        from bench.harness import percentile
        from socmaster.intelligence import risk
        from socmaster.intelligence.models import IntelligenceReport
        from socmaster.organisations.models import Membership, Organisation, User

        settings.ALLOWED_HOSTS = ["*"]
        durham = Organisation.objects.get(key="force-durham")
        user = User.objects.create_user("bench-researcher", password="bench-password-1")
        Membership.objects.create(user=user, organisation=durham, role="researcher")

        rng = random.Random(2026)
        today = timezone.localdate()
        start = time.perf_counter()
        batch = []
        for n in range(args.reports):
            age = int(rng.expovariate(1 / 200)) % 1095
            waiting = rng.random() < (0.6 if age < 60 else 0.12)
            flags = {
                "threat_to_life": rng.random() < 0.015,
                "child_at_risk": rng.random() < 0.03,
                "vulnerable_victim": rng.random() < 0.05,
                "time_critical": rng.random() < 0.04,
            }
            source = rng.choice("1222223")
            grade = rng.choice("ABBCCCDE")
            base = risk.total(
                risk.report_factors(
                    flags=flags,
                    source=source,
                    assessment=grade,
                    mentions_tier_1_2=rng.random() < 0.05,
                )
            )
            batch.append(
                IntelligenceReport(
                    reference=f"INT-B{n:07d}",
                    owner=durham,
                    submitted_on=today - dt.timedelta(days=age),
                    original_text="Synthetic benchmark report.",
                    source_evaluation=source,
                    intelligence_assessment=grade,
                    handling_code="P",
                    status="awaiting" if waiting else "filed",
                    priority=risk.default_priority(flags),
                    risk_base=base,
                    **flags,
                )
            )
            if len(batch) == 5000:
                IntelligenceReport.objects.bulk_create(batch)
                batch = []
        if batch:
            IntelligenceReport.objects.bulk_create(batch)
        waiting = IntelligenceReport.objects.filter(status="awaiting").count()
        print(
            f"{args.reports:,} reports ({waiting:,} waiting) written in "
            f"{time.perf_counter() - start:.1f} s"
        )
        call_command("migrate", verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

        client = Client()
        client.force_login(user, backend=settings.AUTHENTICATION_BACKENDS[-1])
        results = {}
        for label, url in (
            ("queue page", "/intelligence/"),
            ("queue page, page 40", "/intelligence/?page=40"),
            ("API queue", "/api/intelligence-reports/?queue=1"),
        ):
            client.get(url)  # warm
            times = []
            for _ in range(args.requests):
                t = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - t) * 1000)
                assert response.status_code == 200, response.status_code
            results[label] = (percentile(times, 50), percentile(times, 95))
            print(
                f"  {label:<24} p50 {results[label][0]:7.1f} ms   p95 {results[label][1]:7.1f} ms"
                f"   {'✓' if results[label][1] <= 150 else '✗'} target p95 ≤ 150 ms"
            )
        counts = []
        for size in (5, 50):
            with CaptureQueriesContext(connection) as captured:
                client.get(f"/api/intelligence-reports/?queue=1&page_size={size}")
            counts.append(len(captured))
        print(f"  queries for 5 and 50 rows of the API queue: {counts[0]} and {counts[1]}")
        with CaptureQueriesContext(connection) as captured:
            client.get("/intelligence/")
        print(f"  queries for the queue page: {len(captured)}")
        slow = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:3]
        for q in slow:
            print(f"    {float(q['time']) * 1000:6.1f} ms  {q['sql'][:160]}")
        if os.environ.get("SOCMASTER_BENCH_EXPLAIN"):
            from socmaster.intelligence import services

            qs = services.queue(user)[:50]
            print(qs.explain())
            print(services.ordered_queue(IntelligenceReport.objects.all())[:50].explain())
            print(str(services.queue(user)[:50].query)[-700:])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

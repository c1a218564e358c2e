"""socmaster benchmarks.

    python -m bench.run                 # every benchmark
    python -m bench.run masterlist_page # one of them
    python -m bench.run --list

Each benchmark builds the synthetic data it needs (cached under bench/results/data-*), runs several
times, prints the median and spread, and writes a JSON result file to bench/results/.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import http.cookiejar
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from bench.harness import RESULTS, percentile, run

ROOT = Path(__file__).resolve().parent.parent
SOCMASTER = [sys.executable, "-m", "socmaster.cli"]
#: 5,000 threats and about 43,000 nominals, the size the master-list targets are set for.
MASTERLIST_SCALE = str(5000 / 4600)
SEED = 2026
#: Written to a cached dataset's ``ready`` file: a cache built by an older generator is rebuilt.
DATA_VERSION = "3: with 4P plans and associations"


def _env(var_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(SOCMASTER_VAR_DIR=str(var_dir), PYTHONPATH=str(ROOT / "src"))
    return env


def dataset(scale: str, disruptions: int | None = None) -> Path:
    """A SQLite database holding the synthetic dataset at ``scale``, built once and cached."""
    suffix = f"-d{disruptions}" if disruptions is not None else ""
    var_dir = RESULTS / f"data-{scale[:6]}-{SEED}{suffix}"
    ready = var_dir / "ready"
    if (
        not (var_dir / "socmaster.sqlite3").exists()
        or not ready.exists()
        or ready.read_text() != DATA_VERSION
    ):
        shutil.rmtree(var_dir, ignore_errors=True)
        var_dir.mkdir(parents=True)
        print(f"building the synthetic dataset (scale {scale}) in {var_dir} …", flush=True)
        extra = ["--disruptions", str(disruptions)] if disruptions is not None else []
        subprocess.run(
            [*SOCMASTER, "generate", "--scale", scale, "--seed", str(SEED), *extra],
            env=_env(var_dir),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        subprocess.run(
            [
                *SOCMASTER,
                "createuser",
                "bench-analyst",
                "--organisation",
                "Metropolitan Police Service",
                "--role",
                "analyst",
            ],
            env={**_env(var_dir), "SOCMASTER_NEW_PASSWORD": "bench-password-1"},
            check=True,
            stdout=subprocess.DEVNULL,
        )
        ready.write_text(DATA_VERSION)
    return var_dir


def setup_django(var_dir: Path) -> None:
    os.environ["SOCMASTER_VAR_DIR"] = str(var_dir)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socmaster.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


# --- Benchmarks ------------------------------------------------------------------------------


def national_build() -> dict:
    """Generate and load the national dataset into a fresh SQLite database (target ≤ 180 s, < 2 GiB)."""

    def once():
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            subprocess.run(
                [*SOCMASTER, "generate", "--scale", "national"],
                env=_env(Path(tmp)),
                check=True,
                stdout=subprocess.DEVNULL,
            )
            seconds = time.perf_counter() - start
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        return {"seconds": seconds, "peak_memory_mib": peak_mib}

    return run("national_build", once, repeat=3, targets={"seconds": 180, "peak_memory_mib": 2048})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _login(base: str):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode(
        {"username": "bench-analyst", "password": "bench-password-1", "csrfmiddlewaretoken": token}
    ).encode()
    request = urllib.request.Request(
        f"{base}/login/", data=data, headers={"Referer": f"{base}/login/"}
    )
    opener.open(request, timeout=30).read()
    return opener


def masterlist_page() -> dict:
    """p50/p95 of the master-list page and API list: one client (target p95 ≤ 150 ms), then 20 at once."""
    var_dir = dataset(MASTERLIST_SCALE)
    port = _free_port()
    server = subprocess.Popen(
        [*SOCMASTER, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "10"],
        env=_env(var_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"{base}/login/", timeout=2).read()
                break
            except OSError:
                time.sleep(0.3)
        clients = [_login(base) for _ in range(20)]
        urls = [
            "/threats/",
            "/threats/?page=7",
            "/threats/?tier=2",
            "/api/threats/",
            "/api/threats/?page=3",
        ]

        def client_loop(opener, n=15):
            timings = {"ui": [], "api": []}
            for i in range(n):
                url = urls[i % len(urls)]
                start = time.perf_counter()
                opener.open(base + url, timeout=30).read()
                timings["api" if url.startswith("/api") else "ui"].append(
                    (time.perf_counter() - start) * 1000
                )
            return timings

        def once():
            ui, api = [], []
            with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
                for t in pool.map(client_loop, clients):
                    ui += t["ui"]
                    api += t["api"]
            return {
                "ui_p50_ms": percentile(ui, 50),
                "ui_p95_ms": percentile(ui, 95),
                "api_p50_ms": percentile(api, 50),
                "api_p95_ms": percentile(api, 95),
            }

        def one_client():
            t = client_loop(clients[0], 40)
            return {
                "ui_p50_ms": percentile(t["ui"], 50),
                "ui_p95_ms": percentile(t["ui"], 95),
                "api_p50_ms": percentile(t["api"], 50),
                "api_p95_ms": percentile(t["api"], 95),
            }

        client_loop(clients[0], 5)  # warm up
        run(
            "masterlist_page_1_client",
            one_client,
            repeat=3,
            targets={"ui_p95_ms": 150, "api_p95_ms": 150},
        )
        return run("masterlist_page_20_clients", once, repeat=3)
    finally:
        server.terminate()
        server.wait(timeout=30)


def masterlist_queries() -> dict:
    """Database queries for the master-list page and API: the same at every page size."""
    setup_django(dataset(MASTERLIST_SCALE))
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from socmaster.organisations.models import User

    client = Client()
    client.force_login(
        User.objects.get(username="bench-analyst"),
        backend="django.contrib.auth.backends.ModelBackend",
    )

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    def once():
        return {
            "ui_page_1": count("/threats/"),
            "ui_page_9": count("/threats/?page=9"),
            "api_page_size_10": count("/api/threats/?page_size=10"),
            "api_page_size_200": count("/api/threats/?page_size=200"),
        }

    result = run("masterlist_queries", once, repeat=1)
    f = result["figures"]
    same = f["api_page_size_10"]["median"] == f["api_page_size_200"]["median"]
    print(f"  query count independent of page size: {'yes' if same else 'NO'}")
    if not same:
        raise SystemExit("masterlist_queries: the API's query count grows with page size")
    return result


def masterlist_extract() -> dict:
    """The inspectorate's extract over the whole country (target ≤ 1 s)."""
    setup_django(dataset(MASTERLIST_SCALE))
    from socmaster.reporting.extracts import masterlist_extract as extract
    from socmaster.threats.models import Threat

    def once():
        start = time.perf_counter()
        rows = extract(Threat.objects.all())
        return {"seconds": time.perf_counter() - start, "organisations": len(rows)}

    return run("masterlist_extract", once, repeat=5, targets={"seconds": 1.0})


def disruption_figures() -> dict:
    """The inspectorate's disruption extract and the monthly disruption report over 200,000 disruptions
    (target ≤ 1 s each)."""
    setup_django(dataset("national", disruptions=200_000))
    import datetime as dt

    from socmaster.disruptions.models import Disruption
    from socmaster.disruptions.reports import disruption_extract, disruption_report

    end = dt.date(2026, 11, 1)
    start = end - dt.timedelta(days=365)
    print(f"  {Disruption.objects.count():,} disruptions in the database")

    def once():
        t0 = time.perf_counter()
        rows = disruption_extract(Disruption.objects.all(), start, end)
        t1 = time.perf_counter()
        report = disruption_report(Disruption.objects.all(), end - dt.timedelta(days=3 * 365), end)
        t2 = time.perf_counter()
        return {
            "extract_seconds": t1 - t0,
            "monthly_report_seconds": t2 - t1,
            "extract_rows": len(rows),
            "report_months": len(report["months"]),
        }

    return run(
        "disruption_figures",
        once,
        repeat=5,
        targets={"extract_seconds": 1.0, "monthly_report_seconds": 1.0},
    )


PLAN_REGION = "region-north-west"
PLAN_SMALL_REGION = "region-north-east"


def plan_quality() -> dict:
    """The plan-quality report (every check) for an inspector over the national dataset, and for one
    region (target ≤ 2 s nationally); its query count must not grow with the number of plans."""
    setup_django(dataset("national"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from socmaster.organisations.models import User
    from socmaster.plans import quality
    from socmaster.plans.models import Plan, PlanAction
    from socmaster.threats.models import Threat

    inspector = User.objects.get(username="syn-hmicfrs-inspector-1")
    print(
        f"  {Plan.objects.count():,} plans, {PlanAction.objects.count():,} plan actions; "
        f"region: {PLAN_REGION}"
    )

    def report(region: str | None):
        threats, plans = Threat.objects.visible_to(inspector), Plan.objects.visible_to(inspector)
        if region:
            threats = threats.filter(owner__region__key=region)
            plans = plans.filter(threat__owner__region__key=region)
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            rows = quality.report(threats, plans, user=inspector)
            seconds = time.perf_counter() - start
        return seconds, len(ctx.captured_queries), rows

    def once():
        national_s, national_q, national_rows = report(None)
        region_s, region_q, region_rows = report(PLAN_REGION)
        small_q, small_rows = report(PLAN_SMALL_REGION)[1:]
        return {
            "national_seconds": national_s,
            "region_seconds": region_s,
            "national_queries": national_q,
            "region_queries": region_q,
            "small_region_queries": small_q,
            "national_rows": len(national_rows),
            "national_plans": sum(1 for r in national_rows if r.plan),
            "region_rows": len(region_rows),
            "small_region_rows": len(small_rows),
            "national_failing": sum(1 for r in national_rows if not r.passed),
        }

    report(None)  # warm up
    result = run("plan_quality", once, repeat=5, targets={"national_seconds": 2.0})
    totals = quality.summarise(report(None)[2])["total"]
    print(
        "  failures by check (national): "
        + ", ".join(f"{k} {v:,}" for k, v in totals["checks"].items())
    )
    # A region can take one query more than the country: the signatures of candidate copies outside it.
    f = {k: v["median"] for k, v in result["figures"].items()}
    flat = f["national_queries"] <= f["small_region_queries"] == f["region_queries"]
    print(f"  query count independent of the number of plans: {'yes' if flat else 'NO'}")
    if not flat:
        raise SystemExit("plan_quality: the report's query count grows with the number of plans")
    return result


def sqlite_durability() -> dict:
    """Threat creations through the service on SQLite in WAL mode with synchronous=NORMAL and with
    FULL (the setting), in the same run: the cost of making every commit survive a power cut."""
    var_dir = Path(tempfile.mkdtemp(prefix="socmaster-bench-sync-"))
    setup_django(var_dir)
    from django.core.management import call_command
    from django.db import connection

    from socmaster.organisations.models import Membership, Organisation, User
    from socmaster.threats import services

    call_command("migrate", verbosity=0)
    owner = Organisation.objects.get(key="force-durham")
    user = User.objects.create_user(username="bench-sync", home_organisation=owner)
    Membership.objects.create(user=user, organisation=owner, role="analyst")
    creations = int(os.environ.get("SOCMASTER_BENCH_CREATIONS", "200"))

    def timed(mode: str) -> float:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA synchronous={mode}")
        start = time.perf_counter()
        for i in range(creations):
            services.create_threat(user, owner=owner, name=f"Bench {mode} {i}")
        return (time.perf_counter() - start) / creations * 1000

    def once():
        normal, full = timed("NORMAL"), timed("FULL")
        return {
            "normal_ms_per_create": normal,
            "full_ms_per_create": full,
            "full_over_normal": full / normal,
        }

    try:
        return run("sqlite_durability", once, repeat=3)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


#: socmaster.threats.importer.COLUMNS (not imported: the bench process does not set up Django).
IMPORT_COLUMNS = [
    "Reference",
    "Name",
    "Threat type",
    "Owner",
    "Type",
    "Moderation status",
    "SOC",
    "Tier",
    "Phase",
    "Crime types",
    "LRO",
    "Assessment date",
    "Score",
]
#: Owners of the synthetic master-list rows (reference organisations from the migrations).
IMPORT_OWNERS = ["Durham Police", "Cleveland Police", "Northumbria Police", "NERSOU"]
IMPORT_PHASES = ["Identified", "Developing intelligence", "Active investigation"]
IMPORT_CRIMES = ["Illegal drugs", "fraud", "firearms", "county lines; Money laundering"]


def write_masterlist_csv(path: Path, rows: int, *, bad_last: bool = False) -> Path:
    """A synthetic master-list extract of ``rows`` rows (seeded, no real data)."""
    import csv
    import random

    rng = random.Random(SEED)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(IMPORT_COLUMNS)
        for i in range(rows):
            owner = IMPORT_OWNERS[i % len(IMPORT_OWNERS)]
            if bad_last and i == rows - 1:
                owner = "No such force"
            writer.writerow(
                [
                    f"BENCH-{i:07d}",
                    f"Synthetic network {i} " + "x" * rng.randint(0, 60),
                    rng.choice(["OCG", "Priority individual", "Vulnerability"]),
                    owner,
                    rng.choice(["Tactical", "Strategic"]),
                    rng.choice(["Draft", "Moderated"]),
                    "SOC",
                    f"Tier {rng.randint(1, 5)}",
                    rng.choice(IMPORT_PHASES),
                    rng.choice(IMPORT_CRIMES),
                    "",
                    f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    f"{rng.uniform(0, 400):.2f}",
                ]
            )
    return path


def masterlist_import() -> dict:
    """A 100,000-row master-list import on SQLite (target ≤ 60 s) while another user keeps writing
    (every one of their writes must succeed). SOCMASTER_BENCH_IMPORT_ROWS sets a smaller size for
    a quick reading (the 60 s target is for 100,000)."""
    import json

    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socmaster.settings")

    rows = int(os.environ.get("SOCMASTER_BENCH_IMPORT_ROWS", "100000"))

    def once():
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            env = {**_env(tmp), "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
            subprocess.run([*SOCMASTER, "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
            subprocess.run(
                [
                    *SOCMASTER,
                    "createuser",
                    "bench-writer",
                    "--organisation",
                    "Durham Police",
                    "--role",
                    "analyst",
                ],
                env={**env, "SOCMASTER_NEW_PASSWORD": "bench-password-1"},
                check=True,
                stdout=subprocess.DEVNULL,
            )
            data = write_masterlist_csv(tmp / "masterlist.csv", rows)
            run_ = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "tests.threats.concurrent_import",
                    str(data),
                    "bench-writer",
                ],
                env=env,
                check=True,
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            outcome = json.loads(run_.stdout.strip().splitlines()[-1])
        if not outcome.get("written"):
            raise SystemExit(f"masterlist_import: the import failed: {outcome}")
        return {
            "seconds": outcome["import_seconds"],
            "cpu_seconds": outcome["import_cpu_seconds"],
            # the pauses between batches, which let the other writer in (not work)
            "pause_seconds": rows
            / int(os.environ.get("SOCMASTER_IMPORT_BATCH_SIZE", "1000"))
            * int(os.environ.get("SOCMASTER_IMPORT_PAUSE_MS", "100"))
            / 1000,
            "rows": rows,
            "rows_per_second": rows / outcome["import_seconds"],
            "writer_ok": outcome["writer_ok"],
            "writer_failed": outcome["writer_failed"],
            "writer_wait_max_s": outcome["writer_wait_max"],
            "writer_wait_p95_s": outcome["writer_wait_p95"],
            "peak_memory_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        }

    result = run("masterlist_import", once, repeat=1, targets={"seconds": 60, "writer_failed": 0})
    if result["figures"]["writer_failed"]["max"]:
        raise SystemExit("masterlist_import: another user's writes failed during the import")
    return result


_PARSE_NEW = """
import os, resource, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socmaster.settings")
import django; django.setup()
from pathlib import Path
from socmaster.threats.importer import import_masterlist
start = time.perf_counter()
result = import_masterlist(Path(sys.argv[1]))
assert not result.written and len(result.errors) == 1, result.errors[:3]
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""
_PARSE_OLD = """
import csv, io, resource, sys, time
start = time.perf_counter()
rows = list(csv.DictReader(io.StringIO(open(sys.argv[1], "rb").read().decode("utf-8-sig"))))
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def import_parse_memory() -> dict:
    """Checking a 45 MB master-list file: seconds and peak memory, streamed (the importer) against
    loading every row at once (as the importer used to)."""
    sys.path.insert(0, str(ROOT / "src"))

    def once():
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            env = _env(tmp)
            subprocess.run([*SOCMASTER, "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
            data = write_masterlist_csv(tmp / "big.csv", 430_000, bad_last=True)
            figures = {"file_mib": data.stat().st_size / 2**20}
            for name, script in (("streamed", _PARSE_NEW), ("all_rows_loaded", _PARSE_OLD)):
                out = subprocess.run(
                    [sys.executable, "-c", script, str(data)],
                    env=env,
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout.split()
                figures[f"{name}_seconds"] = float(out[0])
                figures[f"{name}_peak_mib"] = float(out[1])
        return figures

    return run("import_parse_memory", once, repeat=1, targets={"streamed_peak_mib": 300})


def _national_reader():
    """A user who reads every record (an inspector), created once in the cached dataset."""
    from socmaster.organisations.models import Membership, Organisation, User

    user, created = User.objects.get_or_create(username="bench-inspector")
    if created:
        Membership.objects.create(
            user=user, organisation=Organisation.objects.get(key="hmicfrs"), role="inspector"
        )
    return user


def network_visible_graph() -> dict:
    """A user's visible association graph read from the database at national scale (≤ 10 s):
    a force analyst's and an inspector's (who sees everything), each with its person graph."""
    setup_django(dataset(MASTERLIST_SCALE))
    from socmaster.network import build
    from socmaster.organisations.models import User

    analyst, reader = User.objects.get(username="bench-analyst"), _national_reader()

    def once():
        figures = {}
        for name, user in (("analyst", analyst), ("inspector", reader)):
            start = time.perf_counter()
            network = build.visible_network(user)
            graph = network.person_graph()
            figures[f"{name}_seconds"] = time.perf_counter() - start
            figures[f"{name}_edges"] = len(network.edges)
            figures[f"{name}_person_ties"] = graph.edge_count
        return figures

    return run(
        "network_visible_graph",
        once,
        repeat=3,
        targets={"analyst_seconds": 10.0, "inspector_seconds": 10.0},
    )


def network_chart() -> dict:
    """A threat's two-step link chart through the page's data URL (p95 ≤ 200 ms server time),
    over 200 threats at national scale; and its query count, the same for small and large."""
    setup_django(dataset(MASTERLIST_SCALE))
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from socmaster.threats.models import Threat

    reader = _national_reader()
    client = Client()
    client.force_login(reader, backend="django.contrib.auth.backends.ModelBackend")
    # Threats that open without a stated reason (restricted ones ask for it first).
    threats = list(
        Threat.objects.annotate(n=Count("members"))
        .filter(n__gt=0, handling__in=["region", "national"], compartment__isnull=True)
        .order_by("reference")
        .values_list("reference", "n")[:: max(1, Threat.objects.count() // 200)][:200]
    )

    def once():
        times, sizes, queries = [], [], {}
        for reference, members in threats:
            url = f"/network/chart/threat/{reference}/data.json"
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
            sizes.append(len(response.json()["nodes"]))
            queries[members] = len(ctx.captured_queries)
        small, large = queries[min(queries)], queries[max(queries)]
        return {
            "p50_ms": percentile(times, 50),
            "p95_ms": percentile(times, 95),
            "max_ms": max(times),
            "nodes_p50": percentile(sizes, 50),
            "nodes_max": max(sizes),
            "queries_smallest_threat": small,
            "queries_largest_threat": large,
        }

    return run("network_chart", once, repeat=3, targets={"p95_ms": 200.0})


#: A year of national gateway requests (synthetic): the 9 ROCUs and the NCA, referrals included.
GATEWAY_REQUESTS = 12_000
GATEWAY_YEAR = 2025


def _gateway_requests(first_id: int, count: int, rng) -> None:
    """``count`` synthetic gateway requests (with referrals, decisions, pauses and committed
    capacity) submitted in ``GATEWAY_YEAR``, written with bulk_create from id ``first_id``.
    Surveillance is oversubscribed: most of its declines and referrals are for capacity."""
    import datetime as dt
    from decimal import Decimal

    from socmaster.gateway.models import Capability, CapabilityOffer, RequestPause, SupportRequest
    from socmaster.organisations.models import Organisation, User

    offers: dict[tuple[int, int], CapabilityOffer] = {}
    for offer in CapabilityOffer.objects.all():
        offers.setdefault((offer.organisation_id, offer.capability_id), offer)
    capabilities = list(Capability.objects.all())
    gateways = list(
        Organisation.objects.filter(
            type__in=["rocu", "national_agency"],
            key__in={o.organisation.key for o in offers.values()},
        )
    )
    forces = list(Organisation.objects.filter(type="force"))
    by_region = {}
    for force in forces:
        by_region.setdefault(force.region_id, []).append(force)
    requester = User.objects.get(username="bench-gateway-requester")
    start = dt.datetime(GATEWAY_YEAR, 1, 1, tzinfo=dt.UTC)
    requests, pauses, n = [], [], first_id

    def outcome(capability, referral_allowed: bool) -> str:
        pressure = 0.35 if capability.code == "surveillance" else 0.12
        roll = rng.random()
        if roll < 0.15:
            return "waiting"
        if roll < 0.15 + pressure:
            return "declined_capacity" if rng.random() < 0.7 else "declined_criteria"
        if referral_allowed and roll < 0.22 + pressure:
            return "referred"
        if roll < 0.26 + pressure:
            return "withdrawn"
        return "accepted"

    def make(gateway, capability, force, submitted, referral_allowed=True):
        nonlocal n
        offer = offers.get((gateway.pk, capability.pk))
        result = outcome(capability, referral_allowed)
        request = SupportRequest(
            id=n,
            reference=f"GW-B-{n:06d}",
            capability=capability,
            owner=gateway,
            handling="region",
            requesting_organisation=force,
            requested_by=requester,
            threat_description="A synthetic organised crime group",
            asked_for="Synthetic support",
            justification="Synthetic benchmark request",
            needed_from=submitted.date() + dt.timedelta(days=14),
            submitted_at=submitted,
        )
        n += 1
        if result != "waiting":
            running = dt.timedelta(hours=rng.uniform(2, 24 * 20))
            paused = dt.timedelta(0)
            if rng.random() < 0.2:
                paused = dt.timedelta(hours=rng.uniform(4, 24 * 6))
                pause_start = submitted + running * rng.random()
                pauses.append(
                    RequestPause(
                        request_id=request.id,
                        started_at=pause_start,
                        ended_at=pause_start + paused,
                        asked="Synthetic question",
                        answer="Synthetic answer",
                        started_by=requester,
                    )
                )
            request.decided_at = submitted + running + paused
            request.decided_by = requester
        if result == "accepted" and offer is not None:
            request.status = rng.choice(["accepted", "in_progress", "completed"])
            request.offer = offer
            request.committed_capacity = Decimal(rng.randint(1, 10))
            request.committed_from = request.decided_at.date()
            request.committed_to = request.decided_at.date() + dt.timedelta(days=30)
        elif result.startswith("declined") or (result == "accepted" and offer is None):
            request.status = "declined"
            request.decline_reason = "capacity" if result == "declined_capacity" else "criteria"
        elif result == "withdrawn":
            request.status = "withdrawn"
        elif result == "referred":
            request.status = "referred"
            request.referral_reason = rng.choice(["capacity", "capacity", "jurisdiction"])
            others = [g for g in gateways if g.pk != gateway.pk and (g.pk, capability.pk) in offers]
            if others:
                copy = make(rng.choice(others), capability, force, request.decided_at, False)
                request.referred_to_id = copy.id
        requests.append(request)
        return request

    weights = [len(by_region.get(g.region_id, [])) or 4 for g in gateways]
    while len(requests) < count:
        gateway = rng.choices(gateways, weights)[0]
        offered = [c for c in capabilities if (gateway.pk, c.pk) in offers]
        capability = rng.choice(offered)
        force = rng.choice(by_region.get(gateway.region_id) or forces)
        make(gateway, capability, force, start + dt.timedelta(seconds=rng.uniform(0, 364 * 86400)))
    # in id order; an original refers to its referral's copy, written in the same transaction
    requests.sort(key=lambda r: r.id)
    SupportRequest.objects.bulk_create(requests, batch_size=1000)
    RequestPause.objects.bulk_create(pauses, batch_size=1000)


def gateway_demand() -> dict:
    """The gateway demand figures for a year of national requests (12,000, synthetic): figures per
    ROCU, capability and month, their rows, and the regional view (target ≤ 1 s); query counts
    at a tenth of the data and at all of it (the same)."""
    import datetime as dt
    import random

    var_dir = Path(tempfile.mkdtemp(prefix="socmaster-bench-gateway-"))
    try:
        from bench.harness import fresh_django

        fresh_django(str(var_dir))
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from socmaster.gateway import reports
        from socmaster.gateway.choices import CAPABILITIES
        from socmaster.gateway.models import Capability, CapabilityOffer, SupportRequest
        from socmaster.organisations.models import Organisation, User

        User.objects.create_user(username="bench-gateway-requester")
        rng = random.Random(SEED)
        codes = [code for code, _ in CAPABILITIES]
        national = ["surveillance", "technical_surveillance", "undercover", "undercover_online"]
        national += ["cyber_crime", "digital_forensics", "economic_crime"]
        capability = {c.code: c for c in Capability.objects.all()}
        for org in Organisation.objects.filter(type="rocu"):
            for code in [
                "surveillance",
                *rng.sample([c for c in codes if c != "surveillance"], 11),
            ]:
                CapabilityOffer.objects.create(
                    capability=capability[code],
                    organisation=org,
                    team=f"{org.short_name} {code}",
                    monthly_capacity=rng.choice([10, 20, 30, 40]),
                    capacity_unit="team_days",
                )
        nca = Organisation.objects.get(key="national-crime-agency")
        for code in national:
            CapabilityOffer.objects.create(
                capability=capability[code],
                organisation=nca,
                team=f"NCA {code}",
                monthly_capacity=60,
                capacity_unit="officer_days",
            )
        months = reports.months_between(dt.date(GATEWAY_YEAR, 1, 1), dt.date(GATEWAY_YEAR, 12, 1))

        def measured():
            with CaptureQueriesContext(connection) as ctx:
                t0, cpu0 = time.perf_counter(), time.process_time()
                data = reports.demand(SupportRequest.objects.all(), months=months)
                rows = reports.rows(data)
                t1 = time.perf_counter()
                views = reports.regional(SupportRequest.objects.all(), data=data)
                t2, cpu2 = time.perf_counter(), time.process_time()
            return {
                "demand_seconds": t1 - t0,
                "regional_seconds": t2 - t1,
                "dashboard_seconds": t2 - t0,
                # this process's own CPU time: the machine's other work left out
                "dashboard_cpu_seconds": cpu2 - cpu0,
                "queries": len(ctx.captured_queries),
                "rows": len(rows),
                "unmet": data.total.unmet,
                "regions": len(views),
            }

        _gateway_requests(1, GATEWAY_REQUESTS // 10, rng)
        small = measured()
        _gateway_requests(
            GATEWAY_REQUESTS // 10 + 1, GATEWAY_REQUESTS - GATEWAY_REQUESTS // 10, rng
        )
        total = SupportRequest.objects.count()
        print(f"  {total:,} synthetic gateway requests (built with bulk_create); small: {small}")
        measured()  # warm up

        def once():
            figures = measured()
            figures["queries_small"] = small["queries"]
            figures["requests"] = total
            return figures

        result = run(
            "gateway_demand",
            once,
            repeat=5,
            targets={"demand_seconds": 1.0, "regional_seconds": 1.0, "dashboard_seconds": 1.0},
        )
        f = result["figures"]
        same = f["queries"]["median"] == f["queries_small"]["median"]
        print(f"  query count independent of the number of requests: {'yes' if same else 'NO'}")
        if not same:
            raise SystemExit("gateway_demand: the query count grows with the number of requests")
        return result
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


#: A large and a small region, for the regional tasking meeting's agenda.
TASKING_REGION = "region-north-west"
TASKING_SMALL_REGION = "region-north-east"


def tasking_agenda() -> dict:
    """A regional tasking meeting's agenda built over the national dataset (target ≤ 1 s), with
    a year of gateway requests; its query count the same for a large and a small region. The
    exceptions report's figures, worked out afterwards by a background task, are timed too.

    The tasking app has no migrations yet: its tables are made inside a transaction that is
    rolled back at the end, with everything written, so the cached dataset is left as it was."""
    import datetime as dt
    import random

    setup_django(dataset("national"))
    from django.apps import apps
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from socmaster.gateway.models import Capability, CapabilityOffer, SupportRequest
    from socmaster.organisations.models import Organisation, User
    from socmaster.tasking.models import AgendaItem
    from socmaster.tasking.services import meetings

    def build(region_key: str, n: int):
        region = Organisation.objects.get(key=region_key)
        rocu = Organisation.objects.get(type="rocu", region=region)
        creator = User.objects.get(username=f"syn-{rocu.key}-chief_officer-1")
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            built = meetings.create_meeting(
                creator,
                level="regional",
                owner=rocu,
                body=f"Benchmark regional tasking group {n}",
                held_on=dt.date.today(),
                chair=creator,
            )
            seconds = time.perf_counter() - start
        with CaptureQueriesContext(connection) as later:
            start = time.perf_counter()
            meetings.complete_agenda(built.meeting)
            built.background = (time.perf_counter() - start, len(later.captured_queries))
        return seconds, len(ctx.captured_queries), built

    runs = iter(range(1, 1000))
    # SQLite's schema editor needs foreign key checks off before the transaction starts.
    connection.disable_constraint_checking()
    try:
        with transaction.atomic():
            existing = set(connection.introspection.table_names())
            with connection.schema_editor() as editor:
                for model in apps.get_app_config("tasking").get_models():
                    if model._meta.db_table not in existing:
                        editor.create_model(model)
            if not SupportRequest.objects.exists():
                User.objects.get_or_create(username="bench-gateway-requester")
                for org in Organisation.objects.filter(type__in=["rocu", "national_agency"]):
                    for code in ("surveillance", "rib"):
                        CapabilityOffer.objects.get_or_create(
                            capability=Capability.objects.get(code=code),
                            organisation=org,
                            team=f"{org.short_name} {code}",
                            defaults={"monthly_capacity": 20},
                        )
                _gateway_requests(1, GATEWAY_REQUESTS, random.Random(SEED))
            print(
                f"  {SupportRequest.objects.count():,} gateway requests; regions "
                f"{TASKING_REGION} and {TASKING_SMALL_REGION}"
            )
            build(TASKING_REGION, next(runs))  # warm up

            def once():
                large_s, large_q, large = build(TASKING_REGION, next(runs))
                small_s, small_q, small = build(TASKING_SMALL_REGION, next(runs))
                return {
                    "region_seconds": large_s,
                    "small_region_seconds": small_s,
                    "region_queries": large_q,
                    "small_region_queries": small_q,
                    "region_items": AgendaItem.objects.filter(meeting=large.meeting).count(),
                    "small_region_items": AgendaItem.objects.filter(meeting=small.meeting).count(),
                    # the exceptions report's checks, in the background once it is created
                    "region_exceptions_seconds": large.background[0],
                    "region_exceptions_queries": large.background[1],
                    "small_region_exceptions_queries": small.background[1],
                }

            result = run("tasking_agenda", once, repeat=5, targets={"region_seconds": 1.0})
            transaction.set_rollback(True)
    finally:
        connection.enable_constraint_checking()
    f = {k: v["median"] for k, v in result["figures"].items()}
    same = f["region_queries"] == f["small_region_queries"]
    print(f"  query count independent of the region's data: {'yes' if same else 'NO'}")
    if not same:
        raise SystemExit("tasking_agenda: the agenda's query count grows with the region's data")
    return result


BENCHMARKS = {
    f.__name__: f
    for f in (
        national_build,
        masterlist_page,
        masterlist_queries,
        masterlist_extract,
        disruption_figures,
        plan_quality,
        sqlite_durability,
        masterlist_import,
        import_parse_memory,
        network_visible_graph,
        network_chart,
        gateway_demand,
        tasking_agenda,
    )
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="socmaster bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args(argv)
    if args.list:
        for name, fn in BENCHMARKS.items():
            print(f"{name:<22} {fn.__doc__.strip().splitlines()[0]}")
        return 0
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; use --list")
    for name in args.names or list(BENCHMARKS):
        BENCHMARKS[name]()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

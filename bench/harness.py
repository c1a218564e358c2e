"""Run a benchmark several times, print the median and spread, and write a JSON result file."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sqlite3
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def fresh_django(directory: str) -> None:
    """Set Django up in this process on a fresh SQLite database in ``directory``, migrated and
    with the reference organisations (for benchmarks that run the code in process)."""
    os.environ["SOCMASTER_VAR_DIR"] = directory
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socmaster.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load-organisations", verbosity=0)


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(
            next(
                line.split()[1]
                for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")
            )
        )
    except (OSError, StopIteration):
        mem_kb = 0
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
    }


def summarise(values: list[float]) -> dict:
    ordered = sorted(values)
    return {
        "median": statistics.median(ordered),
        "min": ordered[0],
        "max": ordered[-1],
        "runs": len(ordered),
    }


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def run(
    name: str,
    fn: Callable[[], dict[str, float]],
    repeat: int,
    targets: dict[str, float] | None = None,
) -> dict:
    """Call ``fn`` ``repeat`` times; each call returns named figures (seconds, ms, counts)."""
    runs = [fn() for _ in range(repeat)]
    figures = {key: summarise([r[key] for r in runs]) for key in runs[0]}
    print(f"\n{name} ({repeat} run{'s' if repeat > 1 else ''})")
    for key, s in figures.items():
        target = (targets or {}).get(key)
        mark = ""
        if target is not None:
            mark = f"  {'✓' if s['median'] <= target else '✗'} target ≤ {target:g}"
        print(
            f"  {key:<32} median {s['median']:>10.3f}   min {s['min']:>10.3f}   max {s['max']:>10.3f}{mark}"
        )
    result = {
        "benchmark": name,
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "figures": figures,
        "targets": targets or {},
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(result, indent=2))
    print(f"  written to {path.relative_to(RESULTS.parent.parent)}")
    return result

"""Entity resolution: screening 1,000,000 subjects against 40,000 nominals, beside plain Splink.

    .venv/bin/python -m bench.linkage [--nominals 40000] [--subjects 1000000] [--spark 10000]
                                      [--no-peer] [--seed 1]

Writes the synthetic truth set (``synth.people``: nominals; subjects that are nominals written
with noise, hard strangers and strangers; the truth) once into ``var/bench/linkage/``, then runs
each step in a process of its own so that its peak memory is its own:

- **train**: our model (``linkage.engine.train``), saved as JSON;
- **screen**: ``socmaster screen``'s own function with that model, files in and matches out;
- **peer**: plain Splink with settings in the style of its documented person-linkage example
  (its name, date-of-birth and postcode comparisons on the raw columns, its blocking rules),
  trained the same way (prior, u by random sampling, two sessions of EM), then screening;
- **lookup**: one-record lookups of 1,000 subjects against the nominals (p50, p95);
- **spark**: the same model on Spark and on DuckDB for a sample of subjects: the links must be
  the same.

Prints precision, recall and F1 against the truth (best match per subject at the upper
threshold), wall time and peak memory for ours and the peer, and the errors that remain by kind.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UPPER = 0.95


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def data_dir(nominals: int, subjects: int, seed: int) -> Path:
    from socmaster.synth import people

    directory = ROOT / "var" / "bench" / "linkage" / f"{nominals}-{subjects}-{seed}"
    if not (directory / "truth.csv").exists():
        started = time.perf_counter()
        noms = people.nominals(nominals, seed=seed)
        people.write_people(noms, people.subjects(noms, subjects, seed=seed), directory)
        print(f"truth set written to {directory} in {time.perf_counter() - started:.1f} s")
    return directory


# --- steps, each in its own process -----------------------------------------------------------


def step_train(directory: Path) -> dict:
    from socmaster.linkage.engine import prepare, train
    from socmaster.linkage.engine.files import read_people

    started = time.perf_counter()
    nominals = prepare(read_people(directory / "nominals.csv", "id"), "id")
    subjects = prepare(read_people(directory / "subjects.csv", "subject_id"), "subject_id")
    read = time.perf_counter() - started
    model = train(nominals, subjects)
    (directory / "model.json").write_text(model.to_json())
    return {"seconds": time.perf_counter() - started, "read_seconds": read, "peak_mib": _peak_mib()}


def step_screen(directory: Path) -> dict:
    from socmaster.linkage.engine import Model
    from socmaster.linkage.engine.files import screen_files

    started = time.perf_counter()
    model = Model.from_json((directory / "model.json").read_text())
    marks = {}
    counts = screen_files(
        model,
        directory / "subjects.csv",
        directory / "nominals.csv",
        directory / "matches.csv",
        progress=lambda name, done, total: marks.setdefault(name, time.perf_counter() - started),
    )
    return {
        "seconds": time.perf_counter() - started,
        "steps": marks,
        "peak_mib": _peak_mib(),
        **counts,
    }


def step_peer(directory: Path) -> dict:
    import duckdb
    import pandas as pd
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on
    from splink.backends.duckdb import DuckDBAPI

    started = time.perf_counter()
    nominals = pd.read_csv(directory / "nominals.csv", dtype=str).rename(
        columns={"id": "unique_id"}
    )
    subjects = pd.read_csv(directory / "subjects.csv", dtype=str).rename(
        columns={"subject_id": "unique_id"}
    )
    for frame in (nominals, subjects):
        frame["first_name_surname_concat"] = (
            frame["first_name"].fillna("") + " " + frame["surname"].fillna("")
        )
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=[
            cl.ForenameSurnameComparison(
                "first_name",
                "surname",
                forename_surname_concat_col_name="first_name_surname_concat",
            ),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.PostcodeComparison("postcode"),
            cl.ExactMatch("phone"),
            cl.ExactMatch("gender").configure(term_frequency_adjustments=True),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "surname"),
            block_on("surname", "dob"),
            block_on("first_name", "dob"),
            block_on("postcode", "first_name"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    con = duckdb.connect()
    con.execute("SET memory_limit = '1GB'")
    linker = Linker(
        [nominals, subjects],
        settings,
        DuckDBAPI(connection=con),
        set_up_basic_logging=False,
        input_table_aliases=["nominals", "subjects"],
    )
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "surname", "dob")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2_000_000, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("first_name", "surname")
    )
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    trained = time.perf_counter()
    pairs = linker.inference.predict(threshold_match_probability=UPPER).as_pandas_dataframe()
    left = pairs["source_dataset_l"] == "nominals"
    out = pd.DataFrame(
        {
            "subject_id": pairs["unique_id_r"].where(left, pairs["unique_id_l"]),
            "nominal_id": pairs["unique_id_l"].where(left, pairs["unique_id_r"]),
            "match_probability": pairs["match_probability"],
        }
    )
    out = out.sort_values(["subject_id", "match_probability"], ascending=[True, False])
    out.drop_duplicates("subject_id").to_csv(directory / "peer_matches.csv", index=False)
    done = time.perf_counter()
    return {
        "seconds": done - started,
        "train_seconds": trained - started,
        "screen_seconds": done - trained,
        "peak_mib": _peak_mib(),
    }


def step_lookup(directory: Path, n: int = 1000) -> dict:
    from socmaster.linkage.engine import Model, prepare
    from socmaster.linkage.engine.files import read_people
    from socmaster.linkage.engine.lookup import Lookup

    model = Model.from_json((directory / "model.json").read_text())
    nominals = prepare(read_people(directory / "nominals.csv", "id"), "id")
    started = time.perf_counter()
    lookup = Lookup(model, nominals)
    built = time.perf_counter() - started
    subjects = read_people(directory / "subjects.csv", "subject_id").head(n)
    records = subjects.drop(columns=["subject_id"]).to_dict("records")
    times = []
    for record in records:
        t = time.perf_counter()
        lookup.matches(record)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return {
        "build_seconds": built,
        "p50_ms": times[len(times) // 2],
        "p95_ms": times[int(len(times) * 0.95)],
        "max_ms": times[-1],
        "lookups": len(times),
    }


def step_spark(directory: Path, n: int) -> dict:
    from socmaster.linkage.engine import Model, best_matches, predict, prepare
    from socmaster.linkage.engine.files import read_people

    model = Model.from_json((directory / "model.json").read_text())
    nominals = prepare(read_people(directory / "nominals.csv", "id"), "id")
    subjects = prepare(read_people(directory / "subjects.csv", "subject_id").head(n), "subject_id")
    out = {}
    links = {}
    for backend in ("duckdb", "spark"):
        started = time.perf_counter()
        best = best_matches(
            model, predict(model, nominals, subjects, threshold=model.lower, backend=backend)
        )
        links[backend] = set(zip(best.subject_id, best.nominal_id, strict=True))
        out[f"{backend}_seconds"] = time.perf_counter() - started
    out["links_duckdb"], out["links_spark"] = len(links["duckdb"]), len(links["spark"])
    out["only_duckdb"] = len(links["duckdb"] - links["spark"])
    out["only_spark"] = len(links["spark"] - links["duckdb"])
    out["same"] = links["duckdb"] == links["spark"]
    return out


def _child(step: str, directory: Path, *extra: str) -> dict:
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    proc = subprocess.run(
        [sys.executable, "-m", "bench.linkage", "--step", step, "--dir", str(directory), *extra],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"step {step} failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- scoring against the truth ----------------------------------------------------------------


def score(directory: Path, matches: str) -> dict:
    import csv

    truth, kinds = {}, {}
    with open(directory / "truth.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            kinds[row["subject_id"]] = row["kind"]
            if row["nominal_id"]:
                truth[row["subject_id"]] = row["nominal_id"]
    with open(directory / matches, newline="", encoding="utf-8") as f:
        got = {row["subject_id"]: row["nominal_id"] for row in csv.DictReader(f)}
    tp = sum(1 for s, n in got.items() if truth.get(s) == n)
    fp, fn = len(got) - tp, len(truth) - tp
    precision = tp / (tp + fp) if got else 0.0
    recall = tp / (tp + fn) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    missed = Counter(kinds[s] for s, n in truth.items() if got.get(s) != n)
    wrong = Counter(kinds[s] for s, n in got.items() if truth.get(s) != n)
    return {
        "true_matches": len(truth),
        "links": len(got),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "missed": dict(missed.most_common(10)),
        "false_links": dict(wrong.most_common(10)),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nominals", type=int, default=40_000)
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--spark", type=int, default=10_000, help="Spark sample (0: skip).")
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.step:
        directory = Path(args.dir)
        steps = {
            "train": lambda: step_train(directory),
            "screen": lambda: step_screen(directory),
            "peer": lambda: step_peer(directory),
            "lookup": lambda: step_lookup(directory),
            "spark": lambda: step_spark(directory, args.n),
        }
        print(json.dumps(steps[args.step]()))
        return 0

    directory = data_dir(args.nominals, args.subjects, args.seed)
    results: dict = {"nominals": args.nominals, "subjects": args.subjects}
    results["train"] = _child("train", directory)
    print(
        f"train: {results['train']['seconds']:.1f} s, peak {results['train']['peak_mib']:.0f} MiB"
    )
    results["screen"] = _child("screen", directory)
    results["screen"].update(score(directory, "matches.csv"))
    ours = results["screen"]
    print(
        f"ours: P {ours['precision']:.4f} R {ours['recall']:.4f} F1 {ours['f1']:.4f}, "
        f"{ours['seconds']:.1f} s, peak {ours['peak_mib']:.0f} MiB; steps {ours['steps']}"
    )
    print(f"  missed: {ours['missed']}\n  false links: {ours['false_links']}")
    if not args.no_peer:
        results["peer"] = _child("peer", directory)
        results["peer"].update(score(directory, "peer_matches.csv"))
        peer = results["peer"]
        print(
            f"plain Splink: P {peer['precision']:.4f} R {peer['recall']:.4f} F1 {peer['f1']:.4f}, "
            f"train {peer['train_seconds']:.1f} s + screen {peer['screen_seconds']:.1f} s, "
            f"peak {peer['peak_mib']:.0f} MiB"
        )
        print(f"  missed: {peer['missed']}\n  false links: {peer['false_links']}")
        errors = (1 - peer["f1"]) / max(1e-9, 1 - ours["f1"])
        print(
            f"ratios (plain Splink / ours): screening time "
            f"{peer['screen_seconds'] / ours['seconds']:.2f}, peak memory "
            f"{peer['peak_mib'] / ours['peak_mib']:.2f}, errors (1 - F1) {errors:.1f}"
        )
    results["lookup"] = _child("lookup", directory)
    lk = results["lookup"]
    print(f"lookup: p50 {lk['p50_ms']:.1f} ms, p95 {lk['p95_ms']:.1f} ms over {lk['lookups']}")
    if args.spark:
        results["spark"] = _child("spark", directory, "--n", str(args.spark))
        sp = results["spark"]
        print(
            f"spark vs duckdb on {args.spark:,} subjects: {sp['links_spark']} / {sp['links_duckdb']} "
            f"links, same: {sp['same']} (duckdb {sp['duckdb_seconds']:.1f} s, spark {sp['spark_seconds']:.1f} s)"
        )
    out = ROOT / "bench" / "results" / f"linkage-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

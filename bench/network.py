"""Network analysis at scale: key players and communities of a 1,000,000-edge graph, beside
NetworkX on the same graph.

    .venv/bin/python -m bench.network [--edges 1000000] [--seed 1] [--peer-cap 900] [--no-peer]

Writes the synthetic graph (``synth.network.stress_graph``: heavy-tailed groups, people in
several groups, brokers, hidden members, shared phones and addresses, a random background; with
its truth) once into ``var/bench/network/``, then runs each step in a process of its own so that
its peak memory is its own:

- **ours**: ``network.engine``: ``Graph.from_tables`` on the edge and node tables, then
  ``key_players`` (degree, PageRank, k-core, betweenness sampled from the engine's default of
  64 sources) and
  ``communities`` (Leiden), each timed, and the two together against the target; then, untimed
  in the figures above, ``brokers`` (how many planted brokers it finds tied strongly into
  another group, and how many of those it finds are planted brokers or people in two groups)
  and ``whole_threat`` with the groups as threats (how many planted hidden members it suggests,
  and how many suggestions in all), both over the ties between people, as the product counts
  them. It leaves the collapsed edge list (one edge per pair, weights summed) for the peer;
- **peer**: NetworkX on that same collapsed edge list (``nx.Graph``): degree, ``pagerank``,
  ``core_number``, ``louvain_communities(seed)`` (its nearest to Leiden) and
  ``betweenness_centrality(k=64, seed)``, in that order, under a time cap (``--peer-cap``,
  default 900 s); a step the cap cuts short is reported as "≥" the time it had.

Prints each step's wall time and peak memory, the ratios (peer / ours), and writes everything to
``bench/results/network-*.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEOPLE = frozenset({"nominal"})
#: key_players + communities on the 1,000,000-edge graph, one core.
TARGET_SECONDS = 15.0
PEER_CAP = 900.0


def _samples() -> int:
    from socmaster.network.engine import BETWEENNESS_SAMPLES

    return BETWEENNESS_SAMPLES


SAMPLES = _samples()


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def data_dir(edges: int, seed: int) -> Path:
    directory = ROOT / "var" / "bench" / "network" / f"{edges}-{seed}"
    if not (directory / "truth.json").exists():
        from socmaster.synth.network import stress_graph

        started = time.perf_counter()
        graph = stress_graph(seed, edges=edges)
        directory.mkdir(parents=True, exist_ok=True)
        graph.edges.to_pickle(directory / "edges.pkl")
        graph.nodes.to_pickle(directory / "nodes.pkl")
        (directory / "truth.json").write_text(json.dumps(graph.truth))
        print(f"graph written to {directory} in {time.perf_counter() - started:.1f} s")
    return directory


# --- steps, each in its own process ------------------------------------------------------------


def step_ours(directory: Path, seed: int) -> dict:
    import numpy as np
    import pandas as pd

    from socmaster.network.engine import (
        Graph,
        brokers,
        communities,
        key_players,
        whole_threat,
    )

    started = time.perf_counter()
    edges = pd.read_pickle(directory / "edges.pkl")
    nodes = pd.read_pickle(directory / "nodes.pkl")
    truth = json.loads((directory / "truth.json").read_text())
    out: dict = {"read_seconds": time.perf_counter() - started}

    t = time.perf_counter()
    graph = Graph.from_tables(edges, nodes)
    out["build_seconds"] = time.perf_counter() - t
    del edges, nodes
    t = time.perf_counter()
    simple = graph.simple()
    out["collapse_seconds"] = time.perf_counter() - t
    marks: dict[str, float] = {}
    t = time.perf_counter()
    players = key_players(
        graph,
        seed=seed,
        samples=SAMPLES,
        progress=lambda stage, done, total: marks.__setitem__(stage, time.perf_counter() - t),
    )
    out["key_players_seconds"] = time.perf_counter() - t
    out["key_player_stages"] = {  # each stage's own time
        stage: mark - previous
        for (stage, mark), previous in zip(marks.items(), [0.0, *marks.values()], strict=False)
    }
    t = time.perf_counter()
    community = communities(graph, seed=seed)
    out["communities_seconds"] = time.perf_counter() - t
    out["together_seconds"] = out["key_players_seconds"] + out["communities_seconds"]
    out["peak_mib"] = _peak_mib()
    out.update(
        nodes=graph.node_count,
        edges=graph.edge_count,
        simple_edges=simple.ecount(),
        communities=len(set(community.values())),
        betweenness_sampled=players.betweenness_sampled,
        samples=players.samples,
        modularity=simple.modularity(
            [community[name] for name in simple.vs["name"]], weights="weight"
        ),
    )

    planted = set(truth["brokers"])
    in_two = {person for person, groups in truth["groups"].items() if len(groups) > 1}
    t = time.perf_counter()
    found = brokers(graph, community, players, node_types=PEOPLE, limit=10**9)
    out["brokers_seconds"] = time.perf_counter() - t
    strong = {
        b.node
        for b in found
        if any(c != community[b.node] and ties >= 2 for c, ties in b.ties_by_community.items())
    }
    out["brokers_planted"] = len(planted)
    out["brokers_strong"] = len(strong)
    out["brokers_planted_found"] = len(planted & strong)
    out["brokers_strong_explained"] = len(strong & (planted | in_two))
    threats: dict[str, list[str]] = {}
    for person, groups in truth["groups"].items():
        for group in groups:
            threats.setdefault(group, []).append(person)
    t = time.perf_counter()
    whole = whole_threat(graph, threats, community, node_types=PEOPLE)
    out["whole_threat_seconds"] = time.perf_counter() - t
    hidden = {(group, p) for group, people in truth["hidden"].items() for p in people}
    out["hidden_planted"] = len(hidden)
    out["hidden_suggested"] = len(whole.hidden)
    out["hidden_planted_suggested"] = len(hidden & {(h.threat, h.node) for h in whole.hidden})
    out["splits"] = len(whole.splits)

    view = graph._view()  # the collapsed edge list, for the peer
    np.savez(
        directory / "collapsed.npz", lo=view.lo, hi=view.hi, weight=view.weight, n=simple.vcount()
    )
    return out


def step_peer(directory: Path, seed: int) -> None:
    """NetworkX, one JSON line per finished step (the parent may stop it at the cap)."""
    import networkx as nx
    import numpy as np

    def report(**figures) -> None:
        print(json.dumps({**figures, "peak_mib": _peak_mib()}), flush=True)

    print(json.dumps({"step": "start", "at": time.time()}), flush=True)
    started = time.perf_counter()
    data = np.load(directory / "collapsed.npz")
    g = nx.Graph()
    g.add_nodes_from(range(int(data["n"])))
    g.add_weighted_edges_from(
        zip(data["lo"].tolist(), data["hi"].tolist(), data["weight"].tolist(), strict=True)
    )
    report(step="build", seconds=time.perf_counter() - started)
    steps = [
        ("degree", lambda: dict(g.degree())),
        ("pagerank", lambda: nx.pagerank(g, alpha=0.85, weight="weight")),
        ("coreness", lambda: nx.core_number(g)),
        ("communities", lambda: nx.community.louvain_communities(g, weight="weight", seed=seed)),
        (
            "betweenness",
            lambda: nx.betweenness_centrality(g, k=SAMPLES, normalized=False, seed=seed),
        ),
    ]
    for name, run in steps:
        t = time.perf_counter()
        run()
        report(step=name, seconds=time.perf_counter() - t)


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}


def _child(step: str, directory: Path, seed: int) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.network", "--step", step, "--dir", str(directory)]
        + ["--seed", str(seed)],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=ROOT,
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"step {step} failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _high_water_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _peer(directory: Path, seed: int, cap: float) -> dict:
    """Run the peer under the cap; its finished steps, and the one the cap cut short."""
    log = directory / "peer.jsonl"
    started = time.monotonic()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.network", "--step", "peer", "--dir", str(directory)]
            + ["--seed", str(seed)],
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
            cwd=ROOT,
        )
        high_water, timed_out = 0.0, False
        while proc.poll() is None:
            high_water = max(high_water, _high_water_mib(proc.pid))
            if time.monotonic() - started > cap:
                timed_out = True
                stopped_at = time.time()
                proc.kill()
                break
            time.sleep(0.5)
        proc.wait()
    elapsed = time.monotonic() - started
    if proc.returncode not in (0, None) and not timed_out:
        sys.stderr.write(proc.stderr.read()[-4000:] if proc.stderr else "")
        raise SystemExit("step peer failed")
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    began = next((s["at"] for s in lines if s["step"] == "start"), None)
    steps = [s for s in lines if s["step"] != "start"]
    done = {s["step"]: s["seconds"] for s in steps}
    result = {
        "cap_seconds": cap,
        "timed_out": timed_out,
        "elapsed_seconds": elapsed,
        "steps": done,
        "peak_mib": max([high_water] + [s["peak_mib"] for s in steps]),
    }
    if timed_out:
        order = ["build", "degree", "pagerank", "coreness", "communities", "betweenness"]
        cut = next(name for name in order if name not in done)
        result["cut_short"] = cut
        # From the peer's own start (its imports not counted), so "≥" is a true lower bound.
        ran = stopped_at - began if began is not None else 0.0
        result["cut_short_after_seconds"] = max(0.0, ran - sum(done.values()))
    return result


def _ratio(peer: float, ours: float, at_least: bool) -> str:
    return f"{'≥ ' if at_least else ''}{peer / max(ours, 1e-9):.1f}×"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--edges", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--peer-cap", type=float, default=PEER_CAP, help="seconds (NetworkX)")
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.step:
        directory = Path(args.dir)
        if args.step == "ours":
            print(json.dumps(step_ours(directory, args.seed)))
        else:
            step_peer(directory, args.seed)
        return 0

    directory = data_dir(args.edges, args.seed)
    results: dict = {"edges_asked": args.edges, "seed": args.seed, "target_seconds": TARGET_SECONDS}
    ours = results["ours"] = _child("ours", directory, args.seed)
    mark = "✓" if ours["together_seconds"] <= TARGET_SECONDS else "✗"
    print(
        f"graph: {ours['nodes']:,} nodes, {ours['edges']:,} edges "
        f"({ours['simple_edges']:,} once collapsed)\n"
        f"ours: build {ours['build_seconds']:.1f} s (+ collapse {ours['collapse_seconds']:.1f} s), "
        f"key players {ours['key_players_seconds']:.1f} s, "
        f"communities {ours['communities_seconds']:.1f} s "
        f"({ours['communities']:,}, modularity {ours['modularity']:.3f}); together "
        f"{ours['together_seconds']:.1f} s {mark} target ≤ {TARGET_SECONDS:g} s; "
        f"peak {ours['peak_mib']:.0f} MiB"
    )
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in ours["key_player_stages"].items())
    print(f"  key-player stages: {stages} (betweenness sampled from {ours['samples']} sources)")
    print(
        f"  brokers: {ours['brokers_planted_found']:,} of {ours['brokers_planted']:,} planted found "
        f"tied strongly into another group; of the {ours['brokers_strong']:,} so tied, "
        f"{ours['brokers_strong_explained']:,} planted brokers or people in two groups "
        f"({ours['brokers_seconds']:.1f} s)\n  hidden members: "
        f"{ours['hidden_planted_suggested']:,} of {ours['hidden_planted']:,} planted suggested, "
        f"{ours['hidden_suggested']:,} suggestions in all, {ours['splits']:,} splits "
        f"({ours['whole_threat_seconds']:.1f} s)"
    )
    if not args.no_peer:
        peer = results["peer"] = _peer(directory, args.seed, args.peer_cap)
        steps = peer["steps"]
        shown = ", ".join(f"{k} {v:.1f} s" for k, v in steps.items())
        if peer["timed_out"]:
            shown += (
                f", {peer['cut_short']} ≥ {peer['cut_short_after_seconds']:.0f} s "
                f"(stopped at the {args.peer_cap:g} s cap)"
            )
        print(f"NetworkX: {shown}; peak {peer['peak_mib']:.0f} MiB")
        compute = sum(v for k, v in steps.items() if k != "build")
        if peer["timed_out"]:
            compute += peer["cut_short_after_seconds"]
        ratios = {
            "key players + communities": _ratio(
                compute, ours["together_seconds"], peer["timed_out"]
            ),
            "peak memory": f"{peer['peak_mib'] / ours['peak_mib']:.1f}×",
        }
        # A step compared on its own only where the peer finished it, or was inside it at the cap.
        for step, mine in (
            ("communities", ours["communities_seconds"]),
            ("betweenness", ours["key_player_stages"].get("betweenness", 0.0)),
        ):
            if step in steps:
                ratios[step] = _ratio(steps[step], mine, False)
            elif peer.get("cut_short") == step:
                ratios[step] = _ratio(peer["cut_short_after_seconds"], mine, True)
        results["ratios"] = ratios
        print("ratios (NetworkX / ours): " + ", ".join(f"{k} {v}" for k, v in ratios.items()))
    from bench.harness import machine

    results["machine"] = machine()
    out = ROOT / "bench" / "results" / f"network-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

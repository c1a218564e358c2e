"""The edge-list file (``socmaster network analyse`` and the upload page): UTF-8 CSV with a
header row naming ``source`` and ``target`` and, if wanted, ``type``, ``weight`` (a number
greater than 0, default 1) and ``date`` (``YYYY-MM-DD``, the day of the tie); no other column.

:func:`read_edge_file` checks the whole file before anything is analysed and reports every
problem it finds (up to :data:`MAX_PROBLEMS`) by line, the header being line 1, in one
:class:`EdgeFileError`. Lines are counted as the file has them, so a quoted value running over
two lines still gets the right number. :func:`analyse_edge_file` reads nothing but the file
and writes nothing but its two results.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pandas as pd

from .graph import DEFAULT_EDGE_TYPE, Graph, to_day
from .metrics import BETWEENNESS_EXACT_LIMIT, BETWEENNESS_SAMPLES, communities, key_players

REQUIRED = ["source", "target"]
OPTIONAL = ["type", "weight", "date"]
KEY_PLAYER_FILE_COLUMNS = ["node", "degree", "pagerank", "betweenness", "coreness"]
MAX_PROBLEMS = 20


class EdgeFileError(ValueError):
    """An edge file that cannot be analysed; ``problems`` lists what is wrong, by line."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def _text(path_or_file) -> str:
    if isinstance(path_or_file, str | Path):
        path = Path(path_or_file)
        if not path.is_file():
            raise EdgeFileError([f"{path}: no such file"])
        data = path.read_bytes()
    else:
        data = path_or_file.read()
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise EdgeFileError([f"line {line}: not UTF-8 text"]) from None


def read_edge_file(path_or_file) -> pd.DataFrame:
    """An edge file (a path, or a binary or text file object) as an edge table for
    :meth:`.graph.Graph.from_tables`: ``source, target, type, weight, date_from, date_to, ref``
    (the date as both ends, the line number as ``ref``, "line:7"). Raises :class:`EdgeFileError`
    naming each bad line: missing or unknown columns, an empty source or target, a weight that
    is not a number greater than 0, a date that is not ``YYYY-MM-DD``, a row of the wrong
    width, or bytes that are not UTF-8."""
    text = _text(path_or_file)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise EdgeFileError(["line 1: the file is empty (a header row is needed)"]) from None
    except csv.Error as exc:
        raise EdgeFileError([f"line 1: not readable CSV ({exc})"]) from None
    columns = [c.strip().lower() for c in header]
    problems = []
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        problems.append(f"line 1: missing column(s): {', '.join(missing)}")
    unknown = [c for c in columns if c not in REQUIRED + OPTIONAL]
    for name in unknown:
        problems.append(
            f"line 1: unknown column {name!r} (the columns are {', '.join(REQUIRED + OPTIONAL)})"
        )
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        problems.append(f"line 1: column(s) given twice: {', '.join(repeated)}")
    if problems:
        raise EdgeFileError(problems)
    at = {c: columns.index(c) for c in columns}
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        start = reader.line_num + 1
        for row in reader:
            if not row or all(not cell.strip() for cell in row):
                start = reader.line_num + 1
                continue  # a blank line
            if len(row) != len(columns):
                problems.append(
                    f"line {start}: {len(row)} value(s), the header names {len(columns)}"
                )
            else:
                rows.append([cell.strip() for cell in row])
                lines.append(start)
            start = reader.line_num + 1
            if len(problems) >= MAX_PROBLEMS:
                break
    except csv.Error as exc:
        problems.append(f"line {reader.line_num}: not readable CSV ({exc})")
    weights: list[float] = []
    dates: list[str] = []
    for line, row in zip(lines, rows, strict=True):
        if len(problems) >= MAX_PROBLEMS:
            break
        for end in REQUIRED:
            if not row[at[end]]:
                problems.append(f"line {line}: {end} is empty")
        weight = 1.0
        if "weight" in at and row[at["weight"]]:
            value = row[at["weight"]]
            try:
                weight = float(value)
            except ValueError:
                problems.append(f"line {line}: weight {value!r} is not a number")
            else:
                if not math.isfinite(weight) or weight <= 0:
                    problems.append(f"line {line}: weight {value!r} is not greater than 0")
        weights.append(weight)
        date = row[at["date"]] if "date" in at else ""
        if date:
            try:
                to_day(date)
            except ValueError:
                problems.append(f"line {line}: date {date!r} is not a date written YYYY-MM-DD")
        dates.append(date)
    if problems:
        raise EdgeFileError(problems[:MAX_PROBLEMS])
    if not rows:
        raise EdgeFileError(["line 2: the file has no edges"])
    frame = pd.DataFrame(rows, columns=columns, dtype=object)
    kind = frame["type"] if "type" in frame.columns else pd.Series(DEFAULT_EDGE_TYPE, frame.index)
    return pd.DataFrame(
        {
            "source": frame["source"],
            "target": frame["target"],
            "type": kind.where(kind != "", DEFAULT_EDGE_TYPE),
            "weight": weights,
            "date_from": dates,
            "date_to": dates,
            "ref": [f"line:{n}" for n in lines],
        }
    )


def _guard(value: str) -> str:
    """A text cell a spreadsheet will show, not run (see :mod:`.export`)."""
    return "'" + value if value.startswith(("=", "+", "-", "@", "\t", "\r")) else value


def analyse_edge_file(
    path,
    out_dir,
    *,
    progress=None,
    seed: int = 0,
    exact_limit: int = BETWEENNESS_EXACT_LIMIT,
    samples: int = BETWEENNESS_SAMPLES,
) -> dict:
    """Key players and communities of an edge file: writes ``out_dir/key_players.csv`` (node,
    degree, pagerank, betweenness, coreness; by PageRank, highest first) and
    ``out_dir/communities.csv`` (node, community; by community, then node). ``progress(stage,
    step, steps)`` is told as each stage ends. Returns ``{"nodes", "edges", "communities",
    "betweenness_sampled", "samples"}``."""
    out_dir = Path(out_dir)
    stages = ["read", "graph", "key players", "communities", "written"]

    def tell(stage: str) -> None:
        if progress:
            progress(stage, stages.index(stage) + 1, len(stages))

    frame = read_edge_file(path)
    tell("read")
    graph = Graph.from_tables(frame)
    tell("graph")
    players = key_players(graph, seed=seed, exact_limit=exact_limit, samples=samples)
    tell("key players")
    community = communities(graph, seed=seed)
    tell("communities")
    out_dir.mkdir(parents=True, exist_ok=True)
    table = players.table[KEY_PLAYER_FILE_COLUMNS].copy()
    table["node"] = table["node"].map(_guard)
    table.to_csv(out_dir / "key_players.csv", index=False, encoding="utf-8")
    grouped = pd.DataFrame({"node": list(community), "community": list(community.values())})
    grouped = grouped.sort_values(["community", "node"], kind="mergesort")
    grouped["node"] = grouped["node"].map(_guard)
    grouped.to_csv(out_dir / "communities.csv", index=False, encoding="utf-8")
    tell("written")
    return {
        "nodes": graph.node_count,
        "edges": graph.edge_count,
        "communities": len(set(community.values())),
        "betweenness_sampled": players.betweenness_sampled,
        "samples": players.samples,
    }

"""Paths and neighbourhoods: what a link chart shows.

Both answer in source edges, so a chart can show the record behind every line. A shortest path
is found on the collapsed graph (fewest hops, igraph's breadth-first search); each hop is then
shown as the heaviest source edge joining its two ends. A neighbourhood grows ring by ring from
its centres over the source edges that pass the type and date filters, and each node it expands
adds at most ``cap`` new neighbours (the heaviest ties first): a chart of a phone held by a
thousand people stays readable, and ``more`` says how many were left out, for "expand".
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from .graph import Graph

FAN_OUT_CAP = 25


def shortest_path(graph: Graph, a: str, b: str, *, types=None) -> list[dict]:
    """The fewest-hop chain of source edges (of ``types``; None: all) from ``a`` to ``b``, in
    order: each step ``{source, target, type, weight, date_from, date_to, ref}`` with ``source``
    the end nearer ``a`` (the graph is undirected). [] when they are not connected or are the
    same node; KeyError for an id the graph does not hold."""
    va, vb = graph.index(a), graph.index(b)
    if va == vb:
        return []
    h = graph.simple(types)  # all vertices, in the multigraph's order
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "couldn't reach some vertices"
        path = h.get_shortest_path(va, vb, mode="all", output="vpath")
    if len(path) < 2:
        return []
    mask = graph.type_mask(types) if types is not None else None
    steps = []
    for u, v in zip(path[:-1], path[1:], strict=True):
        eids = graph.incident(u, mask)
        eids = eids[graph.other_end(eids, u) == v]
        weights = graph._weight[eids]
        best = eids[np.argmax(weights)]  # the heaviest; the first given among equals
        step = graph.records([best])[0]
        step["source"], step["target"] = graph.name(u), graph.name(v)
        steps.append(step)
    return steps


@dataclass
class Subgraph:
    """A neighbourhood: ``nodes`` ``{id, type, label, depth}`` in the order reached, ``edges``
    the source edges (passing the filters) between them, ``more`` per expanded node how many of
    its neighbours the cap left out."""

    nodes: list[dict] = field(default_factory=list)
    edges: list[dict] = field(default_factory=list)
    more: dict[str, int] = field(default_factory=dict)


def neighbourhood(
    graph: Graph,
    centres: Iterable[str],
    *,
    steps: int = 2,
    types=None,
    date_from=None,
    date_to=None,
    cap: int | None = FAN_OUT_CAP,
) -> Subgraph:
    """The nodes within ``steps`` of ``centres`` over source edges of ``types`` (None: all)
    whose dates overlap [``date_from``, ``date_to``] (an undated edge always overlaps). Each
    node expanded contributes at most ``cap`` (None: no cap) neighbours not already reached,
    heaviest total tie first (then in vertex order). KeyError for an unknown centre."""
    start = list(dict.fromkeys(graph.index(c) for c in centres))
    ok = graph.type_mask(types) & graph.date_mask(date_from, date_to)
    depth = {v: 0 for v in start}
    neighbours: dict[int, np.ndarray] = {}
    frontier = start
    for ring in range(1, max(0, steps) + 1):
        reached = []
        for v in frontier:
            eids = graph.incident(v, ok)
            others = graph.other_end(eids, v)
            keep = others != v
            eids, others = eids[keep], others[keep]
            if not len(eids):
                neighbours[v] = others
                continue
            near, inverse = np.unique(others, return_inverse=True)
            weight = np.bincount(inverse.ravel(), weights=graph._weight[eids])
            near = near[np.lexsort((near, -weight))]
            neighbours[v] = near
            added = 0
            for o in near.tolist():
                if cap is not None and added >= cap:
                    break
                if o not in depth:
                    depth[o] = ring
                    reached.append(o)
                    added += 1
        frontier = reached
        if not frontier:
            break
    kept = np.zeros(graph.node_count, dtype=bool)
    kept[list(depth)] = True
    more = {}
    for v, near in neighbours.items():
        left = int((~kept[near]).sum())
        if left:
            more[graph.name(v)] = left
    nodes = [{**graph.node(v), "depth": d} for v, d in depth.items()]
    eids = np.flatnonzero(ok & kept[graph._src] & kept[graph._dst])
    return Subgraph(nodes, graph.records(eids), more)

"""Who matters in a network, which groups it falls into, and where the recorded threats disagree
with it.

Every metric runs in igraph's C core on the collapsed graph (:meth:`.graph.Graph.simple`); the
Python here only prepares arrays and reads results back.

- **Key players**: degree (distinct neighbours), weighted degree, PageRank (weighted, damping
  0.85), betweenness (unweighted shortest paths, each unordered pair once) and coreness (k-core
  number). Exact betweenness costs one breadth-first search per vertex; above
  :data:`BETWEENNESS_EXACT_LIMIT` vertices it is **sampled**: igraph's subset betweenness from
  :data:`BETWEENNESS_SAMPLES` source vertices drawn uniformly without replacement, scaled by
  n / k (Brandes and Pich, 2007). igraph counts each (source, target) dependency once with half
  weight in an undirected graph, so the k-source sum has expectation k/n times the exact value
  and the scaled figure is an unbiased estimate of the exact one (tested against exact on a
  random graph). The result says whether it is sampled and from how many sources.
- **Communities**: Leiden on the RB-configuration (modularity) quality function with a
  resolution. By default igraph's own C implementation of Leiden (``Graph.community_leiden``,
  objective "modularity"), which optimises the same function as leidenalg's
  ``RBConfigurationVertexPartition`` and, on the million-edge benchmark graph, reaches a higher
  modularity in an eighth of the time; ``implementation="leidenalg"`` runs leidenalg itself.
  Seeded, so the same graph gives the same communities.
- **Whole threat**: the recorded members of each threat against the communities: non-members
  tied to several members inside the threat's main community (possible hidden members), and
  threats whose members sit in separate communities (possible splits).
- **Brokers**: nodes whose ties reach into several communities; those with several ties into
  each of two or more communities first (a person working with two groups, not a chance
  acquaintance), then by betweenness.
"""

from __future__ import annotations

import random
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import igraph as ig
import numpy as np
import pandas as pd

from .graph import Graph

BETWEENNESS_EXACT_LIMIT = 5000
#: Sources of sampled betweenness. Each costs one breadth-first search of the whole graph (about
#: 0.1 s at a million edges): 64 ranks the highest-betweenness vertices stably (their estimate's
#: relative error falls with the square root of the sources) and keeps key players and communities
#: of a million-edge graph well inside 15 s on one core. Callers may ask for more.
BETWEENNESS_SAMPLES = 64
#: Distinct neighbours a broker needs in another community for it to count as *strongly* reached.
BROKER_STRONG_TIES = 2
#: Sampled sources per igraph call, so that progress can be told while betweenness runs.
BETWEENNESS_CHUNK = 32
#: Leiden passes (leidenalg's default): more reach little higher modularity at many times the cost.
LEIDEN_ITERATIONS = 2
KEY_PLAYER_COLUMNS = [
    "node",
    "type",
    "label",
    "degree",
    "weighted_degree",
    "pagerank",
    "betweenness",
    "coreness",
]

Progress = Callable[[str, int, int], None] | None

#: igraph draws from one process-wide random source; seeded runs swap it under this lock.
_RNG_LOCK = threading.Lock()


# --- key players -------------------------------------------------------------------------------


@dataclass
class KeyPlayers:
    """The key-player table (columns :data:`KEY_PLAYER_COLUMNS`, by PageRank, highest first) and
    how its betweenness was found."""

    table: pd.DataFrame
    betweenness_sampled: bool
    samples: int | None
    graph: Graph = field(repr=False)
    types: frozenset | None = field(default=None, repr=False)

    def reasons(self, node_id: str, limit: int = 5, types=None) -> list[dict]:
        """Why the node matters: its heaviest ties ``{neighbour, label, types, weight, refs}``,
        from the source edges of ``types`` (None: those the key players were computed on)."""
        return self.graph.ties(node_id, self.types if types is None else types)[:limit]


def key_players(
    graph: Graph,
    *,
    types=None,
    node_types=None,
    exact_limit: int = BETWEENNESS_EXACT_LIMIT,
    samples: int = BETWEENNESS_SAMPLES,
    seed: int = 0,
    progress: Progress = None,
) -> KeyPlayers:
    """Degree, weighted degree, PageRank, betweenness and coreness of every vertex of the
    collapsed graph of ``types`` and ``node_types``. ``progress(stage, step, steps)`` is told as
    each stage ends (betweenness in steps of :data:`BETWEENNESS_CHUNK` sources)."""
    view = graph._view(types, node_types)
    h = view.graph
    n = h.vcount()
    sampled = n > exact_limit
    k = min(max(1, samples), n) if sampled else n
    sources = None
    chunks = [None]
    if sampled:
        rng = np.random.default_rng(seed)
        sources = np.sort(rng.choice(n, size=k, replace=False))
        chunks = [sources[i : i + BETWEENNESS_CHUNK] for i in range(0, k, BETWEENNESS_CHUNK)]
    steps = 3 + len(chunks)

    def tell(stage: str, step: int) -> None:
        if progress:
            progress(stage, step, steps)

    degree = np.asarray(h.degree(), dtype=np.int64)
    strength = np.asarray(h.strength(weights="weight"), dtype=float)
    tell("degree", 1)
    pagerank = (
        np.asarray(h.pagerank(directed=False, damping=0.85, weights="weight"), dtype=float)
        if n
        else np.zeros(0)
    )
    tell("pagerank", 2)
    coreness = np.asarray(h.coreness(), dtype=np.int64) if n else np.zeros(0, dtype=np.int64)
    tell("coreness", 3)
    if not sampled:
        betweenness = np.asarray(h.betweenness(directed=False), dtype=float) if n else np.zeros(0)
        tell("betweenness", 4)
    else:
        betweenness = np.zeros(n)
        for i, chunk in enumerate(chunks, start=1):
            betweenness += np.asarray(
                h.betweenness(directed=False, sources=chunk.tolist(), targets=None), dtype=float
            )
            tell("betweenness", 3 + i)
        betweenness *= n / k
    table = pd.DataFrame(
        {
            "node": h.vs["name"],
            "type": h.vs["type"],
            "label": h.vs["label"],
            "degree": degree,
            "weighted_degree": strength,
            "pagerank": pagerank,
            "betweenness": betweenness,
            "coreness": coreness,
        },
        columns=KEY_PLAYER_COLUMNS,
    )
    table = table.sort_values(["pagerank", "node"], ascending=[False, True], kind="mergesort")
    return KeyPlayers(
        table.reset_index(drop=True),
        betweenness_sampled=sampled,
        samples=k if sampled else None,
        graph=graph,
        types=None if types is None else frozenset(types),
    )


# --- communities -------------------------------------------------------------------------------


def communities(
    graph: Graph,
    *,
    types=None,
    node_types=None,
    resolution: float = 1.0,
    seed: int = 0,
    implementation: str = "igraph",
) -> dict[str, int]:
    """Leiden communities of the collapsed graph: node id -> community number, 0 the largest
    (ties of size by the community's first vertex); every isolated vertex a community of its
    own. ``implementation``: "igraph" (its C Leiden, the default) or "leidenalg"."""
    h = graph.simple(types, node_types)
    n = h.vcount()
    if n == 0:
        return {}
    if h.ecount() == 0:
        membership = np.arange(n)
    elif implementation == "igraph":
        membership = _leiden_igraph(h, resolution, seed)
    elif implementation == "leidenalg":
        import leidenalg

        partition = leidenalg.find_partition(
            h,
            leidenalg.RBConfigurationVertexPartition,
            weights="weight",
            resolution_parameter=resolution,
            seed=seed,
            n_iterations=LEIDEN_ITERATIONS,
        )
        membership = np.asarray(partition.membership, dtype=np.int64)
    else:
        raise ValueError(f"unknown implementation {implementation!r}")
    isolated = np.flatnonzero(np.asarray(h.degree()) == 0)
    membership = np.asarray(membership, dtype=np.int64).copy()
    membership[isolated] = membership.max() + 1 + np.arange(len(isolated))
    return dict(zip(h.vs["name"], _by_size(membership).tolist(), strict=True))


def _leiden_igraph(h: ig.Graph, resolution: float, seed: int) -> np.ndarray:
    with _RNG_LOCK:
        ig.set_random_number_generator(random.Random(seed))
        try:
            clusters = h.community_leiden(
                objective_function="modularity",
                weights="weight",
                resolution=resolution,
                n_iterations=LEIDEN_ITERATIONS,
            )
        finally:
            ig.set_random_number_generator(random)
    return np.asarray(clusters.membership, dtype=np.int64)


def _by_size(membership: np.ndarray) -> np.ndarray:
    """Renumber communities 0.. by size, largest first (ties: the one whose first vertex comes
    first)."""
    _, inverse, counts = np.unique(membership, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    first = np.full(len(counts), len(membership), dtype=np.int64)
    np.minimum.at(first, inverse, np.arange(len(membership)))
    order = np.lexsort((first, -counts))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[inverse]


# --- whole threat ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HiddenMember:
    """A non-member tied to ``ties`` distinct members of ``threat`` (total weight ``weight``)
    inside its main community; ``evidence`` the source edges joining them."""

    threat: str
    node: str
    community: int
    ties: int
    weight: float
    evidence: list[dict]


@dataclass(frozen=True)
class Split:
    """A threat whose members fall into separate communities: ``parts`` (largest first)."""

    threat: str
    parts: list[list[str]]


@dataclass
class WholeThreat:
    hidden: list[HiddenMember]
    splits: list[Split]


def whole_threat(
    graph: Graph,
    membership: Mapping[str, Iterable[str]],
    community: Mapping[str, int],
    *,
    types=None,
    node_types=None,
    min_ties: int = 2,
    min_part: int = 2,
) -> WholeThreat:
    """Test each threat's recorded members (``membership``: threat id -> member ids) against the
    communities. Ties are counted on the collapsed graph of ``types`` (the association evidence,
    not membership itself) and ``node_types``.

    - hidden: non-members in one of the threat's communities (the one holding most of its
      members, and any other holding at least ``min_part`` of them) tied to at least
      ``min_ties`` distinct members; sorted by ties, then weight, highest first;
    - splits: threats whose members fall into two or more communities of at least ``min_part``
      members each.

    Members the graph does not hold are left out; so are communities of nodes outside it."""
    view = graph._view(types, node_types)
    h = view.graph
    names = np.asarray(h.vs["name"], dtype=object)
    position = {name: i for i, name in enumerate(names.tolist())}
    mask = graph.type_mask(types) if types is not None else None
    hidden: list[HiddenMember] = []
    splits: list[Split] = []
    for threat, members in membership.items():
        present = [m for m in dict.fromkeys(members) if m in position and m in community]
        if not present:
            continue
        by_community: dict[int, list[str]] = defaultdict(list)
        for m in present:
            by_community[community[m]].append(m)
        parts = [p for c, p in sorted(by_community.items()) if len(p) >= min_part]
        if len(parts) >= 2:
            splits.append(Split(threat, sorted(parts, key=len, reverse=True)))
        main = min(by_community, key=lambda c: (-len(by_community[c]), c))
        # The threat's communities: its main one, and any other holding min_part members (a
        # large group that modularity cuts in two is still one group's community).
        home = {main} | {c for c, p in by_community.items() if len(p) >= min_part}
        member_idx = np.array([position[m] for m in present], dtype=np.int64)
        eids, ends = _incident_many(h, member_idx)
        if not len(eids):
            continue
        others = view.lo[eids] + view.hi[eids] - ends
        outside = ~np.isin(others, member_idx)
        others, weights = others[outside], view.weight[eids][outside]
        if not len(others):
            continue
        candidates, inverse, ties = np.unique(others, return_inverse=True, return_counts=True)
        weight = np.bincount(inverse.ravel(), weights=weights)
        for c, t, w in zip(candidates.tolist(), ties.tolist(), weight.tolist(), strict=True):
            if t < min_ties or community.get(names[c]) not in home:
                continue
            evidence = _evidence(graph, int(view.original(c)), view, member_idx, mask)
            hidden.append(HiddenMember(threat, names[c], community[names[c]], t, w, evidence))
    hidden.sort(key=lambda x: (-x.ties, -x.weight, x.threat, x.node))
    return WholeThreat(hidden, splits)


def _incident_many(h: ig.Graph, vertices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The collapsed edges at each of ``vertices`` and the vertex each was reached from."""
    lists = [h.incident(v) for v in vertices.tolist()]
    if not lists:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    sizes = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
    eids = np.fromiter((e for x in lists for e in x), dtype=np.int64, count=int(sizes.sum()))
    return eids, np.repeat(vertices, sizes)


def _evidence(graph: Graph, v: int, view, member_idx: np.ndarray, mask) -> list[dict]:
    """The source edges (of the analysis' types) joining multigraph vertex ``v`` to members."""
    members = view.original(member_idx)
    eids = graph.incident(v, mask)
    return graph.records(eids[np.isin(graph.other_end(eids, v), members)])


# --- brokers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Broker:
    """A node tied into several communities: its own and its neighbours' (``communities``),
    ``ties_by_community`` its distinct neighbours in each."""

    node: str
    label: str
    betweenness: float
    communities: list[int]
    ties_by_community: dict[int, int]


def brokers(
    graph: Graph,
    community: Mapping[str, int],
    key_players: KeyPlayers,
    *,
    types=None,
    node_types=None,
    min_communities: int = 2,
    strong_ties: int = BROKER_STRONG_TIES,
    limit: int = 50,
) -> list[Broker]:
    """Nodes whose own community and their neighbours' communities on the collapsed graph of
    ``types`` and ``node_types`` number at least ``min_communities``; at most ``limit``.

    Ordered by how many communities besides its own the node reaches *strongly* (with at least
    ``strong_ties`` distinct neighbours in each), then by betweenness (from ``key_players``),
    highest first, then by id: on a network with chance ties between groups, betweenness alone
    ranks well-connected hubs above the people who actually work with two groups."""
    view = graph._view(types, node_types)
    h = view.graph
    n = h.vcount()
    if n == 0 or not community:
        return []
    names = np.asarray(h.vs["name"], dtype=object)
    own = pd.Series(community, dtype="int64").reindex(names).fillna(-1).to_numpy(np.int64)
    width = int(own.max()) + 1
    if width <= 0:
        return []
    ends = np.concatenate((view.lo, view.hi))
    others = np.concatenate((view.hi, view.lo))
    theirs = own[others]
    known = theirs >= 0
    tie_keys, tie_counts = np.unique(ends[known] * width + theirs[known], return_counts=True)
    has_own = np.flatnonzero(own >= 0)
    every = np.unique(np.concatenate((tie_keys, has_own * width + own[has_own])))
    reach = np.bincount(every // width, minlength=n)
    candidates = np.flatnonzero(reach >= min_communities)
    if not len(candidates):
        return []
    scores = (
        key_players.table.set_index("node")["betweenness"]
        .reindex(names[candidates])
        .fillna(0.0)
        .to_numpy(float)
    )
    tie_v = tie_keys // width
    strong = (tie_counts >= strong_ties) & (tie_keys % width != own[tie_v])
    strongly = np.bincount(tie_v[strong], minlength=n)[candidates]
    order = np.lexsort((names[candidates].astype(str), -scores, -strongly))[: max(0, limit)]
    out = []
    for i in order.tolist():
        v = int(candidates[i])
        lo, hi = np.searchsorted(every, [v * width, (v + 1) * width])
        reached = (every[lo:hi] % width).tolist()
        lo, hi = np.searchsorted(tie_keys, [v * width, (v + 1) * width])
        counts = dict(
            zip((tie_keys[lo:hi] % width).tolist(), tie_counts[lo:hi].tolist(), strict=True)
        )
        out.append(Broker(names[v], h.vs[v]["label"], float(scores[i]), reached, counts))
    return out

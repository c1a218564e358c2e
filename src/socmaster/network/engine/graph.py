"""The association graph: plain tables in, an igraph multigraph out.

Every source edge (a membership, an identifier, a report mention…) stays one igraph edge, so the
evidence for any tie can be read back record by record (:meth:`Graph.edges_of`). The metrics want
the other view, one edge per pair of nodes: :meth:`Graph.simple` collapses parallel edges
(weights summed, the edge types kept) and drops loops, once per choice of edge and node types,
and keeps the result, since key players, communities, suggestions and brokers usually ask for the
same one.

Building is vectorised: ids are numbered by ``pandas.factorize`` (nodes table first, then the
ids the edges bring, in order of appearance), igraph gets the edge array in one call and the
attributes as lists. Dates are parsed once per distinct value and kept as day numbers beside the
ISO strings, so a date filter over a million edges is a couple of numpy comparisons.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

import igraph as ig
import numpy as np
import pandas as pd

EDGE_COLUMNS = ["source", "target", "type", "weight", "date_from", "date_to", "ref"]
NODE_COLUMNS = ["id", "type", "label"]
DEFAULT_EDGE_TYPE = "edge"
UNKNOWN_NODE_TYPE = "unknown"
#: Day numbers standing for an open start and an open end (no date given).
OPEN_START = np.iinfo(np.int64).min
OPEN_END = np.iinfo(np.int64).max
#: Collapsed graphs kept per :class:`Graph` (one per choice of edge and node types).
SIMPLE_CACHE_SIZE = 4


def _table(data, name: str) -> pd.DataFrame:
    if data is None:
        return pd.DataFrame()
    if isinstance(data, pd.DataFrame):
        return data
    return pd.DataFrame.from_records(list(data))


def _distinct(column: pd.Series, strip: bool) -> tuple[np.ndarray, np.ndarray]:
    """A column as codes into its distinct values as text (missing as '', stripped if asked):
    string work is done once per distinct value, not once per row."""
    values = column.to_numpy(dtype=object) if isinstance(column, pd.Series) else column
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    uniques = np.asarray(uniques, dtype=object).tolist()
    text = uniques if all(type(u) is str for u in uniques) else [str(u) for u in uniques]
    text = np.array([*(t.strip() for t in text)] if strip else text, dtype=object)
    text = np.append(text, "")
    codes = np.asarray(codes, dtype=np.int64)
    return np.where(codes < 0, len(text) - 1, codes), text


def _text(column: pd.Series, strip: bool = True) -> np.ndarray:
    """A column as an object array of Python strings, missing values as ''."""
    values = column.to_numpy(dtype=object)
    if not strip and pd.api.types.infer_dtype(values, skipna=False) == "string":
        return values  # already text throughout: nothing to do per value
    codes, text = _distinct(values, strip)
    return text[codes]


def _empty_rows(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The column as stripped text, and the rows where it is empty."""
    codes, text = _distinct(column, True)
    return text[codes], np.flatnonzero(np.isin(codes, np.flatnonzero(text == "")))


def to_day(value) -> int | None:
    """An ISO date (``YYYY-MM-DD``), a ``date`` or None as a day number (None if no date)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.toordinal()
    try:
        return dt.date.fromisoformat(str(value).strip()).toordinal()
    except ValueError:
        raise ValueError(f"{value!r} is not a date written YYYY-MM-DD") from None


def _dates(column: pd.Series, name: str, missing: int) -> tuple[np.ndarray, np.ndarray]:
    """ISO strings ('' when missing) and day numbers (``missing`` when missing), each distinct
    value parsed once."""
    codes, text = _distinct(column, True)
    days = np.empty(len(text), dtype=np.int64)
    iso = np.empty(len(text), dtype=object)
    for i, value in enumerate(text.tolist()):  # distinct dates: a few thousand at most
        day = None
        try:
            day = to_day(value)
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
        days[i] = missing if day is None else day
        iso[i] = "" if day is None else dt.date.fromordinal(day).isoformat()
    return iso[codes], days[codes]


def _edge_table(edges) -> pd.DataFrame:
    frame = _table(edges, "edges")
    missing = [c for c in ("source", "target") if c not in frame.columns]
    if missing and len(frame):
        raise ValueError(f"edges: missing column(s) {', '.join(missing)}")
    n = len(frame)
    out = {}
    for end in ("source", "target"):
        if not n:
            out[end] = np.zeros(0, dtype=object)
            continue
        values, empty = _empty_rows(frame[end])
        if len(empty):
            raise ValueError(f"edges: row {empty[0]} has no {end}")
        out[end] = values
    if "type" in frame.columns and n:
        kind = _text(frame["type"])
        out["type"] = np.where(kind == "", DEFAULT_EDGE_TYPE, kind)
    else:
        out["type"] = np.full(n, DEFAULT_EDGE_TYPE, dtype=object)
    if "weight" in frame.columns and n:
        try:
            weight = pd.to_numeric(frame["weight"], errors="raise").astype(float)
        except (TypeError, ValueError):
            raise ValueError("edges: weight must be a number") from None
        weight = weight.fillna(1.0).to_numpy()
        bad = np.flatnonzero(~np.isfinite(weight) | (weight < 0))
        if len(bad):
            raise ValueError(f"edges: row {bad[0]} has weight {weight[bad[0]]!r} (not >= 0)")
        out["weight"] = weight
    else:
        out["weight"] = np.ones(n)
    for name, missing_day in (("date_from", OPEN_START), ("date_to", OPEN_END)):
        if name in frame.columns and n:
            out[name], out[f"_{name}_day"] = _dates(frame[name], name, missing_day)
        else:
            out[name] = np.full(n, "", dtype=object)
            out[f"_{name}_day"] = np.full(n, missing_day, dtype=np.int64)
    out["ref"] = (
        _text(frame["ref"], strip=False)
        if "ref" in frame.columns and n
        else np.full(n, "", dtype=object)
    )
    return pd.DataFrame(out, index=pd.RangeIndex(n))


def _node_table(nodes) -> pd.DataFrame:
    frame = _table(nodes, "nodes")
    if not len(frame):
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in NODE_COLUMNS})
    if "id" not in frame.columns:
        raise ValueError("nodes: missing column id")
    ids, empty = _empty_rows(frame["id"])
    if len(empty):
        raise ValueError(f"nodes: row {empty[0]} has no id")
    out = {"id": ids}
    if "type" in frame.columns:
        kind = _text(frame["type"])
        out["type"] = np.where(kind == "", UNKNOWN_NODE_TYPE, kind)
    else:
        out["type"] = np.full(len(ids), UNKNOWN_NODE_TYPE, dtype=object)
    if "label" in frame.columns:
        label = _text(frame["label"], strip=False)
        out["label"] = np.where(label == "", ids, label)
    else:
        out["label"] = ids
    frame = pd.DataFrame(out)
    return frame.drop_duplicates("id", keep="first").reset_index(drop=True)


@dataclass
class _Simple:
    """A collapsed view: the igraph graph, its vertices' indices in the multigraph (None: the
    same), and its edges as arrays (ends ``lo`` < ``hi``, summed weights)."""

    graph: ig.Graph
    vertices: np.ndarray | None
    lo: np.ndarray
    hi: np.ndarray
    weight: np.ndarray

    def original(self, v):
        return v if self.vertices is None else self.vertices[v]


class Graph:
    """An undirected multigraph of string-named nodes; build it with :meth:`from_tables`.

    ``graph`` is the igraph multigraph (vertex attributes ``name``, ``type``, ``label``; edge
    attributes ``type``, ``weight``, ``date_from``, ``date_to``, ``ref``). Treat it and the
    graphs :meth:`simple` returns as read-only: they are shared by every analysis of this graph.
    """

    def __init__(
        self,
        graph: ig.Graph,
        ids: pd.Index,
        edges: pd.DataFrame,
        vtype: np.ndarray,
        label: np.ndarray,
        src: np.ndarray,
        dst: np.ndarray,
    ):
        """Use :meth:`from_tables`."""
        self.graph = graph
        self._ids = ids
        self._vtype = vtype
        self._label = label
        self._src = src
        self._dst = dst
        self._etype_codes, self._etype_names = pd.factorize(edges["type"], sort=True)
        self._etype_codes = np.asarray(self._etype_codes, dtype=np.int64)
        self._etype_names = np.asarray(self._etype_names, dtype=object)
        self._weight = edges["weight"].to_numpy(dtype=float)
        self._from_day = edges["_date_from_day"].to_numpy(dtype=np.int64)
        self._to_day = edges["_date_to_day"].to_numpy(dtype=np.int64)
        self._date_from = edges["date_from"].to_numpy(dtype=object)
        self._date_to = edges["date_to"].to_numpy(dtype=object)
        self._ref = edges["ref"].to_numpy(dtype=object)
        self._etype = edges["type"].to_numpy(dtype=object)
        self._simple: dict[tuple, _Simple] = {}

    # --- building ------------------------------------------------------------------------------

    @classmethod
    def from_tables(cls, edges, nodes=None) -> Graph:
        """The graph of ``edges`` (a DataFrame or dicts: ``source``, ``target`` required;
        ``type`` default "edge", ``weight`` default 1.0, ``date_from``/``date_to`` ISO dates or
        empty, ``ref`` the source record) and ``nodes`` (``id``, ``type``, ``label``). Ids the
        edges name but the nodes do not get type "unknown" and their id as label; nodes without
        edges are kept. Raises ValueError on a missing end, a bad weight or a bad date."""
        e = _edge_table(edges)
        v = _node_table(nodes)
        k = len(v)
        every = np.concatenate(
            (v["id"].to_numpy(dtype=object), e["source"].to_numpy(), e["target"].to_numpy())
        )
        codes, uniques = pd.factorize(every, sort=False)
        codes = np.asarray(codes, dtype=np.int64)
        m = len(e)
        src, dst = codes[k : k + m], codes[k + m :]
        ids = pd.Index(np.asarray(uniques, dtype=object), dtype=object)
        n = len(ids)
        vtype = np.full(n, UNKNOWN_NODE_TYPE, dtype=object)
        label = ids.to_numpy(dtype=object).copy()
        vtype[:k] = v["type"].to_numpy(dtype=object)
        label[:k] = v["label"].to_numpy(dtype=object)
        g = ig.Graph(n=n, edges=_pairs(src, dst), directed=False)
        g.vs["name"] = ids.tolist()
        g.vs["type"] = vtype.tolist()
        g.vs["label"] = label.tolist()
        for column in ("type", "weight", "date_from", "date_to", "ref"):
            g.es[column] = e[column].tolist()
        return cls(g, ids, e, vtype, label, src, dst)

    # --- looking up ----------------------------------------------------------------------------

    @property
    def node_count(self) -> int:
        return self.graph.vcount()

    @property
    def edge_count(self) -> int:
        return self.graph.ecount()

    def index(self, node_id: str) -> int:
        """The vertex index of ``node_id``; KeyError if the graph has no such node."""
        try:
            position = self._ids.get_loc(node_id)
        except (KeyError, TypeError):
            raise KeyError(node_id) from None
        return int(position)

    def has(self, node_id: str) -> bool:
        return node_id in self._ids

    def name(self, v: int) -> str:
        return self._ids[v]

    def node(self, v: int | str) -> dict:
        """``{id, type, label}`` of a vertex (by index or id)."""
        v = self.index(v) if isinstance(v, str) else int(v)
        return {"id": self._ids[v], "type": self._vtype[v], "label": self._label[v]}

    def type_mask(self, types: Iterable[str] | None) -> np.ndarray:
        """A boolean per source edge: its type is one of ``types`` (None: every edge)."""
        if types is None:
            return np.ones(self.edge_count, dtype=bool)
        wanted = np.flatnonzero(np.isin(self._etype_names, list(_set(types))))
        return np.isin(self._etype_codes, wanted)

    def date_mask(self, date_from=None, date_to=None) -> np.ndarray:
        """A boolean per source edge: its dates overlap [date_from, date_to] (either end open
        when None; an edge's missing date is an open end, so an undated edge always overlaps)."""
        lo = to_day(date_from)
        hi = to_day(date_to)
        ok = np.ones(self.edge_count, dtype=bool)
        if hi is not None:
            ok &= self._from_day <= hi
        if lo is not None:
            ok &= self._to_day >= lo
        return ok

    def records(self, eids) -> list[dict]:
        """Source edges as dicts ``{source, target, type, weight, date_from, date_to, ref}``."""
        eids = np.asarray(eids, dtype=np.int64)
        names = self._ids.to_numpy(dtype=object)
        columns = zip(
            names[self._src[eids]].tolist(),
            names[self._dst[eids]].tolist(),
            self._etype[eids].tolist(),
            self._weight[eids].tolist(),
            self._date_from[eids].tolist(),
            self._date_to[eids].tolist(),
            self._ref[eids].tolist(),
            strict=True,
        )
        return [dict(zip(EDGE_COLUMNS, row, strict=True)) for row in columns]

    def incident(self, v: int, mask: np.ndarray | None = None) -> np.ndarray:
        """The source edges at vertex ``v`` (each once, in edge order), those of ``mask`` only."""
        eids = np.unique(np.asarray(self.graph.incident(v), dtype=np.int64))
        return eids if mask is None else eids[mask[eids]]

    def other_end(self, eids: np.ndarray, v: int) -> np.ndarray:
        return self._src[eids] + self._dst[eids] - v

    def edges_of(self, node_id: str, types: Iterable[str] | None = None) -> list[dict]:
        """The node's source edges (of ``types``; None: all), in the order they were given."""
        v = self.index(node_id)
        return self.records(self.incident(v, None if types is None else self.type_mask(types)))

    def ties(self, node_id: str, types: Iterable[str] | None = None) -> list[dict]:
        """The node's neighbours with what joins them: ``{neighbour, label, types, weight,
        refs}`` (types sorted, refs in edge order), heaviest first, then by neighbour id."""
        v = self.index(node_id)
        eids = self.incident(v, None if types is None else self.type_mask(types))
        others = self.other_end(eids, v)
        eids, others = eids[others != v], others[others != v]
        if not len(eids):
            return []
        found: dict[int, dict] = {}
        for e, o in zip(eids.tolist(), others.tolist(), strict=True):
            tie = found.get(o)
            if tie is None:
                tie = found[o] = {
                    "neighbour": self._ids[o],
                    "label": self._label[o],
                    "types": set(),
                    "weight": 0.0,
                    "refs": [],
                }
            tie["types"].add(self._etype[e])
            tie["weight"] += float(self._weight[e])
            if self._ref[e] and self._ref[e] not in tie["refs"]:
                tie["refs"].append(self._ref[e])
        out = sorted(found.values(), key=lambda t: (-t["weight"], t["neighbour"]))
        for tie in out:
            tie["types"] = sorted(tie["types"])
        return out

    # --- the collapsed graph -------------------------------------------------------------------

    def simple(self, types=None, node_types=None) -> ig.Graph:
        """The collapsed graph: one edge per pair of nodes joined by an edge of ``types`` (None:
        all), ``weight`` the sum of their weights, ``types`` the sorted tuple of their types,
        ``count`` how many; loops dropped; only vertices of ``node_types`` (None: all, in the
        same order as :attr:`graph`, isolated ones included). Vertex attributes ``name``,
        ``type``, ``label``. Kept, so asking again is free; do not modify it."""
        return self._view(types, node_types).graph

    def _view(self, types=None, node_types=None) -> _Simple:
        key = (_key(types), _key(node_types))
        view = self._simple.get(key)
        if view is None:
            view = self._collapse(types, node_types)
            if len(self._simple) >= SIMPLE_CACHE_SIZE:
                self._simple.pop(next(iter(self._simple)))
            self._simple[key] = view
        return view

    def _collapse(self, types, node_types) -> _Simple:
        n = self.node_count
        mask = self.type_mask(types)
        if node_types is None:
            vertices, k, remap = None, n, None
        else:
            keep = np.isin(self._vtype, list(_set(node_types)))
            vertices = np.flatnonzero(keep)
            k = len(vertices)
            remap = np.full(n, -1, dtype=np.int64)
            remap[vertices] = np.arange(k)
            mask &= keep[self._src] & keep[self._dst]
        src, dst = self._src[mask], self._dst[mask]
        if remap is not None:
            src, dst = remap[src], remap[dst]
        weight, codes = self._weight[mask], self._etype_codes[mask]
        proper = src != dst
        src, dst, weight, codes = src[proper], dst[proper], weight[proper], codes[proper]
        lo, hi = np.minimum(src, dst), np.maximum(src, dst)
        pair, inverse = np.unique(lo * max(k, 1) + hi, return_inverse=True)
        inverse = inverse.ravel()
        lo, hi = pair // max(k, 1), pair % max(k, 1)
        summed = np.bincount(inverse, weights=weight, minlength=len(pair))
        count = np.bincount(inverse, minlength=len(pair))
        h = ig.Graph(n=k, edges=_pairs(lo, hi), directed=False)
        chosen = slice(None) if vertices is None else vertices
        h.vs["name"] = self._ids.to_numpy(dtype=object)[chosen].tolist()
        h.vs["type"] = self._vtype[chosen].tolist()
        h.vs["label"] = self._label[chosen].tolist()
        h.es["weight"] = summed.tolist()
        h.es["types"] = self._type_sets(inverse, codes, len(pair))
        h.es["count"] = count.tolist()
        return _Simple(h, vertices, lo, hi, summed)

    def _type_sets(self, inverse: np.ndarray, codes: np.ndarray, pairs: int) -> list[tuple]:
        """Per collapsed edge, the sorted tuple of its source edges' types: a bit mask per pair
        (up to 62 types), one tuple object per distinct mask."""
        names = self._etype_names
        if not pairs:
            return []
        if len(names) <= 62:
            masks = np.zeros(pairs, dtype=np.int64)
            np.bitwise_or.at(masks, inverse, np.left_shift(np.int64(1), codes))
            distinct, which = np.unique(masks, return_inverse=True)
            tuples = np.empty(len(distinct), dtype=object)
            for i, bits in enumerate(distinct.tolist()):
                tuples[i] = tuple(names[b] for b in range(len(names)) if bits >> b & 1)
            return tuples[which.ravel()].tolist()
        frame = pd.DataFrame({"pair": inverse, "type": names[codes]}).drop_duplicates()
        grouped = frame.sort_values("type").groupby("pair", sort=True)["type"].agg(tuple)
        return grouped.reindex(range(pairs)).tolist()

    # --- identity ------------------------------------------------------------------------------

    def fingerprint(self) -> str:
        """SHA-256 over the sorted source edges ``(source, target, type, ref)``, each edge's ends
        in id order (the graph is undirected): the same edges give the same fingerprint,
        whatever order or orientation they came in."""
        names = self._ids.to_numpy(dtype=object)
        order = np.argsort(names, kind="stable")
        rank = np.empty(len(names), dtype=np.int64)
        rank[order] = np.arange(len(names))
        lo = np.minimum(rank[self._src], rank[self._dst])
        hi = np.maximum(rank[self._src], rank[self._dst])
        refs, ref_names = pd.factorize(self._ref, sort=True)
        rows = np.lexsort((refs, self._etype_codes, hi, lo))  # as sorting the strings would
        by_rank = names[order]
        lines = zip(
            by_rank[lo[rows]].tolist(),
            by_rank[hi[rows]].tolist(),
            self._etype_names[self._etype_codes[rows]].tolist(),
            np.asarray(ref_names, dtype=object)[refs[rows]].tolist(),
            strict=True,
        )
        digest = hashlib.sha256()
        digest.update("\x1e".join(map("\x1f".join, lines)).encode("utf-8"))
        return digest.hexdigest()

    def __repr__(self) -> str:
        return f"<Graph {self.node_count} nodes, {self.edge_count} edges>"


def _pairs(a: np.ndarray, b: np.ndarray) -> list[tuple[int, int]]:
    """Edge ends as igraph takes them fastest (a list of pairs of Python ints)."""
    return list(zip(a.tolist(), b.tolist(), strict=True))


def _set(values) -> set[str]:
    if isinstance(values, str):
        return {values}
    return {str(v) for v in values}


def _key(values) -> frozenset | None:
    return None if values is None else frozenset(_set(values))

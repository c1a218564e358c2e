"""The graph engine on small graphs whose answers are worked out by hand (in the comments), and
sampled betweenness against exact on a random graph. Pure: no database."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from socmaster.network.engine import (
    BETWEENNESS_EXACT_LIMIT,
    FAN_OUT_CAP,
    Graph,
    brokers,
    communities,
    key_players,
    neighbourhood,
    shortest_path,
    whole_threat,
)


def edges(*pairs, **defaults) -> list[dict]:
    return [{"source": a, "target": b, **defaults} for a, b in pairs]


def clique(names) -> list[tuple[str, str]]:
    return [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]


def row(players, node) -> dict:
    return players.table.set_index("node").loc[node].to_dict()


# --- building ------------------------------------------------------------------------------------


def test_tables_become_a_multigraph_with_defaults():
    g = Graph.from_tables(
        pd.DataFrame(
            {
                "source": ["a", "a", "b"],
                "target": ["b", "b", "c"],
                "type": ["phone", "associate", None],
                "ref": ["r1", "r2", "r3"],
            }
        ),
        [{"id": "a", "type": "nominal", "label": "Alice"}, {"id": "z", "type": "threat"}],
    )
    assert (g.node_count, g.edge_count) == (4, 3)  # each source edge one edge; z kept alone
    assert g.graph.vs["name"] == ["a", "z", "b", "c"]  # the nodes table first
    assert g.node("a") == {"id": "a", "type": "nominal", "label": "Alice"}
    assert g.node("z")["label"] == "z"  # no label: its id
    assert g.node("c") == {"id": "c", "type": "unknown", "label": "c"}  # only in the edges
    assert g.graph.es["type"] == ["phone", "associate", "edge"]
    assert g.graph.es["weight"] == [1.0, 1.0, 1.0]
    assert g.graph.es["date_from"] == ["", "", ""]
    assert g.index("c") == 3 and g.has("z") and not g.has("q")
    with pytest.raises(KeyError):
        g.index("q")
    assert [e["ref"] for e in g.edges_of("a")] == ["r1", "r2"]
    assert [e["ref"] for e in g.edges_of("a", types=["phone"])] == ["r1"]


def test_ids_are_trimmed_the_first_node_row_counts_and_missing_weights_are_one():
    g = Graph.from_tables(
        [{"source": " a ", "target": "b", "weight": None}, {"source": "b", "target": "c"}],
        [{"id": "a", "label": "First"}, {"id": "a", "label": "Second"}],
    )
    assert g.graph.vs["name"] == ["a", "b", "c"]
    assert g.node("a")["label"] == "First"
    assert g.graph.es["weight"] == [1.0, 1.0]


def test_bad_tables_are_refused():
    with pytest.raises(ValueError, match="missing column"):
        Graph.from_tables([{"source": "a"}])
    with pytest.raises(ValueError, match="no target"):
        Graph.from_tables([{"source": "a", "target": ""}])
    with pytest.raises(ValueError, match="weight"):
        Graph.from_tables(edges(("a", "b"), weight=-1))
    with pytest.raises(ValueError, match="date_from"):
        Graph.from_tables(edges(("a", "b"), date_from="2024-02-30"))


def test_simple_collapses_parallel_edges_and_drops_loops():
    g = Graph.from_tables(
        [
            {"source": "a", "target": "b", "type": "phone", "weight": 2},
            {"source": "b", "target": "a", "type": "associate"},  # the same pair, reversed
            {"source": "a", "target": "b", "type": "phone"},
            {"source": "a", "target": "a", "type": "phone"},  # a loop
            {"source": "b", "target": "c", "type": "sar"},
        ],
        [{"id": "x", "type": "phone"}],
    )
    h = g.simple()
    assert h.vcount() == 4 and h.ecount() == 2 and not h.is_multiple().count(True)
    ab = h.es[h.get_eid(g.index("a"), g.index("b"))]
    assert ab["weight"] == 4.0 and ab["types"] == ("associate", "phone") and ab["count"] == 3
    assert g.simple(types=["phone"]).ecount() == 1  # only a-b is a phone tie
    assert g.simple(types=["phone"]).es[0]["weight"] == 3.0
    people = g.simple(node_types=["unknown"])
    assert people.vs["name"] == ["a", "b", "c"]  # the phone node x left out
    assert g.simple() is h  # kept


def test_fingerprint_ignores_order_and_orientation_but_not_records():
    one = Graph.from_tables(edges(("a", "b"), ("b", "c"), type="phone", ref="r"))
    two = Graph.from_tables(edges(("c", "b"), ("b", "a"), type="phone", ref="r"))
    three = Graph.from_tables(edges(("a", "b"), ("b", "c"), type="phone", ref="other"))
    four = Graph.from_tables(edges(("a", "b"), ("b", "c"), type="sar", ref="r"))
    assert one.fingerprint() == two.fingerprint() != three.fingerprint()
    assert four.fingerprint() != one.fingerprint()


# --- key players ---------------------------------------------------------------------------------


def test_path_degree_betweenness_coreness():
    # a - b - c - d - e
    # betweenness (each unordered pair once): b lies inside a-c, a-d, a-e = 3; c inside a-d, a-e,
    # b-d, b-e = 4; d: 3 (mirror of b); the ends 0. Every node is in the 1-core, none in the 2.
    g = Graph.from_tables(edges(("a", "b"), ("b", "c"), ("c", "d"), ("d", "e")))
    players = key_players(g)
    assert not players.betweenness_sampled and players.samples is None
    expected = {"a": (1, 0), "b": (2, 3), "c": (2, 4), "d": (2, 3), "e": (1, 0)}
    for node, (degree, betweenness) in expected.items():
        r = row(players, node)
        assert (r["degree"], r["betweenness"], r["coreness"]) == (degree, betweenness, 1)


def test_star_pagerank_sums_to_one_and_the_centre_ranks_first():
    # A star of 5 leaves: the centre lies on every leaf-leaf path, C(5, 2) = 10 pairs.
    g = Graph.from_tables(edges(*[("hub", f"leaf{i}") for i in range(5)]))
    players = key_players(g)
    assert players.table["pagerank"].sum() == pytest.approx(1.0)
    assert players.table.iloc[0]["node"] == "hub"
    assert list(players.table["pagerank"]) == sorted(players.table["pagerank"], reverse=True)
    # PageRank with damping d = 0.85 over n = 6: the centre c = (1 - d)/6 + d * 5 l and each
    # leaf l = (1 - d)/6 + d * c / 5, so c = (1 + 5d) / (6 (1 + d)) = 5.25 / 11.1.
    assert row(players, "hub")["pagerank"] == pytest.approx(5.25 / 11.1)
    hub = row(players, "hub")
    assert (hub["degree"], hub["betweenness"], hub["coreness"]) == (5, 10, 1)


def test_degree_counts_distinct_neighbours_and_pagerank_is_weighted():
    # a =10= b -1- c: degree counts b's two neighbours once each; a's heavy tie gives it more
    # PageRank than c, though their degrees are the same.
    g = Graph.from_tables(
        [
            {"source": "a", "target": "b", "weight": 6},
            {"source": "a", "target": "b", "weight": 4},
            {"source": "b", "target": "c", "weight": 1},
        ]
    )
    players = key_players(g)
    assert row(players, "b")["degree"] == 2
    assert row(players, "a")["weighted_degree"] == 10.0
    assert row(players, "a")["pagerank"] > row(players, "c")["pagerank"]


def test_barbell_coreness_and_the_bridge_as_top_broker():
    # Two 4-cliques A (a1..a4) and B (b1..b4) joined through x: a1 - x - b1.
    # x: every A-B pair (4 x 4 = 16) passes through it, nothing else: 16.
    # a1: pairs of {a2, a3, a4} with {x, b1..b4}: 3 x 5 = 15.
    # Coreness: the cliques are 3-cores; x has two neighbours, both in the 2-core: 2.
    a, b = [f"a{i}" for i in range(1, 5)], [f"b{i}" for i in range(1, 5)]
    g = Graph.from_tables(edges(*clique(a), *clique(b), ("a1", "x"), ("x", "b1")))
    players = key_players(g)
    assert row(players, "x")["betweenness"] == 16
    assert row(players, "a1")["betweenness"] == 15
    assert row(players, "a2")["betweenness"] == 0
    assert row(players, "x")["coreness"] == 2 and row(players, "a3")["coreness"] == 3
    community = communities(g)
    assert community["a2"] != community["b2"]
    found = brokers(g, community, players)
    assert found[0].node == "x"
    assert set(found[0].communities) == {community["a2"], community["b2"]}
    assert {b.node for b in found} <= {"x", "a1", "b1"}  # clique insiders reach one community
    assert sum(found[0].ties_by_community.values()) == 2  # x's two neighbours
    assert len(brokers(g, community, players, limit=1)) == 1
    assert brokers(g, community, players, min_communities=3) == []


def test_a_broker_working_with_two_groups_ranks_above_a_chance_bridge():
    # Cliques A (6), B (5), C (5). x joins A and B with one tie each: every A-to-rest path passes
    # x, 6 x (5 + 5 + 1) = 66. y has two ties into B and two into C: C-to-rest, 5 x (6 + 5 + 1)
    # = 60. x has the higher betweenness, but y reaches the other group strongly, so ranks first.
    a = [f"a{i}" for i in range(6)]
    b = [f"b{i}" for i in range(5)]
    c = [f"c{i}" for i in range(5)]
    ties = [("a0", "x"), ("x", "b0"), ("y", "b1"), ("y", "b2"), ("y", "c0"), ("y", "c1")]
    g = Graph.from_tables(edges(*clique(a), *clique(b), *clique(c), *ties))
    players = key_players(g)
    assert row(players, "x")["betweenness"] == 66
    assert row(players, "y")["betweenness"] == 60
    community = communities(g)
    assert len({community[a[1]], community[b[3]], community[c[3]]}) == 3
    found = [broker.node for broker in brokers(g, community, players)]
    assert found[:2] == ["y", "x"]
    # Asking for three ties in each community makes y's reach weak again: betweenness decides.
    found = [broker.node for broker in brokers(g, community, players, strong_ties=3)]
    assert found[0] == "x" and found.index("y") > 0


def test_reasons_are_the_heaviest_ties_with_their_records():
    g = Graph.from_tables(
        [
            {"source": "a", "target": "b", "type": "phone", "weight": 1, "ref": "p:1"},
            {"source": "a", "target": "b", "type": "sar", "weight": 2, "ref": "s:1"},
            {"source": "c", "target": "a", "type": "phone", "weight": 1, "ref": "p:2"},
            {"source": "a", "target": "d", "type": "sar", "weight": 5, "ref": "s:2"},
        ]
    )
    players = key_players(g, types=["phone", "sar"])
    reasons = players.reasons("a", limit=2)
    assert [r["neighbour"] for r in reasons] == ["d", "b"]
    assert reasons[1] == {
        "neighbour": "b",
        "label": "b",
        "types": ["phone", "sar"],
        "weight": 3.0,
        "refs": ["p:1", "s:1"],
    }
    assert [r["neighbour"] for r in players.reasons("a", types=["phone"])] == ["b", "c"]


def test_key_players_tells_progress():
    seen = []
    key_players(Graph.from_tables(edges(("a", "b"))), progress=lambda *a: seen.append(a))
    assert [s[0] for s in seen] == ["degree", "pagerank", "coreness", "betweenness"]
    assert seen[-1][1] == seen[-1][2]  # the last step is the last


def _ranks(values: np.ndarray) -> np.ndarray:
    """Average ranks (ties share the mean of their positions)."""
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values))
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    return (sums / counts)[inverse]


def test_sampled_betweenness_estimates_the_exact_value():
    rng = np.random.default_rng(7)
    n, m = 5600, 8400
    pairs = rng.integers(0, n, size=(m, 2))
    g = Graph.from_tables(
        pd.DataFrame({"source": [f"v{i}" for i in pairs[:, 0]], "target": pairs[:, 1].astype(str)})
    )
    assert g.node_count > BETWEENNESS_EXACT_LIMIT
    players = key_players(g, seed=3, samples=256)
    assert players.betweenness_sampled and players.samples == 256
    table = players.table.set_index("node").reindex(g.simple().vs["name"])
    sampled = table["betweenness"].to_numpy()
    exact = np.asarray(g.simple().betweenness(directed=False))
    rho = np.corrcoef(_ranks(sampled), _ranks(exact))[0, 1]
    assert rho > 0.8
    # Scaled by n / k, the estimate's total is the exact total's (within sampling error).
    assert sampled.sum() == pytest.approx(exact.sum(), rel=0.1)
    # The default, fewer sources, still finds many of the top 50 (about half on this flat graph).
    default = key_players(g, seed=3).table.set_index("node")["betweenness"]
    assert default.sum() == pytest.approx(exact.sum(), rel=0.25)
    top = set(pd.Series(exact, index=g.simple().vs["name"]).nlargest(50).index)
    assert len(top & set(default.nlargest(50).index)) >= 15


def test_sampling_every_source_gives_the_exact_value():
    # With k = n sources the scaled sum is the exact betweenness: the scaling is right.
    g = Graph.from_tables(edges(*clique(["a", "b", "c"]), ("c", "d"), ("d", "e"), ("e", "f")))
    exact = key_players(g).table.set_index("node")["betweenness"]
    sampled = key_players(g, exact_limit=0, samples=100)
    assert sampled.betweenness_sampled and sampled.samples == 6
    assert sampled.table.set_index("node")["betweenness"].to_dict() == pytest.approx(
        exact.to_dict()
    )


# --- communities ---------------------------------------------------------------------------------


def test_two_cliques_joined_by_one_edge_are_two_communities():
    left, right = [f"l{i}" for i in range(5)], [f"r{i}" for i in range(5)]
    g = Graph.from_tables(edges(*clique(left), *clique(right), ("l0", "r0")))
    for implementation in ("igraph", "leidenalg"):
        community = communities(g, implementation=implementation)
        assert {community[x] for x in left} == {0}  # equal sizes: the first vertex's is 0
        assert {community[x] for x in right} == {1}
    assert communities(g, seed=5) == communities(g, seed=5)


def test_communities_are_numbered_by_size_and_isolated_nodes_stand_alone():
    small, big = ["s0", "s1", "s2"], [f"b{i}" for i in range(6)]
    g = Graph.from_tables(edges(*clique(small), *clique(big)), [{"id": "alone"}, {"id": "alone2"}])
    community = communities(g)
    assert {community[x] for x in big} == {0}
    assert {community[x] for x in small} == {1}
    assert {community["alone"], community["alone2"]} == {2, 3}


def test_resolution_splits_more_finely():
    # Two triangles sharing a tie: at a low resolution one community, at a high one more.
    g = Graph.from_tables(edges(*clique(["a", "b", "c"]), *clique(["d", "e", "f"]), ("c", "d")))
    assert len(set(communities(g, resolution=0.05).values())) == 1
    assert len(set(communities(g, resolution=1.0).values())) == 2


# --- whole threat --------------------------------------------------------------------------------


def _threat_graph():
    members = [f"m{i}" for i in range(5)]
    other = [f"o{i}" for i in range(6)]
    rows = edges(*clique(members), type="assoc")
    rows += edges(("h", "m0"), ("h", "m1"), type="assoc", ref="tie")  # the planted hidden member
    rows += [{"source": "m0", "target": "h", "type": "phone", "ref": "phone"}]
    rows += edges(("s", "m2"), type="assoc")  # tied to one member only
    rows += edges(*clique(other), type="assoc")  # another group, with two ties in
    rows += edges(("o0", "m3"), ("o0", "m4"), type="assoc")
    rows += edges(("h", "m2"), ("h", "m3"), type="member")  # membership is not evidence
    return Graph.from_tables(rows), members


def test_whole_threat_finds_the_hidden_member_and_only_it():
    g, members = _threat_graph()
    types = ["assoc", "phone"]
    community = communities(g, types=types)
    assert community["h"] == community["m0"] != community["o0"]
    result = whole_threat(g, {"t:1": members}, community, types=types)
    assert [(x.threat, x.node) for x in result.hidden] == [("t:1", "h")]
    (hidden,) = result.hidden
    assert hidden.ties == 2 and hidden.weight == 3.0  # two members; three edges of weight 1
    assert hidden.community == community["m0"]
    assert sorted(e["ref"] for e in hidden.evidence) == ["phone", "tie", "tie"]
    assert not result.splits
    assert whole_threat(g, {"t:1": members}, community, types=types, min_ties=3).hidden == []
    unknown = whole_threat(g, {"t:1": [*members, "not-in-graph"]}, community, types=types)
    assert [x.node for x in unknown.hidden] == ["h"]
    # Counting membership edges too, h would be tied to four members.
    everything = whole_threat(g, {"t:1": members}, communities(g))
    assert {x.node: x.ties for x in everything.hidden}.get("h") == 4


def test_whole_threat_orders_by_ties_then_weight():
    members = ["m0", "m1", "m2", "m3"]
    rows = edges(*clique(members))
    rows += edges(("p", "m0"), ("p", "m1"), ("p", "m2"))  # three ties
    rows += edges(("q", "m0"), ("q", "m1"), weight=5)  # two heavy ties
    rows += edges(("r", "m2"), ("r", "m3"))  # two light ties
    g = Graph.from_tables(rows)
    community = {node: 0 for node in g.simple().vs["name"]}
    result = whole_threat(g, {"t": members}, community)
    assert [x.node for x in result.hidden] == ["p", "q", "r"]


def test_a_threat_in_two_separate_groups_is_reported_as_split():
    first, second = ["a0", "a1", "a2", "a3"], ["b0", "b1", "b2"]
    g = Graph.from_tables(edges(*clique(first), *clique(second), *clique(["c0", "c1", "c2"])))
    community = communities(g)
    result = whole_threat(
        g, {"split": first + second, "whole": first, "odd": first + ["c0"]}, community
    )
    assert [s.threat for s in result.splits] == ["split"]  # "odd" has one member apart
    assert result.splits[0].parts == [first, second]  # largest first
    assert [
        s.threat for s in whole_threat(g, {"odd": first + ["c0"]}, community, min_part=1).splits
    ] == ["odd"]


# --- paths and neighbourhoods --------------------------------------------------------------------


def test_shortest_path_gives_the_source_edges_in_order():
    g = Graph.from_tables(
        [
            {"source": "a", "target": "b", "type": "phone", "ref": "1"},
            {"source": "c", "target": "b", "type": "sar", "ref": "2", "weight": 1},
            {"source": "b", "target": "c", "type": "phone", "ref": "3", "weight": 2},
            {"source": "c", "target": "d", "type": "sar", "ref": "4"},
            {"source": "a", "target": "x", "type": "sar", "ref": "5"},
            {"source": "x", "target": "y", "type": "sar", "ref": "6"},
            {"source": "y", "target": "z", "type": "sar", "ref": "7"},
            {"source": "z", "target": "d", "type": "sar", "ref": "8"},
        ],
        [{"id": "island"}],
    )
    path = shortest_path(g, "a", "d")
    assert [(e["source"], e["target"], e["ref"]) for e in path] == [
        ("a", "b", "1"),
        ("b", "c", "3"),  # the heavier of the two b-c edges, oriented along the path
        ("c", "d", "4"),
    ]
    assert path[0] == {
        "source": "a",
        "target": "b",
        "type": "phone",
        "weight": 1.0,
        "date_from": "",
        "date_to": "",
        "ref": "1",
    }
    assert [e["ref"] for e in shortest_path(g, "a", "d", types=["sar"])] == ["5", "6", "7", "8"]
    assert shortest_path(g, "a", "island") == []
    assert shortest_path(g, "a", "a") == []
    with pytest.raises(KeyError):
        shortest_path(g, "a", "nobody")


def test_neighbourhood_steps_and_depths():
    g = Graph.from_tables(edges(("c", "a"), ("a", "b"), ("b", "far")))
    one = neighbourhood(g, ["c"], steps=1)
    assert [(n["id"], n["depth"]) for n in one.nodes] == [("c", 0), ("a", 1)]
    assert [(e["source"], e["target"]) for e in one.edges] == [("c", "a")]
    two = neighbourhood(g, ["c"], steps=2)
    assert [(n["id"], n["depth"]) for n in two.nodes] == [("c", 0), ("a", 1), ("b", 2)]
    assert len(two.edges) == 2  # b-far leads out of the neighbourhood
    with pytest.raises(KeyError):
        neighbourhood(g, ["nobody"])


def test_neighbourhood_caps_the_fan_out_heaviest_first():
    rows = [{"source": "hub", "target": f"p{i:02d}", "weight": i + 1} for i in range(30)]
    rows.append({"source": "p29", "target": "p28"})  # between two kept nodes
    g = Graph.from_tables(rows)
    sub = neighbourhood(g, ["hub"], steps=1)
    kept = {n["id"] for n in sub.nodes} - {"hub"}
    assert len(kept) == FAN_OUT_CAP
    assert kept == {f"p{i:02d}" for i in range(5, 30)}  # the 25 heaviest
    assert sub.more == {"hub": 5}
    assert {(e["source"], e["target"]) for e in sub.edges} >= {("p29", "p28")}
    assert len(sub.edges) == FAN_OUT_CAP + 1
    assert neighbourhood(g, ["hub"], steps=1, cap=None).more == {}
    assert neighbourhood(g, ["hub"], steps=1, cap=3).more == {"hub": 27}


def test_neighbourhood_filters_types_and_dates():
    g = Graph.from_tables(
        [
            {"source": "c", "target": "undated", "type": "phone"},
            {
                "source": "c",
                "target": "old",
                "type": "phone",
                "date_from": "2020-01-01",
                "date_to": "2020-12-31",
            },
            {"source": "c", "target": "ongoing", "type": "phone", "date_from": "2019-05-01"},
            {"source": "c", "target": "later", "type": "phone", "date_from": "2022-01-01"},
            {"source": "c", "target": "sar", "type": "sar"},
        ]
    )
    ids = lambda sub: {n["id"] for n in sub.nodes} - {"c"}  # noqa: E731
    assert ids(neighbourhood(g, ["c"], types=["phone"])) == {"undated", "old", "ongoing", "later"}
    dated = neighbourhood(g, ["c"], types=["phone"], date_from="2021-01-01", date_to="2021-06-30")
    assert ids(dated) == {"undated", "ongoing"}
    assert ids(neighbourhood(g, ["c"], date_to="2020-06-01")) == {
        "undated",
        "old",
        "ongoing",
        "sar",
    }
    assert ids(neighbourhood(g, ["c"], date_from="2021-01-01")) == {
        "undated",
        "ongoing",
        "later",
        "sar",
    }

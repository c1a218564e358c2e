"""The synthetic association structure (``synth.network``): the plan over a generated dataset,
its ground truth, and the benchmark's stress graph. All of it is invented."""

from __future__ import annotations

import json
from collections import defaultdict
from itertools import combinations
from pathlib import Path

import pytest

from socmaster.synth import OrgSpec, generate
from socmaster.synth.network import association_plan, stress_graph

DATA = (
    Path(__file__).resolve().parents[2]
    / "src"
    / "socmaster"
    / "organisations"
    / "data"
    / "organisations.json"
)
KINDS = {"associate", "family", "partner", "co_offender", "business", "communication"}


@pytest.fixture(scope="module")
def orgs():
    rows = json.loads(DATA.read_text())["organisations"]
    return [
        OrgSpec(
            o["key"], o["name"], o["type"], o["key"] if o["type"] == "region" else o.get("region")
        )
        for o in rows
    ]


@pytest.fixture(scope="module")
def small(orgs):
    """About 90 threats and 800 nominals, drawn as the national picture is."""
    return generate("0.02", 5, orgs, disruptions=0)


@pytest.fixture(scope="module")
def plan(small):
    return association_plan(small)


def ties_of(plan) -> dict[str, set[str]]:
    """Who is tied to whom: a recorded association, or an identifier both hold."""
    ties: dict[str, set[str]] = defaultdict(set)
    for a in plan.associations:
        ties[a.nominal].add(a.other)
        ties[a.other].add(a.nominal)
    holders: dict[tuple[str, str], set[str]] = defaultdict(set)
    for ref, kind, value in plan.shared_identifiers:
        holders[(kind, value)].add(ref)
    for people in holders.values():
        for a, b in combinations(sorted(people), 2):
            ties[a].add(b)
            ties[b].add(a)
    return ties


def members_of(dataset, current_only: bool = False) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for m in dataset.members:
        if not current_only or m.to_date is None:
            out[m.threat].add(m.nominal)
    return out


def test_the_plan_is_deterministic_for_a_seed(small, plan, orgs):
    again = association_plan(small)
    assert again.associations == plan.associations
    assert again.shared_identifiers == plan.shared_identifiers
    assert again.truth == plan.truth
    other = association_plan(generate("0.02", 6, orgs, disruptions=0))
    assert other.associations != plan.associations


def test_generate_keeps_the_plan_truth_and_its_other_outputs(small, plan, orgs):
    assert small.truth["network"] == plan.truth
    # The plan draws from its own random source: the rest of the dataset is what it was.
    assert set(small.truth) - {"network", "gateway", "meetings"} == {
        "same_person",
        "variant_kind",
        "threats_by_owner",
        "threats_by_type",
        "threats_by_tier",
        "owner_weights",
        "regions",
        "disruptions_by_status",
        "plan_faults",
        "plan_copied_from",
        "unstaffed_partners",
    }


def test_no_self_ties_or_duplicates_and_pairs_are_ordered(small, plan):
    refs = {n.reference for n in small.nominals}
    keys = [(a.nominal, a.other, a.kind) for a in plan.associations]
    assert len(keys) == len(set(keys)) > 5 * len(small.threats)
    assert all(a.nominal < a.other for a in plan.associations)  # no self-ties, each pair once
    assert {a.kind for a in plan.associations} == KINDS
    assert all(a.nominal in refs and a.other in refs for a in plan.associations)
    for a in plan.associations:
        assert a.from_date is not None and a.from_date <= small.today
        assert a.to_date is None or a.from_date <= a.to_date <= small.today


def test_shared_identifiers_are_new_values_held_by_two_or_three(small, plan):
    holders: dict[tuple[str, str], list[str]] = defaultdict(list)
    for ref, kind, value in plan.shared_identifiers:
        holders[(kind, value)].append(ref)
    assert {k for k, _ in holders} == {"phone", "address", "vehicle"}
    assert all(2 <= len(people) == len(set(people)) <= 3 for people in holders.values())
    existing = {(k, v) for n in small.nominals for k, v in n.identifiers}
    assert not set(holders) & existing


def test_each_threats_current_members_are_tied_densely(small, plan):
    ties = ties_of(plan)
    degrees = []
    for members in members_of(small, current_only=True).values():
        if len(members) < 7:
            continue
        degrees += [len(ties[p] & members) for p in members]
    degrees.sort()
    median = degrees[len(degrees) // 2]
    assert 3 <= median <= 6 and degrees[len(degrees) // 10] >= 2


def test_hidden_members_are_not_members_and_are_tied_to_three_or_more(small, plan):
    ties, members = ties_of(plan), members_of(small)
    hidden = plan.truth["hidden_members"]
    assert len({t for t, _ in hidden}) == round(0.08 * len(small.threats))
    for threat, person in hidden:
        assert person not in members[threat]
        assert len(ties[person] & members[threat]) >= 3


def test_brokers_are_tied_into_two_or_more_threats(small, plan):
    ties, members = ties_of(plan), members_of(small)
    brokers = plan.truth["brokers"]
    assert len(brokers) == round(0.01 * len(small.nominals))
    for person in brokers:
        into = [t for t, m in members.items() if len(ties[person] & (m - {person})) >= 2]
        assert len(into) >= 2, person


def test_split_threats_parts_have_no_ties_between_them(small, plan):
    ties, members = ties_of(plan), members_of(small)
    split = plan.truth["split_threats"]
    assert len(split) == round(0.03 * len(small.threats))
    for s in split:
        first, second = (set(p) for p in s["parts"])
        assert len(first) >= 3 and len(second) >= 3 and not first & second
        assert first | second == members[s["threat"]]
        assert all(not ties[p] & second for p in first)
        # Each part is still a group: its people are tied among themselves.
        assert all(ties[p] & first for p in first if len(first) > 1)


def test_people_in_two_threats_are_tied_into_both(small, plan):
    ties, current = ties_of(plan), members_of(small, current_only=True)
    threats_of: dict[str, list[str]] = defaultdict(list)
    for t, people in current.items():
        for p in people:
            threats_of[p].append(t)
    doubles = [(p, ts) for p, ts in threats_of.items() if len(ts) == 2]
    assert doubles
    for person, threats in doubles:
        for t in threats:
            if len(current[t]) > 1:
                assert ties[person] & current[t], (person, t)


def test_a_cut_dataset_gets_a_plan_over_what_it_holds(small):
    import dataclasses

    kept = {t.reference for t in small.threats[:20]}
    members = [m for m in small.members if m.threat in kept]
    names = {m.nominal for m in members}
    cut = dataclasses.replace(
        small,
        threats=small.threats[:20],
        nominals=[n for n in small.nominals if n.reference in names],
        members=members,
        truth={},
    )
    plan = association_plan(cut)
    assert plan.associations
    assert {a.nominal for a in plan.associations} | {a.other for a in plan.associations} <= names
    assert {ref for ref, _, _ in plan.shared_identifiers} <= names


@pytest.fixture(scope="module")
def stress():
    return stress_graph(3, 20_000)


def test_stress_graph_size_columns_and_truth(stress):
    edges, nodes = stress.edges, stress.nodes
    assert abs(len(edges) - 20_000) <= 0.02 * 20_000
    assert list(edges.columns) == [
        "source",
        "target",
        "type",
        "weight",
        "date_from",
        "date_to",
        "ref",
    ]
    assert list(nodes.columns) == ["id", "type", "label"]
    assert set(edges["source"]) | set(edges["target"]) <= set(nodes["id"])
    assert set(nodes["type"]) == {"nominal", "phone", "address"}
    assert (edges["source"] != edges["target"]).all()
    pairs = {tuple(sorted(p)) for p in zip(edges["source"], edges["target"], strict=True)}
    assert len(pairs) == len(edges)  # each pair once
    assert nodes["id"].is_unique and edges["ref"].is_unique
    phones = nodes.loc[nodes["type"] == "phone", "id"]
    assert phones.str.match(r"^phone:07\d{9}$").all()
    assert nodes.loc[nodes["type"] == "address", "id"].str.startswith("address:").all()

    ends = set(edges["source"]) | set(edges["target"])
    brokers = stress.truth["brokers"]
    assert brokers and set(brokers) <= ends
    hidden = [p for people in stress.truth["hidden"].values() for p in people]
    assert hidden and set(hidden) <= ends and not set(hidden) & set(stress.truth["groups"])
    groups = stress.truth["groups"]
    assert any(len(g) > 1 for g in groups.values())  # people in several groups
    sizes: dict[str, int] = defaultdict(int)
    for person_groups in groups.values():
        for g in person_groups:
            sizes[g] += 1
    assert min(sizes.values()) >= 4 and max(sizes.values()) <= 200


def test_stress_graph_is_deterministic_and_hits_other_sizes(stress):
    again = stress_graph(3, 20_000)
    assert again.edges.equals(stress.edges) and again.nodes.equals(stress.nodes)
    assert again.truth == stress.truth
    assert not stress_graph(4, 20_000).edges.equals(stress.edges)
    for size in (2_000, 50_000):
        assert abs(len(stress_graph(1, size).edges) - size) <= 0.02 * size


@pytest.mark.django_db
def test_loading_the_demo_dataset_writes_the_plan():
    from collections import Counter

    from socmaster.network.models import Association
    from socmaster.threats.models import Identifier
    from socmaster.web.synthetic import load_dataset, organisation_specs, remove_synthetic

    dataset = generate("demo", 2026, organisation_specs(), disruptions=0)
    plan = association_plan(dataset)
    own = sum(len(n.identifiers) for n in dataset.nominals)
    steps: list[tuple[int, int]] = []
    counts = load_dataset(
        dataset,
        lambda name, done, total: steps.append((done, total)) if name == "associations" else None,
    )
    assert counts["associations"] == Association.objects.count() == len(plan.associations) > 1000
    assert counts["shared identifiers"] == len(plan.shared_identifiers) > 500
    assert Identifier.objects.filter(nominal__reference__startswith="SYN-N-").count() == (
        own + len(plan.shared_identifiers)
    )
    total = len(plan.associations) + len(plan.shared_identifiers)
    assert steps[0] == (0, total) and steps[-1] == (total, total) and len(steps) > 2
    assert not Association.objects.exclude(recorded_by=None).exists()

    # The pairs as the plan has them, by reference.
    stored = set(Association.objects.values_list("nominal__reference", "other__reference", "kind"))
    assert stored == {(a.nominal, a.other, a.kind) for a in plan.associations}
    # Each shared value is held by the two or three nominals the plan gives it, and by nobody
    # else (the plan's own folding of values is the model's).
    from socmaster.synth.network import _fold
    from socmaster.threats.models import normalise_identifier

    shared = {
        (kind, normalise_identifier(kind, value)) for _, kind, value in plan.shared_identifiers
    }
    assert shared == {(kind, _fold(kind, value)) for _, kind, value in plan.shared_identifiers}
    held = Counter(
        (kind, normalised)
        for kind, normalised in Identifier.objects.values_list("kind", "normalised")
        if (kind, normalised) in shared
    )
    assert len(held) == len(shared) and set(held.values()) <= {2, 3}

    remove_synthetic()
    assert not Association.objects.exists()

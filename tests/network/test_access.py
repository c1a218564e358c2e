"""No node or tie a user may not see reaches any metric, chart, path or export: a hand-written
access table over a small synthetic world.

The world (Durham owns everything; all synthetic):

    threat T (region handling): members A, B, C (C's nominal is owner-only: Durham alone)
    A and C share a phone;  A–B and B–C are recorded associates;
    a disruption of T names A and C;  D (national) is an associate of A, not a member,
    and shares a postcode with B: D is tied to two of T's members.

Who sees what, worked out by hand from docs/access-and-audit.md:

    user              T    A    B    C    D    A–C phone  B–C tie  disruption A–C
    owner analyst     yes  yes  yes  yes  yes  yes        yes      yes
    same-region       yes  yes  yes  no   yes  no         no       no
    other region      no   no   no   no   yes  no         no       no
    unshared partner  no   no   no   no   no   no         no       no
"""

from __future__ import annotations

import io
import zipfile

import igraph as ig
import pytest

from socmaster.disruptions import services as disruption_services
from socmaster.disruptions.models import Tactic
from socmaster.network import build, engine, services
from socmaster.network.models import Association
from socmaster.organisations.models import Organisation
from socmaster.threats.models import Identifier, Nominal, Threat, ThreatMember
from tests.access import same_body

OWNER = "force-durham"
TODAY_YEAR = 2026

#: Nominal letters each user may see (hand-written; see the module's table).
SEES = {
    "owner": {"A", "B", "C", "D"},
    "same_region": {"A", "B", "D"},
    "other_region": {"D"},
    "partner": set(),
}
#: Does the user see the threat?
SEES_THREAT = {"owner": True, "same_region": True, "other_region": False, "partner": False}
#: Each user's person-graph degree of A (distinct nominals tied to A), by hand.
DEGREE_OF_A = {"owner": 3, "same_region": 2, "other_region": None, "partner": None}


@pytest.fixture
def world(db, make_user):
    durham = Organisation.objects.get(key=OWNER)
    people = {
        "owner": make_user(OWNER, "analyst"),
        "same_region": make_user("rocu-north-east", "analyst"),
        "other_region": make_user("force-west-yorkshire", "analyst"),
        "partner": make_user("partner-middlesbrough-council", "partner_user"),
    }

    def nominal(letter, handling):
        return Nominal.objects.create(
            reference=f"NOM-NET-{letter}",
            family_name=f"Netperson{letter}",
            given_names="Synthetic",
            owner=durham,
            handling=handling,
        )

    n = {
        "A": nominal("A", "region"),
        "B": nominal("B", "region"),
        "C": nominal("C", "owner"),
        "D": nominal("D", "national"),
    }
    threat = Threat.objects.create(
        reference="NET-T1",
        name="Synthetic network OCG",
        owner=durham,
        handling="region",
        threat_type="ocg",
        lro=people["owner"],
    )
    for letter in "ABC":
        ThreatMember.objects.create(threat=threat, nominal=n[letter], role="significant")
    Identifier.objects.create(nominal=n["A"], kind="phone", value="07700 900111")
    Identifier.objects.create(nominal=n["C"], kind="phone", value="07700900111")
    Identifier.objects.create(nominal=n["B"], kind="postcode", value="DH1 1AA")
    Identifier.objects.create(nominal=n["D"], kind="postcode", value="dh11aa")
    Association.objects.create(nominal=n["A"], other=n["B"], kind="associate")
    Association.objects.create(nominal=n["B"], other=n["C"], kind="family")
    Association.objects.create(nominal=n["A"], other=n["D"], kind="associate")
    disruption = disruption_services.record_disruption(
        people["owner"],
        threat,
        recording_organisation=durham,
        event_date=threat.created_at.date(),
        team="Op Synthetic",
        four_p="pursue",
        category="major",
        tactic=Tactic.objects.get(code="arrest"),
        narrative="Arrests made.",
        evidence="Ref 1",
    )
    disruption.nominals.set([n["A"], n["C"]])
    return people, n, threat


def _letters(n, node_ids) -> set[str]:
    by_node = {build.nominal_node(v.pk): k for k, v in n.items()}
    return {by_node[i] for i in node_ids if i in by_node}


@pytest.mark.parametrize("who", list(SEES))
def test_the_visible_network_holds_only_what_the_user_may_see(world, who):
    people, n, threat = world
    network = build.visible_network(people[who])
    nominals = _letters(n, network.labels)
    assert nominals == SEES[who]
    assert (build.threat_node(threat.pk) in network.labels) is SEES_THREAT[who]
    for edge in network.edges:
        assert edge[0] in network.labels and edge[1] in network.labels
    refs = " ".join(e[6] for e in network.edges)
    # C's phone (its identifier record) and the B–C association only for the owner.
    c_phone = Identifier.objects.get(nominal=n["C"], kind="phone")
    assert (f"threats.identifier:{c_phone.pk}" in refs) is (who == "owner")
    b_c = Association.objects.get(nominal=n["B"], other=n["C"])
    assert (f"network.association:{b_c.pk}" in refs) is (who == "owner")
    assert ("disruptions.disruption:" in refs) is (who == "owner")


@pytest.mark.parametrize("who", list(SEES))
def test_key_players_count_only_visible_ties(world, who):
    people, n, _threat = world
    network = build.visible_network(people[who])
    graph = network.person_graph()
    players = engine.key_players(graph).table.set_index("node")
    assert _letters(n, players.index) == SEES[who]
    a = build.nominal_node(n["A"].pk)
    if DEGREE_OF_A[who] is None:
        assert a not in players.index
    else:
        assert players.loc[a, "degree"] == DEGREE_OF_A[who]


@pytest.mark.parametrize("who", ["owner", "same_region"])
def test_a_threat_panel_suggests_the_tied_non_member_from_visible_evidence(world, who):
    people, n, threat = world
    data = services.threat_network(people[who], threat)
    assert data["members"] == (3 if who == "owner" else 2)
    suggested = {h["ref"] for h in data["hidden"]}
    # D is tied to A (associate) and B (shared postcode): two members either way.
    assert suggested == {"NOM-NET-D"}
    text = repr(data)
    assert ("NOM-NET-C" in text) is (who == "owner")


@pytest.mark.parametrize("who", list(SEES))
def test_the_chart_data_page_shows_only_visible_nodes(world, who, web):
    people, n, threat = world
    client = web(people[who])
    response = client.get(f"/network/chart/threat/{threat.reference}/data.json")
    missing = client.get("/network/chart/threat/NONE-0/data.json")
    if not SEES_THREAT[who]:
        assert response.status_code == missing.status_code == 404
        assert same_body(response.content, missing.content)
        return
    assert response.status_code == 200
    data = response.json()
    ids = {node["id"] for node in data["nodes"]}
    assert _letters(n, ids) == SEES[who]
    body = response.content.decode()
    assert ("NOM-NET-C" in body) is (who == "owner")
    assert ("07700900111" in body or "07700 900111" in body) is True  # A's own phone
    if who != "owner":
        # A's phone is there (A's identifier) but joined to A alone.
        phone_edges = [e for e in data["edges"] if e["target"].startswith("phone:")]
        assert {e["source"] for e in phone_edges} == {build.nominal_node(n["A"].pk)}


@pytest.mark.parametrize("who", ["owner", "same_region"])
def test_exports_hold_only_visible_nodes_and_load_back(world, who, web):
    people, n, threat = world
    client = web(people[who])
    url = f"/network/chart/threat/{threat.reference}/export/"
    graphml = client.post(url, {"format": "graphml", "reason": "Synthetic test export"})
    assert graphml.status_code == 200
    path = f"/tmp/net-{who}.graphml"
    with open(path, "wb") as handle:
        handle.write(graphml.content)
    loaded = ig.Graph.Read_GraphML(path)
    labels = " ".join(loaded.vs["label"])
    assert ("NOM-NET-C" in labels) is (who == "owner")
    assert "NOM-NET-A" in labels
    anx = client.post(url, {"format": "anx", "reason": "Synthetic test export"})
    assert anx.status_code == 200
    engine.validate_anx(anx.content)
    nodes, _edges = engine.read_anx(anx.content)
    assert ("NOM-NET-C" in repr(nodes)) is (who == "owner")
    csv = client.post(url, {"format": "csv", "reason": "Synthetic test export"})
    with zipfile.ZipFile(io.BytesIO(csv.content)) as archive:
        assert ("NOM-NET-C" in archive.read("nodes.csv").decode()) is (who == "owner")


def test_an_export_needs_a_reason_and_is_audited(world, web):
    from socmaster.core.models import AuditEntry

    people, _n, threat = world
    client = web(people["owner"])
    url = f"/network/chart/threat/{threat.reference}/export/"
    refused = client.post(url, {"format": "anx", "reason": ""})
    assert refused.status_code == 400
    assert not AuditEntry.objects.filter(action="export", record_type="network.chart").exists()
    client.post(url, {"format": "anx", "reason": "Synthetic test export"})
    entry = AuditEntry.objects.get(action="export", record_type="network.chart")
    assert entry.reason == "Synthetic test export"
    assert entry.user == people["owner"]


def test_a_path_goes_only_through_visible_ties(world):
    people, n, _threat = world
    # A and C: directly tied for the owner (phone, disruption); none for the same region.
    owner_path = services.shortest_path(people["owner"], n["A"], n["C"])
    assert len(owner_path) == 1
    assert services.shortest_path(people["same_region"], n["A"], n["C"]) == []
    # D to B: D–A–B for the same region, never through C.
    path = services.shortest_path(people["same_region"], n["D"], n["B"])
    assert 1 <= len(path) <= 2
    assert "NOM-NET-C" not in repr(path)


def test_analyses_are_seen_only_by_their_starter(world, web):
    people, _n, _threat = world
    run = services.start_analysis(people["owner"])
    services.run_queued(run)
    run.refresh_from_db()
    assert run.status == "done"
    assert web(people["owner"]).get(f"/network/runs/{run.pk}/").status_code == 200
    other = web(people["same_region"]).get(f"/network/runs/{run.pk}/")
    missing = web(people["same_region"]).get("/network/runs/999999/")
    assert other.status_code == missing.status_code == 404


def test_results_are_reused_only_for_exactly_the_same_visible_graph(world, make_user):
    people, _n, _threat = world
    first = services.run_queued(services.start_analysis(people["owner"]))
    assert "reused_from" not in first.counts
    colleague = make_user(OWNER, "analyst")  # sees exactly what the owner analyst sees
    again = services.run_queued(services.start_analysis(colleague))
    assert again.fingerprint == first.fingerprint
    assert "reused_from" in again.counts and again.results == first.results
    # The same region sees less (no C): a different graph, computed afresh, C nowhere in it.
    other = services.run_queued(services.start_analysis(people["same_region"]))
    assert other.fingerprint != first.fingerprint
    assert "reused_from" not in other.counts
    assert "NOM-NET-C" not in repr(other.results)

"""Exports: GraphML, CSV and i2 ANX each written and read back to the same nodes and edges;
the ANX checker passes what is written and refuses what is broken. Pure: no database."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import igraph as ig
import pytest

from socmaster.network.engine import (
    ANX_SCHEMA_ELEMENTS,
    AnxError,
    read_anx,
    to_anx,
    validate_anx,
    write_csv,
    write_graphml,
)

NODES = [
    {"id": "n:1", "type": "nominal", "label": 'Sam <"Tiny"> O\'Neil & Co', "depth": 0},
    {"id": "n:2", "type": "nominal", "label": "Jo Bloggs", "depth": 1},
    {"id": "phone:07700900123", "type": "phone", "label": "07700 900123", "depth": 1},
]
EDGES = [
    {
        "source": "n:1",
        "target": "phone:07700900123",
        "type": "identifier",
        "weight": 1.0,
        "date_from": "2024-01-02",
        "date_to": "",
        "ref": "threats.identifier:12",
    },
    {
        "source": "n:2",
        "target": "phone:07700900123",
        "type": "identifier",
        "weight": 2.5,
        "date_from": "",
        "date_to": "",
        "ref": "threats.identifier:13",
    },
    {
        "source": "n:1",
        "target": "n:2",
        "type": "associate",
        "weight": 1.0,
        "date_from": "2023-05-01",
        "date_to": "2023-12-31",
        "ref": "network.association:4",
    },
]


def _ends(edges):
    return sorted((e["source"], e["target"], e["type"], e["ref"]) for e in edges)


def test_graphml_loads_back_with_igraph(tmp_path):
    path = tmp_path / "chart.graphml"
    write_graphml(NODES, EDGES, path)
    g = ig.Graph.Read_GraphML(str(path))
    assert g.vs["name"] == [n["id"] for n in NODES]
    assert g.vs["label"] == [n["label"] for n in NODES]  # escaped by the writer, not by us
    assert g.vs["type"] == [n["type"] for n in NODES]
    assert g.vs["depth"] == [0.0, 1.0, 1.0]
    got = [
        {
            "source": g.vs[e.source]["name"],
            "target": g.vs[e.target]["name"],
            **{k: e[k] for k in ("type", "weight", "date_from", "date_to", "ref")},
        }
        for e in g.es
    ]
    assert got == EDGES


def test_graphml_to_a_file_object_and_an_edge_to_an_unlisted_node(tmp_path):
    buffer = io.BytesIO()
    edges = [*EDGES, {"source": "n:1", "target": "n:9", "type": "sar", "ref": "x"}]
    write_graphml(NODES, edges, buffer)
    (tmp_path / "chart.graphml").write_bytes(buffer.getvalue())
    g = ig.Graph.Read_GraphML(str(tmp_path / "chart.graphml"))
    assert g.vcount() == 4 and g.vs[3]["name"] == "n:9" and g.vs[3]["type"] == "unknown"
    assert g.ecount() == 4 and g.es[3]["weight"] == 1.0


def test_csv_round_trip():
    nodes_file, edges_file = io.StringIO(), io.StringIO()
    write_csv(NODES, EDGES, nodes_file, edges_file)
    nodes = list(csv.DictReader(io.StringIO(nodes_file.getvalue())))
    edges = list(csv.DictReader(io.StringIO(edges_file.getvalue())))
    assert nodes == [{k: str(v) for k, v in n.items()} for n in NODES]
    assert [{**e, "weight": float(e["weight"])} for e in edges] == EDGES


def test_csv_cells_that_a_spreadsheet_would_run_are_defused(tmp_path):
    nodes = [{"id": "a", "type": "nominal", "label": '=HYPERLINK("http://x")'}]
    edges = [{"source": "a", "target": "b", "type": "sar", "ref": "+cmd|' /C calc'!A0"}]
    write_csv(nodes, edges, tmp_path / "n.csv", tmp_path / "e.csv")
    (node, _) = list(csv.DictReader((tmp_path / "n.csv").open(encoding="utf-8")))
    (edge,) = list(csv.DictReader((tmp_path / "e.csv").open(encoding="utf-8")))
    assert node["label"] == '\'=HYPERLINK("http://x")'
    assert edge["ref"].startswith("'+") and edge["weight"] == "1.0"  # numbers untouched


def test_anx_round_trip_and_structure():
    data = to_anx(NODES, EDGES)
    assert data.startswith(b"<?xml") and b"O'Neil" in data
    assert validate_anx(data) == {"entities": 3, "links": 3}
    nodes, edges = read_anx(data)
    assert [(n["id"], n["type"], n["label"]) for n in nodes] == [
        (n["id"], n["type"], n["label"]) for n in NODES
    ]
    assert edges == EDGES
    root = ET.fromstring(data)
    assert root.tag == "Chart" and root.get("IdReferenceLinking") == "false"
    assert [c.tag for c in root] == list(ANX_SCHEMA_ELEMENTS["Chart"]["children"])
    entity = root.find("ChartItemCollection/ChartItem/End/Entity")
    assert entity.get("EntityId") == entity.get("Identity") == "n:1"  # unique: never merged
    link = root.find("ChartItemCollection/ChartItem/Link")
    assert link.get("End1Id") == "n:1" and link.find("LinkStyle").get("ArrowStyle") == "ArrowNone"
    assert {t.get("Name") for t in root.iterfind("LinkTypeCollection/LinkType")} == {
        "identifier",
        "associate",
    }
    icons = {t.get("Name"): t.get("IconFile") for t in root.iter("EntityType")}
    assert icons == {"nominal": "Person", "phone": "Phone"}


def test_anx_holds_characters_xml_cannot():
    data = to_anx([{"id": "a", "type": "nominal", "label": "bad\x01char"}], [])
    validate_anx(data)
    (node,), _ = read_anx(data)
    assert node["label"] == "bad\ufffdchar"


def _break(data: bytes, change) -> bytes:
    root = ET.fromstring(data)
    change(root)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)


def test_validate_anx_refuses_a_link_to_a_missing_entity():
    data = _break(
        to_anx(NODES, EDGES),
        lambda root: root.find("ChartItemCollection/ChartItem/Link").set("End2Id", "n:404"),
    )
    with pytest.raises(AnxError, match="End2Id 'n:404' is no entity"):
        validate_anx(data)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda r: r.remove(r.find("ChartItemCollection")), "no ChartItemCollection"),
        (lambda r: r.find("EntityTypeCollection").clear(), "entity type 'nominal' not declared"),
        (lambda r: r.find("LinkTypeCollection").clear(), "link type 'identifier' not declared"),
        (lambda r: ET.SubElement(r, "Script"), "unknown element 'Script'"),
        (
            lambda r: r.find("ChartItemCollection/ChartItem/End/Entity").attrib.pop("EntityId"),
            "Entity without EntityId",
        ),
        (
            lambda r: r.find("ChartItemCollection/ChartItem[2]/End/Entity").set("EntityId", "n:1"),
            "appears twice",
        ),
        (
            lambda r: ET.SubElement(r.find("ChartItemCollection/ChartItem"), "Link"),
            "not exactly one End or one Link",
        ),
        (
            lambda r: r.find(".//Attribute").set("AttributeClass", "Nope"),
            "attribute class 'Nope' not declared",
        ),
    ],
)
def test_validate_anx_refuses_broken_structure(change, message):
    with pytest.raises(AnxError, match=message):
        validate_anx(_break(to_anx(NODES, EDGES), change))


def test_validate_anx_refuses_entities_and_bad_xml():
    with pytest.raises(AnxError, match="DOCTYPE"):
        validate_anx(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><Chart/>')
    with pytest.raises(AnxError, match="well-formed"):
        validate_anx(b"<Chart><ChartItemCollection></Chart>")
    with pytest.raises(AnxError, match="root element"):
        validate_anx(b"<Other/>")

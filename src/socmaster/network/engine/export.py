"""A chart's nodes and edges as files other tools open: GraphML, CSV and i2 Analyst's Notebook
chart XML (ANX).

Nodes are dicts ``{id, type, label, ...}`` (further keys become attributes), edges dicts
``{source, target, type, weight, date_from, date_to, ref}``; an edge naming a node the list does
not hold brings that node in (type "unknown", its id as label), as :meth:`.graph.Graph.from_tables`
does.

Every file is written by a library (igraph's GraphML writer, the ``csv`` module, ``xml.etree``),
never by string formatting, so a label holding ``<``, ``&`` or quotes cannot break the file.
Characters XML 1.0 cannot hold at all (control characters) become U+FFFD in GraphML and ANX. In
CSV a text cell starting with ``= + - @`` (or a tab or carriage return) is written with a
leading apostrophe, so that a spreadsheet shows it rather than running it as a formula (OWASP's
advice on CSV injection): a label is data, never a formula.

ANX: ``Chart`` with ``IdReferenceLinking="false"``; every node is a ``ChartItem`` holding
``End/Entity`` whose ``EntityId`` and ``Identity`` are the node id (unique, so that Analyst's
Notebook never merges two people who share a name) and whose ``ChartItem/@Label`` is the
label; every edge is a ``ChartItem`` holding a ``Link`` whose ``End1Id`` and ``End2Id`` are the
``EntityId`` of its ends. Entity types and link types are declared in ``EntityTypeCollection``
and ``LinkTypeCollection`` (one per node or edge type) and referred to by ``IconStyle/@Type`` and
``LinkStyle/@Type``; weight, dates and the source record are attributes declared in
``AttributeClassCollection``. :func:`validate_anx` checks that structure
(:data:`ANX_SCHEMA_ELEMENTS`) and every reference in it.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import shutil
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import igraph as ig

from .graph import EDGE_COLUMNS, UNKNOWN_NODE_TYPE

NODE_KEYS = ["id", "type", "label"]
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _xml_text(value) -> str:
    return _NOT_XML.sub("\ufffd", "" if value is None else str(value))


def _complete(nodes: list[dict], edges: list[dict]) -> tuple[list[dict], list[dict]]:
    """Nodes with ``id, type, label`` filled in, plus any node an edge names that the list
    lacks; edges with every column of :data:`.graph.EDGE_COLUMNS`."""
    out, seen = [], set()
    for node in nodes:
        if node.get("id") in seen or node.get("id") in (None, ""):
            continue
        seen.add(node["id"])
        out.append(
            {
                **node,
                "id": str(node["id"]),
                "type": str(node.get("type") or UNKNOWN_NODE_TYPE),
                "label": str(node.get("label") or node["id"]),
            }
        )
    full_edges = []
    for edge in edges:
        row = {
            **edge,
            "source": str(edge["source"]),
            "target": str(edge["target"]),
            "type": str(edge.get("type") or "edge"),
            "weight": float(1.0 if edge.get("weight") is None else edge["weight"]),
            "date_from": str(edge.get("date_from") or ""),
            "date_to": str(edge.get("date_to") or ""),
            "ref": str(edge.get("ref") or ""),
        }
        for end in (row["source"], row["target"]):
            if end not in seen:
                seen.add(end)
                out.append({"id": end, "type": UNKNOWN_NODE_TYPE, "label": end})
        full_edges.append(row)
    return out, full_edges


def _extra_keys(rows: list[dict], known: list[str]) -> list[str]:
    keys: dict[str, None] = {}
    for row in rows:
        for key in row:
            if key not in known:
                keys.setdefault(key, None)
    return list(keys)


# --- GraphML -----------------------------------------------------------------------------------


def _column(values: list) -> list:
    """Values for one igraph attribute: numbers stay numbers (None as NaN), flags stay flags;
    anything else is text (None as '')."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return [bool(v) for v in values]
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return [math.nan if v is None else float(v) for v in values]
    return [_xml_text(v) for v in values]


def write_graphml(nodes: list[dict], edges: list[dict], file) -> None:
    """GraphML by igraph's writer; ``file`` a path or a binary file object. Node ids are the
    vertex attribute ``name`` (GraphML's own node ids are igraph's ``n0``, ``n1``…);
    ``Graph.Read_GraphML`` loads it back."""
    nodes, edges = _complete(nodes, edges)
    index = {n["id"]: i for i, n in enumerate(nodes)}
    g = ig.Graph(n=len(nodes), edges=[(index[e["source"]], index[e["target"]]) for e in edges])
    g.vs["name"] = [_xml_text(n["id"]) for n in nodes]
    for key in ["type", "label", *_extra_keys(nodes, NODE_KEYS)]:
        if key in ("name", "id"):
            continue
        g.vs[key] = _column([n.get(key) for n in nodes])
    for key in [c for c in EDGE_COLUMNS if c not in ("source", "target")] + _extra_keys(
        edges, EDGE_COLUMNS
    ):
        g.es[key] = _column([e.get(key) for e in edges])
    if isinstance(file, str | os.PathLike):
        g.write_graphml(os.fspath(file))
        return
    with tempfile.TemporaryDirectory() as directory:  # igraph writes to a real file only
        path = Path(directory) / "chart.graphml"
        g.write_graphml(str(path))
        with path.open("rb") as handle:
            shutil.copyfileobj(handle, file)


# --- CSV ---------------------------------------------------------------------------------------


def _cell(value):
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def _write_rows(file, columns: list[str], rows: list[dict]) -> None:
    def write(handle) -> None:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in columns])

    if isinstance(file, str | os.PathLike):
        with open(file, "w", newline="", encoding="utf-8") as handle:
            write(handle)
    else:
        write(file)


def write_csv(nodes: list[dict], edges: list[dict], nodes_file, edges_file) -> None:
    """``nodes_file`` (id, type, label, then any further keys) and ``edges_file`` (source,
    target, type, weight, date_from, date_to, ref, then any further keys): UTF-8 CSV with a
    header row; each a path or a text file object (opened with ``newline=""``)."""
    nodes, edges = _complete(nodes, edges)
    _write_rows(nodes_file, NODE_KEYS + _extra_keys(nodes, NODE_KEYS), nodes)
    _write_rows(edges_file, EDGE_COLUMNS + _extra_keys(edges, EDGE_COLUMNS), edges)


# --- ANX ---------------------------------------------------------------------------------------

#: The ANX elements written and accepted: required attributes and the children allowed.
ANX_SCHEMA_ELEMENTS: dict[str, dict[str, tuple[str, ...]]] = {
    "Chart": {
        "attributes": ("IdReferenceLinking",),
        "children": (
            "AttributeClassCollection",
            "LinkTypeCollection",
            "EntityTypeCollection",
            "ChartItemCollection",
        ),
    },
    "AttributeClassCollection": {"attributes": (), "children": ("AttributeClass",)},
    "AttributeClass": {"attributes": ("Name", "Type"), "children": ()},
    "LinkTypeCollection": {"attributes": (), "children": ("LinkType",)},
    "LinkType": {"attributes": ("Name",), "children": ()},
    "EntityTypeCollection": {"attributes": (), "children": ("EntityType",)},
    "EntityType": {"attributes": ("Name", "IconFile"), "children": ()},
    "ChartItemCollection": {"attributes": (), "children": ("ChartItem",)},
    "ChartItem": {"attributes": ("Label",), "children": ("End", "Link", "AttributeCollection")},
    "End": {"attributes": (), "children": ("Entity",)},
    "Entity": {"attributes": ("EntityId", "Identity"), "children": ("Icon",)},
    "Icon": {"attributes": (), "children": ("IconStyle",)},
    "IconStyle": {"attributes": ("Type",), "children": ()},
    "Link": {"attributes": ("End1Id", "End2Id"), "children": ("LinkStyle",)},
    "LinkStyle": {"attributes": ("Type",), "children": ()},
    "AttributeCollection": {"attributes": (), "children": ("Attribute",)},
    "Attribute": {"attributes": ("AttributeClass", "Value"), "children": ()},
}
#: Analyst's Notebook's standard icons for our node types (others: "General").
ANX_ICONS = {
    "nominal": "Person",
    "person": "Person",
    "threat": "Organisation",
    "phone": "Phone",
    "address": "House",
    "vehicle": "Car",
    "business": "Organisation",
    "place": "Location",
    "email": "Email",
    "account": "Bank Account",
    "online": "Computer",
}
#: Link colours (Analyst's Notebook's BGR integers), by edge type in order of appearance.
ANX_COLOURS = [0, 255, 32768, 16711680, 8388736, 33023, 8421376, 8421504]
#: Attribute classes of a link (name, ANX type, the edge key) and of an entity's extra keys.
_LINK_ATTRIBUTES = [
    ("Weight", "AttNumber", "weight"),
    ("Date from", "AttText", "date_from"),
    ("Date to", "AttText", "date_to"),
    ("Source record", "AttText", "ref"),
]
_ENTITY_TYPE_ATTRIBUTE = "Node type"
_GRID = 120


class AnxError(ValueError):
    """An ANX chart that does not have the structure :func:`validate_anx` checks."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def to_anx(nodes: list[dict], edges: list[dict]) -> bytes:
    """An i2 Analyst's Notebook chart (ANX, UTF-8) of the nodes and edges, laid out on a grid."""
    nodes, edges = _complete(nodes, edges)
    extras = [k for k in _extra_keys(nodes, NODE_KEYS)]
    chart = ET.Element("Chart", IdReferenceLinking="false", Rigorous="true")
    classes = ET.SubElement(chart, "AttributeClassCollection")
    for name, kind, _ in _LINK_ATTRIBUTES:
        ET.SubElement(classes, "AttributeClass", Name=name, Type=kind)
    ET.SubElement(classes, "AttributeClass", Name=_ENTITY_TYPE_ATTRIBUTE, Type="AttText")
    for key in extras:
        ET.SubElement(classes, "AttributeClass", Name=_xml_text(key), Type="AttText")
    link_types = ET.SubElement(chart, "LinkTypeCollection")
    for i, kind in enumerate(dict.fromkeys(e["type"] for e in edges)):
        colour = str(ANX_COLOURS[i % len(ANX_COLOURS)])
        ET.SubElement(link_types, "LinkType", Name=_xml_text(kind), Colour=colour)
    entity_types = ET.SubElement(chart, "EntityTypeCollection")
    for kind in dict.fromkeys(n["type"] for n in nodes):
        icon = ANX_ICONS.get(kind, "General")
        ET.SubElement(entity_types, "EntityType", Name=_xml_text(kind), IconFile=icon)
    items = ET.SubElement(chart, "ChartItemCollection")
    columns = max(1, math.ceil(math.sqrt(len(nodes))))
    for i, node in enumerate(nodes):
        item = ET.SubElement(
            items,
            "ChartItem",
            Label=_xml_text(node["label"]),
            Description=_xml_text(node["type"]),
            DateSet="false",
            XPosition=str(i % columns * _GRID),
        )
        end = ET.SubElement(item, "End", Y=str(i // columns * _GRID))
        entity = ET.SubElement(
            end,
            "Entity",
            EntityId=_xml_text(node["id"]),
            Identity=_xml_text(node["id"]),
            LabelIsIdentity="false",
        )
        ET.SubElement(ET.SubElement(entity, "Icon"), "IconStyle", Type=_xml_text(node["type"]))
        attributes = ET.SubElement(item, "AttributeCollection")
        ET.SubElement(
            attributes,
            "Attribute",
            AttributeClass=_ENTITY_TYPE_ATTRIBUTE,
            Value=_xml_text(node["type"]),
        )
        for key in extras:
            if node.get(key) is not None:
                ET.SubElement(
                    attributes,
                    "Attribute",
                    AttributeClass=_xml_text(key),
                    Value=_xml_text(node[key]),
                )
    for edge in edges:
        dated = {"DateSet": "false"}
        if edge["date_from"]:
            dated = {"DateSet": "true", "DateTime": f"{edge['date_from']}T00:00:00"}
        item = ET.SubElement(
            items,
            "ChartItem",
            Label=_xml_text(edge["type"]),
            Description=_xml_text(edge["ref"]),
            **dated,
        )
        link = ET.SubElement(
            item, "Link", End1Id=_xml_text(edge["source"]), End2Id=_xml_text(edge["target"])
        )
        ET.SubElement(
            link, "LinkStyle", Type=_xml_text(edge["type"]), ArrowStyle="ArrowNone", Strength="1"
        )
        attributes = ET.SubElement(item, "AttributeCollection")
        for name, _, key in _LINK_ATTRIBUTES:
            value = repr(edge[key]) if key == "weight" else _xml_text(edge[key])
            if value:
                ET.SubElement(attributes, "Attribute", AttributeClass=name, Value=value)
    ET.indent(chart, space=" ")
    buffer = io.BytesIO()
    ET.ElementTree(chart).write(buffer, encoding="UTF-8", xml_declaration=True)
    return buffer.getvalue()


def _parse(data: bytes) -> ET.Element:
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise AnxError(["a chart may not declare a DOCTYPE or entities"])
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise AnxError([f"not well-formed XML ({exc})"]) from None


def validate_anx(data: bytes) -> dict[str, int]:
    """Check an ANX chart's structure: a ``Chart`` of the elements of
    :data:`ANX_SCHEMA_ELEMENTS` only, each with its required attributes; every ``ChartItem``
    either an ``End/Entity`` or a ``Link``; entity ids unique; every link's ``End1Id`` and
    ``End2Id`` the ``EntityId`` of an entity of the chart; every ``IconStyle``, ``LinkStyle``
    and ``Attribute`` naming a declared entity type, link type or attribute class. Returns the
    counts ``{"entities", "links"}``; raises :class:`AnxError` listing the problems (at most
    20)."""
    root = _parse(data)
    problems: list[str] = []
    if root.tag != "Chart":
        raise AnxError([f"the root element is {root.tag!r}, not 'Chart'"])
    if root.get("IdReferenceLinking") not in (None, "false"):
        problems.append("IdReferenceLinking must be false: links refer to entity ids")
    for element in root.iter():
        rule = ANX_SCHEMA_ELEMENTS.get(element.tag)
        if rule is None:
            problems.append(f"unknown element {element.tag!r}")
            continue
        for attribute in rule["attributes"]:
            value = element.get(attribute)
            if value is None or (value == "" and attribute != "Value"):
                problems.append(f"{element.tag} without {attribute}")
        for child in element:
            if child.tag not in rule["children"]:
                problems.append(f"{child.tag} inside {element.tag}")
    if root.find("ChartItemCollection") is None:
        problems.append("no ChartItemCollection")
    declared = {
        "entity type": {e.get("Name") for e in root.iterfind("EntityTypeCollection/EntityType")},
        "link type": {e.get("Name") for e in root.iterfind("LinkTypeCollection/LinkType")},
        "attribute class": {
            e.get("Name") for e in root.iterfind("AttributeClassCollection/AttributeClass")
        },
    }
    entities: set[str] = set()
    links = []
    for number, item in enumerate(root.iterfind("ChartItemCollection/ChartItem"), start=1):
        ends, link = item.findall("End"), item.findall("Link")
        if len(ends) + len(link) != 1:
            problems.append(f"chart item {number} is not exactly one End or one Link")
            continue
        if ends:
            entity = ends[0].findall("Entity")
            if len(entity) != 1:
                problems.append(f"chart item {number}: End without exactly one Entity")
                continue
            entity_id = entity[0].get("EntityId")
            if entity_id in entities:
                problems.append(f"chart item {number}: EntityId {entity_id!r} appears twice")
            entities.add(entity_id)
            for style in entity[0].iterfind("Icon/IconStyle"):
                if style.get("Type") not in declared["entity type"]:
                    problems.append(
                        f"chart item {number}: entity type {style.get('Type')!r} not declared"
                    )
        else:
            links.append((number, link[0]))
            for style in link[0].iterfind("LinkStyle"):
                if style.get("Type") not in declared["link type"]:
                    problems.append(
                        f"chart item {number}: link type {style.get('Type')!r} not declared"
                    )
        for attribute in item.iterfind("AttributeCollection/Attribute"):
            if attribute.get("AttributeClass") not in declared["attribute class"]:
                problems.append(
                    f"chart item {number}: attribute class "
                    f"{attribute.get('AttributeClass')!r} not declared"
                )
    for number, link in links:
        for end in ("End1Id", "End2Id"):
            if link.get(end) not in entities:
                problems.append(f"chart item {number}: {end} {link.get(end)!r} is no entity")
    if problems:
        raise AnxError(problems[:20])
    return {"entities": len(entities), "links": len(links)}


def read_anx(data: bytes) -> tuple[list[dict], list[dict]]:
    """The nodes and edges of a chart :func:`to_anx` wrote (the round trip): nodes ``{id,
    type, label, ...}`` (further attributes as text), edges ``{source, target, type, weight,
    date_from, date_to, ref}``."""
    root = _parse(data)
    nodes, edges = [], []
    by_class = {name: key for name, _, key in _LINK_ATTRIBUTES}
    for item in root.iterfind("ChartItemCollection/ChartItem"):
        values = {
            a.get("AttributeClass"): a.get("Value", "")
            for a in item.iterfind("AttributeCollection/Attribute")
        }
        entity = item.find("End/Entity")
        if entity is not None:
            style = entity.find("Icon/IconStyle")
            node = {
                "id": entity.get("EntityId", ""),
                "type": style.get("Type", UNKNOWN_NODE_TYPE)
                if style is not None
                else UNKNOWN_NODE_TYPE,
                "label": item.get("Label", ""),
            }
            node.update({k: v for k, v in values.items() if k != _ENTITY_TYPE_ATTRIBUTE})
            nodes.append(node)
            continue
        link = item.find("Link")
        if link is None:
            continue
        style = link.find("LinkStyle")
        edge = {
            "source": link.get("End1Id", ""),
            "target": link.get("End2Id", ""),
            "type": style.get("Type", "edge") if style is not None else "edge",
            "weight": 1.0,
            "date_from": "",
            "date_to": "",
            "ref": "",
        }
        for name, value in values.items():
            if name in by_class:
                edge[by_class[name]] = float(value) if name == "Weight" else value
        edges.append(edge)
    return nodes, edges

"""Edge-list files: what is accepted, each kind of problem refused by line, and the analysis
written out with the right figures. Pure: no database."""

from __future__ import annotations

import csv
import io

import pytest

from socmaster.network.engine import EdgeFileError, analyse_edge_file, read_edge_file


def write(tmp_path, text: str | bytes, name: str = "edges.csv"):
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


def test_reads_the_required_and_optional_columns(tmp_path):
    path = write(
        tmp_path,
        "source,target,type,weight,date\n"
        " a ,b,phone,2.5,2024-03-01\n"
        "\n"  # a blank line is skipped but still counted
        'b,"c, the second",,,\n',
    )
    frame = read_edge_file(path)
    assert list(frame.columns) == [
        "source",
        "target",
        "type",
        "weight",
        "date_from",
        "date_to",
        "ref",
    ]
    assert frame.to_dict("records") == [
        {
            "source": "a",
            "target": "b",
            "type": "phone",
            "weight": 2.5,
            "date_from": "2024-03-01",
            "date_to": "2024-03-01",
            "ref": "line:2",
        },
        {
            "source": "b",
            "target": "c, the second",
            "type": "edge",
            "weight": 1.0,
            "date_from": "",
            "date_to": "",
            "ref": "line:4",
        },
    ]


def test_source_and_target_alone_and_a_file_object():
    frame = read_edge_file(io.BytesIO("\ufeffSource,Target\nx,y\n".encode()))
    assert frame[["source", "target", "type", "weight"]].to_dict("records") == [
        {"source": "x", "target": "y", "type": "edge", "weight": 1.0}
    ]


@pytest.mark.parametrize(
    "text, message",
    [
        ("source,type\na,phone\n", "line 1: missing column(s): target"),
        ("source,target,colour\na,b,red\n", "line 1: unknown column 'colour'"),
        ("source,target,source\na,b,c\n", "line 1: column(s) given twice: source"),
        ("source,target,weight\na,b,1\na,c,abc\n", "line 3: weight 'abc' is not a number"),
        ("source,target,weight\na,b,0\n", "line 2: weight '0' is not greater than 0"),
        ("source,target,weight\na,b,-2\n", "line 2: weight '-2' is not greater than 0"),
        ("source,target,weight\na,b,nan\n", "line 2: weight 'nan' is not greater than 0"),
        (
            "source,target,date\na,b,2024-01-01\na,b,01/02/2024\n",
            "line 3: date '01/02/2024' is not a date written YYYY-MM-DD",
        ),
        ("source,target,date\na,b,2024-02-30\n", "line 2: date '2024-02-30'"),
        ("source,target\na,b\n ,c\n", "line 3: source is empty"),
        ("source,target\na,\n", "line 2: target is empty"),
        ("source,target\na,b,c\n", "line 2: 3 value(s), the header names 2"),
        ('source,target\n"a\nstill a",b\nc,\n', "line 4: target is empty"),  # a quoted newline
        ("", "line 1: the file is empty"),
        ("source,target\n", "the file has no edges"),
    ],
)
def test_problems_are_refused_by_line(tmp_path, text, message):
    with pytest.raises(EdgeFileError) as caught:
        read_edge_file(write(tmp_path, text))
    assert message in str(caught.value)


def test_every_problem_is_reported_at_once(tmp_path):
    with pytest.raises(EdgeFileError) as caught:
        read_edge_file(write(tmp_path, "source,target,weight\n,b,1\na,b,x\n"))
    assert caught.value.problems == [
        "line 2: source is empty",
        "line 3: weight 'x' is not a number",
    ]


def test_bytes_that_are_not_utf8_are_refused_naming_the_line(tmp_path):
    path = write(tmp_path, b"source,target\na,b\nJos\xe9,c\n")
    with pytest.raises(EdgeFileError, match="line 3: not UTF-8 text"):
        read_edge_file(path)


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(EdgeFileError, match="no such file"):
        read_edge_file(tmp_path / "nothing.csv")


def test_analyse_writes_key_players_and_communities(tmp_path):
    # Two triangles a-b-c and d-e-f joined by c-d; g-h apart.
    # Betweenness: c lies inside the paths from {a, b} to {d, e, f}: 2 x 3 = 6; d likewise 6;
    # a, b, e, f lie inside no shortest path: 0.
    # Coreness: the triangles are 2-cores; g and h are a 1-core. Degree: c 3, a 2, g 1.
    lines = ["source,target", "a,b", "b,c", "a,c", "c,d", "d,e", "e,f", "d,f", "g,h"]
    path = write(tmp_path, "\n".join(lines) + "\n")
    stages = []
    summary = analyse_edge_file(path, tmp_path / "out", progress=lambda *a: stages.append(a))
    assert summary == {
        "nodes": 8,
        "edges": 8,
        "communities": 3,
        "betweenness_sampled": False,
        "samples": None,
    }
    assert [s[0] for s in stages] == ["read", "graph", "key players", "communities", "written"]
    assert stages[-1][1:] == (5, 5)
    with (tmp_path / "out" / "key_players.csv").open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["node", "degree", "pagerank", "betweenness", "coreness"]
        rows = {r["node"]: r for r in reader}
    assert {
        n: (int(r["degree"]), float(r["betweenness"]), int(r["coreness"])) for n, r in rows.items()
    } == {
        "a": (2, 0.0, 2),
        "b": (2, 0.0, 2),
        "c": (3, 6.0, 2),
        "d": (3, 6.0, 2),
        "e": (2, 0.0, 2),
        "f": (2, 0.0, 2),
        "g": (1, 0.0, 1),
        "h": (1, 0.0, 1),
    }
    assert sum(float(r["pagerank"]) for r in rows.values()) == pytest.approx(1.0)
    with (tmp_path / "out" / "communities.csv").open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["node", "community"]
        community = {r["node"]: int(r["community"]) for r in reader}
    assert community == {"a": 0, "b": 0, "c": 0, "d": 1, "e": 1, "f": 1, "g": 2, "h": 2}


def test_analyse_refuses_a_bad_file_before_writing(tmp_path):
    path = write(tmp_path, "source,target,weight\na,b,heavy\n")
    with pytest.raises(EdgeFileError, match="line 2"):
        analyse_edge_file(path, tmp_path / "out")
    assert not (tmp_path / "out").exists()

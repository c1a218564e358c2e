"""Network analysis's pages, services and command line: recorded associations (with their
errors), analyses in the background with stored results, the threat panel's one-click "add as
member", link charts with filters and expansion, paths, edge-list uploads and the CLI. All data
synthetic."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from socmaster.core.models import AuditEntry
from socmaster.network import build, services
from socmaster.network.models import Association, NetworkRun
from socmaster.organisations.models import Organisation
from socmaster.threats.models import Identifier, Nominal, Threat, ThreatMember

OWNER = "force-durham"


@pytest.fixture
def group(db, make_user):
    """An OCG of five members tied in a ring and across, and one non-member (HIDDEN) tied to
    three of them; a second threat with two members tied to each other only."""
    durham = Organisation.objects.get(key=OWNER)
    lro = make_user(OWNER, "lro", "analyst")

    def nominal(ref):
        return Nominal.objects.create(
            reference=ref, family_name=f"Synth{ref[-2:]}", owner=durham, handling="region"
        )

    threat = Threat.objects.create(
        reference="NET-G1", name="Synthetic ring", owner=durham, handling="region", lro=lro
    )
    members = [nominal(f"NOM-G1-{i:02d}") for i in range(5)]
    for m in members:
        ThreatMember.objects.create(threat=threat, nominal=m, role="significant")
    for i in range(5):
        Association.objects.create(nominal=members[i], other=members[(i + 1) % 5])
    Association.objects.create(nominal=members[0], other=members[2], kind="family")
    hidden = nominal("NOM-G1-99")
    for m in members[:3]:
        Association.objects.create(nominal=hidden, other=m, kind="co_offender")
    other = Threat.objects.create(
        reference="NET-G2", name="Synthetic pair", owner=durham, handling="region", lro=lro
    )
    pair = [nominal("NOM-G2-01"), nominal("NOM-G2-02")]
    for m in pair:
        ThreatMember.objects.create(threat=other, nominal=m, role="significant")
    Association.objects.create(nominal=pair[0], other=pair[1])
    return lro, threat, members, hidden


# --- recorded associations ---------------------------------------------------------------------


def test_an_association_is_recorded_once_and_audited(group):
    lro, _threat, members, hidden = group
    before = AuditEntry.objects.count()
    a = services.record_association(lro, members[1], members[3], kind="business", notes="Synth")
    assert AuditEntry.objects.count() == before + 1
    assert AuditEntry.objects.latest("id").record_id == str(a.pk)
    with pytest.raises(ValidationError) as refused:
        services.record_association(lro, members[3], members[1], kind="business")
    assert "already recorded" in refused.value.message_dict["other"][0]


@pytest.mark.parametrize(
    "kwargs,field,message",
    [
        ({"other": "self"}, "other", "their own associate"),
        ({"kind": "friend"}, "kind", "Choose the kind"),
        ({"from_date": "2026-05-02", "to_date": "2026-05-01"}, "to_date", "before the start"),
    ],
)
def test_an_association_with_a_problem_is_refused_field_by_field(group, kwargs, field, message):
    import datetime as dt

    lro, _threat, members, _hidden = group
    other = members[0] if kwargs.pop("other", None) == "self" else members[4]
    for key in ("from_date", "to_date"):
        if key in kwargs:
            kwargs[key] = dt.date.fromisoformat(kwargs[key])
    count = Association.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.record_association(lro, members[0], other, **kwargs)
    assert message in " ".join(refused.value.message_dict[field])
    assert Association.objects.count() == count


def test_the_association_form_keeps_a_field_error_and_saves_nothing(group, web):
    lro, _threat, members, _hidden = group
    client = web(lro)
    url = f"/network/nominals/{members[0].reference}/associates/new/"
    assert client.get(url).status_code == 200
    count = Association.objects.count()
    response = client.post(url, {"other": "NOM-NONE", "kind": "associate"})
    assert response.status_code == 200
    assert "No nominal NOM-NONE that you may see." in response.content.decode()
    assert Association.objects.count() == count
    response = client.post(url, {"other": members[3].reference, "kind": "partner"})
    assert response.status_code == 302
    assert Association.objects.filter(nominal=members[0], other=members[3], kind="partner").exists()


def test_someone_who_may_not_change_the_nominal_may_not_record_an_associate(group, make_user, web):
    _lro, _threat, members, _hidden = group
    reader = make_user("rocu-north-east", "analyst")
    response = web(reader).get(f"/network/nominals/{members[0].reference}/associates/new/")
    assert response.status_code == 403


def test_the_nominal_page_lists_its_associates(group, web):
    lro, _threat, members, hidden = group
    body = web(lro).get(f"/threats/nominals/{hidden.reference}/").content.decode()
    assert 'data-testid="associations"' in body
    for m in members[:3]:
        assert m.reference in body
    assert "Link chart of this nominal" in body


# --- the threat panel and its suggestions ---------------------------------------------------------


def test_the_threat_panel_suggests_the_hidden_member_with_its_evidence(group, web):
    lro, threat, _members, hidden = group
    page = web(lro).get(f"/threats/{threat.reference}/").content.decode()
    assert f"/network/threats/{threat.reference}/panel/" in page  # loaded after the page
    body = web(lro).get(f"/network/threats/{threat.reference}/panel/").content.decode()
    assert f'data-node="{build.nominal_node(hidden.pk)}"' in body
    assert "Add as member" in body
    assert body.count("Associate recorded by an analyst") >= 3  # the evidence: three ties
    # The ring's members are tied across any split a small graph's communities suggest.
    assert 'data-testid="no-splits"' in body


def test_add_as_member_goes_through_the_membership_service(group, web):
    lro, threat, _members, hidden = group
    response = web(lro).post(
        f"/network/threats/{threat.reference}/add-member/",
        {"nominal": hidden.reference, "role": "associate"},
    )
    assert response.status_code == 302
    member = ThreatMember.objects.get(threat=threat, nominal=hidden)
    assert member.role == "associate"
    assert "network analysis" in member.notes
    entry = AuditEntry.objects.filter(action="create", record_type="threats.threatmember").latest(
        "id"
    )
    assert entry.record_id == str(member.pk)


def test_add_as_member_is_refused_when_the_evidence_does_not_stand(group, web):
    lro, threat, members, _hidden = group
    loner = Nominal.objects.create(
        reference="NOM-G1-77", family_name="Loner", owner=members[0].owner, handling="region"
    )
    Association.objects.create(nominal=loner, other=members[4])  # one tie only
    response = web(lro).post(
        f"/network/threats/{threat.reference}/add-member/",
        {"nominal": loner.reference, "role": "associate"},
        follow=True,
    )
    assert "no longer stands" in response.content.decode()
    assert not ThreatMember.objects.filter(threat=threat, nominal=loner).exists()


def test_a_reader_from_another_region_gets_the_missing_answer(group, make_user, web):
    _lro, threat, _members, hidden = group
    outsider = web(make_user("force-west-yorkshire", "analyst"))
    for url in (
        f"/network/threats/{threat.reference}/panel/",
        f"/network/chart/threat/{threat.reference}/",
    ):
        hidden_answer = outsider.get(url)
        missing = outsider.get(url.replace(threat.reference, "NONE-0"))
        assert hidden_answer.status_code == missing.status_code == 404
    response = outsider.post(
        f"/network/threats/{threat.reference}/add-member/",
        {"nominal": hidden.reference, "role": "associate"},
    )
    assert response.status_code == 404


# --- analyses -------------------------------------------------------------------------------------


def test_an_analysis_runs_in_the_background_and_keeps_dated_results(group, web):
    lro, threat, _members, hidden = group
    client = web(lro)
    response = client.post("/network/", {"region": ""})
    run = NetworkRun.objects.get(started_by=lro)
    assert response.status_code == 302 and response["Location"] == f"/network/runs/{run.pk}/"
    assert run.status == "done" and run.finished_at is not None  # tasks run at once in tests
    assert run.counts["nodes"] == 8 and run.counts["betweenness_sampled"] is False
    assert run.fingerprint
    suggested = {(h["threat_ref"], h["ref"]) for h in run.results["hidden"]}
    assert suggested == {(threat.reference, hidden.reference)}
    body = client.get(f"/network/runs/{run.pk}/").content.decode()
    assert 'data-testid="key-players"' in body and "exact" in body
    assert 'data-testid="hidden-members"' in body and "Add as member" in body
    assert "/network/runs/" in client.get("/network/").content.decode()


def test_a_second_analysis_waits_for_the_first(group):
    lro, *_ = group
    services.start_analysis(lro)
    with pytest.raises(ValidationError) as refused:
        services.start_analysis(lro)
    assert "not finished" in refused.value.message_dict["region"][0]


def test_a_failed_analysis_says_why(group, monkeypatch):
    lro, *_ = group
    run = services.start_analysis(lro)

    def broken(*args, **kwargs):
        raise RuntimeError("synthetic failure")

    monkeypatch.setattr(services.engine, "key_players", broken)
    with pytest.raises(RuntimeError):
        services.run_queued(run)
    run.refresh_from_db()
    assert run.status == "failed" and "synthetic failure" in run.error


# --- link charts ----------------------------------------------------------------------------------


def test_the_chart_page_has_the_chart_its_data_and_a_text_alternative(group, web):
    lro, threat, members, _hidden = group
    client = web(lro)
    body = client.get(f"/network/chart/threat/{threat.reference}/").content.decode()
    assert 'id="network-chart"' in body and "vendor/cytoscape.min.js" in body
    assert 'data-testid="chart-nodes"' in body and 'data-testid="chart-edges"' in body
    for m in members:
        assert m.reference in body
    data = client.get(f"/network/chart/threat/{threat.reference}/data.json").json()
    ids = {n["id"] for n in data["nodes"]}
    assert build.threat_node(threat.pk) in ids
    assert {build.nominal_node(m.pk) for m in members} <= ids


def test_the_chart_filters_by_kind_of_tie_and_steps(group, web):
    lro, threat, members, hidden = group
    client = web(lro)
    url = f"/network/chart/threat/{threat.reference}/data.json"
    only_members = client.get(url, {"types": ["member"]}).json()
    assert {e["type"] for e in only_members["edges"]} == {"member"}
    one_step = client.get(url, {"steps": 1}).json()
    assert build.nominal_node(hidden.pk) not in {n["id"] for n in one_step["nodes"]}
    two_steps = client.get(url, {"steps": 2}).json()
    assert build.nominal_node(hidden.pk) in {n["id"] for n in two_steps["nodes"]}
    bad = client.get(url, {"date_from": "2026-05-02", "date_to": "2026-05-01"})
    assert bad.status_code == 400 and "date_to" in bad.json()["errors"]


def test_the_chart_caps_fan_out_and_expands_on_demand(group, web):
    lro, threat, members, hidden = group
    client = web(lro)
    url = f"/network/chart/threat/{threat.reference}/data.json"
    capped = services.chart(lro, build.threat_node(threat.pk), steps=1, cap=2)
    assert capped["more"].get(build.threat_node(threat.pk)) == 3  # five members, two shown
    assert len(capped["nodes"]) == 3
    expanded = client.get(url, {"expand": build.nominal_node(members[0].pk)}).json()
    assert build.nominal_node(hidden.pk) in {n["id"] for n in expanded["nodes"]}


def test_an_export_with_a_bad_format_is_refused(group, web):
    lro, threat, *_ = group
    response = web(lro).post(
        f"/network/chart/threat/{threat.reference}/export/",
        {"format": "pdf", "reason": "Synthetic test export"},
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode() or "Choose" in (
        response.content.decode()
    )


# --- paths ----------------------------------------------------------------------------------------


def test_the_path_page_shows_the_ties_that_make_the_path(group, web):
    lro, _threat, members, hidden = group
    client = web(lro)
    body = client.get("/network/path/", {"a": hidden.reference, "b": members[3].reference})
    text = body.content.decode()
    assert body.status_code == 200 and 'data-testid="path"' in text
    assert text.count('data-testid="path-step"') == 2
    unknown = client.get("/network/path/", {"a": "NOM-NONE", "b": members[3].reference})
    assert unknown.status_code == 400 and "No nominal NOM-NONE" in unknown.content.decode()
    apart = client.get("/network/path/", {"a": hidden.reference, "b": "NOM-G2-01"})
    assert 'data-testid="no-path"' in apart.content.decode()


# --- edge lists -----------------------------------------------------------------------------------


def _edge_file(tmp_path, text: str, name="calls.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


CALLS = (
    "source,target,type,weight,date\n"
    "07700900001,07700900002,call,3,2026-01-05\n"
    "07700900002,07700900003,call,1,2026-01-06\n"
    "07700900003,07700900001,call,2,2026-01-07\n"
    "07700900004,07700900005,call,1,\n"
)


def test_the_upload_page_analyses_an_edge_list_without_touching_the_database(group, web, tmp_path):
    lro, *_ = group
    client = web(lro)
    nominals = Nominal.objects.count()
    with _edge_file(tmp_path, CALLS).open("rb") as handle:
        response = client.post("/network/upload/", {"file": handle})
    run = NetworkRun.objects.get(kind="edge_list")
    assert response.status_code == 302 and run.status == "done"
    assert run.counts["nodes"] == 5 and run.counts["edges"] == 4
    assert Nominal.objects.count() == nominals
    players = client.get(f"/network/runs/{run.pk}/key_players.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(players.streaming_content).decode())))
    assert {r["node"] for r in rows} == {f"0770090000{i}" for i in range(1, 6)}
    assert list(rows[0]) == ["node", "degree", "pagerank", "betweenness", "coreness"]
    assert client.get(f"/network/runs/{run.pk}/communities.csv").status_code == 200


def test_a_bad_edge_list_is_refused_with_its_line(group, web, tmp_path):
    lro, *_ = group
    with _edge_file(tmp_path, "source,target,weight\na,b,1\nc,d,lots\n").open("rb") as handle:
        response = web(lro).post("/network/upload/", {"file": handle})
    assert response.status_code == 400
    assert "line 3" in response.content.decode()
    assert not NetworkRun.objects.exists()


def test_the_cli_analyses_an_edge_list_into_two_files(tmp_path, capsys):
    edges = _edge_file(tmp_path, CALLS)
    out = tmp_path / "out"
    call_command("network", "analyse", "--edges", str(edges), "--out", str(out))
    assert "5 nodes, 4 edges" in capsys.readouterr().out
    with (out / "communities.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["node", "community"]
    community = {r["node"]: r["community"] for r in rows}
    assert community["07700900001"] == community["07700900002"] == community["07700900003"]
    assert community["07700900004"] == community["07700900005"] != community["07700900001"]


def test_the_cli_refuses_a_bad_file_with_a_clear_message(tmp_path):
    bad = _edge_file(tmp_path, "from,to\na,b\n")
    with pytest.raises(CommandError) as refused:
        call_command("network", "analyse", "--edges", str(bad), "--out", str(tmp_path / "o"))
    assert "source" in str(refused.value)
    with pytest.raises(CommandError):
        call_command("network", "analyse", "--edges", str(tmp_path / "none.csv"), "--out", "x")


def test_the_cli_runs_a_users_analysis(group, capsys):
    lro, *_ = group
    call_command("network", "run", "--as", lro.username)
    assert "8 nominals" in capsys.readouterr().out
    assert NetworkRun.objects.get(started_by=lro).status == "done"


def test_shared_identifiers_join_nominals_but_a_very_common_one_does_not(group):
    lro, _threat, members, _hidden = group
    for m in members[:2]:
        Identifier.objects.create(nominal=m, kind="vehicle", value="SY26 NTH")
    network = build.visible_network(lro)
    pairs = network.person_edges()
    shared = pairs[pairs["type"] == "identifier"]
    assert len(shared) == 1
    crowd = [
        Nominal.objects.create(reference=f"NOM-C-{i}", family_name="Crowd", owner=members[0].owner)
        for i in range(build.SHARED_IDENTIFIER_CAP + 1)
    ]
    for c in crowd:
        Identifier.objects.create(nominal=c, kind="postcode", value="DH1 9ZZ")
    pairs = build.visible_network(lro).person_edges()
    assert len(pairs[pairs["type"] == "identifier"]) == 1


@pytest.mark.parametrize("reference", ["SOC-000123", "OP ALPHA/2", "a b&c", "Ünïcode-1"])
def test_graph_links_are_what_reverse_gives(reference):
    from django.urls import reverse

    for name in ("threats:nominal", "threats:detail"):
        assert build._url_maker(name)(reference) == reverse(name, args=[reference])

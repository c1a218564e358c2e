"""The inspectorate's master-list extract: the counting rule, the report page and the CLI."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from socmaster.core.models import AuditEntry
from socmaster.reporting.extracts import masterlist_extract
from socmaster.threats.models import Phase, Threat

pytestmark = pytest.mark.django_db


def counted(**overrides):
    values = dict(
        category="tactical", moderation_status="moderated", soc="soc", tier=3, handling="national"
    )
    values.update(overrides)
    return values


@pytest.fixture
def data(org):
    closed = Phase.objects.get(name="Closed – dismantled")
    active = Phase.objects.get(name="Active investigation")
    durham, kent, cleveland = org("force-durham"), org("force-kent"), org("force-cleveland")
    rows = [
        ("C-1", durham, counted(phase=active)),
        ("C-2", durham, counted()),
        ("C-3", cleveland, counted(tier=1)),
        ("C-4", kent, counted(tier=4)),
        ("X-strategic", durham, counted(category="strategic")),
        ("X-draft", durham, counted(moderation_status="submitted")),
        ("X-nonsoc", durham, counted(soc="non_soc")),
        ("X-tier5", durham, counted(tier=5)),
        ("X-notier", durham, counted(tier=None)),
        ("X-closed", kent, counted(phase=closed)),
        ("X-hidden", kent, counted(handling="owner")),
    ]
    for ref, owner, values in rows:
        Threat.objects.create(reference=ref, name=ref, owner=owner, **values)


def test_rule_counts_exactly_the_right_threats(data):
    rows = masterlist_extract(Threat.objects.all())
    assert [(r["region"], r["organisation"], r["threats"]) for r in rows] == [
        ("Eastern", "Kent Police", 2),
        ("North East", "Cleveland Police", 1),
        ("North East", "Durham Constabulary", 2),
    ]


def test_cli_csv_and_json(data, capsys, org):
    call_command("extract", "masterlist", "--reason", "Inspection return", "--format", "csv")
    lines = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert lines[0] == ["region", "organisation", "threats"]
    assert lines[1:] == [
        ["Eastern", "Kent Police", "2"],
        ["North East", "Cleveland Police", "1"],
        ["North East", "Durham Constabulary", "2"],
    ]
    call_command(
        "extract",
        "masterlist",
        "--reason",
        "Inspection return",
        "--region",
        "North East",
        "--format",
        "json",
    )
    assert json.loads(capsys.readouterr().out) == [
        {"region": "North East", "organisation": "Cleveland Police", "threats": 1},
        {"region": "North East", "organisation": "Durham Constabulary", "threats": 2},
    ]
    with pytest.raises(CommandError, match="Unknown organisation 'Middle Earth'"):
        call_command(
            "extract", "masterlist", "--reason", "Inspection return", "--region", "Middle Earth"
        )
    with pytest.raises(CommandError, match="not a region"):
        call_command(
            "extract", "masterlist", "--reason", "Inspection return", "--region", "Durham Police"
        )


def test_report_page_counts_only_what_the_user_may_see(web, make_user, data):
    durham_user = web(make_user("force-durham", "analyst"))
    body = durham_user.get("/reports/masterlist-extract/").content.decode()
    assert 'data-testid="extract-total">4<' in body  # Kent's owner-only threat is hidden
    kent_body = (
        web(make_user("force-kent", "analyst")).get("/reports/masterlist-extract/").content.decode()
    )
    assert 'data-testid="extract-total">5<' in kent_body
    drill = durham_user.get("/reports/masterlist-extract/force-durham/").content.decode()
    assert "C-1" in drill and "C-2" in drill and "X-tier5" not in drill
    ne = durham_user.get(
        "/reports/masterlist-extract/", {"region": "region-north-east"}
    ).content.decode()
    assert 'data-testid="extract-total">3<' in ne
    assert durham_user.get("/reports/").status_code == 200


def test_csv_download_needs_a_reason_and_is_audited(web, make_user, data):
    client = web(make_user("force-durham", "analyst", username="rep"))
    assert client.post("/reports/masterlist-extract.csv", {"reason": ""}).status_code == 400
    response = client.post("/reports/masterlist-extract.csv", {"reason": "Inspection return"})
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == "region,organisation,threats"
    entry = AuditEntry.objects.get(action="export", record_type="reporting.masterlist_extract")
    assert entry.reason == "Inspection return" and entry.username == "rep"

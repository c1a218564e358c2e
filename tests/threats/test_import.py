"""Importing an APMIS-style master-list extract: validation, all-or-nothing, --skip-bad, idempotency."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from socmaster.core.models import AuditEntry
from socmaster.threats.importer import COLUMNS, import_masterlist
from socmaster.threats.models import Threat

pytestmark = pytest.mark.django_db

GOOD = [
    [
        "IMP-1",
        "Harbour network",
        "OCG",
        "Durham Police",
        "Tactical",
        "Moderated",
        "SOC",
        "Tier 2",
        "Active investigation",
        "Illegal drugs (including county lines); firearms",
        "",
        "2025-06-01",
        "150.5",
    ],
    [
        "IMP-2",
        "Fenwick family",
        "Priority individual",
        "NERSOU",
        "Strategic",
        "Draft",
        "Non-SOC",
        "3",
        "Identified",
        "fraud",
        "",
        "01/02/2025",
        "",
    ],
    [
        "IMP-3",
        "Seafront car washes",
        "Vulnerability",
        "Cleveland Police",
        "Tactical",
        "Submitted",
        "SOC",
        "Tier 4",
        "Closed - dismantled",
        "",
        "",
        "2024-12-31",
        "12",
    ],
]


def make_csv(rows, header=COLUMNS) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def test_valid_file_creates_threats_with_one_audit_entry_each():
    before = AuditEntry.objects.filter(action="create", record_type="threats.threat").count()
    result = import_masterlist(make_csv(GOOD))
    assert result.ok and (result.created, result.updated, result.unchanged) == (3, 0, 0)
    t1 = Threat.objects.get(reference="IMP-1")
    assert (t1.owner.key, t1.tier, t1.category, t1.moderation_status, str(t1.score)) == (
        "force-durham",
        2,
        "tactical",
        "moderated",
        "150.50",
    )
    assert sorted(t1.crime_types.values_list("code", flat=True)) == ["drugs", "firearms"]
    assert Threat.objects.get(reference="IMP-2").owner.key == "rocu-north-east"
    t3 = Threat.objects.get(reference="IMP-3")
    assert t3.phase.is_closed and t3.closed_on is not None
    assert (
        AuditEntry.objects.filter(action="create", record_type="threats.threat").count()
        == before + 3
    )


def test_reimport_is_idempotent_and_changes_update():
    import_masterlist(make_csv(GOOD))
    threat_entries = AuditEntry.objects.filter(record_type="threats.threat")
    entries = threat_entries.count()
    again = import_masterlist(make_csv(GOOD))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert threat_entries.count() == entries  # nothing changed, nothing recorded
    # each import itself is recorded, as one started from the page is
    jobs = AuditEntry.objects.filter(record_type="threats.importjob", action="create")
    assert jobs.count() == 2
    changed = [row[:] for row in GOOD]
    changed[0][7] = "Tier 1"
    result = import_masterlist(make_csv(changed))
    assert (result.updated, result.unchanged) == (1, 2)
    assert Threat.objects.get(reference="IMP-1").tier == 1


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("Threat type", "Gang", "is not one of OCG"),
        ("Owner", "Gotham City Police", "unknown organisation 'Gotham City Police'"),
        ("Type", "Operational", "is not Tactical or Strategic"),
        ("Moderation status", "Approved", "is not one of Draft"),
        ("SOC", "Maybe", "is not SOC or Non-SOC"),
        ("Tier", "Tier 6", "is not Tier 1 to Tier 5"),
        ("Phase", "Dormant", "unknown phase 'Dormant'"),
        ("Crime types", "littering", "unknown crime type 'littering'"),
        ("LRO", "nobody", "no active user 'nobody'"),
        ("Assessment date", "31/31/2025", "is not a date"),
        ("Score", "high", "is not a number"),
        ("Name", "", "is required"),
    ],
)
def test_each_bad_value_is_reported_with_its_row_and_nothing_is_written(column, value, message):
    rows = [row[:] for row in GOOD]
    rows[1][COLUMNS.index(column)] = value
    result = import_masterlist(make_csv(rows))
    assert not result.written and Threat.objects.count() == 0
    assert [(e.row, e.field) for e in result.errors] == [(3, column)]
    assert message in result.errors[0].message


def test_all_errors_are_reported_at_once_and_duplicates_caught():
    rows = [row[:] for row in GOOD] + [GOOD[0][:]]
    rows[0][COLUMNS.index("Tier")] = "Tier 9"
    rows[2][COLUMNS.index("SOC")] = "?"
    result = import_masterlist(make_csv(rows))
    assert [(e.row, e.field) for e in result.errors] == [(2, "Tier"), (4, "SOC"), (5, "Reference")]


def test_missing_columns():
    result = import_masterlist(make_csv([GOOD[0][:5]], header=COLUMNS[:5]))
    assert (
        result.errors[0].row == 1
        and "missing column(s): Moderation status" in result.errors[0].message
    )


def test_skip_bad_writes_good_rows_and_returns_rejects():
    rows = [row[:] for row in GOOD]
    rows[1][COLUMNS.index("Owner")] = "Nowhere"
    result = import_masterlist(make_csv(rows), skip_bad=True)
    assert result.written and result.created == 2 and len(result.rejected) == 1
    assert result.rejected[0]["Reference"] == "IMP-2" and "Owner" in result.rejected[0]["Error"]
    assert not Threat.objects.filter(reference="IMP-2").exists()


def test_cli(tmp_path, capsys):
    good = tmp_path / "masterlist.csv"
    good.write_text(make_csv(GOOD))
    call_command("import-masterlist", str(good))
    assert "3 created, 0 updated, 0 unchanged" in capsys.readouterr().out
    bad_rows = [row[:] for row in GOOD] + [
        [
            "IMP-9",
            "X",
            "OCG",
            "Atlantis",
            "Tactical",
            "Moderated",
            "SOC",
            "Tier 3",
            "",
            "",
            "",
            "",
            "",
        ]
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text(make_csv(bad_rows))
    with pytest.raises(CommandError, match="Nothing was imported: 1 problem"):
        call_command("import-masterlist", str(bad))
    assert "row 5, Owner: unknown organisation 'Atlantis'" in capsys.readouterr().err
    call_command("import-masterlist", str(bad), "--skip-bad")
    rejects = (tmp_path / "bad.rejects.csv").read_text()
    assert "IMP-9" in rejects and "Error" in rejects.splitlines()[0]
    with pytest.raises(CommandError, match="No such file"):
        call_command("import-masterlist", str(tmp_path / "missing.csv"))


def test_upload_page(web, make_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = web(make_user("force-durham", "analyst"))
    ok = client.post(
        "/threats-import/",
        {"file": SimpleUploadedFile("m.csv", make_csv(GOOD[:1]).encode())},
        follow=True,
    )
    assert ok.status_code == 200 and "1 created" in ok.content.decode()
    # Rows for organisations the user cannot write for are refused.
    refused = client.post(
        "/threats-import/",
        {"file": SimpleUploadedFile("m.csv", make_csv(GOOD).encode())},
        follow=True,
    )
    body = refused.content.decode()
    assert "Nothing was imported" in body and "you may not import records for" in body
    assert Threat.objects.count() == 1
    assert web(make_user("hmicfrs", "inspector")).get("/threats-import/").status_code == 403


def test_sro_opening_date_and_operation_names_are_imported_when_given(make_user):
    make_user("force-durham", "sio", username="sio-durham")
    columns = [*COLUMNS[:13], "SRO", "Opened", "Operation names"]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerow([*GOOD[0], "sio-durham", "12/03/2024", "Op Lantern; Op Keel"])
    result = import_masterlist(buffer.getvalue())
    assert result.written and result.created == 1, result.errors
    threat = Threat.objects.get(reference="IMP-1")
    assert threat.sro.username == "sio-durham"
    assert threat.opened_on.isoformat() == "2024-03-12"
    assert threat.operation_names == "Op Lantern; Op Keel"
    again = import_masterlist(buffer.getvalue())
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    bad = io.StringIO()
    writer = csv.writer(bad)
    writer.writerow(columns)
    writer.writerow([*GOOD[0], "nobody", "31/02/2024", ""])
    result = import_masterlist(bad.getvalue())
    assert not result.written
    assert {(e.field, e.message) for e in result.errors} == {
        ("SRO", "no active user 'nobody'"),
        ("Opened", "'31/02/2024' is not a date (YYYY-MM-DD or DD/MM/YYYY)"),
    }

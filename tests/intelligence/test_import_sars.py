"""The SAR import (docs/import-sars.md): every check reported with its row (CSV) or SAR and field
(JSON), all or nothing or skip-bad with a rejects file, idempotent on the SAR reference, one audit
entry per batch, nothing left half-written, the upload page and the command line."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from socmaster.core import audit
from socmaster.core.importing import IMPORTERS, UNDO_HANDLERS
from socmaster.core.models import AuditEntry
from socmaster.intelligence import importer
from socmaster.intelligence.importer import COLUMNS, import_sars, register_importers
from socmaster.intelligence.models import SarAccount, SarSubject, SuspiciousActivityReport
from socmaster.threats.choices import ImportKind, ImportStatus
from socmaster.threats.import_views import kind_choices
from socmaster.threats.models import ImportJob

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
HEADER = COLUMNS


def row(**cells) -> dict:
    base = {
        "SAR reference": "UKFIU-2026-0000001",
        "Reporter sector": "credit_institution",
        "Date": "2026-01-05",
        "Type": "standard",
        "Reason for suspicion": "Cash deposits with no clear source.",
        "Amount": "12500.00",
        "Currency": "GBP",
        "Subject family name": "Examplefield",
        "Subject given names": "Ada",
        "Subject date of birth": "1980-02-03",
        "Subject gender": "female",
        "Subject address": "1 Sample Street",
        "Subject postcode": "ZZ1 1AA",
        "Subject phones": "07700 900001",
        "Subject accounts": "20-00-00 12345678",
        "Linked accounts": "Example Bank|20-00-00|12345678|A Examplefield",
    }
    return base | cells


def make_csv(rows: list[dict], header=HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def good_rows(n=3) -> list[dict]:
    rows = []
    for i in range(1, n + 1):
        ref = f"UKFIU-2026-{i:07d}"
        rows.append(row(**{"SAR reference": ref}))
        rows.append(row(**{"SAR reference": ref, "Subject given names": f"Second{i}"}))
    return rows


@pytest.fixture
def owner(org):
    return org("force-durham")


@pytest.fixture
def analyst(make_user):
    return make_user("force-durham", "analyst")


@pytest.fixture
def registered():
    """The SAR import offered on the upload page (as intelligence/registry.py will do), then
    taken away again so other tests see the registry as it was."""
    had = dict(IMPORTERS), dict(UNDO_HANDLERS)
    register_importers()
    yield
    IMPORTERS.clear(), IMPORTERS.update(had[0])
    UNDO_HANDLERS.clear(), UNDO_HANDLERS.update(had[1])


def state():
    return (
        sorted(SuspiciousActivityReport.objects.values_list("reference", "reason_text", "amount")),
        sorted(SarSubject.objects.values_list("sar__reference", "family_name", "given_names")),
        sorted(SarAccount.objects.values_list("sar__reference", "account_number")),
    )


def errors_of(result) -> list[str]:
    return [str(e) for e in result.errors]


def one_error(owner, analyst, rows) -> str:
    result = import_sars(make_csv(rows), owner=owner, user=analyst)
    assert not result.written and not SuspiciousActivityReport.objects.exists()
    assert len(result.errors) == 1, errors_of(result)
    return str(result.errors[0])


# --- A good file ---------------------------------------------------------------------------------


def test_a_good_file_stores_each_sar_with_its_subjects_and_accounts(owner, analyst):
    rows = good_rows(2)
    rows[0]["Type"] = rows[1]["Type"] = "DAML"
    rows[0]["Amount"] = rows[1]["Amount"] = "1,250,000.50"
    result = import_sars(make_csv(rows), owner=owner, user=analyst, source="fiu.csv")
    assert result.written and (result.created, result.unchanged) == (2, 0)
    sar = SuspiciousActivityReport.objects.get(reference="UKFIU-2026-0000001")
    assert (sar.owner, sar.sar_type, sar.amount, sar.currency) == (
        owner,
        "daml",
        Decimal("1250000.50"),
        "GBP",
    )
    assert (sar.status, sar.screening_status, sar.consent_decision, sar.priority) == (
        "awaiting",
        "not_screened",
        "pending",
        "urgent",
    )
    assert sar.risk_base == 60 + 20  # DAML, and £1,000,000 or more
    assert sar.import_source == "fiu.csv, row 2" and sar.imported_at is not None
    assert sar.submitted_on == dt.date(2026, 1, 5)
    subjects = list(sar.subjects.values_list("given_names", "phones", "accounts", "gender"))
    assert subjects == [
        ("Ada", ["07700 900001"], ["20-00-00 12345678"], "female"),
        ("Second1", ["07700 900001"], ["20-00-00 12345678"], "female"),
    ]
    assert list(sar.linked_accounts.values_list("institution", "sort_code", "account_number")) == [
        ("Example Bank", "20-00-00", "12345678")
    ]
    other = SuspiciousActivityReport.objects.get(reference="UKFIU-2026-0000002")
    assert other.import_source == "fiu.csv, row 4" and other.consent_decision == ""
    assert (other.priority, other.risk_base) == ("normal", 5)
    job = ImportJob.objects.get()
    assert (job.kind, job.status, job.created, job.total_rows, job.rows_written) == (
        ImportKind.SARS,
        ImportStatus.DONE,
        2,
        4,
        4,
    )
    assert not job.undo.exists()


def test_one_audit_entry_per_batch_lists_every_reference_created(owner, analyst):
    result = import_sars(make_csv(good_rows(5)), owner=owner, user=analyst, batch_size=2)
    assert result.created == 5
    entries = list(
        AuditEntry.objects.filter(
            action="create", record_type="intelligence.suspiciousactivityreport"
        ).order_by("seq")
    )
    assert [e.changes["count"] for e in entries] == [2, 2, 1]
    assert [r for e in entries for r in e.changes["created"]] == [
        f"UKFIU-2026-{i:07d}" for i in range(1, 6)
    ]
    assert {e.username for e in entries} == {analyst.username}
    assert audit.verify_chain().ok


def test_a_sar_without_subjects_and_other_spellings(owner, analyst):
    rows = [
        row(
            **{c: "" for c in importer.SUBJECT_COLUMNS},
            **{
                "Reporter sector": "Bank or building society",
                "Type": "Vulnerability",
                "Date": "05/01/2026",
                "Amount": "",
                "Currency": "eur",
                "Linked accounts": "",
            },
        )
    ]
    assert import_sars(make_csv(rows), owner=owner, user=analyst).created == 1
    sar = SuspiciousActivityReport.objects.get()
    assert (sar.reporter_sector, sar.sar_type, sar.submitted_on, sar.amount, sar.currency) == (
        "credit_institution",
        "vulnerability",
        dt.date(2026, 1, 5),
        None,
        "EUR",
    )
    assert not sar.subjects.exists() and sar.priority == "high"


def test_headers_match_without_regard_to_case_and_optional_columns_may_be_left_out(owner, analyst):
    header = [c.upper() for c in importer.REQUIRED]
    data = make_csv([{h: v for h, v in zip(header, row().values(), strict=False)}], header=header)
    result = import_sars(data, owner=owner, user=analyst)
    assert result.created == 1 and not SarSubject.objects.exists()


# --- Every check ---------------------------------------------------------------------------------


@pytest.mark.parametrize("column", importer.REQUIRED)
def test_each_required_column_must_have_a_value(owner, analyst, column):
    message = one_error(owner, analyst, [row(**{column: "  "})])
    assert message == f"row 2, {column}: is required"


def test_a_missing_required_column_is_a_header_problem(owner, analyst):
    header = [c for c in HEADER if c != "Type"]
    result = import_sars(make_csv([row()], header=header), owner=owner, user=analyst)
    assert errors_of(result) == ["row 1, header: missing column(s): Type"]
    assert not SuspiciousActivityReport.objects.exists()


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ({"Date": "2026-02-30"}, "row 2, Date: '2026-02-30' is not a date"),
        ({"Date": "5 Jan 2026"}, "row 2, Date: '5 Jan 2026' is not a date"),
        ({"Date": "2999-01-01"}, "row 2, Date: 1 January 2999 is in the future"),
        ({"Subject date of birth": "31/31/1980"}, "row 2, Subject date of birth: '31/31/1980'"),
        ({"Subject date of birth": "2999-01-01"}, "row 2, Subject date of birth: 1 January 2999"),
        ({"Subject date of birth": "1850-01-01"}, "row 2, Subject date of birth: 1 January 1850"),
        ({"Type": "urgent"}, "row 2, Type: 'urgent' is not a known SAR type"),
        ({"Reporter sector": "bakery"}, "row 2, Reporter sector: 'bakery' is not a known"),
        ({"Amount": "£12,500"}, "row 2, Amount: '£12,500' is not an amount"),
        ({"Amount": "12,50"}, "row 2, Amount: '12,50' is not an amount"),
        ({"Amount": "12.505"}, "row 2, Amount: '12.505' is not an amount"),
        ({"Amount": "-5"}, "row 2, Amount: '-5' is negative"),
        ({"Amount": "ten"}, "row 2, Amount: 'ten' is not an amount"),
        ({"Amount": "9" * 14}, "row 2, Amount: '" + "9" * 14 + "' is too large"),
        ({"Currency": "POUNDS"}, "row 2, Currency: 'POUNDS' is not a 3-letter currency"),
        ({"Subject gender": "m"}, "row 2, Subject gender: 'm' is not a known gender"),
        ({"Subject phones": "07700 900001;call me"}, "row 2, Subject phones: 'call me'"),
        ({"Subject postcode": "ZZ1 1AA EXTRA"}, "row 2, Subject postcode: is longer than 10"),
        ({"Subject family name": "", "Subject given names": ""}, "row 2, Subject family name:"),
        ({"Linked accounts": "Bank|20-00-00|123"}, "row 2, Linked accounts: 'Bank|20-00-00|123'"),
        ({"Linked accounts": "Bank|2000|123|H"}, "row 2, Linked accounts: sort code '2000'"),
        ({"Linked accounts": "Bank|20-00-00||H"}, "row 2, Linked accounts: an account number"),
        ({"SAR reference": "has spaces/slash"}, "row 2, SAR reference:"),
        ({"Reason for suspicion": "bad\x00byte"}, "row 2, Reason for suspicion:"),
    ],
)
def test_each_bad_value_is_one_problem_naming_its_row_and_column(owner, analyst, cells, expected):
    assert one_error(owner, analyst, [row(**cells)]).startswith(expected)


def test_a_row_longer_than_the_header_is_refused(owner, analyst):
    data = make_csv([row()]).replace(b"Examplefield\r\n", b"Examplefield,surplus\r\n")
    result = import_sars(data, owner=owner, user=analyst)
    assert errors_of(result) == ["row 2, row: has more cells than the header"]


def test_sort_codes_are_stored_in_one_form(owner, analyst):
    import_sars(
        make_csv([row(**{"Linked accounts": "Bank|200000|123|H;Bank|20 00 01|456|H"})]),
        owner=owner,
        user=analyst,
    )
    assert list(SarAccount.objects.values_list("sort_code", flat=True)) == ["20-00-00", "20-00-01"]


def test_the_sar_columns_repeated_on_each_row_must_agree(owner, analyst):
    rows = good_rows(1)
    rows[1]["Amount"] = "999"
    rows[1]["Linked accounts"] = ""
    result = import_sars(make_csv(rows), owner=owner, user=analyst)
    assert [e.field for e in result.errors] == ["Amount", "Linked accounts"]
    assert str(result.errors[0]).startswith("row 3, Amount: '999' differs from '12500.00' on row 2")
    assert not SuspiciousActivityReport.objects.exists()


def test_a_sar_whose_rows_are_not_together_is_refused(owner, analyst):
    rows = good_rows(2)
    rows = [rows[0], rows[2], rows[1]]
    result = import_sars(make_csv(rows), owner=owner, user=analyst)
    assert errors_of(result) == [
        "row 4, SAR reference: UKFIU-2026-0000001 appears again (first at row 2); "
        "a SAR's rows must be together"
    ]


def test_every_problem_of_the_file_is_reported_and_nothing_is_stored(owner, analyst):
    rows = good_rows(3)
    rows[1]["Subject date of birth"] = "yesterday"
    rows[4]["Amount"] = rows[5]["Amount"] = "lots"
    result = import_sars(make_csv(rows), owner=owner, user=analyst)
    assert [(e.row, e.field) for e in result.errors] == [
        (3, "Subject date of birth"),
        (6, "Amount"),
    ]
    assert not result.written and result.created == 0
    assert not SuspiciousActivityReport.objects.exists() and not SarSubject.objects.exists()
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.FAILED and job.error_count == 2
    assert job.message == "Nothing was imported: 2 problem(s) found."
    assert not AuditEntry.objects.filter(record_type=importer.RECORD_TYPE).exists()


def test_skip_bad_writes_the_good_sars_and_rejects_every_row_of_a_bad_one(owner, analyst, tmp_path):
    rows = good_rows(3)
    rows[3]["Subject gender"] = "sometimes"
    result = import_sars(make_csv(rows), owner=owner, user=analyst, skip_bad=True)
    assert result.written and result.created == 2
    assert sorted(SuspiciousActivityReport.objects.values_list("reference", flat=True)) == [
        "UKFIU-2026-0000001",
        "UKFIU-2026-0000003",
    ]
    assert [r["SAR reference"] for r in result.rejected] == ["UKFIU-2026-0000002"] * 2
    assert all("row 5, Subject gender" in r["Error"] for r in result.rejected)
    rejects = list(csv.DictReader(io.StringIO(importer.sars_rejects(result))))
    assert len(rejects) == 2 and list(rejects[0]) == [*COLUMNS, "Error"]
    # the rejects file, corrected, imports the rest
    for r in rejects:
        r["Subject gender"] = "male"
    again = import_sars(make_csv(rejects), owner=owner, user=analyst)
    assert again.created == 1 and SuspiciousActivityReport.objects.count() == 3
    job = ImportJob.objects.order_by("pk").first()
    assert job.status == ImportStatus.DONE and Path(job.rejects_file).is_file()


# --- Idempotent on the SAR reference -------------------------------------------------------------


def test_the_same_file_again_changes_nothing_and_audits_nothing(owner, analyst):
    data = make_csv(good_rows(3))
    import_sars(data, owner=owner, user=analyst)
    before, entries = state(), AuditEntry.objects.filter(record_type=importer.RECORD_TYPE).count()
    result = import_sars(data, owner=owner, user=analyst)
    assert result.written and (result.created, result.unchanged) == (0, 3)
    assert state() == before
    assert AuditEntry.objects.filter(record_type=importer.RECORD_TYPE).count() == entries


@pytest.mark.parametrize(
    "change",
    [
        {"Reason for suspicion": "A different reason."},
        {"Amount": "12500.01"},
        {"Subject given names": "Other"},
        {"Subject phones": ""},
        {"Linked accounts": ""},
    ],
)
def test_the_same_reference_with_different_details_is_a_problem_never_an_overwrite(
    owner, analyst, change
):
    import_sars(make_csv(good_rows(2)), owner=owner, user=analyst)
    before = state()
    rows = good_rows(2)
    for r in rows[2:]:
        r.update(change)
    result = import_sars(make_csv(rows), owner=owner, user=analyst)
    assert errors_of(result) == [
        "row 4, SAR reference: UKFIU-2026-0000002 is already imported with different details"
    ]
    assert not result.written and state() == before
    skipped = import_sars(make_csv(rows), owner=owner, user=analyst, skip_bad=True)
    assert (skipped.created, skipped.unchanged, len(skipped.rejected)) == (0, 1, 2)
    assert state() == before


def test_a_reference_another_organisation_received_is_different_details(owner, analyst, org):
    import_sars(make_csv(good_rows(1)), owner=org("force-cleveland"), user=None)
    result = import_sars(make_csv(good_rows(1)), owner=owner, user=analyst)
    assert errors_of(result) == [
        "row 2, SAR reference: UKFIU-2026-0000001 is already imported with different details"
    ]
    assert SuspiciousActivityReport.objects.get().owner == org("force-cleveland")


# --- Who may import ------------------------------------------------------------------------------


def test_an_organisation_the_user_may_not_create_for_is_refused(owner, make_user, org):
    outsider = make_user("force-cleveland", "analyst")
    reader = make_user("force-durham", "viewer")
    for user in (outsider, reader):
        result = import_sars(make_csv(good_rows(1)), owner=owner, user=user)
        assert not result.written and [e.field for e in result.errors] == ["organisation"]
    assert not SuspiciousActivityReport.objects.exists()


# --- Nothing half-written -------------------------------------------------------------------------


def _fail_in_batch(monkeypatch, n, effect=None):
    real = importer._write_batch
    count = {"n": 0}

    def write_batch(*args):
        count["n"] += 1
        if count["n"] == n:
            if effect is None:
                raise RuntimeError("disk on fire")
            effect()
        return real(*args)

    monkeypatch.setattr(importer, "_write_batch", write_batch)


def test_a_failure_mid_import_removes_the_batches_already_written(owner, analyst, monkeypatch):
    import_sars(make_csv(good_rows(1)), owner=owner, user=analyst)  # an earlier import stays
    before = state()
    _fail_in_batch(monkeypatch, 3)
    rows = good_rows(7)
    with pytest.raises(RuntimeError, match="disk on fire"):
        import_sars(make_csv(rows), owner=owner, user=analyst, batch_size=2)
    assert state() == before
    job = ImportJob.objects.order_by("-pk").first()
    assert job.status == ImportStatus.FAILED and "Nothing was written" in job.message
    assert not job.undo.exists()
    deletes = AuditEntry.objects.filter(action="delete", record_type=importer.RECORD_TYPE)
    assert [e.changes["count"] for e in deletes.order_by("seq")] == [2, 2]
    assert audit.verify_chain().ok


def test_cancelling_a_running_import_removes_what_it_wrote(owner, analyst, monkeypatch):
    def cancel():
        ImportJob.objects.update(cancel_requested=True)

    _fail_in_batch(monkeypatch, 2, effect=cancel)
    result = import_sars(make_csv(good_rows(5)), owner=owner, user=analyst, batch_size=2)
    assert not result.written and not SuspiciousActivityReport.objects.exists()
    assert ImportJob.objects.get().status == ImportStatus.CANCELLED


def test_an_import_whose_worker_died_is_undone_by_recover_imports(
    owner, analyst, monkeypatch, registered
):
    from django.utils import timezone

    class Killed(BaseException):
        pass

    def killed():
        raise Killed

    _fail_in_batch(monkeypatch, 3, effect=killed)
    monkeypatch.setattr(importer, "undo_batches", lambda job: None)  # the worker died first
    with pytest.raises(Killed):
        import_sars(make_csv(good_rows(6)), owner=owner, user=analyst, batch_size=2)
    monkeypatch.undo()
    job = ImportJob.objects.get()
    assert SuspiciousActivityReport.objects.count() == 4 and job.undo.count() == 2
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, heartbeat_at=timezone.now() - dt.timedelta(minutes=30)
    )
    call_command("recover-imports", stdout=io.StringIO())
    assert not SuspiciousActivityReport.objects.exists() and not SarSubject.objects.exists()


# --- JSON ----------------------------------------------------------------------------------------


def to_json(rows: list[dict]) -> dict:
    sars: dict[str, dict] = {}
    for r in rows:
        sar = sars.setdefault(
            r["SAR reference"],
            {
                "reference": r["SAR reference"],
                "reporter_sector": r["Reporter sector"],
                "date": r["Date"],
                "type": r["Type"],
                "reason": r["Reason for suspicion"],
                "amount": r["Amount"],
                "currency": r["Currency"],
                "subjects": [],
                "linked_accounts": [
                    dict(zip(importer.LINKED_FIELDS, a.split("|"), strict=True))
                    for a in r["Linked accounts"].split(";")
                    if a
                ],
            },
        )
        sar["subjects"].append(
            {
                "family_name": r["Subject family name"],
                "given_names": r["Subject given names"],
                "date_of_birth": r["Subject date of birth"],
                "gender": r["Subject gender"],
                "address": r["Subject address"],
                "postcode": r["Subject postcode"],
                "phones": [p for p in r["Subject phones"].split(";") if p],
                "accounts": [a for a in r["Subject accounts"].split(";") if a],
            }
        )
    return {"format": "socmaster-sars", "version": 1, "sars": list(sars.values())}


def stored():
    return (
        sorted(
            SuspiciousActivityReport.objects.values_list(
                "reference",
                "reporter_sector",
                "submitted_on",
                "sar_type",
                "reason_text",
                "amount",
                "currency",
                "priority",
                "risk_base",
                "consent_decision",
            )
        ),
        list(
            SarSubject.objects.order_by("sar__reference", "id").values_list(
                "sar__reference",
                "family_name",
                "given_names",
                "date_of_birth",
                "gender",
                "address",
                "postcode",
                "phones",
                "accounts",
            )
        ),
        list(
            SarAccount.objects.order_by("sar__reference", "id").values_list(
                "sar__reference", "institution", "sort_code", "account_number", "holder"
            )
        ),
    )


def test_csv_and_json_give_the_same_records(owner, analyst):
    rows = good_rows(3)
    import_sars(make_csv(rows), owner=owner, user=analyst)
    from_csv = stored()
    SuspiciousActivityReport.objects.all().delete()
    result = import_sars(json.dumps(to_json(rows)).encode(), owner=owner, user=analyst)
    assert result.created == 3 and stored() == from_csv
    assert SuspiciousActivityReport.objects.get(reference=rows[0]["SAR reference"]).import_source


def test_a_json_sar_already_imported_from_csv_is_unchanged(owner, analyst):
    rows = good_rows(2)
    import_sars(make_csv(rows), owner=owner, user=analyst)
    result = import_sars(json.dumps(to_json(rows)), owner=owner, user=analyst)
    assert (result.created, result.unchanged) == (0, 2)


def test_json_problems_name_the_sar_and_the_field(owner, analyst):
    document = to_json(good_rows(2))
    document["sars"][1]["subjects"][1]["date_of_birth"] = "1980-13-01"
    document["sars"][1]["linked_accounts"][0]["sort_code"] = "x"
    document["sars"][0]["colour"] = "blue"
    document["sars"][0]["amount"] = -1
    result = import_sars(json.dumps(document), owner=owner, user=analyst)
    assert errors_of(result) == [
        "SAR 1, colour: is not a field of a SAR",
        "SAR 1, amount: '-1' is negative; an amount is 0 or more",
        "SAR 2, subjects[2].date_of_birth: '1980-13-01' is not a date (YYYY-MM-DD or DD/MM/YYYY)",
        "SAR 2, linked_accounts[1]: sort code 'x' is not six digits (12-34-56)",
    ]
    assert not SuspiciousActivityReport.objects.exists()
    skipped = import_sars(json.dumps(document), owner=owner, user=analyst, skip_bad=True)
    assert skipped.created == 0 and {r["SAR reference"] for r in skipped.rejected} == {
        "UKFIU-2026-0000001",
        "UKFIU-2026-0000002",
    }


def test_json_numbers_are_accepted_as_amounts_and_lists_must_be_lists(owner, analyst):
    document = to_json(good_rows(1))
    document["sars"][0]["amount"] = 12500
    assert import_sars(json.dumps(document), owner=owner, user=analyst).created == 1
    document["sars"][0]["reference"] = "UKFIU-2026-0000009"
    document["sars"][0]["subjects"][0]["phones"] = "07700 900001"
    result = import_sars(json.dumps(document), owner=owner, user=analyst)
    assert errors_of(result) == ["SAR 1, subjects[1].phones: must be a list"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"format": "socmaster-sars", "version": 1, "sars": [', "file: not valid JSON"),
        ('{"format": "other", "version": 1, "sars": []}', 'format: must be "socmaster-sars"'),
        ('{"format": "socmaster-sars", "version": 2, "sars": []}', "version: must be 1"),
        ('{"format": "socmaster-sars", "version": 1, "sars": {}}', "sars: must be a list of SARs"),
        ('{"format": "socmaster-sars", "version": 1, "sars": [7]}', "SAR 1, sar: must be an"),
        ("[1, 2]", "file: must be an object"),
    ],
)
def test_malformed_json_or_the_wrong_shape_is_refused(owner, analyst, text, expected):
    result = import_sars(text.encode(), owner=owner, user=analyst)
    assert not result.written and str(result.errors[0]).startswith(expected), errors_of(result)


# --- The example files, the command line, the upload page ----------------------------------------


def test_the_example_files_import_and_give_the_same_records(owner, analyst):
    result = import_sars(EXAMPLES / "sars.csv", owner=owner, user=analyst)
    assert result.written and result.created == 12, errors_of(result)
    from_csv = stored()
    assert SuspiciousActivityReport.objects.filter(sar_type="daml").count() == 3
    SuspiciousActivityReport.objects.all().delete()
    result = import_sars(EXAMPLES / "sars.json", owner=owner, user=analyst)
    assert result.created == 12 and stored() == from_csv
    assert import_sars(EXAMPLES / "sars.csv", owner=owner, user=analyst).unchanged == 12


def test_the_command_imports_for_an_organisation(owner, analyst, tmp_path):
    out = io.StringIO()
    call_command(
        "import-sars",
        str(EXAMPLES / "sars.csv"),
        "--organisation",
        "force-durham",
        "--as",
        analyst.username,
        stdout=out,
    )
    assert "12 created, 0 updated, 0 unchanged" in out.getvalue()
    assert set(SuspiciousActivityReport.objects.values_list("owner", flat=True)) == {owner.pk}


def test_the_command_refuses_bad_input_with_a_clear_message(owner, analyst, tmp_path):
    bad = tmp_path / "bad.csv"
    rows = good_rows(2)
    rows[2]["Date"] = rows[3]["Date"] = "soon"
    bad.write_bytes(make_csv(rows))
    err = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was imported: 1 problem"):
        call_command("import-sars", str(bad), "--organisation", "force-durham", stderr=err)
    assert "row 4, Date: 'soon' is not a date" in err.getvalue()
    with pytest.raises(CommandError, match="No organisation 'nowhere'"):
        call_command("import-sars", str(bad), "--organisation", "nowhere")
    with pytest.raises(CommandError, match="No active user 'ghost'"):
        call_command("import-sars", str(bad), "--organisation", "force-durham", "--as", "ghost")
    rejects = tmp_path / "r.csv"
    call_command(
        "import-sars",
        str(bad),
        "--organisation",
        "force-durham",
        "--skip-bad",
        "--rejects",
        str(rejects),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    assert SuspiciousActivityReport.objects.count() == 1
    assert len(list(csv.DictReader(rejects.open()))) == 2


def test_the_upload_page_offers_sars_and_imports_them_in_the_background(
    web, analyst, owner, registered
):
    assert ("sars", "Suspicious activity reports (SARs)") in kind_choices()
    client = web(analyst)
    page = client.get("/threats-import/").content.decode()
    assert "Suspicious activity reports (SARs)" in page and "docs/import-sars.md" in page
    rows = good_rows(2)
    rows[3]["Currency"] = rows[2]["Currency"] = "pounds"
    response = client.post(
        "/threats-import/",
        {
            "kind": "sars",
            "file": SimpleUploadedFile("fiu.csv", make_csv(rows)),
            "skip_bad": "on",
        },
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert (job.kind, job.status, job.created, job.total_rows, job.rows_written) == (
        "sars",
        ImportStatus.DONE,
        1,
        4,
        2,
    )
    sar = SuspiciousActivityReport.objects.get()
    assert sar.owner == owner and sar.import_source.endswith("fiu.csv, row 2")
    status = client.get(job.get_absolute_url()).content.decode()
    assert "1 created" in status and "Download the rejected rows" in status
    rejects = b"".join(client.get(f"/threats-import/{job.pk}/rejects.csv").streaming_content)
    assert b"row 4, Currency" in rejects


def test_the_upload_page_takes_sars_as_json_and_refuses_json_elsewhere(
    web, analyst, owner, registered
):
    client = web(analyst)
    document = json.dumps(to_json(good_rows(2))).encode()
    response = client.post(
        "/threats-import/",
        {"kind": "sars", "file": SimpleUploadedFile("fiu.json", document)},
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and job.status == ImportStatus.DONE
    assert SuspiciousActivityReport.objects.count() == 2
    assert job.stored_file.endswith(".json")
    # The master list reads CSV only: a JSON file is refused on the field, and nothing starts.
    refused = client.post(
        "/threats-import/",
        {"kind": "masterlist", "file": SimpleUploadedFile("list.json", document)},
    )
    assert refused.status_code == 400
    assert "Upload a .csv file for this import." in refused.content.decode()
    assert ImportJob.objects.count() == 1
    odd = client.post(
        "/threats-import/", {"kind": "sars", "file": SimpleUploadedFile("fiu.txt", document)}
    )
    assert "Upload a .csv or .json file for this import." in odd.content.decode()


def test_the_upload_page_takes_larger_sar_files(web, analyst, owner, registered, monkeypatch):
    from socmaster.threats import import_views

    assert import_views.upload_limits("sars") == (("csv", "json"), 512)
    assert import_views.upload_limits("masterlist") == (("csv",), 50)
    big = SimpleUploadedFile("fiu.csv", make_csv(good_rows(1)))
    big.size = 60 * 1024 * 1024  # over the master list's limit, within the SARs'
    form = import_views.UploadForm({"kind": "sars"}, {"file": big})
    assert form.is_valid(), form.errors
    form = import_views.UploadForm({"kind": "members"}, {"file": big})
    assert not form.is_valid()
    assert "larger than 50 MB" in form.errors["file"][0]


def test_control_characters_are_refused_by_column_and_line_breaks_allowed_where_text_runs_on(
    owner, analyst
):
    rows = good_rows(2)
    rows[0]["Subject family name"] = "SMITH\x07"  # a bell: never allowed
    rows[1]["Subject address"] = "4 Mill Lane\nDurham"  # multi-line text may break lines
    rows[2]["Reason for suspicion"] = "Funds moved\ton arrival.\r\nThen withdrawn."
    rows[3]["Reason for suspicion"] = rows[2]["Reason for suspicion"]
    rows[3]["Subject given names"] = "Alex\nSam"  # a single-line cell may not
    result = import_sars(make_csv(rows), owner=owner, user=analyst)
    problems = [(e.row, e.field, e.message[:43]) for e in result.errors]
    assert problems == [
        (2, "Subject family name", "Remove the control character U+0007 from th"),
        (5, "Subject given names", "Remove the control character U+000A from th"),
    ]
    assert not SuspiciousActivityReport.objects.exists()
    clean = import_sars(make_csv(rows[1:3]), owner=owner, user=analyst)
    assert clean.written and clean.created == 2
    assert (
        SarSubject.objects.get(address="4 Mill Lane\nDurham").sar.reference
        == (rows[1]["SAR reference"])
    )
    second = SuspiciousActivityReport.objects.get(reference=rows[2]["SAR reference"])
    assert second.reason_text == "Funds moved\ton arrival.\r\nThen withdrawn."

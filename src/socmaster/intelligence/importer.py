"""Import suspicious activity reports (SARs) from the UK Financial Intelligence Unit's bulk file,
as CSV (one row per subject) or JSON: the format is in docs/import-sars.md.

Every problem is reported with its place: ``row N, Column: message`` for CSV (the header is row
1), ``SAR N, field: message`` for JSON. Nothing is written unless the whole file is good, unless
``skip_bad`` is set: then the good SARs are written and the rows of the bad ones come back for a
rejects file. The SAR reference is the key: a SAR already imported with the same details is left
as it is (no write, no audit entry); the same reference with different details is a problem of
that SAR, never an overwrite.

The receiving organisation (the owner) is given by the caller, and whoever runs the import must
be allowed to create records for it (``policy.can_create_for``).

Speed: a stress file has a million subjects. The file is read as a stream once, to check it: the
checked SARs go, in batches, to a temporary file (pickled), so no more than a batch of them is in
memory (kept in memory instead, they made the import no faster and took 2.2 KB a SAR).
Meanwhile Python's garbage collector runs less often, SQLite's page cache is larger and its log is
checkpointed less often (``core.bulk.bulk_work``). The write pass reads the batches back and
writes each with a few bulk inserts (``core.bulk.insert_values``) in its own transaction, with ONE audit entry per batch (action
create, record type ``intelligence.suspiciousactivityreport``, changes: the references created
and their count) and one journal entry (``ImportUndo``, record type ``intelligence.sar_batch``:
the ids it created). If the import fails, or is cancelled, every batch already written is
deleted again from that journal (one audit entry per batch deleted), so nothing is left
half-written; ``socmaster recover-imports`` does the same for an import whose worker died.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import pickle
import re
import tempfile
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.db import router, transaction
from django.utils import timezone

from socmaster.core import audit, policy
from socmaster.core.bulk import bulk_work, ids_by_reference, insert_rows, insert_values
from socmaster.core.choices import Action, AuditAction
from socmaster.core.importing import (
    ImportCancelled,
    ImportResult,
    RowError,
    check_cells,
    key,
    parse_date,
    rejects_csv,
)
from socmaster.core.validators import control_character, reference_error
from socmaster.threats.choices import Gender, ImportKind, ImportStatus
from socmaster.threats.models import ImportJob, ImportUndo

from . import risk
from .choices import ConsentDecision, Priority, ProcessingStatus, ReporterSector, SarType
from .choices import ScreeningStatus as Screening
from .models import SarAccount, SarSubject, SuspiciousActivityReport

SAR_COLUMNS = [
    "SAR reference",
    "Reporter sector",
    "Date",
    "Type",
    "Reason for suspicion",
    "Amount",
    "Currency",
]
SUBJECT_COLUMNS = [
    "Subject family name",
    "Subject given names",
    "Subject date of birth",
    "Subject gender",
    "Subject address",
    "Subject postcode",
    "Subject phones",
    "Subject accounts",
]
COLUMNS = [*SAR_COLUMNS, *SUBJECT_COLUMNS, "Linked accounts"]
#: Columns repeated on every row of a SAR, which must agree.
REPEATED = [*SAR_COLUMNS, "Linked accounts"]
REQUIRED = ["SAR reference", "Reporter sector", "Date", "Type", "Reason for suspicion"]
MULTILINE = ("Reason for suspicion", "Subject address")

#: The largest SAR file the upload page takes (a year of a mid-sized force's SARs, about 50,000
#: with their subjects, is about 45 MB as CSV; the 1,000,000-subject stress file is 331 MB).
UPLOAD_MAX_MB = 512

RECORD_TYPE = "intelligence.suspiciousactivityreport"
BATCH_RECORD_TYPE = "intelligence.sar_batch"
#: SARs per batch (each batch its own transaction, audit entry and journal entry).
BATCH_SIZE = 5000
JSON_FORMAT = "socmaster-sars"
ALREADY = "already imported with different details"
#: Marks a CSV row with cells beyond the header.
EXTRA = "(more cells)"
#: Marks a CSV row that holds a control character somewhere: only such a row is checked cell by
#: cell (``check_cells``), to name the column.
DIRTY = "(control character)"

SECTORS = {key(s.value): s.value for s in ReporterSector} | {
    key(s.label): s.value for s in ReporterSector
}
TYPES = {key(t.value): t.value for t in SarType} | {key(t.label): t.value for t in SarType}
TYPES |= {"daml": SarType.DAML.value}
GENDERS = {key(g.value): g.value for g in Gender} | {key(g.label): g.value for g in Gender}
GENDERS[""] = Gender.UNKNOWN.value

_AMOUNT = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?")
_CURRENCY = re.compile(r"[A-Za-z]{3}")
_SORT_CODE = re.compile(r"(\d{2})[- ]?(\d{2})[- ]?(\d{2})")
_PHONE = re.compile(r"\+?[0-9][0-9 ()\-]{4,38}")
_ACCOUNT_NUMBER = re.compile(r"[A-Za-z0-9 ]{1,34}")
MAX_AMOUNT = Decimal("999999999999.99")
EARLIEST_BIRTH = dt.date(1900, 1, 1)

LENGTHS = {
    "reference": 40,
    "family_name": 120,
    "given_names": 200,
    "address": 300,
    "postcode": 10,
    "phone": 40,
    "account": 40,
    "institution": 200,
    "holder": 200,
}


class SarError(RowError):
    """A problem of a SAR in a JSON file: ``SAR 12, subjects[2].date_of_birth: ...`` (row is
    the SAR's place in the file, from 1; 0 for the file as a whole)."""

    def __str__(self) -> str:
        if self.row == 0:
            return f"{self.field}: {self.message}"
        return f"SAR {self.row}, {self.field}: {self.message}"


class FileError(RowError):
    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


# --- Checking one value -------------------------------------------------------------------------
# Each returns the checked value or raises ValueError with the message.


def _text(value, what: str, *, required=False) -> str:
    if value.__class__ is str:
        value = value.strip()
    elif value is None:
        value = ""
    elif isinstance(value, str):
        value = str(value).strip()
    else:
        raise ValueError("must be text")
    if not value:
        if required:
            raise ValueError("is required")
        return value
    limit = LENGTHS.get(what)
    if limit is not None and len(value) > limit:
        raise ValueError(f"is longer than {limit} characters")
    return value


def _reference(value) -> str:
    value = _text(value, "reference", required=True)
    if message := reference_error(value):
        raise ValueError(message)
    return value


def _choice(value, table: dict, noun: str, known) -> str:
    """The stored value ``table`` gives for ``value`` (``known`` lists the values, or makes
    the list, for the message)."""
    if isinstance(value, str) and (found := table.get(value)) is not None:
        return found  # the usual case: written exactly as stored
    text = _text(value, "", required=noun != "gender")
    found = table.get(key(text))
    if found is None:
        known = known() if callable(known) else known
        raise ValueError(f"'{text}' is not a known {noun}; known values: {known}")
    return found


def _sectors_known() -> str:
    return ", ".join(f"{s.value} ({s.label})" for s in ReporterSector)


def _sector(value) -> str:
    return _choice(value, SECTORS, "reporter sector", _sectors_known)


def _type(value) -> str:
    return _choice(value, TYPES, "SAR type", "standard, daml, vulnerability, other")


def _gender(value) -> str:
    return _choice(value, GENDERS, "gender", "female, male, other, unknown")


def _date(value, today: dt.date, *, required=False, birth=False) -> dt.date | None:
    text = _text(value, "", required=required)
    if not text:
        return None
    try:
        day = parse_date(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a date (YYYY-MM-DD or DD/MM/YYYY)") from None
    if day > today:
        raise ValueError(f"{day:%-d %B %Y} is in the future")
    if birth and day < EARLIEST_BIRTH:
        raise ValueError(f"{day:%-d %B %Y} is before 1900")
    return day


def _amount(value) -> Decimal | None:
    if isinstance(value, bool):
        raise ValueError("must be a number")
    if isinstance(value, int | float):
        value = str(value)
    text = _text(value, "")
    if not text:
        return None
    if text.startswith("-"):
        raise ValueError(f"'{text}' is negative; an amount is 0 or more")
    if not _AMOUNT.fullmatch(text):
        raise ValueError(
            f"'{text}' is not an amount (digits, at most 2 decimal places, no currency sign, "
            "commas only between thousands)"
        )
    amount = Decimal(text.replace(",", "")).quantize(Decimal("0.01"))
    if amount > MAX_AMOUNT:
        raise ValueError(f"'{text}' is too large")
    return amount


def _currency(value) -> str:
    text = _text(value, "")
    if not text:
        return "GBP"
    if not _CURRENCY.fullmatch(text):
        raise ValueError(f"'{text}' is not a 3-letter currency code (such as GBP)")
    return text.upper()


def _phone(value) -> str:
    text = _text(value, "phone", required=True)
    if not _PHONE.fullmatch(text):
        raise ValueError(f"'{text}' is not a phone number")
    return text


def _account(value) -> str:
    return _text(value, "account", required=True)


def _linked(institution, sort_code, number, holder) -> tuple[str, str, str, str]:
    """One linked account as stored: (institution, sort code as 12-34-56, number, holder)."""
    institution = _text(institution, "institution")
    holder = _text(holder, "holder")
    sort_text = _text(sort_code, "")
    if sort_text:
        match = _SORT_CODE.fullmatch(sort_text)
        if not match:
            raise ValueError(f"sort code '{sort_text}' is not six digits (12-34-56)")
        sort_text = "-".join(match.groups())
    number = _text(number, "")
    if not number:
        raise ValueError("an account number is required")
    if not _ACCOUNT_NUMBER.fullmatch(number):
        raise ValueError(f"account number '{number}' is not letters and digits (at most 34)")
    return (institution, sort_text, number, holder)


# --- Reading the file ---------------------------------------------------------------------------


def _is_json(data) -> bool:
    if isinstance(data, Path):
        if data.suffix.lower() == ".json":
            return True
        with open(data, "rb") as handle:
            start = handle.read(64)
    else:
        start = data[:64].encode() if isinstance(data, str) else data[:64]
    return start.lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"{", b"["))


def _open_text(data):
    if isinstance(data, Path):
        return open(data, encoding="utf-8-sig", newline="")
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    return io.StringIO(text, newline="")


class _Checker:
    """Checks SARs one by one, remembering the references seen."""

    def __init__(self, today: dt.date):
        self.today = today
        self.seen: dict[str, int] = {}
        # Each column's check, made once for the whole file.
        self.sar_checks = [
            ("SAR reference", "reference", _reference),
            ("Reporter sector", "reporter_sector", _sector),
            ("Date", "submitted_on", lambda v: _date(v, today, required=True)),
            ("Type", "sar_type", _type),
            ("Reason for suspicion", "reason_text", lambda v: _text(v, "", required=True)),
            ("Amount", "amount", _amount),
            ("Currency", "currency", _currency),
        ]
        self.subject_checks = [
            ("family_name", lambda v: _text(v, "family_name")),
            ("given_names", lambda v: _text(v, "given_names")),
            ("date_of_birth", lambda v: _date(v, today, birth=True)),
            ("gender", _gender),
            ("address", lambda v: _text(v, "address")),
            ("postcode", lambda v: _text(v, "postcode").upper()),
        ]


def _csv_groups(data, errors: list) -> Iterator[tuple[int, list[tuple[int, dict]]]]:
    """The file's rows, grouped into SARs: consecutive rows with the same SAR reference."""
    with _open_text(data) as stream:
        reader = csv.reader(stream)
        try:
            header = next(reader)
        except StopIteration:
            errors.append(FileError(1, "file", "the file is empty (no header row)"))
            return
        except csv.Error as exc:
            errors.append(FileError(1, "file", f"not a CSV file: {exc}"))
            return
        by_lower = {c.lower(): c for c in COLUMNS}
        names = [by_lower.get(h.strip().lower(), h.strip()) for h in header]
        missing = [c for c in REQUIRED if c not in names]
        if missing:
            errors.append(RowError(1, "header", f"missing column(s): {', '.join(missing)}"))
            return
        width = len(names)
        known = set(COLUMNS)
        single = [i for i, n in enumerate(names) if n in known and n not in MULTILINE]
        multi = [i for i, n in enumerate(names) if n in MULTILINE]
        group: list[tuple[int, dict]] = []
        current = None
        number = 1
        try:
            for row in reader:
                number += 1
                if not any(row):
                    continue
                if len(row) < width:
                    row = row + [""] * (width - len(row))
                raw = dict(zip(names, row[:width], strict=True))
                if len(row) > width and any(c.strip() for c in row[width:]):
                    raw[EXTRA] = True
                if control_character("".join([row[i] for i in single])) or control_character(
                    "".join([row[i] for i in multi]), multiline=True
                ):
                    raw[DIRTY] = True
                ref = raw["SAR reference"].strip()
                if group and ref != current:
                    yield group[0][0], group
                    group = []
                current = ref
                group.append((number, raw))
        except csv.Error as exc:
            errors.append(FileError(number, "file", f"row {number}: not CSV: {exc}"))
        if group:
            yield group[0][0], group


def _check_csv_sar(
    rows: list[tuple[int, dict]], checker: _Checker, errors: list[RowError]
) -> dict | None:
    """One SAR's rows checked into the values it is stored with (None if it has problems)."""
    before = len(errors)
    first_number, first = rows[0]

    def err(number, column, message):
        errors.append(RowError(number, column, message))

    for number, raw in rows:
        if raw.get(DIRTY):
            check_cells(raw, COLUMNS, number, errors, multiline=MULTILINE)
        if raw.get(EXTRA):
            err(number, "row", "has more cells than the header")
    get = {c: (first.get(c) or "") for c in REPEATED}
    values: dict = {"row": first_number, "place": f"row {first_number}"}
    for column, name, check in checker.sar_checks:
        try:
            values[name] = check(get[column])
        except ValueError as exc:
            err(first_number, column, str(exc))
    linked = []
    for part in filter(None, (p.strip() for p in get["Linked accounts"].split(";"))):
        pieces = part.split("|")
        if len(pieces) != 4:
            err(
                first_number,
                "Linked accounts",
                f"'{part}' is not institution|sort code|account number|holder",
            )
            continue
        try:
            linked.append(_linked(*pieces))
        except ValueError as exc:
            err(first_number, "Linked accounts", str(exc))
    values["linked"] = linked
    for number, raw in rows[1:]:
        for column in REPEATED:
            if (raw.get(column) or "").strip() != get[column].strip():
                err(
                    number,
                    column,
                    f"'{(raw.get(column) or '').strip()}' differs from "
                    f"'{get[column].strip()}' on row {first_number}, the SAR's first row; "
                    "a SAR's columns must agree on all its rows",
                )
    subjects = []
    for number, raw in rows:
        cells = {c: (raw.get(c) or "") for c in SUBJECT_COLUMNS}
        if not any(v.strip() for v in cells.values()):
            if len(rows) > 1:
                err(number, "Subject family name", "a SAR with subjects has no blank subject row")
            continue
        subject = _check_subject(
            checker,
            {
                "family_name": cells["Subject family name"],
                "given_names": cells["Subject given names"],
                "date_of_birth": cells["Subject date of birth"],
                "gender": cells["Subject gender"],
                "address": cells["Subject address"],
                "postcode": cells["Subject postcode"],
                "phones": [p for p in (x.strip() for x in cells["Subject phones"].split(";")) if p],
                "accounts": [
                    a for a in (x.strip() for x in cells["Subject accounts"].split(";")) if a
                ],
            },
            lambda field, message, n=number: err(n, CSV_COLUMN_OF[field.split("[")[0]], message),
        )
        if subject is not None:
            subjects.append(subject)
    values["subjects"] = subjects
    values["rows"] = len(rows)
    _check_repeat(values.get("reference"), first_number, checker, err, "SAR reference", "row")
    return values if len(errors) == before else None


CSV_COLUMN_OF = {
    "family_name": "Subject family name",
    "given_names": "Subject given names",
    "date_of_birth": "Subject date of birth",
    "gender": "Subject gender",
    "address": "Subject address",
    "postcode": "Subject postcode",
    "phones": "Subject phones",
    "accounts": "Subject accounts",
    "subject": "Subject family name",
}


def _check_repeat(reference, place, checker: _Checker, err, field: str, noun: str) -> None:
    if reference and reference in checker.seen:
        err(
            place,
            field,
            f"{reference} appears again (first at {noun} {checker.seen[reference]}); "
            "a SAR's rows must be together",
        )
    elif reference:
        checker.seen[reference] = place


def _check_subject(checker: _Checker, subject: dict, err: Callable) -> tuple | None:
    """One subject as stored: (family name, given names, date of birth, gender, address,
    postcode, phones, accounts); ``err(field, message)`` reports a problem."""
    ok = True
    out = {}
    for field, check in checker.subject_checks:
        try:
            out[field] = check(subject.get(field))
        except ValueError as exc:
            err(field, str(exc))
            ok = False
    for field, check in (("phones", _phone), ("accounts", _account)):
        items = subject.get(field) or []
        if not isinstance(items, list):
            err(field, "must be a list")
            ok = False
            continue
        checked = []
        for index, item in enumerate(items, start=1):
            try:
                checked.append(check(item))
            except ValueError as exc:
                err(f"{field}[{index}]", str(exc))
                ok = False
        out[field] = tuple(checked)
    if ok and not out["family_name"] and not out["given_names"]:
        err("family_name", "a subject needs a family name or given names")
        ok = False
    if not ok:
        return None
    return (
        out["family_name"],
        out["given_names"],
        out["date_of_birth"],
        out["gender"],
        out["address"],
        out["postcode"],
        out["phones"],
        out["accounts"],
    )


SAR_KEYS = {
    "reference",
    "reporter_sector",
    "date",
    "type",
    "reason",
    "amount",
    "currency",
    "subjects",
    "linked_accounts",
}
SUBJECT_KEYS = {
    "family_name",
    "given_names",
    "date_of_birth",
    "gender",
    "address",
    "postcode",
    "phones",
    "accounts",
}
LINKED_KEYS = {"institution", "sort_code", "account_number", "holder"}


def _json_sars(data, errors: list) -> Iterator[tuple[int, dict]]:
    """The SARs of a JSON file (the whole file is read: use CSV for very large files)."""
    try:
        with _open_text(data) as stream:
            document = json.load(stream)
    except json.JSONDecodeError as exc:
        errors.append(
            FileError(
                exc.lineno,
                "file",
                f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
            )
        )
        return
    except UnicodeDecodeError:
        errors.append(FileError(0, "file", "not UTF-8 text"))
        return
    if not isinstance(document, dict):
        errors.append(SarError(0, "file", 'must be an object {"format": "socmaster-sars", ...}'))
        return
    if document.get("format") != JSON_FORMAT:
        errors.append(SarError(0, "format", f'must be "{JSON_FORMAT}"'))
    if document.get("version") != 1:
        errors.append(SarError(0, "version", "must be 1"))
    sars = document.get("sars")
    if not isinstance(sars, list):
        errors.append(SarError(0, "sars", "must be a list of SARs"))
        return
    if errors:
        return
    yield from enumerate(sars, start=1)


def _check_json_sar(number: int, sar, checker: _Checker, errors: list[RowError]) -> dict | None:
    before = len(errors)

    def err(field, message):
        errors.append(SarError(number, field, message))

    if not isinstance(sar, dict):
        err("sar", "must be an object")
        return None
    for extra in sorted(set(sar) - SAR_KEYS):
        err(extra, "is not a field of a SAR")
    values: dict = {"row": number, "place": f"SAR {number}"}
    checks = [
        ("reference", "reference", _reference),
        ("reporter_sector", "reporter_sector", _sector),
        ("date", "submitted_on", lambda v: _date(v, checker.today, required=True)),
        ("type", "sar_type", _type),
        ("reason", "reason_text", lambda v: _text(v, "", required=True)),
        ("amount", "amount", _amount),
        ("currency", "currency", _currency),
    ]
    for field, name, check in checks:
        try:
            values[name] = check(sar.get(field))
        except ValueError as exc:
            err(field, str(exc))
    _control_characters(sar, err)
    subjects, linked = [], []
    raw_subjects = sar.get("subjects") or []
    if not isinstance(raw_subjects, list):
        err("subjects", "must be a list")
        raw_subjects = []
    for index, subject in enumerate(raw_subjects, start=1):
        where = f"subjects[{index}]"
        if not isinstance(subject, dict):
            err(where, "must be an object")
            continue
        for extra in sorted(set(subject) - SUBJECT_KEYS):
            err(f"{where}.{extra}", "is not a field of a subject")
        checked = _check_subject(
            checker, subject, lambda field, message, w=where: err(f"{w}.{field}", message)
        )
        if checked is not None:
            subjects.append(checked)
    raw_linked = sar.get("linked_accounts") or []
    if not isinstance(raw_linked, list):
        err("linked_accounts", "must be a list")
        raw_linked = []
    for index, account in enumerate(raw_linked, start=1):
        where = f"linked_accounts[{index}]"
        if not isinstance(account, dict):
            err(where, "must be an object")
            continue
        for extra in sorted(set(account) - LINKED_KEYS):
            err(f"{where}.{extra}", "is not a field of a linked account")
        try:
            linked.append(_linked(*(account.get(k) for k in LINKED_FIELDS)))
        except ValueError as exc:
            err(where, str(exc))
    values["subjects"], values["linked"], values["rows"] = subjects, linked, 1
    _check_repeat(values.get("reference"), number, checker, err_at(err), "reference", "SAR")
    return values if len(errors) == before else None


LINKED_FIELDS = ("institution", "sort_code", "account_number", "holder")


def err_at(err):
    return lambda _place, field, message: err(field, message)


def _control_characters(sar: dict, err) -> None:
    from socmaster.core.validators import control_character, control_message

    def walk(value, where, multiline):
        if isinstance(value, str):
            if char := control_character(value, multiline=multiline):
                err(where, control_message(char))
        elif isinstance(value, list):
            for i, item in enumerate(value, start=1):
                walk(item, f"{where}[{i}]", multiline)
        elif isinstance(value, dict):
            for k, item in value.items():
                walk(item, f"{where}.{k}" if where else k, k in ("reason", "address"))

    walk(sar, "", False)


def json_sar_rows(sar) -> list[dict]:
    """A JSON SAR as the rows of the CSV format (for the rejects file)."""
    if not isinstance(sar, dict):
        return [{"SAR reference": "", "Reason for suspicion": str(sar)[:200]}]

    def cell(value):
        if value is None:
            return ""
        return value if isinstance(value, str) else json.dumps(value)

    def joined(items):
        return ";".join(cell(i) for i in items) if isinstance(items, list) else cell(items)

    linked = sar.get("linked_accounts") or []
    common = {
        "SAR reference": cell(sar.get("reference")),
        "Reporter sector": cell(sar.get("reporter_sector")),
        "Date": cell(sar.get("date")),
        "Type": cell(sar.get("type")),
        "Reason for suspicion": cell(sar.get("reason")),
        "Amount": cell(sar.get("amount")),
        "Currency": cell(sar.get("currency")),
        "Linked accounts": ";".join(
            "|".join(cell(a.get(k)) for k in LINKED_FIELDS) if isinstance(a, dict) else cell(a)
            for a in (linked if isinstance(linked, list) else [linked])
        ),
    }
    subjects = sar.get("subjects") or []
    if not isinstance(subjects, list) or not subjects:
        return [common]
    rows = []
    for subject in subjects:
        subject = subject if isinstance(subject, dict) else {}
        rows.append(
            {
                **common,
                "Subject family name": cell(subject.get("family_name")),
                "Subject given names": cell(subject.get("given_names")),
                "Subject date of birth": cell(subject.get("date_of_birth")),
                "Subject gender": cell(subject.get("gender")),
                "Subject address": cell(subject.get("address")),
                "Subject postcode": cell(subject.get("postcode")),
                "Subject phones": joined(subject.get("phones") or []),
                "Subject accounts": joined(subject.get("accounts") or []),
            }
        )
    return rows


# --- Comparing with what is stored --------------------------------------------------------------


def _signature(values: dict, owner_id: int) -> tuple:
    return (
        owner_id,
        values["reporter_sector"],
        values["submitted_on"],
        values["sar_type"],
        values["reason_text"],
        values["amount"],
        values["currency"],
        tuple(values["subjects"]),
        tuple(values["linked"]),
    )


def _stored_signatures(references: list[str]) -> dict[str, tuple[SuspiciousActivityReport, tuple]]:
    sars = {s.pk: s for s in SuspiciousActivityReport.objects.filter(reference__in=references)}
    if not sars:
        return {}
    subjects: dict[int, list] = {pk: [] for pk in sars}
    for row in (
        SarSubject.objects.filter(sar_id__in=sars)
        .order_by("id")
        .values_list(
            "sar_id",
            "family_name",
            "given_names",
            "date_of_birth",
            "gender",
            "address",
            "postcode",
            "phones",
            "accounts",
        )
    ):
        sar_id, *fields = row
        fields[6], fields[7] = tuple(fields[6] or ()), tuple(fields[7] or ())
        subjects[sar_id].append(tuple(fields))
    linked: dict[int, list] = {pk: [] for pk in sars}
    for sar_id, *fields in (
        SarAccount.objects.filter(sar_id__in=sars)
        .order_by("id")
        .values_list("sar_id", "institution", "sort_code", "account_number", "holder")
    ):
        linked[sar_id].append(tuple(fields))
    return {
        s.reference: (
            s,
            (
                s.owner_id,
                s.reporter_sector,
                s.submitted_on,
                s.sar_type,
                s.reason_text,
                s.amount,
                s.currency,
                tuple(subjects[pk]),
                tuple(linked[pk]),
            ),
        )
        for pk, s in sars.items()
    }


# --- The import ---------------------------------------------------------------------------------


def import_sars(
    data: bytes | str | Path,
    *,
    owner,
    user=None,
    skip_bad: bool = False,
    source: str = "",
    progress: Callable[[int, int | None], None] | None = None,
    job: ImportJob | None = None,
    batch_size: int | None = None,
) -> ImportResult:
    """Check and import a SAR file (CSV or JSON) for the receiving organisation ``owner``.

    ``user`` None is an operator at the command line. ``source`` names the file (kept with each
    SAR as ``import_source``: "FILE, row N"). ``job`` is the import record that shows progress
    and may be cancelled; one is made if none is given."""
    from socmaster.threats.journal import finish_job
    from socmaster.threats.services import start_import

    source = (source or "").strip() or (data.name if isinstance(data, Path) else "SAR import")
    result = ImportResult()
    if user is not None and not policy.can_create_for(user, owner):
        result.errors.append(
            FileError(0, "organisation", f"you may not import SARs for {owner.name}")
        )
        if job is not None:
            finish_job(
                job, result, ImportStatus.FAILED, f"Nothing was imported: {result.errors[0]}"
            )
        return result
    if job is None:
        job = start_import(
            user, source_name=source, stored_file="", skip_bad=skip_bad, kind=ImportKind.SARS
        )
    now = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, started_at=now, heartbeat_at=now
    )
    try:
        with (
            bulk_work(router.db_for_write(SuspiciousActivityReport)),
            tempfile.TemporaryFile(dir=_temp_dir()) as spool,
        ):
            checked = _check(data, owner, user, skip_bad, job, spool, result, progress)
            if result.errors and not skip_bad:
                result.created = result.unchanged = 0
            else:
                spool.seek(0)
                _write(spool, checked, owner, user, source, job, result, progress, batch_size)
                result.written = True
                job.undo.all().delete()  # finished: nothing is to be undone
    except ImportCancelled:
        finish_job(job, ImportResult(), ImportStatus.CANCELLED, "Cancelled: nothing was written.")
        return ImportResult()
    except Exception as exc:
        finish_job(
            job,
            ImportResult(),
            ImportStatus.FAILED,
            f"The import stopped: {exc!r}. Nothing was written.",
        )
        raise
    result.errors.sort(key=lambda e: e.row)
    if result.written:
        finish_job(job, result, ImportStatus.DONE, "", columns=COLUMNS)
    else:
        finish_job(
            job,
            result,
            ImportStatus.FAILED,
            f"Nothing was imported: {len(result.errors)} problem(s) found.",
            columns=COLUMNS,
        )
    return result


def _temp_dir() -> str | None:
    folder = settings.SOCMASTER.get("IMPORT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        return str(folder)
    return None


def _cancelled(job: ImportJob) -> bool:
    return ImportJob.objects.filter(pk=job.pk, cancel_requested=True).exists()


def _check(data, owner, user, skip_bad, job, spool, result, progress) -> int:
    """The check pass: every SAR checked, compared with what is stored, and the ones to write
    spooled in batches. Returns how many SARs are to be written."""
    errors = result.errors
    checker = _Checker(timezone.localdate())
    pending: list[dict] = []
    pending_rows: dict[str, list[dict]] = {}
    state = {"to_write": 0, "rows": 0}

    def reject(rows: list[dict], problems: list[RowError]) -> None:
        if skip_bad:
            message = "; ".join(str(e) for e in problems)
            result.rejected.extend({**r, "Error": message} for r in rows)

    def flush() -> None:
        stored = _stored_signatures([v["reference"] for v in pending])
        batch = []
        for values in pending:
            found = stored.get(values["reference"])
            if found is None:
                batch.append(values)
                continue
            sar, signature = found
            visible = user is None or policy.can(user, Action.VIEW, sar)
            if visible and signature == _signature(values, owner.pk):
                result.unchanged += 1
                continue
            place = values["row"]
            problem = (
                SarError(place, "reference", f"{values['reference']} is {ALREADY}")
                if json_file
                else RowError(place, "SAR reference", f"{values['reference']} is {ALREADY}")
            )
            errors.append(problem)
            reject(pending_rows.get(values["reference"], []), [problem])
        if batch:
            spooled = [Spooled(*(v[name] for name in Spooled._fields)) for v in batch]
            pickle.dump(spooled, spool, protocol=pickle.HIGHEST_PROTOCOL)
            state["to_write"] += len(batch)
        pending.clear()
        pending_rows.clear()
        ImportJob.objects.filter(pk=job.pk).update(
            heartbeat_at=timezone.now(), rows_checked=state["rows"]
        )
        if progress:
            progress(state["rows"], None)
        if _cancelled(job):
            raise ImportCancelled

    json_file = _is_json(data)
    if json_file:
        groups = ((number, sar, json_sar_rows(sar)) for number, sar in _json_sars(data, errors))
    else:
        groups = (
            (number, rows, [r for _, r in rows]) for number, rows in _csv_groups(data, errors)
        )
    for number, item, raw_rows in groups:
        state["rows"] += len(raw_rows) if not json_file else 1
        before = len(errors)
        if json_file:
            values = _check_json_sar(number, item, checker, errors)
        else:
            values = _check_csv_sar(item, checker, errors)
        if values is None:
            reject(raw_rows, errors[before:])
            continue
        if errors and not skip_bad:
            continue  # nothing will be written: checking goes on, to report every problem
        pending.append(values)
        if skip_bad:
            pending_rows[values["reference"]] = raw_rows
        if len(pending) >= 2000:
            flush()
    flush()
    ImportJob.objects.filter(pk=job.pk).update(total_rows=state["rows"], rows_checked=state["rows"])
    return state["to_write"]


class Spooled(NamedTuple):
    """A checked SAR as the spool keeps it for the write pass (a tuple pickles faster than the
    dict the check pass makes)."""

    reference: str
    reporter_sector: str
    submitted_on: dt.date
    sar_type: str
    reason_text: str
    amount: Decimal | None
    currency: str
    place: str
    rows: int
    linked: list
    subjects: list


def _batches(spool, size: int) -> Iterator[list[Spooled]]:
    buffer: list[Spooled] = []
    while True:
        try:
            buffer.extend(pickle.load(spool))
        except EOFError:
            break
        while len(buffer) >= size:
            yield buffer[:size]
            buffer = buffer[size:]
    if buffer:
        yield buffer


def _write(spool, total, owner, user, source, job, result, progress, batch_size) -> None:
    """The write pass: each batch in its own transaction with one audit entry and one journal
    entry; on any failure, or a cancel, every batch written is removed again."""
    size = batch_size or BATCH_SIZE
    done = 0
    rows_written = 0
    try:
        for batch in _batches(spool, size):
            with transaction.atomic():
                _write_batch(batch, owner, user, source, job)
            done += len(batch)
            rows_written += sum(v.rows for v in batch)
            result.created += len(batch)
            ImportJob.objects.filter(pk=job.pk).update(
                heartbeat_at=timezone.now(), rows_written=rows_written
            )
            if progress:
                progress(done, total)
            if _cancelled(job):
                raise ImportCancelled
    except BaseException:
        undo_batches(job)
        result.created = result.unchanged = 0
        raise


#: The columns the write pass gives, in order (``core.bulk.insert_values``); every other field
#: takes its default.
SAR_INSERT = (
    "reference",
    "reporter_sector",
    "submitted_on",
    "sar_type",
    "reason_text",
    "amount",
    "currency",
    "owner_id",
    "status",
    "priority",
    "risk_base",
    "screening_status",
    "consent_decision",
    "import_source",
    "imported_at",
    "source_key",
    "created_at",
    "updated_at",
)
SUBJECT_INSERT = (
    "sar_id",
    "family_name",
    "given_names",
    "date_of_birth",
    "gender",
    "nationality",
    "address",
    "postcode",
    "phones",
    "accounts",
)
ACCOUNT_INSERT = ("sar_id", "institution", "sort_code", "account_number", "holder")


def _write_batch(batch: list[Spooled], owner, user, source: str, job: ImportJob) -> None:
    now = timezone.now()
    label = source[:250]
    awaiting, not_screened = ProcessingStatus.AWAITING.value, Screening.NOT_SCREENED.value
    pending, daml = ConsentDecision.PENDING.value, SarType.DAML.value
    by_type = {  # the priority a type gives
        t: (risk.default_sar_priority(t) or Priority.NORMAL.value) for t in SarType.values
    }
    scores: dict = {}

    def score(sar_type, amount) -> int:
        key = (sar_type, amount)
        if key not in scores:
            scores[key] = risk.total(
                risk.sar_factors(sar_type=sar_type, amount=amount, matches_found=False)
            )
        return scores[key]

    sars = []
    for v in batch:
        sar_type = v.sar_type
        sars.append(
            (
                v.reference,
                v.reporter_sector,
                v.submitted_on,
                sar_type,
                v.reason_text,
                v.amount,
                v.currency,
                owner.pk,
                awaiting,
                by_type[sar_type],
                score(sar_type, v.amount),
                not_screened,
                pending if sar_type == daml else "",
                f"{label}, {v.place}",
                now,
                "",
                now,
                now,
            )
        )
    insert_values(SuspiciousActivityReport, SAR_INSERT, sars)
    refs = [v.reference for v in batch]
    ids = ids_by_reference(SuspiciousActivityReport, refs)
    subjects, linked = [], []
    for v in batch:
        sar_id = ids[v.reference]
        for family, given, born, gender, address, postcode, phones, accounts in v.subjects:
            subjects.append(
                (
                    sar_id,
                    family,
                    given,
                    born,
                    gender,
                    "",
                    address,
                    postcode,
                    list(phones),
                    list(accounts),
                )
            )
        for account in v.linked:
            linked.append((sar_id, *account))
    insert_values(SarSubject, SUBJECT_INSERT, subjects)
    insert_values(SarAccount, ACCOUNT_INSERT, linked)
    created_ids = [ids[r] for r in refs]
    insert_rows(
        ImportUndo,
        [
            {
                "job_id": job.pk,
                "record_type": BATCH_RECORD_TYPE,
                "record_id": created_ids[0],
                "before": {"ids": created_ids, "references": refs},
            }
        ],
    )
    audit.record(
        AuditAction.CREATE,
        user=user,
        organisation=owner,
        record_type=RECORD_TYPE,
        record_id=f"{created_ids[0]}..{created_ids[-1]}",
        record_repr=f"{len(refs)} SARs imported from {label}"[:300],
        changes={"created": refs, "count": len(refs), "import": job.pk},
    )


def undo_batches(job: ImportJob) -> None:
    """Remove, newest first, every batch of SARs ``job`` wrote (from its journal)."""
    for undo in job.undo.filter(record_type=BATCH_RECORD_TYPE).order_by("-pk"):
        undo_batch(job, undo)


def undo_batch(job: ImportJob, undo: ImportUndo) -> None:
    """Delete one journalled batch of SARs (their subjects and linked accounts with them), with
    one audit entry; the undo handler of ``intelligence.sar_batch`` (``recover-imports``)."""
    ids = undo.before["ids"]
    with transaction.atomic():
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            SuspiciousActivityReport.objects.filter(pk__in=chunk).delete()
        audit.record(
            AuditAction.DELETE,
            user=job.created_by,
            record_type=RECORD_TYPE,
            record_id=f"{ids[0]}..{ids[-1]}",
            record_repr=f"{len(ids)} SARs of import {job.pk}",
            reason=f"Import {job.pk} ({job.source_name}) did not finish; its SARs are removed.",
            changes={"deleted": undo.before["references"], "count": len(ids)},
        )
        undo.delete()


def sars_rejects(result: ImportResult) -> str:
    return rejects_csv(result, COLUMNS)


def _run_upload(data, *, user, skip_bad, source, job=None, progress=None) -> ImportResult:
    """The upload page's run: the SARs are received by the uploader's own organisation."""
    owner = (job.organisation if job is not None else None) or user.primary_organisation
    return import_sars(
        data, owner=owner, user=user, skip_bad=skip_bad, source=source, job=job, progress=progress
    )


def register_importers() -> None:
    """Offer the SAR import on the upload page and register the undo of its batches."""
    from socmaster.core.importing import register_importer, register_undo

    register_undo(BATCH_RECORD_TYPE, undo_batch)
    register_importer(
        ImportKind.SARS,
        label="Suspicious activity reports (SARs)",
        run=_run_upload,
        columns=COLUMNS,
        guide="docs/import-sars.md",
        formats=("csv", "json"),
        max_mb=UPLOAD_MAX_MB,
    )

"""Import disruption records (CSV) with the same rules as the master-list import: every row checked
and reported by number, all or nothing unless ``skip_bad``, references as keys (re-importing the same
file changes nothing).

A force's history may also carry the optional columns (``OPTIONAL_COLUMNS``): the narrative and
evidence, the nominals concerned, who recorded it and when it was entered in the source system, and
who moderated it there, when and why. A narrative or evidence given is held to the standard as one
typed by hand (the excluded-activities wording included); one not given is not refused here and the
recording audit lists the record against that rule. Every other rule of the current standard, and
the rules of history (``services.history_problems``), apply to every row. See
docs/import-disruptions.md."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.core.exceptions import ValidationError

from socmaster.core import policy
from socmaster.core.choices import Action
from socmaster.core.importing import (
    ImportResult,
    RowError,
    check_cells,
    check_reference_cell,
    key,
    parse_date,
    read_csv,
    rejects_csv,
)
from socmaster.organisations.models import Organisation
from socmaster.threats.choices import ImportKind
from socmaster.threats.importer import importer_account
from socmaster.threats.journal import run_journalled_import
from socmaster.threats.models import Nominal, Threat

from . import services
from .choices import Category, DisruptionStatus, DisruptionType, FourP
from .models import Disruption, Tactic
from .services import RECORD_TYPE, at_noon, current_standard

#: The columns every file has.
COLUMNS = [
    "Reference",
    "Threat reference",
    "Recording organisation",
    "Team",
    "Disruption type",
    "4P",
    "Assessment category",
    "Event date",
    "Record date",
    "Tactic",
    "Moderation status",
]
#: Columns a file may add (a force's history). A column left out leaves its field as it is.
OPTIONAL_COLUMNS = [
    "Narrative",
    "Evidence",
    "Nominal references",
    "Recorded by",
    "Entered on",
    "Moderated by",
    "Moderated on",
    "Decision reason",
]
ALL_COLUMNS = COLUMNS + OPTIONAL_COLUMNS
REQUIRED = [c for c in COLUMNS if c not in ("Team", "Tactic")]
#: Cells that may hold tabs and line breaks.
MULTILINE = ("Narrative", "Evidence", "Decision reason")
STATUSES = {
    "approved": DisruptionStatus.APPROVED,
    "draft": DisruptionStatus.DRAFT,
    "submitted": DisruptionStatus.SUBMITTED,
    "returned": DisruptionStatus.RETURNED,
    "rejected": DisruptionStatus.REJECTED,
}
#: Text columns and the fields they fill.
TEXT_COLUMNS = {
    "Narrative": "narrative",
    "Evidence": "evidence",
    "Recorded by": "recorder_name",
    "Moderated by": "outside_decision_by",
    "Decision reason": "decision_reason",
}
#: The column a rule's field is reported under.
COLUMN_OF = {
    "threat": "Threat reference",
    "event_date": "Event date",
    "record_date": "Record date",
    "tactic": "Tactic",
    "team": "Team",
    "narrative": "Narrative",
    "evidence": "Evidence",
    "disruption_type": "Disruption type",
    "lead": "Disruption type",
    "four_p": "4P",
    "category": "Assessment category",
    "status": "Moderation status",
    "recording_organisation": "Recording organisation",
    "created_at": "Entered on",
    "outside_decision_by": "Moderated by",
    "outside_decision_on": "Moderated on",
    "moderated_at": "Moderated on",
    "recorder_name": "Recorded by",
    "decision_reason": "Decision reason",
    "nominals": "Nominal references",
    "reference": "Reference",
}


def _date(get: dict, column: str, err) -> object:
    if not get[column]:
        return None
    try:
        return parse_date(get[column])
    except ValueError:
        err(column, f"'{get[column]}' is not a date (YYYY-MM-DD or DD/MM/YYYY)")
        return None


def _threat(get: dict, look: dict, err):
    """The row's threat, if the importing person may change it (one answer for hidden and
    missing)."""
    reference = get["Threat reference"]
    if not reference:
        return None
    threat = look["threats"].get(reference)
    user = look["user"]
    if threat is not None and user is not None:
        if threat.pk not in look["may"]:
            look["may"][threat.pk] = (
                policy.can(user, Action.VIEW, threat),
                services.may_import(user, threat),
            )
        visible, may_change = look["may"][threat.pk]
        if not visible:
            threat = None
        elif not may_change:
            err(
                "Threat reference",
                f"you may not change {reference}, so you may not import its disruptions",
            )
            return None
    if threat is None:
        err("Threat reference", f"no threat {reference} on the master list")
    return threat


def _parse(
    raw: dict, number: int, look: dict, errors: list[RowError], standard, present: set[str]
) -> dict | None:
    """One row's checked values (the fields to write, plus ``_nominals`` and ``_not_carried``),
    or None with its errors added to ``errors``."""
    before = len(errors)

    def err(column, message):
        errors.append(RowError(number, column, message))

    get = {c: (raw.get(c) or "").strip() for c in ALL_COLUMNS}
    for column in REQUIRED:
        if not get[column]:
            err(column, "is required")
    check_cells(raw, ALL_COLUMNS, number, errors, multiline=MULTILINE)
    check_reference_cell(get["Reference"], "Reference", number, errors)
    out = {"reference": get["Reference"], "team": get["Team"]}
    out["threat"] = threat = _threat(get, look, err)
    if get["Recording organisation"]:
        name = get["Recording organisation"]
        if name not in look["orgs"]:
            try:
                look["orgs"][name] = Organisation.objects.resolve(name)
            except Organisation.DoesNotExist:
                look["orgs"][name] = None
        out["recording_organisation"] = look["orgs"][name]
        if out["recording_organisation"] is None:
            err("Recording organisation", f"unknown organisation '{name}'")
    for column, field, choices in (
        ("Disruption type", "disruption_type", DisruptionType),
        ("4P", "four_p", FourP),
        ("Assessment category", "category", Category),
    ):
        if get[column]:
            folded = {key(c.label): c.value for c in choices} | {
                key(c.value): c.value for c in choices
            }
            value = folded.get(key(get[column]))
            if value is None:
                err(column, f"'{get[column]}' is not one of {', '.join(c.label for c in choices)}")
            out[field] = value
    out["event_date"] = _date(get, "Event date", err)
    out["record_date"] = _date(get, "Record date", err)
    out["tactic"] = None
    if get["Tactic"]:
        out["tactic"] = look["tactics"].get(key(get["Tactic"]))
        if out["tactic"] is None:
            err("Tactic", f"unknown tactic '{get['Tactic']}'")
    if get["Moderation status"]:
        out["status"] = STATUSES.get(key(get["Moderation status"]))
        if out["status"] is None:
            err(
                "Moderation status",
                f"'{get['Moderation status']}' is not one of Approved, Draft, Submitted, "
                "Returned, Rejected",
            )
    # The optional columns: a column the file leaves out leaves its field as it is.
    for column, field in TEXT_COLUMNS.items():
        if column in present:
            out[field] = get[column]
    not_carried = tuple(f for f in ("narrative", "evidence") if not out.get(f))
    entered = _date(get, "Entered on", err)
    if entered is not None:
        out["created_at"] = at_noon(entered)  # left out: the time of the import
    if "Moderated on" in present:
        decided = _date(get, "Moderated on", err)
        out["outside_decision_on"] = decided
        out["moderated_at"] = at_noon(decided)
    nominals = None
    if "Nominal references" in present:
        nominals = []
        for reference in dict.fromkeys(r.strip() for r in get["Nominal references"].split(";")):
            if not reference:
                continue
            nominal = look["nominals"].get(reference)
            if nominal is None:  # one answer for a hidden nominal and a missing one
                err("Nominal references", f"no nominal {reference}")
            else:
                nominals.append(nominal)
    for field in ("team", *TEXT_COLUMNS.values()):
        limit = getattr(Disruption._meta.get_field(field), "max_length", None)
        if isinstance(out.get(field), str) and limit and len(out[field]) > limit:
            column = COLUMN_OF[field]
            err(column, f"is longer than {limit} characters")
    if len(errors) == before:
        problems = services.import_problems(out, threat, standard, not_carried=not_carried)
        for field, messages in problems.items():
            err(COLUMN_OF.get(field, field), " ".join(messages))
    if len(errors) != before:
        return None
    return out | {"_nominals": nominals, "_not_carried": not_carried}


def import_disruptions(
    data: bytes | str | Path,
    *,
    skip_bad: bool = False,
    progress: Callable[[int, int], None] | None = None,
    user=None,
    source: str = "",
    batch_size: int | None = None,
    job=None,
) -> ImportResult:
    """Check and import disruption records. As the master-list import does, it is recorded as
    an import (``ImportJob``), writes in short batches so that others can write in between, and
    journals each write, so an import that fails, or whose worker dies (``recover-imports``),
    is undone whole. ``user``: the person importing (None for an operator at the command line),
    who must be allowed to change each threat concerned."""
    result = ImportResult()
    headers, rows = read_csv(data, ALL_COLUMNS)
    missing = [c for c in COLUMNS if c not in headers]
    if missing:
        result.errors.append(RowError(1, "header", f"missing column(s): {', '.join(missing)}"))
        return result
    present = set(headers)
    standard = current_standard()
    refs = {(r.get("Threat reference") or "").strip() for r in rows}
    nominal_refs = {
        part.strip()
        for r in rows
        for part in (r.get("Nominal references") or "").split(";")
        if part.strip()
    }
    nominals = Nominal.objects.filter(reference__in=nominal_refs)
    if user is not None:
        nominals = nominals.visible_to(user)
    look = {
        "threats": {
            t.reference: t
            for t in Threat.objects.filter(reference__in=refs).select_related("owner")
        },
        "nominals": {n.reference: n for n in nominals},
        "orgs": {},
        "tactics": {},
        "user": user,
        "may": {},
    }
    for t in Tactic.objects.all():
        look["tactics"][key(t.code)] = t
        look["tactics"][key(t.label)] = t
    parsed, seen = [], {}
    name = source or "disruption import"
    for number, raw in enumerate(rows, start=2):
        row_errors: list[RowError] = []
        values = _parse(raw, number, look, row_errors, standard, present)
        ref = (raw.get("Reference") or "").strip()
        if ref and ref in seen:
            row_errors.append(
                RowError(number, "Reference", f"{ref} appears again (first on row {seen[ref]})")
            )
            values = None
        seen.setdefault(ref, number)
        if row_errors:
            result.errors.extend(row_errors)
            result.rejected.append(
                {**raw, "Error": "; ".join(f"{e.field}: {e.message}" for e in row_errors)}
            )
        else:
            values["_source"] = f"{name}, row {number}"[:300]
            parsed.append((number, raw, values))
    if result.errors and not skip_bad:
        return result
    # Leads first, so support rows can link to the lead of the same threat and event date.
    parsed.sort(key=lambda item: item[2]["disruption_type"] != DisruptionType.LEAD)
    return run_journalled_import(
        parsed,
        result,
        lambda values: _write(values, standard, user),
        kind=ImportKind.DISRUPTIONS,
        record_type=RECORD_TYPE,
        user=user,
        source=name,
        skip_bad=skip_bad,
        total_rows=len(rows),
        batch_size=batch_size,
        progress=progress,
        job=job,
    )


def _write(values: dict, standard, user) -> tuple[str, tuple[int, dict | None] | None]:
    values = dict(values)
    reference = values.pop("reference")
    source = values.pop("_source", "")
    nominals = values.pop("_nominals", None)
    not_carried = values.pop("_not_carried", ())
    lead = None
    if values["disruption_type"] == DisruptionType.SUPPORT:
        lead = (
            Disruption.objects.filter(
                threat=values["threat"],
                event_date=values["event_date"],
                disruption_type=DisruptionType.LEAD,
            )
            .order_by("id")
            .first()
        )
        if lead is None:
            raise ValidationError(
                {
                    "Disruption type": [
                        "a support record needs a lead record for the same threat and event date"
                    ]
                }
            )
    recorder = importer_account(values["recording_organisation"])
    try:
        return services.import_disruption(
            recorder,
            reference=reference,
            standard=standard,
            fields={**values, "lead": lead},
            nominals=nominals,
            source=source,
            user=user,
            not_carried=not_carried,
        )
    except ValidationError as exc:  # reported under the file's column names
        if not hasattr(exc, "error_dict"):
            raise
        by_column: dict[str, list[str]] = {}
        for field, messages in exc.message_dict.items():
            by_column.setdefault(COLUMN_OF.get(field, field), []).extend(messages)
        raise ValidationError(by_column) from exc


def disruption_rejects(result: ImportResult) -> str:
    return rejects_csv(result, ALL_COLUMNS)

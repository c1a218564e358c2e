"""Import disruption records (CSV) with the same rules as the master-list import: every row checked
and reported by number, all or nothing unless ``skip_bad``, references as keys (re-importing the same
file changes nothing). Imported records carry no narrative or evidence, so the recording audit lists
them against those standards; every other rule of the current standard is applied."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils import timezone

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
from socmaster.threats.models import Threat

from . import services
from .choices import Category, DisruptionStatus, DisruptionType, FourP
from .models import Disruption, Tactic
from .services import RECORD_TYPE, current_standard, standard_failures

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
STATUSES = {
    "approved": DisruptionStatus.APPROVED,
    "draft": DisruptionStatus.DRAFT,
    "submitted": DisruptionStatus.SUBMITTED,
    "returned": DisruptionStatus.RETURNED,
    "rejected": DisruptionStatus.REJECTED,
}
NOT_IN_FORMAT = {"narrative", "evidence"}


def _parse(raw: dict, number: int, look: dict, errors: list[RowError], standard) -> dict | None:
    before = len(errors)

    def err(column, message):
        errors.append(RowError(number, column, message))

    get = {c: (raw.get(c) or "").strip() for c in COLUMNS}
    for column in COLUMNS:
        if column not in ("Team", "Tactic") and not get[column]:
            err(column, "is required")
    check_cells(raw, COLUMNS, number, errors)
    check_reference_cell(get["Reference"], "Reference", number, errors)
    out = {"reference": get["Reference"], "team": get["Team"]}
    threat = look["threats"].get(get["Threat reference"]) if get["Threat reference"] else None
    if get["Threat reference"] and threat is None:
        err("Threat reference", f"no threat {get['Threat reference']} on the master list")
    out["threat"] = threat
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
            value = {c.label.lower(): c.value for c in choices}.get(key(get[column]))
            if value is None:
                err(column, f"'{get[column]}' is not one of {', '.join(c.label for c in choices)}")
            out[field] = value
    for column, field in (("Event date", "event_date"), ("Record date", "record_date")):
        if get[column]:
            try:
                out[field] = parse_date(get[column])
            except ValueError:
                err(column, f"'{get[column]}' is not a date (YYYY-MM-DD or DD/MM/YYYY)")
    out["tactic"] = None
    if get["Tactic"]:
        out["tactic"] = look["tactics"].get(key(get["Tactic"]))
        if out["tactic"] is None:
            err("Tactic", f"unknown tactic '{get['Tactic']}'")
        elif out.get("four_p") and out["tactic"].four_p != out["four_p"]:
            err("Tactic", f"{out['tactic'].label} is a {out['tactic'].get_four_p_display()} tactic")
    if get["Moderation status"]:
        out["status"] = STATUSES.get(key(get["Moderation status"]))
        if out["status"] is None:
            err(
                "Moderation status",
                f"'{get['Moderation status']}' is not one of Approved, Draft, Submitted, "
                "Returned, Rejected",
            )
    if len(errors) == before:
        if out["event_date"] > timezone.localdate():
            err("Event date", "the event cannot be in the future")
        if out["record_date"] < out["event_date"]:
            err("Record date", "the record date cannot be before the event")
        checked = {k: out.get(k) for k in ("event_date", "record_date", "team", "tactic")}
        checked.update(
            narrative="-", evidence="-"
        )  # not in the format: reported by the recording audit
        for field, messages in standard_failures(checked, threat, standard).items():
            err(
                {
                    "threat": "Threat reference",
                    "record_date": "Record date",
                    "tactic": "Tactic",
                    "team": "Team",
                }.get(field, field),
                " ".join(messages),
            )
    return out if len(errors) == before else None


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
    is undone whole."""
    result = ImportResult()
    headers, rows = read_csv(data, COLUMNS)
    missing = [c for c in COLUMNS if c not in headers]
    if missing:
        result.errors.append(RowError(1, "header", f"missing column(s): {', '.join(missing)}"))
        return result
    standard = current_standard()
    refs = {(r.get("Threat reference") or "").strip() for r in rows}
    look = {
        "threats": {t.reference: t for t in Threat.objects.filter(reference__in=refs)},
        "orgs": {},
        "tactics": {},
    }
    for t in Tactic.objects.all():
        look["tactics"][key(t.code)] = t
        look["tactics"][key(t.label)] = t
    parsed, seen = [], {}
    for number, raw in enumerate(rows, start=2):
        row_errors: list[RowError] = []
        values = _parse(raw, number, look, row_errors, standard)
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
            values["_source"] = f"{source or 'disruption import'}, row {number}"[:300]
            parsed.append((number, raw, values))
    if result.errors and not skip_bad:
        return result
    # Leads first, so support rows can link to the lead of the same threat and event date.
    parsed.sort(key=lambda item: item[2]["disruption_type"] != DisruptionType.LEAD)
    return run_journalled_import(
        parsed,
        result,
        lambda values: _write(values, standard, values.pop("_source", "")),
        kind=ImportKind.DISRUPTIONS,
        record_type=RECORD_TYPE,
        user=user,
        source=source or "disruption import",
        skip_bad=skip_bad,
        total_rows=len(rows),
        batch_size=batch_size,
        progress=progress,
        job=job,
    )


def _write(values: dict, standard, source: str) -> tuple[str, tuple[int, dict | None] | None]:
    values = dict(values)
    reference = values.pop("reference")
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
    return services.import_disruption(
        recorder,
        reference=reference,
        standard=standard,
        fields={**values, "lead": lead},
        source=source,
    )


def disruption_rejects(result: ImportResult) -> str:
    return rejects_csv(result, COLUMNS)

"""Import MoRiLE assessments made in a force's own systems (CSV, ``docs/import-assessments.md``).

Each row's answers are scored by the engine as an assessment drafted in the product is, and its
status and dates are kept as the source system's. As every history import: every row checked and
reported by number first, all or nothing unless ``skip_bad``, then written in batches through
``services.import_assessment`` under one journalled import job, so an import that fails is undone
whole; re-importing the same file changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from socmaster.core import policy
from socmaster.core.choices import Action
from socmaster.core.importing import (
    ImportResult,
    RowError,
    check_cells,
    key,
    parse_date,
    read_csv,
    rejects_csv,
)
from socmaster.organisations.models import User
from socmaster.threats.choices import ImportKind
from socmaster.threats.importer import importer_account
from socmaster.threats.journal import run_journalled_import
from socmaster.threats.models import Threat

from . import services
from .choices import AssessmentStatus
from .models import SchemeVersion

COLUMNS = [
    "Threat reference",
    "Version",
    "Scheme",
    "Answers",
    "Whole threat",
    "Partial justification",
    "Evidence from",
    "Evidence to",
    "Review due",
    "Summary",
    "Status",
    "Assessor",
    "Submitted on",
    "Moderator",
    "Moderated by",
    "Moderated on",
    "Return reason",
    "Tier",
]
REQUIRED = [
    "Threat reference",
    "Version",
    "Answers",
    "Evidence from",
    "Evidence to",
    "Review due",
    "Status",
    "Assessor",
]
#: Columns of several lines (the product's multi-line text); every other is one line.
MULTILINE = ["Partial justification", "Summary", "Return reason"]
DATES = {
    "Evidence from": "evidence_from",
    "Evidence to": "evidence_to",
    "Review due": "review_due",
    "Submitted on": "submitted_on",
    "Moderated on": "moderated_on",
}
#: Where a service's field error is reported.
FIELD_COLUMNS = {
    "threat": "Threat reference",
    "version_number": "Version",
    "scheme": "Scheme",
    "answers": "Answers",
    "whole_threat": "Whole threat",
    "partial_justification": "Partial justification",
    "summary": "Summary",
    "status": "Status",
    "assessor": "Assessor",
    "moderator": "Moderator",
    "moderated_by": "Moderated by",
    "return_reason": "Return reason",
    "tier": "Tier",
    "__all__": "row",
} | {field: column for column, field in DATES.items()}
YES, NO = {"yes", "y", "true", "1"}, {"no", "n", "false", "0"}


def _no_threat(reference: str) -> str:
    return f"no threat {reference} on the master list"


def _answers(text: str) -> tuple[dict, list[str]]:
    """``"factor=answer; factor=answer"`` as a dict, and the problems with its parts."""
    answers, problems = {}, []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        factor, sep, answer = (s.strip() for s in part.partition("="))
        if not sep or not factor or not answer:
            problems.append(f"'{part}' is not factor_code=answer_code")
        elif factor in answers:
            problems.append(f"{factor} is answered twice")
        else:
            answers[factor] = answer
    return answers, problems


class _Lookups:
    def __init__(self, rows: list[dict]):
        refs = {(r.get("Threat reference") or "").strip() for r in rows}
        self.threats = {
            t.reference: t
            for t in Threat.objects.select_related("owner").filter(reference__in=refs)
        }
        self.schemes = {}
        for scheme in SchemeVersion.objects.all():
            self.schemes[key(f"{scheme.name} {scheme.version}")] = scheme
        names = {(r.get(c) or "").strip() for r in rows for c in ("Assessor", "Moderator")}
        self.users = {u.username: u for u in User.objects.filter(username__in=names - {""})}

    def known_schemes(self) -> str:
        return ", ".join(sorted(f"{s.name} {s.version}" for s in self.schemes.values()))


def _parse(raw: dict, number: int, look: _Lookups, user, errors: list[RowError]) -> dict | None:
    before = len(errors)

    def err(column, message):
        errors.append(RowError(number, column, message))

    get = {c: (raw.get(c) or "").strip() for c in COLUMNS}
    for column in REQUIRED:
        if not get[column]:
            err(column, "is required")
    check_cells(raw, COLUMNS, number, errors, multiline=MULTILINE)
    out: dict = {}
    threat = look.threats.get(get["Threat reference"])
    if get["Threat reference"]:
        if threat is None or (user is not None and not policy.can(user, Action.VIEW, threat)):
            # The same answer for a threat the user may not see as for a missing one.
            err("Threat reference", _no_threat(get["Threat reference"]))
            threat = None
        elif user is not None and not policy.can(user, Action.CHANGE, threat):
            err("Threat reference", f"you may not import assessments of {threat.reference}")
    out["threat"] = threat
    if get["Version"]:
        try:
            out["version_number"] = int(get["Version"])
            if out["version_number"] < 1:
                raise ValueError
        except ValueError:
            err("Version", f"'{get['Version']}' is not a whole number from 1")
    out["scheme"] = None
    if get["Scheme"]:
        out["scheme"] = look.schemes.get(key(get["Scheme"]))
        if out["scheme"] is None:
            err("Scheme", f"unknown scheme '{get['Scheme']}'; known: {look.known_schemes()}")
    if get["Answers"]:
        out["answers"], problems = _answers(get["Answers"])
        for problem in problems:
            err("Answers", problem)
    out["whole_threat"] = True
    if get["Whole threat"]:
        if key(get["Whole threat"]) in YES:
            out["whole_threat"] = True
        elif key(get["Whole threat"]) in NO:
            out["whole_threat"] = False
        else:
            err("Whole threat", f"'{get['Whole threat']}' is not Yes or No")
    for column, field in DATES.items():
        out[field] = None
        if get[column]:
            try:
                out[field] = parse_date(get[column])
            except ValueError:
                err(column, f"'{get[column]}' is not a date (YYYY-MM-DD or DD/MM/YYYY)")
    if get["Status"]:
        wanted = key(get["Status"])
        status = next((s for s in AssessmentStatus if wanted in (s.value, key(s.label))), None)
        if status is None:
            known = ", ".join(s.label for s in AssessmentStatus)
            err("Status", f"'{get['Status']}' is not one of {known}")
        out["status"] = status
    for column, field in (("Assessor", "assessor"), ("Moderator", "moderator")):
        out[field] = None
        if get[column]:
            out[field] = look.users.get(get[column])
            if out[field] is None:
                err(column, f"no user '{get[column]}'")
    out["tier"] = None
    if get["Tier"]:
        text = get["Tier"].lower().removeprefix("tier").strip()
        try:
            out["tier"] = int(text)
        except ValueError:
            err("Tier", f"'{get['Tier']}' is not Tier 1 to Tier 5")
    out["partial_justification"] = get["Partial justification"]
    out["summary"] = get["Summary"]
    out["moderated_by"] = get["Moderated by"]
    out["return_reason"] = get["Return reason"]
    if len(errors) == before:
        # The product's own rules: dates, whole threat, workflow, scoring by the engine.
        row = {k: v for k, v in out.items() if k not in ("threat", "version_number")}
        try:
            services.imported_assessment_values(threat, version_number=out["version_number"], **row)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                err(FIELD_COLUMNS.get(field, field), " ".join(messages))
    return out if len(errors) == before else None


def import_assessments(
    data: bytes | str | Path,
    *,
    user=None,
    skip_bad: bool = False,
    source: str = "",
    progress: Callable[[int, int], None] | None = None,
    job=None,
    batch_size: int | None = None,
) -> ImportResult:
    """Check and import assessments. ``user`` None is an operator at the command line (the
    assessments are recorded under each threat owner's import account)."""
    result = ImportResult()
    headers, rows = read_csv(data, COLUMNS)
    missing = [c for c in COLUMNS if c not in headers]
    if missing:
        result.errors.append(RowError(1, "header", f"missing column(s): {', '.join(missing)}"))
        return result
    look = _Lookups(rows)
    source = (source or "").strip() or "assessment import"
    parsed, seen = [], {}
    for number, raw in enumerate(rows, start=2):
        row_errors: list[RowError] = []
        values = _parse(raw, number, look, user, row_errors)
        pair = ((raw.get("Threat reference") or "").strip(), (raw.get("Version") or "").strip())
        if all(pair) and pair in seen:
            row_errors.append(
                RowError(
                    number,
                    "Version",
                    f"version {pair[1]} of {pair[0]} appears again (first on row {seen[pair]})",
                )
            )
            values = None
        seen.setdefault(pair, number)
        if row_errors:
            result.errors.extend(row_errors)
            result.rejected.append(
                {**raw, "Error": "; ".join(f"{e.field}: {e.message}" for e in row_errors)}
            )
        else:
            values["_source"] = f"{source}, row {number}"[:300]
            values["_key"] = f"{values['threat'].reference}/{values['version_number']}"
            parsed.append((number, raw, values))
    if result.errors and not skip_bad:
        return result
    actors: dict = {}

    def write_one(values):
        values = dict(values)
        threat = values.pop("threat")
        actor = user
        if actor is None:
            actor = actors.get(threat.owner_id) or actors.setdefault(
                threat.owner_id, importer_account(threat.owner)
            )
        try:
            return services.import_assessment(
                actor,
                threat,
                source=values.pop("_source"),
                source_key=values.pop("_key"),
                **values,
            )
        except Http404 as exc:
            raise ValidationError({"Threat reference": [_no_threat(threat.reference)]}) from exc
        except PermissionDenied as exc:
            raise ValidationError({"Threat reference": [str(exc)]}) from exc
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                raise
            raise ValidationError(
                {FIELD_COLUMNS.get(f, f): m for f, m in exc.message_dict.items()}
            ) from exc

    return run_journalled_import(
        parsed,
        result,
        write_one,
        kind=ImportKind.ASSESSMENTS,
        record_type=services.RECORD_TYPE,
        user=user,
        source=source,
        skip_bad=skip_bad,
        total_rows=len(rows),
        batch_size=batch_size,
        progress=progress,
        job=job,
    )


def assessment_rejects(result: ImportResult) -> str:
    return rejects_csv(result, COLUMNS)

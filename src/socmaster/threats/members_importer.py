"""Import threat memberships with their dates (CSV, ``docs/import-members.md``), creating the
nominals that are new. As every history import: every row checked and reported by number first,
all or nothing unless ``skip_bad``, then written in batches through the services under one
journalled import job, so an import that fails is undone whole; re-importing the same file
changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import ProtectedError
from django.http import Http404

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
from socmaster.core.services import undo_import_write

from . import services
from .choices import Gender, ImportKind, MemberRole
from .importer import importer_account
from .journal import run_journalled_import
from .models import Nominal, Threat, ThreatMember

RECORD_TYPE = "threats.threatmember"
COLUMNS = [
    "Threat reference",
    "Nominal reference",
    "Family name",
    "Given names",
    "Date of birth",
    "Gender",
    "Nationality",
    "Role",
    "From",
    "To",
    "Notes",
]
REQUIRED = ["Threat reference", "Nominal reference", "Role"]
#: The columns that describe a new nominal (not used for a nominal already on record).
PERSON = ["Family name", "Given names", "Date of birth", "Gender", "Nationality"]
#: Where a service's field error is reported.
FIELD_COLUMNS = {
    "threat": "Threat reference",
    "nominal": "Nominal reference",
    "reference": "Nominal reference",
    "owner": "Threat reference",
    "family_name": "Family name",
    "given_names": "Given names",
    "date_of_birth": "Date of birth",
    "gender": "Gender",
    "nationality": "Nationality",
    "shared_with": "Threat reference",
    "handling": "Threat reference",
    "role": "Role",
    "from_date": "From",
    "to_date": "To",
    "notes": "Notes",
    "__all__": "row",
}


def _no_threat(reference: str) -> str:
    return f"no threat {reference} on the master list"


def _choice(value: str, choices) -> str | None:
    """A choice's value from its label or value, leniently (case, spaces, dashes)."""
    wanted = key(value)
    for choice in choices:
        if wanted in (key(choice.value), key(choice.label), key(choice.value.replace("_", " "))):
            return choice.value
    return None


def _known(choices) -> str:
    return ", ".join(c.label for c in choices)


def _date(get: dict, column: str, err) -> object:
    if not get[column]:
        return None
    try:
        value = parse_date(get[column])
    except ValueError:
        err(column, f"'{get[column]}' is not a date (YYYY-MM-DD or DD/MM/YYYY)")
        return None
    return value


def _parse(raw: dict, number: int, look: dict, user, errors: list[RowError]) -> dict | None:
    before = len(errors)

    def err(column, message):
        errors.append(RowError(number, column, message))

    get = {c: (raw.get(c) or "").strip() for c in COLUMNS}
    for column in REQUIRED:
        if not get[column]:
            err(column, "is required")
    check_cells(raw, COLUMNS, number, errors)
    check_reference_cell(get["Nominal reference"], "Nominal reference", number, errors)
    threat = look["threats"].get(get["Threat reference"])
    if get["Threat reference"]:
        if threat is None or (user is not None and not policy.can(user, Action.VIEW, threat)):
            # The same answer for a threat the user may not see as for a missing one.
            err("Threat reference", _no_threat(get["Threat reference"]))
            threat = None
        elif user is not None and not policy.can(user, Action.CHANGE, threat):
            err("Threat reference", f"you may not change the members of {threat.reference}")
            threat = None
    out: dict = {"threat": threat, "nominal_reference": get["Nominal reference"]}
    if get["Role"]:
        out["role"] = _choice(get["Role"], MemberRole)
        if out["role"] is None:
            err("Role", f"'{get['Role']}' is not one of {_known(MemberRole)}")
    out["from_date"] = _date(get, "From", err)
    out["to_date"] = _date(get, "To", err)
    out["notes"] = get["Notes"]
    nominal = look["nominals"].get(get["Nominal reference"])
    if nominal is not None and user is not None and not policy.can(user, Action.VIEW, nominal):
        # Not one the user may see: the reference cannot be used for a new one either (as when
        # a nominal is created by hand).
        err(
            "Nominal reference",
            services.REFERENCE_TAKEN.format(reference=get["Nominal reference"]),
        )
    out["person"] = None
    if nominal is None and get["Nominal reference"]:
        person = {
            "family_name": get["Family name"],
            "given_names": get["Given names"],
            "nationality": get["Nationality"],
            "date_of_birth": _date(get, "Date of birth", err),
            "gender": Gender.UNKNOWN,
        }
        if not get["Family name"]:
            err("Family name", "is required for a new nominal (use 'UNKNOWN' if it is not known)")
        if get["Gender"]:
            person["gender"] = _choice(get["Gender"], Gender)
            if person["gender"] is None:
                err("Gender", f"'{get['Gender']}' is not one of {_known(Gender)}")
        if (
            threat is not None
            and user is not None
            and not policy.can_create_for(user, threat.owner)
        ):
            err("Nominal reference", f"you may not create nominals for {threat.owner}")
        out["person"] = person
    if len(errors) == before:
        today = look["today"]
        for column, value in (
            ("From", out["from_date"]),
            ("To", out["to_date"]),
            ("Date of birth", (out["person"] or {}).get("date_of_birth")),
        ):
            if value and value > today:
                err(column, "the date cannot be in the future")
        if out["from_date"] and out["to_date"] and out["to_date"] < out["from_date"]:
            err("To", "the end date cannot be before the start date")
    return out if len(errors) == before else None


def import_members(
    data: bytes | str | Path,
    *,
    user=None,
    skip_bad: bool = False,
    source: str = "",
    progress: Callable[[int, int], None] | None = None,
    job=None,
    batch_size: int | None = None,
) -> ImportResult:
    """Check and import threat memberships. ``user`` None is an operator at the command line
    (the changes are recorded under each threat owner's import account)."""
    from django.utils import timezone

    result = ImportResult()
    headers, rows = read_csv(data, COLUMNS)
    missing = [c for c in COLUMNS if c not in headers]
    if missing:
        result.errors.append(RowError(1, "header", f"missing column(s): {', '.join(missing)}"))
        return result
    look = {
        "threats": {
            t.reference: t
            for t in Threat.objects.select_related("owner").filter(
                reference__in={(r.get("Threat reference") or "").strip() for r in rows}
            )
        },
        "nominals": {
            n.reference: n
            for n in Nominal.objects.filter(
                reference__in={(r.get("Nominal reference") or "").strip() for r in rows}
            )
        },
        "today": timezone.localdate(),
    }
    source = (source or "").strip() or "member import"
    parsed, seen, people = [], {}, {}
    for number, raw in enumerate(rows, start=2):
        row_errors: list[RowError] = []
        values = _parse(raw, number, look, user, row_errors)
        pair = (
            (raw.get("Threat reference") or "").strip(),
            (raw.get("Nominal reference") or "").strip(),
        )
        if all(pair) and pair in seen:
            row_errors.append(
                RowError(
                    number,
                    "Nominal reference",
                    f"{pair[1]} appears again for {pair[0]} (first on row {seen[pair]})",
                )
            )
            values = None
        seen.setdefault(pair, number)
        if values is not None and values["person"] is not None:
            # A new nominal on several rows must be described the same way on each.
            first = people.setdefault(pair[1], (number, values["person"]))
            if first[1] != values["person"]:
                row_errors.append(
                    RowError(
                        number,
                        "Nominal reference",
                        f"the new nominal {pair[1]} is described differently on row {first[0]}",
                    )
                )
                values = None
        if row_errors:
            result.errors.extend(row_errors)
            result.rejected.append(
                {**raw, "Error": "; ".join(f"{e.field}: {e.message}" for e in row_errors)}
            )
        else:
            values["_source"] = f"{source}, row {number}"[:300]
            values["_key"] = f"{pair[0]}/{pair[1]}"
            parsed.append((number, raw, values))
    if result.errors and not skip_bad:
        return result
    actors: dict = {}

    def write_one(values):
        try:
            return _write(user, values, actors)
        except Http404 as exc:
            reference = values["threat"].reference
            raise ValidationError({"Threat reference": [_no_threat(reference)]}) from exc
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
        kind=ImportKind.MEMBERS,
        record_type=RECORD_TYPE,
        user=user,
        source=source,
        skip_bad=skip_bad,
        total_rows=len(rows),
        batch_size=batch_size,
        progress=progress,
        job=job,
    )


def _write(user, values: dict, actors: dict) -> tuple[str, tuple[int, dict] | None]:
    threat = Threat.objects.select_related("owner").get(pk=values["threat"].pk)
    actor = user
    if actor is None:
        actor = actors.get(threat.owner_id) or actors.setdefault(
            threat.owner_id, importer_account(threat.owner)
        )
    reference = values["nominal_reference"]
    nominal = Nominal.objects.filter(reference=reference).first()
    created = None
    if nominal is None:
        nominal = services.create_nominal(
            actor,
            owner=threat.owner,
            reference=reference,
            handling=threat.handling,
            shared_with=list(threat.shared_with.all()),
            **values["person"],
        )
        created = nominal.pk
    elif not policy.can(actor, Action.VIEW, nominal):
        raise ValidationError(
            {"Nominal reference": [services.REFERENCE_TAKEN.format(reference=reference)]}
        )
    outcome, entry = services.import_member(
        actor,
        threat,
        nominal,
        role=values["role"],
        from_date=values["from_date"],
        to_date=values["to_date"],
        notes=values["notes"],
        source=values["_source"],
        source_key=values["_key"],
    )
    if entry is None:
        return outcome, None
    member_id, before = entry
    return outcome, (member_id, {"member": before, "nominal": created})


def undo_import_change(job, undo) -> None:
    """Put back one membership as it was before an import that did not finish (delete it if the
    import created it), and delete the nominal the import created with it."""
    from django.db import transaction

    before = undo.before or {}
    reason = f"Import {job.pk} ({job.source_name}) did not finish; its change is undone."
    with transaction.atomic():
        undo_import_write(
            ThreatMember, undo.record_id, before.get("member"), user=job.created_by, reason=reason
        )
        if before.get("nominal"):
            try:
                with transaction.atomic():
                    undo_import_write(
                        Nominal,
                        before["nominal"],
                        None,
                        user=job.created_by,
                        reason=reason,
                        m2m=("shared_with",),
                    )
            except ProtectedError:
                pass  # linked since by someone else: it stays, as their record needs it
        undo.delete()


def member_rejects(result: ImportResult) -> str:
    return rejects_csv(result, COLUMNS)

"""Import an APMIS-style master-list extract (CSV).

Every row is checked first and every problem reported with its row number (the header is row 1).
Nothing is written unless the whole file is valid, unless ``skip_bad`` is set, in which case the good
rows are written and the bad ones returned for a rejects file. References are keys, so importing the
same file twice changes nothing. Writes go through the threat services, so each created or changed
threat has its own audit entry.

The file is read as a stream twice (once to check, once to write), so its rows are never all in
memory. Writes go in short transactions of ``SOCMASTER["IMPORT_BATCH_SIZE"]`` rows so that others
can write in between; each batch stores, in the same transaction, the before-image of every threat
it created or changed (:class:`ImportUndo`). If the import fails or is cancelled part-way, those
before-images are applied in reverse through ``services.undo_import_change`` (each audited), so
nothing is left half-written.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.utils import timezone

from socmaster.core import audit, policy
from socmaster.core.bulk import bulk_work, insert_rows
from socmaster.core.choices import Action
from socmaster.core.importing import (
    CsvSource,
    ImportCancelled,
    ImportResult,
    RowError,
    check_cells,
    check_reference_cell,
    parse_date,
    rejects_csv,
    undo_job,
    write_in_batches,
    write_rejects,
)
from socmaster.core.importing import key as _key
from socmaster.organisations.choices import Role
from socmaster.organisations.models import Organisation, User
from socmaster.organisations.services import create_user

from . import services
from .choices import Category, ImportStatus, ModerationStatus, Soc, ThreatType
from .models import CrimeType, ImportJob, ImportUndo, Phase, Threat

COLUMNS = [
    "Reference",
    "Name",
    "Threat type",
    "Owner",
    "Type",
    "Moderation status",
    "SOC",
    "Tier",
    "Phase",
    "Crime types",
    "LRO",
    "Assessment date",
    "Score",
]
#: Columns a file may leave out (older extracts): a missing one leaves the field as it is.
OPTIONAL_COLUMNS = ["SRO", "Opened", "Operation names"]
COLUMNS = COLUMNS + OPTIONAL_COLUMNS
REQUIRED = {"Reference", "Name", "Threat type", "Owner", "Type", "Moderation status", "SOC", "Tier"}

THREAT_TYPES = {
    "ocg": ThreatType.OCG,
    "organised crime group": ThreatType.OCG,
    "priority individual": ThreatType.PRIORITY_INDIVIDUAL,
    "soc priority individual": ThreatType.PRIORITY_INDIVIDUAL,
    "vulnerability": ThreatType.VULNERABILITY,
    "soc vulnerability": ThreatType.VULNERABILITY,
}
CATEGORIES = {"tactical": Category.TACTICAL, "strategic": Category.STRATEGIC}
SOC_VALUES = {"soc": Soc.SOC, "non-soc": Soc.NON_SOC, "non soc": Soc.NON_SOC}
STATUSES = {s.label.lower(): s.value for s in ModerationStatus}


class ReferenceResolver:
    """Resolve a file's name for a reference value (crime type, phase) leniently: by code, name or
    alias (ignoring case, spaces and dash styles), or by a leading part of the name that only one
    value has ("Illegal drugs"). Anything else is one error listing the known values."""

    def __init__(self, noun: str, items: list[tuple[object, str, list[str]]]):
        self.noun = noun
        self.exact: dict[str, object] = {}
        self.names: list[tuple[str, str, object]] = []
        for obj, name, others in items:
            self.names.append((_key(name), name, obj))
            for text in (name, *others):
                self.exact.setdefault(_key(text), obj)

    def resolve(self, text: str) -> tuple[object | None, str]:
        found = self.exact.get(text)  # the same spelling again: no folding needed
        if found is not None:
            return found, ""
        wanted = _key(text)
        if wanted in self.exact:
            self.exact[text] = self.exact[wanted]
            return self.exact[wanted], ""
        matches = [(name, obj) for folded, name, obj in self.names if folded.startswith(wanted)]
        if len(wanted) >= 3 and len(matches) == 1:
            return matches[0][1], ""
        if len(wanted) >= 3 and matches:
            return None, f"'{text}' could be any of: {', '.join(n for n, _ in matches)}"
        known = ", ".join(name for _, name, _ in self.names)
        return None, f"unknown {self.noun} '{text}'; known values: {known}"


def crime_type_resolver() -> ReferenceResolver:
    return ReferenceResolver(
        "crime type", [(c, c.label, [c.code, *c.aliases]) for c in CrimeType.objects.all()]
    )


def phase_resolver() -> ReferenceResolver:
    return ReferenceResolver("phase", [(p, p.name, list(p.aliases)) for p in Phase.objects.all()])


class _Lookups:
    """Reference data loaded once per import, so checking a row costs no queries."""

    def __init__(self):
        self.phases = phase_resolver()
        self.crime_types = crime_type_resolver()
        self.orgs: dict[str, Organisation | None] = {}
        self.users: dict[str, User | None] = {}

    def organisation(self, name: str) -> Organisation | None:
        if name not in self.orgs:
            try:
                self.orgs[name] = Organisation.objects.resolve(name)
            except Organisation.DoesNotExist:
                self.orgs[name] = None
        return self.orgs[name]

    def user(self, username: str) -> User | None:
        if username not in self.users:
            self.users[username] = User.objects.filter(username=username, is_active=True).first()
        return self.users[username]


def parse_row(raw: dict, number: int, look: _Lookups, errors: list[RowError]) -> dict | None:
    """Turn one CSV row into service arguments, or record its errors and return None."""
    before = len(errors)

    def err(column: str, message: str) -> None:
        errors.append(RowError(number, column, message))

    get = {k: (raw.get(k) or "").strip() for k in COLUMNS}
    for column in sorted(REQUIRED, key=COLUMNS.index):
        if not get[column]:
            err(column, "is required")
    check_cells(raw, COLUMNS, number, errors)
    check_reference_cell(get["Reference"], "Reference", number, errors)
    out: dict = {"reference": get["Reference"], "name": get["Name"]}
    if get["Threat type"] and (value := THREAT_TYPES.get(_key(get["Threat type"]))) is None:
        err(
            "Threat type",
            f"'{get['Threat type']}' is not one of OCG, Priority individual, Vulnerability",
        )
    else:
        out["threat_type"] = value if get["Threat type"] else None
    if get["Owner"]:
        owner = look.organisation(get["Owner"])
        if owner is None:
            err("Owner", f"unknown organisation '{get['Owner']}'")
        out["owner"] = owner
    if get["Type"] and (value := CATEGORIES.get(_key(get["Type"]))) is None:
        err("Type", f"'{get['Type']}' is not Tactical or Strategic")
    else:
        out["category"] = value if get["Type"] else None
    if get["Moderation status"] and (value := STATUSES.get(_key(get["Moderation status"]))) is None:
        err(
            "Moderation status",
            f"'{get['Moderation status']}' is not one of Draft, Submitted, Moderated, Returned",
        )
    else:
        out["moderation_status"] = value if get["Moderation status"] else None
    if get["SOC"] and (value := SOC_VALUES.get(_key(get["SOC"]))) is None:
        err("SOC", f"'{get['SOC']}' is not SOC or Non-SOC")
    else:
        out["soc"] = value if get["SOC"] else None
    if get["Tier"]:
        tier = _key(get["Tier"]).removeprefix("tier").strip()
        if tier not in {"1", "2", "3", "4", "5"}:
            err("Tier", f"'{get['Tier']}' is not Tier 1 to Tier 5")
        else:
            out["tier"] = int(tier)
    out["phase"] = None
    if get["Phase"]:
        phase, problem = look.phases.resolve(get["Phase"])
        if phase is None:
            err("Phase", problem)
        out["phase"] = phase
    crime_types = []
    for part in filter(None, (p.strip() for p in get["Crime types"].split(";"))):
        crime, problem = look.crime_types.resolve(part)
        if crime is None:
            err("Crime types", problem)
        else:
            crime_types.append(crime)
    out["crime_types"] = crime_types
    out["lro"] = None
    if get["LRO"]:
        out["lro"] = look.user(get["LRO"])
        if out["lro"] is None:
            err("LRO", f"no active user '{get['LRO']}'")
    if "SRO" in raw:
        out["sro"] = None
        if get["SRO"]:
            out["sro"] = look.user(get["SRO"])
            if out["sro"] is None:
                err("SRO", f"no active user '{get['SRO']}'")
    if "Opened" in raw:
        out["opened_on"] = None
        if get["Opened"]:
            try:
                out["opened_on"] = parse_date(get["Opened"])
            except ValueError:
                err("Opened", f"'{get['Opened']}' is not a date (YYYY-MM-DD or DD/MM/YYYY)")
    if "Operation names" in raw:
        out["operation_names"] = get["Operation names"]
    out["assessed_on"] = None
    if get["Assessment date"]:
        try:
            out["assessed_on"] = parse_date(get["Assessment date"])
        except ValueError:
            err(
                "Assessment date",
                f"'{get['Assessment date']}' is not a date (YYYY-MM-DD or DD/MM/YYYY)",
            )
    out["score"] = None
    if get["Score"]:
        try:
            out["score"] = Decimal(get["Score"]).quantize(Decimal("0.01"))
        except InvalidOperation:
            err("Score", f"'{get['Score']}' is not a number")
    if out.get("phase") is not None and out["phase"].is_closed:
        out["closed_on"] = out["assessed_on"] or dt.date.today()
        out["closed_reason"] = "Closed in the imported master list"
    else:
        out["closed_on"], out["closed_reason"] = None, ""
    return out if len(errors) == before else None


def importer_account(owner: Organisation) -> User:
    """The account imports are recorded under for an organisation when no person runs them."""
    username = f"import-{owner.key}"[:150]
    user = User.objects.filter(username=username).first()
    if user is None:
        user = create_user(
            None,
            username=username,
            organisation=owner,
            roles=[Role.ANALYST],
            first_name="Master-list",
            last_name=f"import ({owner.short_name})",
        )
    return user


def _actor(user, owner: Organisation, actors: dict | None):
    if user is not None:
        return user
    if actors is not None:  # one account (and its memberships, loaded once) per owner
        return actors.get(owner.pk) or actors.setdefault(owner.pk, importer_account(owner))
    return importer_account(owner)


def _apply_many(user, batch: list[dict], actors: dict) -> list:
    """Write one batch: new threats with a few inserts (``services.create_threats``), changed
    ones one by one (``_apply``). Returns, row by row, what ``_apply`` returns or the row's
    ValidationError."""
    outcomes: list = [None] * len(batch)
    refs = [v["reference"] for v in batch if "_errors" not in v]
    existing = {
        t.reference: t
        for t in Threat.objects.filter(reference__in=refs).prefetch_related("crime_types")
    }
    creating: list[tuple[int, dict]] = []
    for index, values in enumerate(batch):
        if "_errors" in values:
            outcomes[index] = ValidationError({e.field: [e.message] for e in values["_errors"]})
        elif (threat := existing.get(values["reference"])) is not None and _unchanged(
            threat, values, _actor(user, values["owner"], actors)
        ):
            outcomes[index] = ("unchanged", None)
        elif threat is not None:
            try:
                with transaction.atomic():
                    outcomes[index] = _apply(user, values, actors)
            except ValidationError as exc:
                outcomes[index] = exc
        else:
            item = dict(values)
            item["user"] = _actor(user, values["owner"], actors)
            creating.append((index, item))
    created = services.create_threats([item for _, item in creating])
    for (index, _), threat in zip(creating, created, strict=True):
        if isinstance(threat, ValidationError):
            # the file's column names, as the row-by-row path reports them
            messages = (
                threat.message_dict if hasattr(threat, "error_dict") else {"row": threat.messages}
            )
            outcomes[index] = ValidationError(
                {("Reference" if f == "reference" else f): m for f, m in messages.items()}
            )
        else:
            outcomes[index] = ("created", (threat.pk, None))
    return outcomes


def _unchanged(threat: Threat, values: dict, actor) -> bool:
    """Would writing ``values`` to ``threat`` change nothing (and may ``actor`` write it)? Then
    the row needs no write and no lock: a re-imported file costs a read per batch. Anything
    else (a change, or a refusal) goes through ``_apply`` and the services."""
    if threat.owner_id != values["owner"].pk or not policy.can(actor, Action.CHANGE, threat):
        return False
    fields = {f.name: f for f in Threat._meta.concrete_fields}
    for name, value in values.items():
        if name in ("reference", "owner", "assessment_source"):
            continue
        if name == "crime_types":
            if {c.pk for c in value} != {c.pk for c in threat.crime_types.all()}:
                return False
            continue
        if name in ("closed_on", "closed_reason") and threat.closed_on and values.get("closed_on"):
            continue  # an import keeps the date a threat was first closed
        field = fields[name]
        stored = getattr(threat, field.attname)
        wanted = getattr(value, "pk", value) if field.is_relation else value
        if stored != wanted:
            return False
    return True


def _apply(
    user, values: dict, actors: dict | None = None
) -> tuple[str, tuple[int, dict | None] | None]:
    """Create or update one threat; returns 'created', 'updated' or 'unchanged' and what undoes
    it: (threat id, None) for a new threat, (threat id, before-image) for a changed one."""
    values = dict(values)
    owner, crime_types = values.pop("owner"), values.pop("crime_types")
    reference = values.pop("reference")
    actor = _actor(user, owner, actors)
    existing = Threat.objects.filter(reference=reference).first()
    if existing is None:
        threat = services.create_threat(
            actor, owner=owner, reference=reference, crime_types=crime_types, **values
        )
        return "created", (threat.pk, None)
    if existing.owner_id != owner.pk or not policy.can(actor, Action.CHANGE, existing):
        # The same answer whoever owns it, so an import tells nothing about others' records.
        raise ValidationError({"Reference": [services.REFERENCE_TAKEN.format(reference=reference)]})
    if existing.closed_on and values.get("closed_on"):  # keep the date it was first closed
        values["closed_on"], values["closed_reason"] = existing.closed_on, existing.closed_reason
    before = existing.updated_at
    image = audit.snapshot(existing) | services.m2m_snapshot(existing, *services.M2M_FIELDS)
    updated = services.update_threat(actor, existing, crime_types=crime_types, **values)
    if updated.updated_at == before:
        return "unchanged", None
    return "updated", (existing.pk, image)


def _update_job(job: ImportJob | None, **fields) -> None:
    if job is not None:
        ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now(), **fields)


def import_masterlist(
    data: bytes | str | Path,
    *,
    user=None,
    skip_bad: bool = False,
    progress: Callable[[int, int], None] | None = None,
    source: str = "",
    job: ImportJob | None = None,
    batch_size: int | None = None,
) -> ImportResult:
    """Check and import a master-list CSV. ``user`` None means an operator at the command line.

    ``source`` names the file; each threat whose assessment figures the import sets records it
    (with the row) as where its figures came from. ``job`` is the import record that shows its
    progress and may be cancelled; one is made if none is given. When it ends the job says how:
    done, failed (problems found, or an error: nothing written) or cancelled (nothing written).
    """
    source = (source or "").strip() or "master-list import"
    if job is None:  # run at once (the command line, the demo): recorded as a page upload is
        job = services.start_import(user, source_name=source, stored_file="", skip_bad=skip_bad)
    try:
        with bulk_work(router.db_for_write(Threat)):
            result = _import(data, user, skip_bad, progress, source, job, batch_size)
    except ImportCancelled:
        result = ImportResult()
        _finish(job, result, ImportStatus.CANCELLED, "Cancelled: nothing was written.")
        return result
    except Exception as exc:
        _finish(
            job,
            ImportResult(),
            ImportStatus.FAILED,
            f"The import stopped: {exc!r}. Nothing was written.",
        )
        raise
    if result.written:
        _finish(job, result, ImportStatus.DONE, "")
    else:
        _finish(
            job,
            result,
            ImportStatus.FAILED,
            f"Nothing was imported: {len(result.errors)} problem(s) found.",
        )
    return result


def _finish(job: ImportJob, result: ImportResult, status: str, message: str) -> None:
    rejects = ""
    if result.rejected:
        folder = Path(settings.SOCMASTER["IMPORT_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        rejects = str(folder / f"import-{job.pk}.rejects.csv")
        write_rejects(Path(rejects), result.rejected, COLUMNS)
    _update_job(
        job,
        status=status,
        finished_at=timezone.now(),
        message=message,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        error_count=len(result.errors),
        errors=[[e.row, e.field, e.message] for e in result.errors[:500]],
        rejects_file=rejects,
    )
    job.refresh_from_db()
    if job.stored_file:  # the upload is not kept once the import has ended
        Path(job.stored_file).unlink(missing_ok=True)


def _import(
    data: bytes | str | Path,
    user,
    skip_bad: bool,
    progress,
    source: str,
    job: ImportJob,
    batch_size: int | None,
) -> ImportResult:
    batch_size = batch_size or settings.SOCMASTER["IMPORT_BATCH_SIZE"]
    _update_job(job, status=ImportStatus.RUNNING, started_at=timezone.now())

    def cancelled() -> bool:
        return ImportJob.objects.filter(pk=job.pk, cancel_requested=True).exists()

    result = ImportResult()
    csv_source = CsvSource(data)
    headers, rows = csv_source.rows(COLUMNS)
    missing = [c for c in COLUMNS if c not in headers and c not in OPTIONAL_COLUMNS]
    if missing:
        result.errors.append(RowError(1, "header", f"missing column(s): {', '.join(missing)}"))
        return result
    look = _Lookups()
    # First pass: check every row; keep the problems, the references seen and, up to a limit,
    # the checked values (so that a file of ordinary size is parsed once).
    seen: dict[str, int] = {}
    bad: set[int] = set()
    checked = 0
    keep_limit = settings.SOCMASTER.get("IMPORT_KEEP_CHECKED_ROWS", 0)
    kept: list | None = [] if keep_limit else None
    for index, raw in enumerate(rows, start=2):
        row_errors: list[RowError] = []
        values = _check_row(raw, index, look, row_errors, seen, user)
        if kept is not None:
            if len(kept) >= keep_limit:
                kept = None  # too many to keep: the write pass reads the file again
            elif not row_errors:
                values["assessment_source"] = f"{source[:250]}, row {index}"
                kept.append((index, _Row(headers, raw), values))
        if row_errors:
            bad.add(index)
            result.errors.extend(row_errors)
            result.rejected.append(
                {**raw, "Error": "; ".join(f"{e.field}: {e.message}" for e in row_errors)}
            )
        checked += 1
        if checked % batch_size == 0:
            if cancelled():
                raise ImportCancelled
            _update_job(job, rows_checked=checked, error_count=len(result.errors))
    _update_job(job, rows_checked=checked, total_rows=checked, error_count=len(result.errors))
    if result.errors and not skip_bad:
        return result

    # Second pass: write the good rows in batches (reading the file again if they were not kept).
    def good_rows():
        if kept is not None:
            yield from kept
            return
        for index, raw in enumerate(csv_source.rows(COLUMNS)[1], start=2):
            if index in bad:
                continue
            row_errors: list[RowError] = []
            values = parse_row(raw, index, look, row_errors)
            if values is None:  # the reference data changed since the check
                values = {"_errors": row_errors}
            else:
                values["assessment_source"] = f"{source[:250]}, row {index}"
            yield index, raw, values

    actors: dict = {}

    def write_one(values):
        if "_errors" in values:
            raise ValidationError({e.field: [e.message] for e in values["_errors"]})
        return _apply(user, values, actors)

    def journal(entries):
        insert_rows(
            ImportUndo,
            [
                {
                    "job_id": job.pk,
                    "record_type": "threats.threat",
                    "record_id": pk,
                    "before": image,
                }
                for pk, image in entries
            ],
        )

    good = checked - len(bad)
    pause = settings.SOCMASTER.get("IMPORT_PAUSE_MS", 0) / 1000

    def after_batch(written: int) -> None:
        _update_job(
            job,
            rows_written=written,
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
            error_count=len(result.errors),
        )
        if progress:
            progress(written, good)
        if pause:
            time.sleep(pause)

    result = write_in_batches(
        good_rows(),
        result,
        write_one,
        skip_bad=skip_bad,
        batch_size=batch_size,
        journal=journal,
        undo=lambda: undo_job(job),
        after_batch=after_batch,
        cancelled=cancelled,
        write_batch=lambda values: _apply_many(user, values, actors),
    )
    if result.written:  # kept only while the import might still be undone
        job.undo.all().delete()
    return result


class _Row(Mapping):
    """A row kept for the write pass: its cells without a dict per row."""

    __slots__ = ("_headers", "_cells")

    def __init__(self, headers: list[str], raw: dict):
        self._headers = headers
        self._cells = tuple(raw.get(h) for h in headers)

    def __getitem__(self, name):
        try:
            return self._cells[self._headers.index(name)]
        except ValueError:
            raise KeyError(name) from None

    def __iter__(self):
        return iter(self._headers)

    def __len__(self) -> int:
        return len(self._headers)


def _check_row(raw, index, look, row_errors, seen, user) -> dict | None:
    values = parse_row(raw, index, look, row_errors)
    ref = (raw.get("Reference") or "").strip()
    if ref and ref in seen:
        row_errors.append(
            RowError(index, "Reference", f"{ref} appears again (first on row {seen[ref]})")
        )
        values = None
    seen.setdefault(ref, index)
    if values is not None and user is not None and not policy.can_create_for(user, values["owner"]):
        row_errors.append(
            RowError(index, "Owner", f"you may not import records for {values['owner']}")
        )
        values = None
    return values


def masterlist_rejects(result: ImportResult) -> str:
    return rejects_csv(result, COLUMNS)

"""Import an APMIS-style master-list extract (CSV).

Every row is checked first and every problem reported with its row number (the header is row 1).
Nothing is written unless the whole file is valid, unless ``skip_bad`` is set, in which case the good
rows are written and the bad ones returned for a rejects file. References are keys, so importing the
same file twice changes nothing. Writes go through the threat services, so each created or changed
threat has its own audit entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from socmaster.core import policy
from socmaster.core.choices import Action
from socmaster.core.importing import (
    ImportResult,
    RowError,
    check_cells,
    check_reference_cell,
    parse_date,
    read_csv,
    rejects_csv,
    write_rows,
)
from socmaster.core.importing import key as _key
from socmaster.organisations.choices import Role
from socmaster.organisations.models import Organisation, User
from socmaster.organisations.services import create_user

from . import services
from .choices import Category, ModerationStatus, Soc, ThreatType
from .models import CrimeType, Phase, Threat

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


class _Lookups:
    """Reference data loaded once per import, so checking a row costs no queries."""

    def __init__(self):
        self.phases = {_key(p.name): p for p in Phase.objects.all()}
        self.crime_types = {}
        for c in CrimeType.objects.all():
            self.crime_types[_key(c.code)] = c
            self.crime_types[_key(c.label)] = c
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
        phase = look.phases.get(_key(get["Phase"]))
        if phase is None:
            err("Phase", f"unknown phase '{get['Phase']}'")
        out["phase"] = phase
    crime_types = []
    for part in filter(None, (p.strip() for p in get["Crime types"].split(";"))):
        crime = look.crime_types.get(_key(part))
        if crime is None:
            err("Crime types", f"unknown crime type '{part}'")
        else:
            crime_types.append(crime)
    out["crime_types"] = crime_types
    out["lro"] = None
    if get["LRO"]:
        out["lro"] = look.user(get["LRO"])
        if out["lro"] is None:
            err("LRO", f"no active user '{get['LRO']}'")
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


def _apply(user, values: dict) -> str:
    """Create or update one threat; returns 'created', 'updated' or 'unchanged'."""
    values = dict(values)
    owner, crime_types = values.pop("owner"), values.pop("crime_types")
    reference = values.pop("reference")
    actor = user or importer_account(owner)
    existing = Threat.objects.filter(reference=reference).first()
    if existing is None:
        services.create_threat(
            actor, owner=owner, reference=reference, crime_types=crime_types, **values
        )
        return "created"
    if existing.owner_id != owner.pk or not policy.can(actor, Action.CHANGE, existing):
        # The same answer whoever owns it, so an import tells nothing about others' records.
        raise ValidationError({"Reference": [services.REFERENCE_TAKEN.format(reference=reference)]})
    if existing.closed_on and values.get("closed_on"):  # keep the date it was first closed
        values["closed_on"], values["closed_reason"] = existing.closed_on, existing.closed_reason
    before = existing.updated_at
    updated = services.update_threat(actor, existing, crime_types=crime_types, **values)
    return "unchanged" if updated.updated_at == before else "updated"


def import_masterlist(
    data: bytes | str,
    *,
    user=None,
    skip_bad: bool = False,
    progress: Callable[[int, int], None] | None = None,
    source: str = "",
) -> ImportResult:
    """Check and import a master-list CSV. ``user`` None means an operator at the command line.

    ``source`` names the file; each threat whose assessment figures the import sets records it
    (with the row) as where its figures came from.
    """
    source = (source or "").strip() or "master-list import"

    result = ImportResult()
    headers, rows = read_csv(data, COLUMNS)
    missing = [c for c in COLUMNS if c not in headers]
    if missing:
        result.errors.append(RowError(1, "header", f"missing column(s): {', '.join(missing)}"))
        return result
    look = _Lookups()
    parsed: list[tuple[int, dict, dict]] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(rows, start=2):
        row_errors: list[RowError] = []
        values = parse_row(raw, index, look, row_errors)
        ref = (raw.get("Reference") or "").strip()
        if ref and ref in seen:
            row_errors.append(
                RowError(index, "Reference", f"{ref} appears again (first on row {seen[ref]})")
            )
            values = None
        seen.setdefault(ref, index)
        if (
            values is not None
            and user is not None
            and not policy.can_create_for(user, values["owner"])
        ):
            row_errors.append(
                RowError(index, "Owner", f"you may not import records for {values['owner']}")
            )
            values = None
        if row_errors:
            result.errors.extend(row_errors)
            result.rejected.append(
                {**raw, "Error": "; ".join(f"{e.field}: {e.message}" for e in row_errors)}
            )
        else:
            values["assessment_source"] = f"{source[:250]}, row {index}"
            parsed.append((index, raw, values))
    if result.errors and not skip_bad:
        return result
    return write_rows(
        parsed, result, lambda values: _apply(user, values), skip_bad=skip_bad, progress=progress
    )


def masterlist_rejects(result: ImportResult) -> str:
    return rejects_csv(result, COLUMNS)

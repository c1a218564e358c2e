"""Import the history of 4P plans from a force's own systems (CSV): plan versions, their actions
and their reviews (docs/import-plans.md).

As every import does, it checks every row first and reports each problem by row number (the
header is row 1), writes nothing unless the whole file is good (or ``skip_bad``), and writes in
short batches under one journalled import job (``threats.journal``), so an import that fails is
undone whole. Each row is written through the plans services (``import_plan``, ``import_action``,
``import_review``), with the validation of a plan written by hand, its own audit entry and the
file's dates. Importing the same file again changes nothing.

The person running an import must be allowed to change the threats concerned; a threat they may
not see is reported as missing. From the command line (no person), the writes are recorded under
the import account of the threat's owning organisation.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404

from socmaster.core.importing import (
    ImportResult,
    RowError,
    check_cells,
    key,
    parse_date,
    read_csv,
    rejects_csv,
)
from socmaster.disruptions.models import Disruption
from socmaster.organisations.models import Organisation, User
from socmaster.threats.choices import ImportKind
from socmaster.threats.importer import importer_account
from socmaster.threats.journal import run_journalled_import
from socmaster.threats.models import Threat

from . import services
from .choices import (
    ActionStatus,
    AuthorRole,
    FourP,
    PartnerSection,
    PlanStatus,
    ReviewerRole,
    ReviewOutcome,
)
from .models import Plan

PLAN_COLUMNS = [
    "Threat reference",
    "Version",
    "Status",
    "Author",
    "Author role",
    "Aim",
    "Pursue objectives",
    "Prevent objectives",
    "Protect objectives",
    "Prepare objectives",
    "Intelligence gaps",
    "Safeguarding plans",
    "Investigation plans",
    "Review frequency days",
    "Partner sections",
    "Written on",
    "Updated on",
    "Superseded on",
]
ACTION_COLUMNS = [
    "Action ID",
    "Threat reference",
    "Plan version",
    "4P",
    "Description",
    "Owner",
    "Owner organisation",
    "Start date",
    "Due date",
    "Status",
    "Result",
    "Completed on",
    "Created on",
    "Updated on",
    "Disruption references",
]
REVIEW_COLUMNS = [
    "Threat reference",
    "Plan version",
    "Reviewer",
    "Reviewer role",
    "Reviewed on",
    "Outcome",
    "Comments",
]

#: Which column each field the services name comes from, for row errors.
PLAN_FIELD_COLUMNS = {
    "threat": "Threat reference",
    "version": "Version",
    "status": "Status",
    "author": "Author",
    "author_role": "Author role",
    "aim": "Aim",
    "pursue_objectives": "Pursue objectives",
    "prevent_objectives": "Prevent objectives",
    "protect_objectives": "Protect objectives",
    "prepare_objectives": "Prepare objectives",
    "intelligence_gaps": "Intelligence gaps",
    "safeguarding_plans": "Safeguarding plans",
    "investigation_plans": "Investigation plans",
    "review_frequency_days": "Review frequency days",
    "partner_sections": "Partner sections",
    "written_on": "Written on",
    "created_at": "Written on",
    "updated_on": "Updated on",
    "updated_at": "Updated on",
    "superseded_on": "Superseded on",
    "superseded_at": "Superseded on",
}
ACTION_FIELD_COLUMNS = {
    "source_key": "Action ID",
    "threat": "Threat reference",
    "plan": "Plan version",
    "four_p": "4P",
    "description": "Description",
    "owner_user": "Owner",
    "owner_organisation": "Owner organisation",
    "start_date": "Start date",
    "due_date": "Due date",
    "status": "Status",
    "result": "Result",
    "completed_on": "Completed on",
    "created_on": "Created on",
    "created_at": "Created on",
    "updated_on": "Updated on",
    "updated_at": "Updated on",
    "disruptions": "Disruption references",
}
REVIEW_FIELD_COLUMNS = {
    "threat": "Threat reference",
    "plan": "Plan version",
    "reviewer": "Reviewer",
    "reviewer_role": "Reviewer role",
    "reviewed_on": "Reviewed on",
    "outcome": "Outcome",
    "comments": "Comments",
}
#: The plan's text, as it is in the file.
PLAN_TEXT_FIELDS = [
    "aim",
    "pursue_objectives",
    "prevent_objectives",
    "protect_objectives",
    "prepare_objectives",
    "intelligence_gaps",
    "safeguarding_plans",
    "investigation_plans",
]
#: Columns whose cells may run over several lines (tab and line breaks allowed).
PLAN_MULTILINE = [
    "Aim",
    "Pursue objectives",
    "Prevent objectives",
    "Protect objectives",
    "Prepare objectives",
    "Intelligence gaps",
    "Safeguarding plans",
    "Investigation plans",
]
ACTION_MULTILINE = ["Description", "Result"]
REVIEW_MULTILINE = ["Comments"]


def _choice(value: str, choices) -> str | None:
    """The value of ``choices`` whose value or label ``value`` is, leniently matched."""
    wanted = key(value).replace("_", " ")
    for choice in choices:
        if wanted in (key(choice.value).replace("_", " "), key(choice.label)):
            return choice.value
    return None


def _columns(messages: dict, mapping: dict) -> dict[str, list[str]]:
    """A services' field -> messages dict keyed by the file's column names."""
    out: dict[str, list[str]] = {}
    for name, texts in messages.items():
        column = "row" if name == NON_FIELD_ERRORS else mapping.get(name, name)
        out.setdefault(column, []).extend(texts)
    return out


class _Rows:
    """What every importer of this module shares: the row errors and look-ups of one file."""

    def __init__(self, user, rows: list[dict]):
        self.user = user
        refs = {(r.get("Threat reference") or "").strip() for r in rows} - {""}
        threats = Threat.objects.all() if user is None else Threat.objects.visible_to(user)
        self.threats = {t.reference: t for t in threats.filter(reference__in=refs)}
        self.users: dict[str, User | None] = {}
        self.orgs: dict[str, Organisation | None] = {}
        self.actors: dict[int, User] = {}
        disruption_refs = {
            ref.strip()
            for r in rows
            for ref in (r.get("Disruption references") or "").split(";")
            if ref.strip()
        }
        disruptions = (
            Disruption.objects.all() if user is None else Disruption.objects.visible_to(user)
        )
        self.disruptions = {
            d.reference: d for d in disruptions.filter(reference__in=disruption_refs)
        }
        self.plans = {
            (p.threat_id, p.version): p
            for p in Plan.objects.filter(threat__in=self.threats.values()).select_related(
                "threat", "threat__owner"
            )
        }

    def threat(self, ref: str, err) -> Threat | None:
        """The threat ``ref`` if the importer may change its plans (hidden = missing)."""
        threat = self.threats.get(ref)
        if threat is None:
            err("Threat reference", f"no threat {ref} on the master list")
        elif self.user is not None and not services.may_write_plan(self.user, threat):
            err("Threat reference", f"you may not change the plans of {ref}")
            return None
        return threat

    def plan(self, threat: Threat | None, version_text: str, err, column="Plan version"):
        version = self.integer(version_text, column, err)
        if threat is None or version is None:
            return None
        plan = self.plans.get((threat.pk, version))
        if plan is None:
            err(column, f"{threat.reference} has no plan version {version}")
        return plan

    def disruption(self, reference: str) -> Disruption | None:
        """The disruption ``reference`` if the importer may see it (hidden = missing)."""
        return self.disruptions.get(reference)

    def person(self, username: str, column: str, err) -> User | None:
        if username not in self.users:
            self.users[username] = User.objects.filter(username=username).first()
        if self.users[username] is None:
            err(column, f"no user '{username}'")
        return self.users[username]

    def organisation(self, name: str, column: str, err) -> Organisation | None:
        if name not in self.orgs:
            try:
                self.orgs[name] = Organisation.objects.resolve(name)
            except Organisation.DoesNotExist:
                self.orgs[name] = None
        if self.orgs[name] is None:
            err(column, f"unknown organisation '{name}'")
        return self.orgs[name]

    @staticmethod
    def integer(text: str, column: str, err) -> int | None:
        try:
            return int(text)
        except ValueError:
            err(column, f"'{text}' is not a whole number")
            return None

    @staticmethod
    def date(text: str, column: str, err):
        if not text:
            return None
        try:
            return parse_date(text)
        except ValueError:
            err(column, f"'{text}' is not a date (YYYY-MM-DD or DD/MM/YYYY)")
            return None

    @staticmethod
    def choose(text: str, column: str, choices, err) -> str | None:
        value = _choice(text, choices)
        if value is None:
            err(column, f"'{text}' is not one of {', '.join(c.label for c in choices)}")
        return value

    def actor(self, threat: Threat) -> User:
        """Who the write is recorded under: the person importing, else the owner's import account."""
        if self.user is not None:
            return self.user
        if threat.owner_id not in self.actors:
            self.actors[threat.owner_id] = importer_account(threat.owner)
        return self.actors[threat.owner_id]


class _Errors:
    """``err(column, message)`` adds a row error; ``len(err)`` counts the row's errors so far."""

    def __init__(self, number: int, errors: list[RowError]):
        self.number, self.errors = number, errors

    def __call__(self, column: str, message: str) -> None:
        self.errors.append(RowError(self.number, column, message))

    def __len__(self) -> int:
        return len(self.errors)


def _run(
    data,
    *,
    columns: list[str],
    required: set[str],
    multiline: list[str],
    parse: Callable,
    write: Callable[[_Rows, dict], tuple],
    mapping: dict,
    kind: str,
    record_type: str,
    label: str,
    user,
    skip_bad: bool,
    source: str,
    progress,
    job,
    batch_size,
    after_parse: Callable | None = None,
    order: Callable | None = None,
) -> ImportResult:
    """Check every row (``parse(look, get, err)`` -> values or None), then write the good ones
    (``write(look, values)``) under one journalled import job."""
    if not source and isinstance(data, Path):
        source = data.name
    source = source or label
    result = ImportResult()
    headers, rows = read_csv(data, columns)
    missing = [c for c in columns if c not in headers]
    if missing:
        result.errors.append(RowError(1, "header", f"missing column(s): {', '.join(missing)}"))
        return result
    look = _Rows(user, rows)
    checked: list[tuple[int, dict, dict | None, list[RowError]]] = []
    seen: dict[tuple, int] = {}
    for number, raw in enumerate(rows, start=2):
        row_errors: list[RowError] = []
        err = _Errors(number, row_errors)
        get = {c: (raw.get(c) or "").strip() for c in columns}
        for column in sorted(required, key=columns.index):
            if not get[column]:
                err(column, "is required")
        check_cells(raw, columns, number, row_errors, multiline=multiline)
        values = parse(look, get, err) if not row_errors else None
        if values is not None:
            row_key = values.pop("_key")
            if row_key in seen:
                err(
                    values.pop("_key_column"),
                    f"{values.pop('_key_text')} appears again (first on row {seen[row_key]})",
                )
            else:
                seen[row_key] = number
            values.pop("_key_column", None)
            values.pop("_key_text", None)
        checked.append((number, raw, None if row_errors else values, row_errors))
    if after_parse is not None:
        after_parse(look, checked)
    parsed = []
    for number, raw, values, row_errors in checked:
        if row_errors:
            result.errors.extend(row_errors)
            result.rejected.append(
                {**raw, "Error": "; ".join(f"{e.field}: {e.message}" for e in row_errors)}
            )
        else:
            values["_source"] = f"{source}, row {number}"
            parsed.append((number, raw, values))
    if result.errors and not skip_bad:
        return result
    if order is not None:
        parsed.sort(key=lambda item: order(item[2]))

    def write_one(values: dict):
        values = dict(values)
        try:
            return write(look, values)
        except ValidationError as exc:
            messages = exc.message_dict if hasattr(exc, "error_dict") else {"row": exc.messages}
            raise ValidationError(_columns(messages, mapping)) from None
        except Http404:
            raise ValidationError(
                {"Threat reference": ["no such threat on the master list"]}
            ) from None
        except PermissionDenied as exc:
            raise ValidationError({"Threat reference": [str(exc)]}) from None

    return run_journalled_import(
        parsed,
        result,
        write_one,
        kind=kind,
        record_type=record_type,
        user=user,
        source=source,
        skip_bad=skip_bad,
        total_rows=len(rows),
        batch_size=batch_size,
        progress=progress,
        job=job,
    )


def _check(err, check: Callable, mapping: dict) -> object:
    """Run a services check, turning its field errors into row errors; None if it refused."""
    try:
        return check()
    except ValidationError as exc:
        messages = exc.message_dict if hasattr(exc, "error_dict") else {"row": exc.messages}
        for column, texts in _columns(messages, mapping).items():
            err(column, " ".join(texts))
        return None


# --- plans.csv -------------------------------------------------------------------------------------


def _parse_plan(look: _Rows, get: dict, err) -> dict | None:
    threat = look.threat(get["Threat reference"], err)
    version = look.integer(get["Version"], "Version", err)
    status = look.choose(get["Status"], "Status", PlanStatus, err)
    author = look.person(get["Author"], "Author", err)
    role = ""
    if get["Author role"]:
        role = look.choose(get["Author role"], "Author role", AuthorRole, err)
    days = services.setting("PLAN_REVIEW_DAYS")
    if get["Review frequency days"]:
        days = look.integer(get["Review frequency days"], "Review frequency days", err)
    sections = [
        look.choose(part, "Partner sections", PartnerSection, err)
        for part in (s.strip() for s in get["Partner sections"].split(";"))
        if part
    ]
    dates = {
        name: look.date(get[column], column, err)
        for name, column in (
            ("written_on", "Written on"),
            ("updated_on", "Updated on"),
            ("superseded_on", "Superseded on"),
        )
    }
    if len(err):
        return None
    values = {field: get[PLAN_FIELD_COLUMNS[field]] for field in PLAN_TEXT_FIELDS} | {
        "review_frequency_days": days,
        "partner_sections": sections,
    }
    checked = _check(
        err,
        lambda: services.check_imported_plan(
            version=version,
            status=status,
            author_role=role or AuthorRole.LRO,
            **dates,
            **values,
        ),
        PLAN_FIELD_COLUMNS,
    )
    if checked is None:
        return None
    return {
        "threat": threat,
        "version": version,
        "status": status,
        "author": author,
        "author_role": role,
        **dates,
        **checked,
        "_key": (threat.pk, version),
        "_key_column": "Version",
        "_key_text": f"Version {version} of {threat.reference}",
    }


def _plan_history(look: _Rows, checked: list) -> None:
    """A threat keeps at most one current plan, its latest version; an import does not change a
    plan written in socmaster. Judged on the plans as they will be once the file is in."""
    by_threat: dict[int, dict[int, tuple[int, list, str]]] = {}
    for number, _raw, values, row_errors in checked:
        if values is not None:
            by_threat.setdefault(values["threat"].pk, {})[values["version"]] = (
                number,
                row_errors,
                values["status"],
            )
    for (threat_id, version), plan in look.plans.items():
        rows = by_threat.get(threat_id)
        if rows is None:
            continue
        if version in rows and not plan.is_imported:
            number, row_errors, _ = rows[version]
            row_errors.append(
                RowError(
                    number,
                    "Version",
                    f"version {version} of the plan for {plan.threat.reference} was written "
                    "in socmaster; an import does not change it",
                )
            )
    for threat_id, rows in by_threat.items():
        state = {v: p.status for (t, v), p in look.plans.items() if t == threat_id}
        state.update({v: status for v, (_, _, status) in rows.items()})
        current = sorted(v for v, s in state.items() if s == PlanStatus.CURRENT)
        if len(current) > 1:
            for version in current:
                if version in rows:
                    number, row_errors, _ = rows[version]
                    others = ", ".join(str(v) for v in current if v != version)
                    row_errors.append(
                        RowError(
                            number,
                            "Status",
                            f"the threat would have more than one current plan (also version "
                            f"{others})",
                        )
                    )
        elif current and max(state) > current[0]:
            later = [v for v in state if v > current[0]]
            blame = [v for v in later if v in rows] or ([current[0]] if current[0] in rows else [])
            for version in blame:
                number, row_errors, _ = rows[version]
                row_errors.append(
                    RowError(
                        number,
                        "Version",
                        f"version {current[0]} is current: the current plan is the latest "
                        f"version (version {max(later)} exists)",
                    )
                )


def _write_plan(look: _Rows, values: dict):
    threat = values.pop("threat")
    source = values.pop("_source")
    return services.import_plan(look.actor(threat), threat, source=source, **values)


def _plan_order(values: dict):
    # Superseded versions first, so that a version a file supersedes is no longer current when
    # its successor comes in.
    return (values["status"] == PlanStatus.CURRENT, values["threat"].pk, values["version"])


def import_plans(
    data: bytes | str | Path,
    *,
    user=None,
    skip_bad: bool = False,
    source: str = "",
    progress: Callable[[int, int], None] | None = None,
    job=None,
    batch_size: int | None = None,
) -> ImportResult:
    """Import plan versions (plans.csv)."""
    return _run(
        data,
        columns=PLAN_COLUMNS,
        required={"Threat reference", "Version", "Status", "Author", "Aim", "Written on"},
        multiline=PLAN_MULTILINE,
        parse=_parse_plan,
        write=_write_plan,
        mapping=PLAN_FIELD_COLUMNS,
        kind=ImportKind.PLANS,
        record_type=services.PLAN_RECORD_TYPE,
        label="plan import",
        user=user,
        skip_bad=skip_bad,
        source=source,
        progress=progress,
        job=job,
        batch_size=batch_size,
        after_parse=_plan_history,
        order=_plan_order,
    )


def plan_rejects(result: ImportResult) -> str:
    return rejects_csv(result, PLAN_COLUMNS)


# --- plan-actions.csv ------------------------------------------------------------------------------


def _parse_action(look: _Rows, get: dict, err) -> dict | None:
    threat = look.threat(get["Threat reference"], err)
    plan = look.plan(threat, get["Plan version"], err)
    if len(get["Action ID"]) > 120:
        err("Action ID", "is longer than 120 characters")
    four_p = look.choose(get["4P"], "4P", FourP, err)
    status = look.choose(get["Status"], "Status", ActionStatus, err)
    owner = look.person(get["Owner"], "Owner", err) if get["Owner"] else None
    organisation = None
    if get["Owner organisation"]:
        organisation = look.organisation(get["Owner organisation"], "Owner organisation", err)
    dates = {
        name: look.date(get[column], column, err)
        for name, column in (
            ("start_date", "Start date"),
            ("due_date", "Due date"),
            ("completed_on", "Completed on"),
            ("created_on", "Created on"),
            ("updated_on", "Updated on"),
        )
    }
    disruptions = []
    for ref in (r.strip() for r in get["Disruption references"].split(";")):
        if ref:
            found = look.disruption(ref)
            if found is None:
                err("Disruption references", f"no disruption {ref}")
            disruptions.append(found)
    if len(err):
        return None
    values = {
        "four_p": four_p,
        "description": get["Description"],
        "owner_user": owner,
        "owner_organisation": organisation,
        "start_date": dates.pop("start_date"),
        "due_date": dates.pop("due_date"),
        "status": status,
        "result": get["Result"],
    }
    checked = _check(
        err,
        lambda: services.check_imported_action(plan, disruptions=disruptions, **dates, **values),
        ACTION_FIELD_COLUMNS,
    )
    if checked is None:
        return None
    return {
        "plan": plan,
        "key": get["Action ID"],
        "disruptions": disruptions,
        **dates,
        **checked,
        "_key": (threat.pk, get["Action ID"]),
        "_key_column": "Action ID",
        "_key_text": f"Action {get['Action ID']} of {threat.reference}",
    }


def _write_action(look: _Rows, values: dict):
    plan = values.pop("plan")
    source = values.pop("_source")
    return services.import_action(look.actor(plan.threat), plan, source=source, **values)


def import_plan_actions(
    data: bytes | str | Path,
    *,
    user=None,
    skip_bad: bool = False,
    source: str = "",
    progress: Callable[[int, int], None] | None = None,
    job=None,
    batch_size: int | None = None,
) -> ImportResult:
    """Import the actions of plan versions already in socmaster (plan-actions.csv)."""
    return _run(
        data,
        columns=ACTION_COLUMNS,
        required={
            "Action ID",
            "Threat reference",
            "Plan version",
            "4P",
            "Description",
            "Status",
            "Created on",
        },
        multiline=ACTION_MULTILINE,
        parse=_parse_action,
        write=_write_action,
        mapping=ACTION_FIELD_COLUMNS,
        kind=ImportKind.PLAN_ACTIONS,
        record_type=services.ACTION_RECORD_TYPE,
        label="plan action import",
        user=user,
        skip_bad=skip_bad,
        source=source,
        progress=progress,
        job=job,
        batch_size=batch_size,
    )


def action_rejects(result: ImportResult) -> str:
    return rejects_csv(result, ACTION_COLUMNS)


# --- plan-reviews.csv ------------------------------------------------------------------------------


def _parse_review(look: _Rows, get: dict, err) -> dict | None:
    threat = look.threat(get["Threat reference"], err)
    plan = look.plan(threat, get["Plan version"], err)
    reviewer = look.person(get["Reviewer"], "Reviewer", err)
    role = ""
    if get["Reviewer role"]:
        role = look.choose(get["Reviewer role"], "Reviewer role", ReviewerRole, err)
    reviewed_on = look.date(get["Reviewed on"], "Reviewed on", err)
    outcome = look.choose(get["Outcome"], "Outcome", ReviewOutcome, err)
    if len(err):
        return None
    values = {"reviewed_on": reviewed_on, "outcome": outcome, "comments": get["Comments"]}
    checked = _check(
        err,
        lambda: services.check_imported_review(
            plan, reviewer=reviewer, reviewer_role=role, **values
        ),
        REVIEW_FIELD_COLUMNS,
    )
    if checked is None:
        return None
    return {
        "plan": plan,
        "reviewer": reviewer,
        "reviewer_role": role,
        **checked[0],
        "_key": (plan.pk, reviewer.pk, reviewed_on),
        "_key_column": "Reviewed on",
        "_key_text": f"{reviewer.username}'s review of {reviewed_on:%d %b %Y}",
    }


def _write_review(look: _Rows, values: dict):
    plan = values.pop("plan")
    source = values.pop("_source")
    return services.import_review(look.actor(plan.threat), plan, source=source, **values)


def import_plan_reviews(
    data: bytes | str | Path,
    *,
    user=None,
    skip_bad: bool = False,
    source: str = "",
    progress: Callable[[int, int], None] | None = None,
    job=None,
    batch_size: int | None = None,
) -> ImportResult:
    """Import quality-assurance reviews of plan versions already in socmaster (plan-reviews.csv)."""
    return _run(
        data,
        columns=REVIEW_COLUMNS,
        required={
            "Threat reference",
            "Plan version",
            "Reviewer",
            "Reviewed on",
            "Outcome",
            "Comments",
        },
        multiline=REVIEW_MULTILINE,
        parse=_parse_review,
        write=_write_review,
        mapping=REVIEW_FIELD_COLUMNS,
        kind=ImportKind.PLAN_REVIEWS,
        record_type=services.REVIEW_RECORD_TYPE,
        label="plan review import",
        user=user,
        skip_bad=skip_bad,
        source=source,
        progress=progress,
        job=job,
        batch_size=batch_size,
    )


def review_rejects(result: ImportResult) -> str:
    return rejects_csv(result, REVIEW_COLUMNS)

"""A whole history import (``socmaster import-history DIR``, docs/import-history.md), and the
synthetic history written out as its files (``socmaster generate --export DIR``).

Each file goes through its own importer, found by its kind: the master list through
``threats.importer.import_masterlist``, the others through the importers the apps register
(``core.importing.IMPORTERS``). Each file is one import with its own record and its own undo; a
file with problems writes nothing (unless ``skip_bad``) and the files after it are not imported.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from socmaster.core.importing import IMPORTERS, ImportResult, rejects_csv
from socmaster.threats.choices import ImportKind

#: The files of a whole history and their import kinds, in the order they are imported
#: (a membership names its threat, a plan action the disruptions it produced, …).
HISTORY_FILES: list[tuple[str, str]] = [
    ("masterlist.csv", ImportKind.MASTERLIST),
    ("members.csv", ImportKind.MEMBERS),
    ("assessments.csv", ImportKind.ASSESSMENTS),
    ("disruptions.csv", ImportKind.DISRUPTIONS),
    ("plans.csv", ImportKind.PLANS),
    ("plan-actions.csv", ImportKind.PLAN_ACTIONS),
    ("plan-reviews.csv", ImportKind.PLAN_REVIEWS),
]


@dataclass
class FileOutcome:
    """How one file of the history went."""

    name: str
    path: Path
    result: ImportResult
    seconds: float = 0.0
    problem: str = ""  # why the file could not be imported at all (no importer for it)
    rejects: Path | None = None

    @property
    def written(self) -> bool:
        return not self.problem and self.result.written

    def summary(self) -> str:
        if self.problem:
            return f"{self.name}: {self.problem}"
        r = self.result
        if not r.written:
            return f"{self.name}: nothing imported, {len(r.errors)} problem(s) found"
        text = f"{self.name}: {r.created} created, {r.updated} updated, {r.unchanged} unchanged"
        if r.rejected:
            text += f", {len(r.rejected)} rejected (written to {self.rejects})"
        return f"{text} ({self.seconds:.1f} s)"


def importer_for(kind: str) -> tuple[Callable, list[str]] | None:
    """The import function and columns (for a rejects file) of ``kind``, or None if no app
    has registered an importer for it."""
    if kind == ImportKind.MASTERLIST:
        from socmaster.threats.importer import COLUMNS, import_masterlist

        return import_masterlist, COLUMNS
    entry = IMPORTERS.get(kind)
    return (entry["run"], entry["columns"]) if entry else None


def history_files(directory: Path) -> list[tuple[str, str, Path]]:
    """The history files present in ``directory`` (name, kind, path), in import order."""
    return [
        (name, kind, directory / name)
        for name, kind in HISTORY_FILES
        if (directory / name).is_file()
    ]


def import_history(
    directory: str | Path,
    *,
    skip_bad: bool = False,
    user=None,
    progress: Callable[[str, int, int], None] | None = None,
    on_file: Callable[[FileOutcome], None] | None = None,
) -> list[FileOutcome]:
    """Import the history files in ``directory`` in order, stopping after the first that is not
    written. ``user`` None is an operator at the command line. ``progress(file, done, total)``
    follows each import; ``on_file(outcome)`` is told as each file ends. With ``skip_bad`` the
    rejected rows of a file go to ``<file>.rejects.csv`` beside it."""
    directory = Path(directory)
    outcomes: list[FileOutcome] = []
    for name, kind, path in history_files(directory):
        found = importer_for(kind)
        if found is None:
            outcome = FileOutcome(
                name,
                path,
                ImportResult(),
                problem=f"no importer is installed for {ImportKind(kind).label} ({kind})",
            )
        else:
            run, columns = found
            started = time.perf_counter()
            result = run(
                path,
                user=user,
                skip_bad=skip_bad,
                source=name,
                progress=(lambda done, total, name=name: progress(name, done, total))
                if progress
                else None,
            )
            outcome = FileOutcome(name, path, result, seconds=time.perf_counter() - started)
            if result.written and result.rejected:
                outcome.rejects = path.with_suffix(".rejects.csv")
                outcome.rejects.write_text(rejects_csv(result, columns), encoding="utf-8")
        outcomes.append(outcome)
        if on_file:
            on_file(outcome)
        if not outcome.written:
            break
    return outcomes


def create_users(dataset, actor=None) -> int:
    """Create the users a synthetic dataset names (with their roles) through the organisations'
    service, as an operator would with ``socmaster createuser``; existing ones are left alone.
    Returns how many were created. For the demo and its tests: real users are the operator's."""
    from django.db import transaction

    from socmaster.organisations.models import Organisation, User
    from socmaster.organisations.services import create_user

    orgs = {o.key: o for o in Organisation.objects.all()}
    existing = set(
        User.objects.filter(username__in=[u.username for u in dataset.users]).values_list(
            "username", flat=True
        )
    )
    created = 0
    with transaction.atomic():
        for u in dataset.users:
            if u.username in existing:
                continue
            create_user(
                actor,
                username=u.username,
                organisation=orgs[u.org_key],
                roles=u.roles,
                first_name=u.first_name,
                last_name=u.last_name,
                job_title="Synthetic user",
            )
            created += 1
    return created


def plan_templates() -> dict:
    """The plan templates as ``synth.export`` takes them: {(organisation key or None, threat
    type): {field: text}}."""
    from socmaster.plans.models import OBJECTIVE_FIELDS, PlanTemplate

    return {
        (t.organisation.key if t.organisation_id else None, t.threat_type): {
            "aim": t.aim,
            **{name: getattr(t, name) for name in OBJECTIVE_FIELDS.values()},
        }
        for t in PlanTemplate.objects.select_related("organisation")
    }


def export_history(
    dataset, directory: str | Path, progress: Callable[[str, int, int], None] | None = None
) -> dict[str, int]:
    """Write ``dataset`` as the history files (and README.txt) in ``directory``, for import
    today: the organisations' names and the plan templates come from the database."""
    from django.utils import timezone

    from socmaster.synth.export import write_history

    from .synthetic import organisation_specs

    return write_history(
        dataset,
        directory,
        organisations=organisation_specs(),
        templates=plan_templates(),
        today=timezone.localdate(),
        progress=progress,
    )

"""Shared pieces of the CSV importers: row errors, results, reading and rejects files."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .validators import control_character, control_message


@dataclass
class RowError:
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.field}: {self.message}"


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def key(value: str) -> str:
    """Fold a CSV value for matching: spaces, case and dashes."""
    return " ".join((value or "").replace("–", "-").replace("—", "-").split()).lower()


def parse_date(value: str) -> dt.date:
    if len(value) == 10 and value[4] == "-" and value[7] == "-":  # the usual form, parsed in C
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(value)


def read_csv(data: bytes | str | Path, columns: list[str]) -> tuple[list[str], list[dict]]:
    """Rows as dicts keyed by the canonical column names (headers matched without regard to case).
    ``data`` is the file's bytes or text, or its path."""
    if isinstance(data, Path):
        data = data.read_bytes()
    if isinstance(data, bytes):
        data = data.decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(data))
    headers = [h.strip() for h in (reader.fieldnames or [])]
    by_lower = {h.lower(): h for h in columns}
    reader.fieldnames = [by_lower.get(h.lower(), h) for h in headers]
    return reader.fieldnames, list(reader)


class CsvSource:
    """A CSV file that can be read more than once, row by row, without holding its rows in memory.

    ``data`` is the file's bytes or text, or the path of a file on disk (the background import
    reads the stored upload from disk, so a large file is never loaded whole).
    """

    def __init__(self, data: bytes | str | Path):
        self.data = data

    def open(self):
        if isinstance(self.data, Path):
            return open(self.data, encoding="utf-8-sig", newline="")
        text = self.data.decode("utf-8-sig") if isinstance(self.data, bytes) else self.data
        return io.StringIO(text, newline="")

    def rows(self, columns: list[str]) -> tuple[list[str], Iterator[dict]]:
        """The canonical headers and an iterator over the rows (the file closes when it ends)."""
        stream = self.open()
        reader = csv.DictReader(stream)
        headers = [h.strip() for h in (reader.fieldnames or [])]
        by_lower = {h.lower(): h for h in columns}
        reader.fieldnames = [by_lower.get(h.lower(), h) for h in headers]

        def iterate():
            with stream:
                yield from reader

        return reader.fieldnames, iterate()


def rejects_csv(result: ImportResult, columns: list[str]) -> str:
    """The rejected rows and their errors as CSV, cells made safe for a spreadsheet."""
    from .exports import safe_cell

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[*columns, "Error"], extrasaction="ignore")
    writer.writeheader()
    writer.writerows({k: safe_cell(v) for k, v in row.items()} for row in result.rejected)
    return buffer.getvalue()


def check_cells(
    raw: dict, columns: list[str], number: int, errors: list[RowError], multiline=()
) -> None:
    """A row error for each cell holding a control character; cells of ``multiline`` columns
    may hold tab and line breaks."""
    # The usual case, a clean row: one search over its single-line cells and one over its
    # multi-line ones (which often hold line breaks); only a row with a control character it
    # may not hold is looked at cell by cell.
    single = "".join(v for c in columns if c not in multiline and isinstance(v := raw.get(c), str))
    lines = "".join(v for c in multiline if isinstance(v := raw.get(c), str))
    if not control_character(single) and not control_character(lines, multiline=True):
        return
    for column in columns:
        value = raw.get(column)
        multi = column in multiline
        if isinstance(value, str) and (char := control_character(value, multiline=multi)):
            errors.append(RowError(number, column, control_message(char)))


def check_reference_cell(value: str, column: str, number: int, errors: list[RowError]) -> None:
    """A row error if a reference given in a file is not one a person may choose."""
    from .validators import reference_error

    if value and (message := reference_error(value)):
        errors.append(RowError(number, column, message))


def write_rejects(path: Path, rejected: Iterable[dict], columns: list[str]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*columns, "Error"], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rejected)


def run_import_command(command, options: dict, import_fn, rejects_fn, *, stream=False) -> None:
    """The body of an ``import-*`` management command: progress bar, errors, rejects file, summary.

    With ``stream`` the importer is given the file's path and reads it as a stream."""
    from pathlib import Path

    from django.core.management.base import CommandError
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    path = Path(options["file"])
    if not path.is_file():
        raise CommandError(f"No such file: {path}")
    with Progress(
        TextColumn("Importing"),
        BarColumn(),
        MofNCompleteColumn(),
        disable=not command.stdout.isatty(),
    ) as bar:
        task = bar.add_task("import", total=None)
        result = import_fn(
            path if stream else path.read_bytes(),
            skip_bad=options["skip_bad"],
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    for error in result.errors:
        command.stderr.write(str(error))
    if not result.written:
        raise CommandError(
            f"Nothing was imported: {len(result.errors)} problem(s) found. "
            "Fix them, or use --skip-bad to import the good rows."
        )
    summary = f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged"
    if result.rejected:
        default = (
            path.with_suffix(".rejects.csv")
            if path.suffix.lower() == ".csv"
            else Path(f"{path}.rejects.csv")
        )
        rejects = Path(options["rejects"]) if options.get("rejects") else default
        rejects.write_text(rejects_fn(result), encoding="utf-8")
        summary += f", {len(result.rejected)} rejected (written to {rejects})"
    command.stdout.write(command.style.SUCCESS(summary + "."))


def add_import_arguments(parser) -> None:
    parser.add_argument("file")
    parser.add_argument(
        "--skip-bad",
        action="store_true",
        help="Write the good rows; put bad ones in a rejects file.",
    )
    parser.add_argument(
        "--rejects", help="Where to write rejected rows (default FILE.rejects.csv)."
    )


#: The imports the upload page offers (besides the master list), by ``ImportKind``: each app
#: that imports registers its own (from its ``registry.py``).
IMPORTERS: dict[str, dict] = {}


def register_importer(
    kind: str,
    *,
    label: str,
    run: Callable,
    columns: list[str],
    guide: str = "",
    formats: tuple[str, ...] = ("csv",),
    max_mb: int = 50,
):
    """Offer an import on the upload page and run it in the background.

    ``run(data, *, user, skip_bad, source, progress, job)`` checks and writes the file (``data``
    is its path) and returns an :class:`ImportResult`; ``columns`` head the rejects file;
    ``formats`` are the file extensions it reads and ``max_mb`` the largest upload it takes."""
    IMPORTERS[kind] = {
        "label": label,
        "run": run,
        "columns": columns,
        "guide": guide,
        "formats": formats,
        "max_mb": max_mb,
    }


#: How to undo one journalled import write, by record type ("threats.threat"): each app that
#: imports registers its own (from its ``registry.py``).
UNDO_HANDLERS: dict[str, Callable] = {}


def register_undo(record_type: str, handler: Callable) -> None:
    """``handler(job, undo)`` puts back the record an import journalled in ``undo``."""
    UNDO_HANDLERS[record_type] = handler


def undo_job(job) -> None:
    """Reverse, newest first, every write the import ``job`` committed and journalled."""
    for undo in job.undo.order_by("-pk").iterator(chunk_size=500):
        UNDO_HANDLERS[undo.record_type](job, undo)


class ImportCancelled(Exception):
    """Raised between batches when someone cancels the import."""


def write_in_batches(
    rows: Iterable[tuple[int, dict, dict]],
    result: ImportResult,
    write_one: Callable[[dict], tuple[str, object]],
    *,
    skip_bad: bool,
    batch_size: int,
    journal: Callable[[list], None],
    undo: Callable[[], None],
    after_batch: Callable[[int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    write_batch: Callable[[list[dict]], list] | None = None,
) -> ImportResult:
    """Write checked rows in short transactions of ``batch_size`` rows, so that others can write
    between them, and leave nothing half-written.

    ``write_one(values)`` returns ``(outcome, entry)``: the outcome is 'created', 'updated' or
    'unchanged' (or it raises ValidationError for the row) and ``entry`` (None when nothing
    changed) is what undoes the change. ``journal(entries)`` stores a batch's entries in the same
    transaction as the batch. If a row fails (without ``skip_bad``), ``cancelled()`` turns true, or
    anything else goes wrong, ``undo()`` reverses every committed batch and the result is marked
    not written (ImportCancelled and unexpected errors are raised again after the undo).

    ``write_batch(values_list)``, where given, writes a whole batch at once instead of row by row
    (bulk inserts): it returns, row by row, ``(outcome, entry)`` or the row's ValidationError,
    and writes nothing for a refused row.
    """
    from django.core.exceptions import ValidationError
    from django.db import transaction

    written = 0
    iterator = iter(rows)
    try:
        while True:
            if cancelled is not None and cancelled():
                raise ImportCancelled
            batch = []
            for item in iterator:
                batch.append(item)
                if len(batch) >= batch_size:
                    break
            if not batch:
                break
            failed = False
            with transaction.atomic():
                entries = []
                outcomes = write_batch([v for _, _, v in batch]) if write_batch else None
                for index, (number, raw, values) in enumerate(batch):
                    try:
                        if outcomes is not None:
                            if isinstance(outcomes[index], ValidationError):
                                raise outcomes[index]
                            outcome, entry = outcomes[index]
                        else:
                            with transaction.atomic():
                                outcome, entry = write_one(values)
                    except ValidationError as exc:
                        messages = (
                            exc.message_dict
                            if hasattr(exc, "error_dict")
                            else {"row": exc.messages}
                        )
                        row_errors = [RowError(number, f, " ".join(m)) for f, m in messages.items()]
                        result.errors.extend(row_errors)
                        result.rejected.append(
                            {**raw, "Error": "; ".join(str(e) for e in row_errors)}
                        )
                        if not skip_bad:
                            failed = True
                            transaction.set_rollback(True)
                            break
                        continue
                    setattr(result, outcome, getattr(result, outcome) + 1)
                    if entry is not None:
                        entries.append(entry)
                if not failed and entries:
                    journal(entries)
            if failed:
                undo()
                result.created = result.updated = result.unchanged = 0
                return result
            written += len(batch)
            if after_batch is not None:
                after_batch(written)
    except BaseException:
        undo()
        result.created = result.updated = result.unchanged = 0
        raise
    result.written = True
    return result

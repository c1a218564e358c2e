"""The journal every history import runs under: one ``ImportJob`` per import, written in short
batches, each write journalled (``ImportUndo``) in the batch's own transaction, so an import that
fails, is refused, or whose worker dies (``recover-imports``) is undone whole.

Each importer (disruptions, plans, assessments, members) checks its rows first, then hands the
checked rows and a ``write_one(values)`` to :func:`run_journalled_import`; ``write_one`` returns
``(outcome, (record_id, before_image_or_None) | None)`` as ``core.importing.write_in_batches``
expects. The undo handler for the record type is registered by the importing app
(``core.importing.register_undo``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from socmaster.core.bulk import insert_rows
from socmaster.core.importing import (
    ImportCancelled,
    ImportResult,
    undo_job,
    write_in_batches,
    write_rejects,
)

from .choices import ImportStatus
from .models import ImportJob, ImportUndo


def run_journalled_import(
    parsed: list[tuple[int, dict, dict]],
    result: ImportResult,
    write_one: Callable[[dict], tuple[str, tuple[int, dict | None] | None]],
    *,
    kind: str,
    record_type: str | Callable[[dict], str],
    user=None,
    source: str = "",
    skip_bad: bool = False,
    total_rows: int | None = None,
    batch_size: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    job: ImportJob | None = None,
) -> ImportResult:
    """Write ``parsed`` rows (``(row number, raw row, checked values)``) under a new import job
    of ``kind`` and return the result. ``record_type`` names what ``write_one`` writes (or, given
    a callable, is asked per journal entry, which is then ``(record_type, id, before)``).
    ``job`` is the queued job of an upload; without it a new job is recorded."""
    from .services import start_import

    if job is None:
        job = start_import(
            user,
            source_name=source or f"{kind} import",
            stored_file="",
            skip_bad=skip_bad,
            kind=kind,
        )
    now = timezone.now()
    total = len(parsed) if total_rows is None else total_rows
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING,
        started_at=now,
        heartbeat_at=now,
        total_rows=total,
        rows_checked=total,
    )

    def journal(entries):
        undo_rows = []
        for entry in entries:
            if callable(record_type):
                kind_of, pk, image = entry
            else:
                kind_of, (pk, image) = record_type, entry
            undo_rows.append(ImportUndo(job=job, record_type=kind_of, record_id=pk, before=image))
        insert_rows(ImportUndo, undo_rows)

    def after_batch(written: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(
            heartbeat_at=timezone.now(), rows_written=written
        )
        if progress:
            progress(written, len(parsed))

    try:
        result = write_in_batches(
            parsed,
            result,
            write_one,
            skip_bad=skip_bad,
            batch_size=batch_size or settings.SOCMASTER["IMPORT_BATCH_SIZE"],
            journal=journal,
            undo=lambda: undo_job(job),
            after_batch=after_batch,
            cancelled=lambda: ImportJob.objects.filter(pk=job.pk, cancel_requested=True).exists(),
        )
    except ImportCancelled:
        finish_job(job, ImportResult(), ImportStatus.CANCELLED, "Cancelled: nothing was written.")
        return ImportResult()
    except Exception as exc:
        finish_job(
            job, result, ImportStatus.FAILED, f"The import stopped: {exc!r}. Nothing was written."
        )
        raise
    if result.written:
        job.undo.all().delete()
        finish_job(job, result, ImportStatus.DONE, "")
    else:
        finish_job(
            job,
            result,
            ImportStatus.FAILED,
            f"Nothing was imported: {len(result.errors)} problem(s).",
        )
    return result


def finish_job(
    job, result: ImportResult, status: str, message: str, columns: list[str] | None = None
) -> None:
    """Record how an import ended. With ``columns``, its rejected rows go to a rejects file the
    job's page offers for download."""
    rejects = ""
    if result.rejected and columns:
        folder = Path(settings.SOCMASTER["IMPORT_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        rejects = str(folder / f"import-{job.pk}.rejects.csv")
        write_rejects(Path(rejects), result.rejected, columns)
    ImportJob.objects.filter(pk=job.pk).update(
        status=status,
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
        message=message,
        created=result.created if result.written else 0,
        updated=result.updated if result.written else 0,
        unchanged=result.unchanged if result.written else 0,
        error_count=len(result.errors),
        errors=[[e.row, e.field, e.message] for e in result.errors[:500]],
        **({"rejects_file": rejects} if rejects else {}),
    )

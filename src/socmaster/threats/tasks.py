"""Background tasks of the master list (run by ``socmaster db_worker``)."""

from __future__ import annotations

from pathlib import Path

from django.utils import timezone
from django_tasks import task

from socmaster.core.importing import IMPORTERS, ImportResult

from .choices import ImportKind, ImportStatus
from .importer import import_masterlist
from .journal import finish_job
from .models import ImportJob


@task()
def run_masterlist_import(job_id: int) -> str:
    """Run a queued master-list import; its record shows progress and how it ended."""
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or job.status != ImportStatus.QUEUED or job.cancel_requested:
        return "skipped"
    import_masterlist(
        Path(job.stored_file),
        user=job.created_by,
        skip_bad=job.skip_bad,
        source=f"master-list upload {job.source_name}",
        job=job,
    )
    job.refresh_from_db()
    return job.status


@task()
def run_import(job_id: int) -> str:
    """Run a queued upload of any kind: the master list, or an importer an app registered
    (``core.importing.register_importer``). The upload is deleted once the import has ended."""
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or job.status != ImportStatus.QUEUED or job.cancel_requested:
        return "skipped"
    if job.kind == ImportKind.MASTERLIST:
        return run_masterlist_import.call(job_id)
    spec = IMPORTERS[job.kind]
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, started_at=timezone.now(), heartbeat_at=timezone.now()
    )
    path = Path(job.stored_file)
    try:
        result = spec["run"](
            path,
            user=job.created_by,
            skip_bad=job.skip_bad,
            source=f"{spec['label'].lower()} upload {job.source_name}",
            job=job,
        )
    except Exception as exc:
        job.refresh_from_db()
        if not job.is_finished:
            finish_job(
                job,
                ImportResult(),
                ImportStatus.FAILED,
                f"The import stopped: {exc!r}. Nothing was written.",
            )
        raise
    finally:
        path.unlink(missing_ok=True)
    job.refresh_from_db()
    if not job.is_finished:  # refused before writing (problems found in the check)
        finish_job(
            job,
            result,
            ImportStatus.FAILED,
            f"Nothing was imported: {len(result.errors)} problem(s) found.",
            columns=spec["columns"],
        )
    elif result.rejected:
        finish_job(job, result, job.status, job.message, columns=spec["columns"])
    job.refresh_from_db()
    return job.status

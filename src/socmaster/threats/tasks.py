"""Background tasks of the master list (run by ``socmaster db_worker``)."""

from __future__ import annotations

from pathlib import Path

from django_tasks import task

from .choices import ImportStatus
from .importer import import_masterlist
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

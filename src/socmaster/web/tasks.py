"""The synthetic build as a background task (run by ``socmaster db_worker``), recorded as an
import job so that its page shows progress and it can be cancelled."""

from __future__ import annotations

import time

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from socmaster.core.importing import ImportCancelled
from socmaster.threats.choices import ImportStatus
from socmaster.threats.models import ImportJob

#: The steps of a load, in order, for the progress line.
STEPS = [
    "users",
    "threats",
    "nominals",
    "memberships",
    "assessments",
    "disruptions",
    "plans",
    "plan actions",
    "plan reviews",
    "plan text",
]


@task()
def build_synthetic(job_id: int, scale: str, seed: int, replace: bool) -> str:
    """Generate and load a synthetic dataset under the queued job ``job_id``."""
    from socmaster.synth import generate
    from socmaster.web.synthetic import (
        load_dataset,
        organisation_specs,
        remove_synthetic,
        synthetic_data_present,
    )

    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.status != ImportStatus.QUEUED or job.cancel_requested:
        return "skipped"

    def update(**fields):
        ImportJob.objects.filter(pk=job_id).update(heartbeat_at=timezone.now(), **fields)

    update(status=ImportStatus.RUNNING, started_at=timezone.now(), message="Generating the data")
    if synthetic_data_present():
        if not replace:
            update(
                status=ImportStatus.FAILED,
                finished_at=timezone.now(),
                message="Synthetic data is already loaded: choose to replace it.",
            )
            return ImportStatus.FAILED
        remove_synthetic()
    dataset = generate(scale, seed, organisation_specs())
    pause = settings.SOCMASTER.get("IMPORT_PAUSE_MS", 0) / 1000
    written = {"rows": 0, "last": {}}

    def progress(name: str, done: int, total: int) -> None:
        written["rows"] += max(0, done - written["last"].get(name, 0))
        written["last"][name] = done
        update(rows_written=written["rows"], message=f"Loading {name}: {done:,} of {total:,}")
        if ImportJob.objects.filter(pk=job_id, cancel_requested=True).exists():
            raise ImportCancelled
        if pause:
            time.sleep(pause)

    try:
        counts = load_dataset(dataset, progress, in_one_transaction=False)
    except ImportCancelled:
        update(
            status=ImportStatus.CANCELLED,
            finished_at=timezone.now(),
            message="Cancelled: what was loaded has been removed.",
            rows_written=0,
        )
        return ImportStatus.CANCELLED
    except Exception as exc:
        update(
            status=ImportStatus.FAILED,
            finished_at=timezone.now(),
            message=f"The build stopped: {exc!r}. What was loaded has been removed.",
            rows_written=0,
        )
        raise
    summary = ", ".join(f"{v:,} {k}" for k, v in counts.items())
    update(
        status=ImportStatus.DONE,
        finished_at=timezone.now(),
        created=sum(counts.values()),
        rows_written=sum(counts.values()),
        message=f"Synthetic {dataset.scale} dataset loaded: {summary}.",
    )
    return ImportStatus.DONE

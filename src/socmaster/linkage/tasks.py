"""Background tasks of entity resolution (run by ``socmaster db_worker``)."""

from __future__ import annotations

from django_tasks import task

from .choices import RunStatus
from .models import ScreeningRun


@task()
def run_screening(run_id: int) -> str:
    """Carry out a queued screening run; its record shows progress and how it ended."""
    from . import services

    run = ScreeningRun.objects.select_related("started_by", "owner").filter(pk=run_id).first()
    if run is None or run.status != RunStatus.QUEUED:
        return "skipped"
    try:
        services.run_queued(run)
    except Exception:  # recorded on the run by the service; the worker logs it too
        return RunStatus.FAILED
    return RunStatus.DONE

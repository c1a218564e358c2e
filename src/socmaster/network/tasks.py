"""Background tasks of network analysis (run by ``socmaster db_worker``)."""

from __future__ import annotations

from django_tasks import task

from .choices import RunStatus
from .models import NetworkRun


@task()
def run_analysis(run_id: int) -> str:
    """Carry out a queued analysis; its record shows progress and how it ended."""
    from . import services

    run = NetworkRun.objects.select_related("started_by").filter(pk=run_id).first()
    if run is None or run.status != RunStatus.QUEUED:
        return "skipped"
    try:
        services.run_queued(run)
    except Exception:  # recorded on the run by the service; the worker logs it too
        return RunStatus.FAILED
    return RunStatus.DONE

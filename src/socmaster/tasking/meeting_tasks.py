"""Background tasks of the meetings (run by ``socmaster db_worker``)."""

from __future__ import annotations

from django_tasks import task


@task()
def complete_meeting_agenda(meeting_id: int) -> str:
    """Work out the sections of a new meeting's agenda that its background sources build (the
    exceptions report's figures): ``services.meetings.complete_agenda``."""
    from .models import Meeting
    from .services import meetings

    meeting = Meeting.objects.filter(pk=meeting_id).first()
    if meeting is None:
        return "no such meeting"
    counts = meetings.complete_agenda(meeting)
    return ", ".join(f"{kind}: {n}" for kind, n in counts.items()) or "nothing pending"

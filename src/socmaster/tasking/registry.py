"""What the tasking app adds to the shared registries (from ``TaskingConfig.ready()``)."""

from __future__ import annotations


def _meetings() -> None:
    """Meetings: navigation, attention items, agenda sources."""
    from .meeting_registry import register_meetings

    register_meetings()


def _debriefs() -> None:
    """Debriefs: navigation, attention items, exceptions checks."""
    from .debrief_registry import register_debriefs

    register_debriefs()


def register() -> None:
    _meetings()
    _debriefs()

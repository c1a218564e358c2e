"""Fair clocks for gateway requests: time that runs, less the time spent waiting on the
requester for information. Pure: no Django.

A clock runs from ``start`` to ``end`` (a decision, a completion, or now). Each pause is a
``(started, ended)`` pair, ``ended`` None while it lasts; only the part of a pause inside the
clock's span stops it, so pauses before a decision do not count against the completion clock
twice, and a pause still open stops the clock up to ``end``. Pauses are rows of their own, so
they survive re-prioritisation and reassignment of the request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Clock:
    """``elapsed`` from start to end; ``paused`` the part of it spent waiting; ``running`` the
    rest (what the service level counts); ``stopped`` whether ``end`` is a real event."""

    elapsed: dt.timedelta
    paused: dt.timedelta
    stopped: bool
    waiting_now: bool

    @property
    def running(self) -> dt.timedelta:
        return self.elapsed - self.paused

    @property
    def running_days(self) -> float:
        return self.running.total_seconds() / 86400


def clock(
    start: dt.datetime,
    end: dt.datetime | None,
    now: dt.datetime,
    pauses: Iterable[tuple[dt.datetime, dt.datetime | None]] = (),
) -> Clock:
    """The clock from ``start`` to ``end`` (None: still running, so up to ``now``)."""
    stop = end if end is not None else now
    stop = max(stop, start)
    paused = dt.timedelta(0)
    waiting = False
    spans = sorted((s, e if e is not None else now) for s, e in pauses)
    covered_to = start
    for s, e in spans:
        s, e = max(s, covered_to), min(e, stop)
        if e > s:
            paused += e - s
            covered_to = e
    if end is None:
        waiting = any(e is None and s <= now for s, e in pauses)
    return Clock(elapsed=stop - start, paused=paused, stopped=end is not None, waiting_now=waiting)


def describe(delta: dt.timedelta) -> str:
    """``3 days 4 hours``, ``5 hours``, ``under an hour``."""
    hours = int(delta.total_seconds() // 3600)
    days, hours = divmod(hours, 24)
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    return " ".join(parts) or "under an hour"

"""The gateway's fair clocks (``gateway/clock.py``, pure): time that runs from a request's
submission to an event (or now), less the time spent waiting on the requester. The expected
figures are worked out by hand in hours from a fixed start."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socmaster.gateway import clock

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def h(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def hours(delta: dt.timedelta) -> float:
    return delta.total_seconds() / 3600


def test_no_pauses_the_clock_runs_from_start_to_end():
    c = clock.clock(T0, h(30), now=h(100))
    assert (hours(c.elapsed), hours(c.paused), hours(c.running)) == (30, 0, 30)
    assert c.stopped and not c.waiting_now
    assert c.running_days == 1.25


def test_without_an_end_the_clock_runs_to_now():
    c = clock.clock(T0, None, now=h(12))
    assert (hours(c.elapsed), hours(c.running)) == (12, 12)
    assert not c.stopped


@pytest.mark.parametrize(
    ("pause", "paused", "why"),
    [
        ((h(2), h(5)), 3, "inside the span: all of it"),
        ((h(-4), h(3)), 3, "begun before the start: only the part after it"),
        ((h(8), h(14)), 2, "running past the end: only the part before it"),
        ((h(-5), h(15)), 10, "covering the whole span: all of the span"),
        ((h(-5), h(-1)), 0, "wholly before the start"),
        ((h(11), h(20)), 0, "wholly after the end"),
        ((h(10), h(12)), 0, "starting at the end"),
        ((h(4), h(4)), 0, "ending as it starts"),
    ],
)
def test_only_the_part_of_a_pause_inside_the_span_stops_the_clock(pause, paused, why):
    c = clock.clock(T0, h(10), now=h(50), pauses=[pause])
    assert hours(c.paused) == paused, why
    assert hours(c.running) == 10 - paused, why
    assert hours(c.elapsed) == 10, why


def test_an_open_pause_stops_a_running_clock_up_to_now_and_says_it_is_waiting():
    c = clock.clock(T0, None, now=h(10), pauses=[(h(6), None)])
    assert (hours(c.elapsed), hours(c.paused), hours(c.running)) == (10, 4, 6)
    assert c.waiting_now


def test_an_open_pause_stops_a_stopped_clock_only_up_to_its_end():
    c = clock.clock(T0, h(8), now=h(20), pauses=[(h(6), None)])
    assert (hours(c.paused), hours(c.running)) == (2, 6)
    assert c.stopped and not c.waiting_now


def test_a_pause_not_yet_begun_is_not_waiting():
    c = clock.clock(T0, None, now=h(5), pauses=[(h(7), None)])
    assert hours(c.paused) == 0
    assert not c.waiting_now


def test_an_ended_pause_is_not_waiting():
    c = clock.clock(T0, None, now=h(10), pauses=[(h(2), h(4))])
    assert hours(c.paused) == 2
    assert not c.waiting_now


@pytest.mark.parametrize(
    ("pauses", "paused", "why"),
    [
        ([(h(1), h(4)), (h(3), h(6))], 5, "overlapping: 1 to 6 once"),
        ([(h(1), h(8)), (h(2), h(3))], 7, "one inside another: the outer once"),
        ([(h(3), h(6)), (h(1), h(4))], 5, "overlapping, given out of order"),
        ([(h(1), h(2)), (h(2), h(3))], 2, "end to end"),
        ([(h(1), h(2)), (h(5), h(7))], 3, "apart: both"),
        ([(h(1), h(4)), (h(2), None)], 8, "an ended pause inside an open one"),
        ([(h(1), h(3)), (h(2), h(3)), (h(2.5), h(9))], 8, "three, chained: 1 to 9"),
    ],
)
def test_overlapping_pauses_count_once(pauses, paused, why):
    c = clock.clock(T0, None, now=h(9), pauses=pauses)
    assert hours(c.paused) == paused, why
    assert hours(c.running) == 9 - paused, why


def test_an_end_before_the_start_gives_an_empty_clock():
    c = clock.clock(T0, h(-3), now=h(10), pauses=[(h(-5), h(2))])
    assert (hours(c.elapsed), hours(c.paused), hours(c.running)) == (0, 0, 0)
    assert c.stopped


def test_now_before_the_start_gives_an_empty_running_clock():
    c = clock.clock(T0, None, now=h(-1), pauses=[(h(-3), None)])
    assert (hours(c.elapsed), hours(c.paused)) == (0, 0)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (dt.timedelta(minutes=59), "under an hour"),
        (dt.timedelta(hours=1), "1 hour"),
        (dt.timedelta(hours=5, minutes=40), "5 hours"),
        (dt.timedelta(days=1), "1 day"),
        (dt.timedelta(days=3, hours=4), "3 days 4 hours"),
        (dt.timedelta(days=2, hours=1), "2 days 1 hour"),
    ],
)
def test_describe(delta, text):
    assert clock.describe(delta) == text


# --- against a brute-force count -----------------------------------------------------------------


def minute(m: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=m)


_minute = st.integers(min_value=-200, max_value=1200)


@given(
    end=st.one_of(st.none(), _minute),
    now=st.integers(min_value=0, max_value=1200),
    pauses=st.lists(st.tuples(_minute, st.one_of(st.none(), _minute)), max_size=6),
)
def test_paused_time_is_the_measure_of_the_pauses_inside_the_span(end, now, pauses):
    """Counting minute by minute: a minute of the span is paused when any pause covers it (an
    open pause lasting to now)."""
    c = clock.clock(
        minute(0),
        minute(end) if end is not None else None,
        minute(now),
        [(minute(s), minute(e) if e is not None else None) for s, e in pauses],
    )
    stop = max(0, end if end is not None else now)
    covered = sum(
        1 for m in range(stop) if any(s <= m < (e if e is not None else now) for s, e in pauses)
    )
    assert c.elapsed == dt.timedelta(minutes=stop)
    assert c.paused == dt.timedelta(minutes=covered)
    assert dt.timedelta(0) <= c.running <= c.elapsed
    assert c.waiting_now == (end is None and any(e is None and s <= now for s, e in pauses))

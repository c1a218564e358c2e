"""The DAML clock: seven working days in England and Wales (bank holidays from the holidays
library), a 31-day moratorium, and court extensions of at most 31 days each and 186 in all. The
expected dates are worked out by hand from the published bank holiday calendar."""

from __future__ import annotations

import datetime as dt

import pytest

from socmaster.intelligence import clock

D = dt.date


@pytest.mark.parametrize(
    ("disclosed", "notice_ends", "why"),
    [
        # Wed 4 Nov 2026: Thu 5, Fri 6, Mon 9, Tue 10, Wed 11, Thu 12, Fri 13.
        (D(2026, 11, 4), D(2026, 11, 13), "an ordinary week: weekends skipped"),
        # Fri 6 Nov: the day of disclosure is not counted; Mon 9 .. Tue 17.
        (D(2026, 11, 6), D(2026, 11, 17), "starts the first working day after"),
        # Sat 7 Nov (made at the weekend): Mon 9 .. Tue 17.
        (D(2026, 11, 7), D(2026, 11, 17), "a disclosure at the weekend"),
        # Mon 21 Dec 2026: 22, 23, 24, (25 Christmas, 26 Sat, 27 Sun, 28 Boxing Day observed)
        # 29, 30, 31, (1 Jan holiday, 2-3 weekend), Mon 4 Jan 2027.
        (D(2026, 12, 21), D(2027, 1, 4), "Christmas, Boxing Day observed and New Year"),
        # Thu 2 Apr 2026: (3 Good Friday, 4-5 weekend, 6 Easter Monday) 7, 8, 9, 10, 13, 14, 15.
        (D(2026, 4, 2), D(2026, 4, 15), "Easter"),
        # Thu 30 Apr 2026: 1 May, (4 May bank holiday) 5, 6, 7, 8, 11, 12.
        (D(2026, 4, 30), D(2026, 5, 12), "the early May bank holiday"),
        # Fri 28 Aug 2026: (31 Aug bank holiday) 1, 2, 3, 4, 7, 8, 9 Sep.
        (D(2026, 8, 28), D(2026, 9, 9), "the summer bank holiday"),
    ],
)
def test_notice_period_ends_on_the_seventh_working_day(disclosed, notice_ends, why):
    assert clock.notice_period_end(disclosed) == notice_ends, why


def test_bank_holidays_are_not_working_days():
    assert not clock.is_working_day(D(2026, 12, 25))
    assert not clock.is_working_day(D(2026, 12, 28))  # Boxing Day (Saturday) observed on Monday
    assert not clock.is_working_day(D(2026, 8, 31))
    assert not clock.is_working_day(D(2026, 11, 7))  # a Saturday
    assert clock.is_working_day(D(2026, 12, 29))
    # St Andrew's Day is a bank holiday in Scotland only; 12 July in Northern Ireland only.
    assert clock.is_working_day(D(2026, 11, 30))
    assert clock.is_working_day(D(2027, 7, 12))


def test_days_left_count_today_and_go_negative_after():
    disclosed = D(2026, 12, 21)
    assert clock.daml_clock(disclosed, D(2026, 12, 21)).notice_working_days_left == 7
    assert clock.daml_clock(disclosed, D(2026, 12, 24)).notice_working_days_left == 5
    # Over Christmas nothing counts down.
    assert clock.daml_clock(disclosed, D(2026, 12, 27)).notice_working_days_left == 4
    assert clock.daml_clock(disclosed, D(2027, 1, 4)).notice_working_days_left == 1
    late = clock.daml_clock(disclosed, D(2027, 1, 6))
    assert late.notice_working_days_left == -2
    assert not late.notice_running


def test_moratorium_is_31_calendar_days_from_refusal_plus_extensions():
    refused = D(2026, 11, 10)
    assert clock.moratorium_end(refused) == D(2026, 12, 10)  # 10 Nov is day 1, 10 Dec day 31
    assert clock.moratorium_end(refused, 31) == D(2027, 1, 10)
    state = clock.daml_clock(D(2026, 11, 4), D(2026, 12, 10), refused_on=refused)
    assert state.moratorium_ends == D(2026, 12, 10)
    assert state.moratorium_days_left == 1
    assert state.moratorium_running
    assert not state.notice_running  # refused: the notice period no longer runs


def test_extension_limits():
    assert clock.check_extension(31, 0) == ""
    assert "at most 31 days at a time" in clock.check_extension(32, 0)
    assert "at least one day" in clock.check_extension(0, 0)
    assert clock.check_extension(31, 155) == ""  # 186 in all exactly
    problem = clock.check_extension(31, 156)
    assert "186 days in all" in problem and "at most 30 more" in problem


def test_working_days_between_is_symmetric():
    a, b = D(2026, 12, 21), D(2027, 1, 4)
    assert clock.working_days_between(a, b) == 7
    assert clock.working_days_between(b, a) == -7
    assert clock.working_days_between(a, a) == 0

"""The DAML clock (Proceeds of Crime Act 2002 ss.335–336A), in working days of England and Wales.

Pure: no Django. Bank holidays come from the maintained ``holidays`` library (England's calendar,
which Wales shares), never from a list written here.

* **Notice period**: seven working days starting with the first working day after the day the
  disclosure (the DAML SAR) was made (s.335(5)). Consent is deemed given if it is not refused
  within it.
* **Moratorium**: if consent is refused within the notice period, 31 days starting with the day
  the refusal is given (s.335(6)), calendar days.
* **Extensions**: the Crown Court may extend the moratorium by up to 31 days at a time; the
  extensions together may not exceed 186 days (s.336A(7)).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import holidays

NOTICE_WORKING_DAYS = 7
MORATORIUM_DAYS = 31
MAX_EXTENSION_DAYS = 31
MAX_TOTAL_EXTENSION_DAYS = 186


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: dt.date) -> bool:
    """Monday to Friday, and not a bank holiday in England and Wales."""
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(day: dt.date, n: int) -> dt.date:
    """The ``n``-th working day after ``day`` (``day`` itself is not counted)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    while n:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            n -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end`` (negative if ``end`` is earlier)."""
    if end < start:
        return -working_days_between(end, start)
    days, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            days += 1
    return days


def notice_period_end(disclosed_on: dt.date) -> dt.date:
    """The last day of the notice period: the seventh working day after the disclosure."""
    return add_working_days(disclosed_on, NOTICE_WORKING_DAYS)


def moratorium_end(refused_on: dt.date, extension_days: int = 0) -> dt.date:
    """The last day of the moratorium: 31 days starting with the day of refusal, plus extensions."""
    return refused_on + dt.timedelta(days=MORATORIUM_DAYS - 1 + extension_days)


def check_extension(days: int, already: int) -> str:
    """Why an extension of ``days`` (with ``already`` days granted before) is not allowed, or ''."""
    if days < 1:
        return "An extension adds at least one day."
    if days > MAX_EXTENSION_DAYS:
        return f"A court extends the moratorium by at most {MAX_EXTENSION_DAYS} days at a time."
    if already + days > MAX_TOTAL_EXTENSION_DAYS:
        left = MAX_TOTAL_EXTENSION_DAYS - already
        return (
            f"Extensions may not add more than {MAX_TOTAL_EXTENSION_DAYS} days in all "
            f"({already} already granted, so at most {left} more)."
        )
    return ""


@dataclass(frozen=True)
class DamlClock:
    """Both deadlines of a DAML SAR as of ``today``, and the days left on each, counting today
    (1 on the last day; 0 or less once it has passed)."""

    disclosed_on: dt.date
    notice_ends: dt.date
    notice_working_days_left: int
    refused_on: dt.date | None
    extension_days: int
    moratorium_ends: dt.date | None
    moratorium_days_left: int | None
    today: dt.date

    @property
    def notice_running(self) -> bool:
        return self.refused_on is None and self.today <= self.notice_ends

    @property
    def moratorium_running(self) -> bool:
        return self.moratorium_ends is not None and self.today <= self.moratorium_ends


def daml_clock(
    disclosed_on: dt.date,
    today: dt.date,
    *,
    refused_on: dt.date | None = None,
    extension_days: int = 0,
) -> DamlClock:
    notice_ends = notice_period_end(disclosed_on)
    moratorium = moratorium_end(refused_on, extension_days) if refused_on else None
    return DamlClock(
        disclosed_on=disclosed_on,
        notice_ends=notice_ends,
        notice_working_days_left=working_days_between(
            max(today - dt.timedelta(days=1), disclosed_on), notice_ends
        )
        if today <= notice_ends
        else -working_days_between(notice_ends, today),
        refused_on=refused_on,
        extension_days=extension_days,
        moratorium_ends=moratorium,
        moratorium_days_left=(moratorium - today).days + 1 if moratorium else None,
        today=today,
    )

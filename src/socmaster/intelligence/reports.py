"""Backlog figures for the dashboard (read only): what waits, by priority and age; what arrived and
what was processed each week; when the backlog clears at the current rate."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from .choices import PRIORITY_ORDER, WAITING, Priority, ScreeningStatus

#: Age bands of waiting records: (label, first day, last day or None).
AGE_BANDS = [
    ("0–7 days", 0, 7),
    ("8–14 days", 8, 14),
    ("15–28 days", 15, 28),
    ("29–56 days", 29, 56),
    ("57 days or more", 57, None),
]
WEEKS = 12
RATE_WEEKS = 4


@dataclass
class Backlog:
    waiting: int
    by_priority: list[dict]  # {"priority", "label", "bands": [n...], "total"}
    band_totals: list[int]
    weeks: list[dict]  # {"week": date (Monday), "received", "processed"}
    received_per_week: float
    processed_per_week: float
    clears_on: dt.date | None
    screening: list[tuple[str, int]]


def _band_q(first: int, last: int | None, today: dt.date) -> Q:
    q = Q(submitted_on__lte=today - dt.timedelta(days=first))
    if last is not None:
        q &= Q(submitted_on__gte=today - dt.timedelta(days=last))
    return q


def backlog(
    queryset: QuerySet, *, today: dt.date | None = None, screening: bool = False
) -> Backlog:
    today = today or timezone.localdate()
    waiting = queryset.filter(status__in=WAITING)
    aggregates = {
        f"p{i}b{j}": Count("id", filter=Q(priority=p) & _band_q(first, last, today))
        for i, p in enumerate(PRIORITY_ORDER)
        for j, (_, first, last) in enumerate(AGE_BANDS)
    }
    counts = waiting.aggregate(**aggregates)
    by_priority = []
    for i, p in enumerate(PRIORITY_ORDER):
        bands = [counts[f"p{i}b{j}"] for j in range(len(AGE_BANDS))]
        by_priority.append(
            {"priority": p, "label": Priority(p).label, "bands": bands, "total": sum(bands)}
        )
    band_totals = [sum(row["bands"][j] for row in by_priority) for j in range(len(AGE_BANDS))]
    total = sum(band_totals)

    monday = today - dt.timedelta(days=today.weekday())
    first_week = monday - dt.timedelta(weeks=WEEKS - 1)
    weekly = queryset.aggregate(
        **{
            f"r{w}": Count(
                "id",
                filter=Q(
                    submitted_on__gte=first_week + dt.timedelta(weeks=w),
                    submitted_on__lt=first_week + dt.timedelta(weeks=w + 1),
                ),
            )
            for w in range(WEEKS)
        },
        **{
            f"d{w}": Count(
                "id",
                filter=Q(
                    processed_at__date__gte=first_week + dt.timedelta(weeks=w),
                    processed_at__date__lt=first_week + dt.timedelta(weeks=w + 1),
                ),
            )
            for w in range(WEEKS)
        },
    )
    weeks = [
        {
            "week": first_week + dt.timedelta(weeks=w),
            "received": weekly[f"r{w}"],
            "processed": weekly[f"d{w}"],
        }
        for w in range(WEEKS)
    ]
    # The rate: the last four complete weeks (this week is not over yet).
    recent = weeks[-RATE_WEEKS - 1 : -1]
    received_rate = sum(w["received"] for w in recent) / RATE_WEEKS
    processed_rate = sum(w["processed"] for w in recent) / RATE_WEEKS
    net = processed_rate - received_rate
    clears_on = None
    if total == 0:
        clears_on = today
    elif net > 0:
        clears_on = today + dt.timedelta(days=math.ceil(total / net * 7))
    shares = []
    if screening:
        found = dict(queryset.values_list("screening_status").annotate(n=Count("id")).order_by())
        shares = [(label, found.get(value, 0)) for value, label in ScreeningStatus.choices]
    return Backlog(
        waiting=total,
        by_priority=by_priority,
        band_totals=band_totals,
        weeks=weeks,
        received_per_week=received_rate,
        processed_per_week=processed_rate,
        clears_on=clears_on,
        screening=shares,
    )

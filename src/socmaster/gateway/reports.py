"""Demand and unmet demand at the gateways, by organisation, capability and month (read only).

Every function reads the requests of a queryset the caller has already restricted
(``SupportRequest.objects.visible_to(user)``, or ``all()`` at the command line) and runs a fixed
number of queries whatever the number of requests: counts and sums are grouped in the database;
only the decision times are worked out here, from one query of decided requests and one of their
pauses.

**The basis: the requests received in the month.** Every count of a month, and its days to
decision, is about the requests received (submitted) at that gateway in that month of
Europe/London time, with what has become of them since: a month's figures can still change
while its requests await a decision. A request's outcome is the gateway's decision:

- **received**: requests submitted to the gateway in the month. A referral closes the request
  at the first gateway and opens a linked one at the second, created when the referral is made:
  a referred request is received (and referred) at the first gateway in the month it was
  submitted there, and received at the second in the month of the referral;
- **accepted**: those the gateway accepted, whatever happened after (in progress, completed, or
  withdrawn after acceptance: an accepted request keeps its team, ``offer``);
- **declined**, **referred**: those the gateway declined, or referred to another gateway;
- **withdrawn**: those the requester withdrew before any decision;
- **awaiting**: those still awaiting a decision (submitted or triaged);
- so received = accepted + declined + referred + withdrawn + awaiting, in every row;
- **decided**: accepted + declined + referred (the gateway's own decisions);
- **days to decision** (median and mean) over those decided: running time from submission to
  the decision, less the time the clocks were paused waiting on the requester
  (``services.decision_clock``);
- **unmet**: those declined or referred for a reason in ``choices.UNMET_REASONS`` (lack of
  capacity), never for the acceptance criteria or another reason.

**Capacity is counted by the month of work, not of receipt.** **capacity committed**: the
capacity committed by accepted requests (as above, withdrawn after acceptance included) whose
committed work starts in the month (``committed_from``), in the unit of the team (offer)
committed, whenever the request was received; **capacity offered**: the monthly capacity of
the organisation's active offers of the capability, per unit (over several months, times the
number of months); **utilisation**: committed / offered, per unit, so a month's utilisation is
the work starting in that month against that month's capacity.

API (used by the CLI and the dashboard):

- ``demand(requests, months=None, by=("owner", "capability"), gateways=None)`` -> ``Demand``
  (``months``: a list of dates, each for its month, a ``(first, last)`` tuple, or None for the
  last twelve months; ``gateways``: the organisations to report on, default those in the data):
  ``.figures`` one ``Figures`` per ``by`` × month; ``.totals(*keys)`` the same rolled up to any of
  ``"owner"``, ``"capability"``, ``"month"`` (``totals()`` is the grand total); shortcuts
  ``by_organisation``, ``by_capability``, ``by_month``, ``total``;
- ``regional(requests, months=None, region=None, data=None)`` -> a ``RegionView`` per region (and
  one for the national gateways, ``region`` None): its gateways' figures, by month, and the
  organisations of the region as requesters (every force, with the requests it made in the
  period and what became of them); pass ``data`` (the ``demand`` of the same requests and months) not to count twice;
- ``COLUMNS`` and ``rows(demand, keys=None)``: flat dicts for CSV, JSON and XLSX (``MEANINGS``
  says what each column means);
  ``REQUESTER_COLUMNS`` and ``requester_rows(views)`` the same for the requesters of a regional
  view; ``months_between(first, last)`` and ``last_months(n)`` build month lists.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import (
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.utils import timezone

from . import clock
from .choices import AWAITING_DECISION, UNMET_REASONS, CapacityUnit, RequestStatus
from .models import Capability, CapabilityOffer, RequestPause, SupportRequest

LONDON = ZoneInfo("Europe/London")
#: What figures may be grouped by, besides the month.
GROUPS = ("owner", "capability")
KEYS = (*GROUPS, "month")
ALL = "All"

#: A request's outcome, by its state: the five parts below split every request exactly once.
#: Accepted, whatever followed (an accepted request keeps its team, ``offer``, when it is
#: withdrawn later).
ACCEPTED_Q = Q(
    status__in=[RequestStatus.ACCEPTED, RequestStatus.IN_PROGRESS, RequestStatus.COMPLETED]
) | Q(status=RequestStatus.WITHDRAWN, offer__isnull=False)
DECLINED_Q = Q(status=RequestStatus.DECLINED)
REFERRED_Q = Q(status=RequestStatus.REFERRED)
#: Withdrawn by the requester before any decision.
WITHDRAWN_Q = Q(status=RequestStatus.WITHDRAWN, offer__isnull=True)
AWAITING_Q = Q(status__in=AWAITING_DECISION)
#: The gateway's own decisions.
DECIDED_Q = ACCEPTED_Q | DECLINED_Q | REFERRED_Q
UNMET_Q = Q(status=RequestStatus.DECLINED, decline_reason__in=sorted(UNMET_REASONS)) | Q(
    status=RequestStatus.REFERRED, referral_reason__in=sorted(UNMET_REASONS)
)
#: The counts of ``Figures``, each with the requests it counts.
OUTCOMES = {
    "accepted": ACCEPTED_Q,
    "declined": DECLINED_Q,
    "referred": REFERRED_Q,
    "withdrawn": WITHDRAWN_Q,
    "awaiting": AWAITING_Q,
    "unmet": UNMET_Q,
}


# --- months --------------------------------------------------------------------------------------


def _first(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first days of every month from ``first``'s to ``last``'s, both included."""
    month, end, months = _first(first), _first(last), []
    while month <= end:
        months.append(month)
        month = _next_month(month)
    return months


def last_months(n: int = 12, today: dt.date | None = None) -> list[dt.date]:
    """The ``n`` months up to and including the current one (Europe/London)."""
    today = today or timezone.localdate(timezone.now(), LONDON)
    first = _first(today)
    for _ in range(n - 1):
        first = _first(first - dt.timedelta(days=1))
    return months_between(first, today)


def _months(months) -> list[dt.date]:
    """A list of dates (each standing for its month), or a ``(first, last)`` tuple of dates for
    every month between; None: the last twelve months."""
    if months is None:
        return last_months()
    if isinstance(months, tuple) and len(months) == 2:
        return months_between(*months)
    found = sorted({_first(m) for m in months})
    if not found:
        raise ValueError("Give at least one month.")
    return found


def _start_of(month: dt.date) -> dt.datetime:
    return dt.datetime.combine(month, dt.time(), tzinfo=LONDON)


def month_label(month: dt.date | None) -> str:
    """``2026-03``, as the rows give it."""
    return f"{month:%Y-%m}" if month else ALL


# --- figures -------------------------------------------------------------------------------------


@dataclass
class Figures:
    """The demand figures of one organisation, capability and month, or of a roll-up of them
    (a key None: all of them): the requests received in the month and what became of them, and
    the capacity committed to work starting in the month (see the module's notes)."""

    owner: object = None  # Organisation
    capability: Capability | None = None
    month: dt.date | None = None
    received: int = 0
    accepted: int = 0
    declined: int = 0
    referred: int = 0
    withdrawn: int = 0
    awaiting: int = 0
    unmet: int = 0
    #: Running days from submission to decision of each request received and decided.
    days_to_decision: list[float] = field(default_factory=list, repr=False)
    #: Capacity committed to accepted work starting in the month (``committed_from``), by unit
    #: (``CapacityUnit`` value).
    committed: dict[str, Decimal] = field(default_factory=dict)
    #: Capacity offered over the months covered, by unit.
    offered: dict[str, Decimal] = field(default_factory=dict)

    @property
    def decided(self) -> int:
        return self.accepted + self.declined + self.referred

    @property
    def median_days(self) -> float | None:
        return statistics.median(self.days_to_decision) if self.days_to_decision else None

    @property
    def mean_days(self) -> float | None:
        return statistics.fmean(self.days_to_decision) if self.days_to_decision else None

    @property
    def units(self) -> list[str]:
        return sorted(set(self.committed) | set(self.offered))

    def utilisation(self, unit: str) -> float | None:
        """Committed over offered in ``unit`` (None where nothing is offered in it)."""
        offered = self.offered.get(unit, Decimal(0))
        if not offered:
            return None
        return float(self.committed.get(unit, Decimal(0)) / offered)

    def add(self, other: Figures) -> None:
        for name in ("received", *OUTCOMES):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.days_to_decision.extend(other.days_to_decision)
        for mine, theirs in ((self.committed, other.committed), (self.offered, other.offered)):
            for unit, value in theirs.items():
                mine[unit] = mine.get(unit, Decimal(0)) + value


def _sort_key(f: Figures):
    return (
        f.owner.name if f.owner is not None else "",
        f.capability.name if f.capability is not None else "",
        f.month or dt.date.min,
    )


def _roll(cells: Iterable[Figures], keys: Sequence[str]) -> list[Figures]:
    unknown = set(keys) - set(KEYS)
    if unknown:
        raise ValueError(f"Figures are grouped by {', '.join(KEYS)}, not {', '.join(unknown)}.")
    rolled: dict[tuple, Figures] = {}
    for cell in cells:
        parts = {k: getattr(cell, k) if k in keys else None for k in KEYS}
        key = tuple(getattr(v, "pk", v) for v in parts.values())
        if key not in rolled:
            rolled[key] = Figures(**parts)
        rolled[key].add(cell)
    return sorted(rolled.values(), key=_sort_key)


@dataclass
class Demand:
    months: list[dt.date]
    by: tuple[str, ...]
    #: One per organisation × capability × month: every month of every capability an
    #: organisation offers, and any other with a request received in it or work starting in it.
    cells: list[Figures]

    @property
    def figures(self) -> list[Figures]:
        """One per ``by`` × month."""
        return self.totals(*self.by, "month")

    def totals(self, *keys: str) -> list[Figures]:
        """Figures rolled up to ``keys`` (of ``owner``, ``capability``, ``month``)."""
        return _roll(self.cells, keys)

    @property
    def by_organisation(self) -> list[Figures]:
        return self.totals("owner")

    @property
    def by_capability(self) -> list[Figures]:
        return self.totals("capability")

    @property
    def by_month(self) -> list[Figures]:
        return self.totals("month")

    @property
    def total(self) -> Figures:
        return (self.totals() or [Figures()])[0]


def _gateway_filter(gateways):
    """``gateways`` (organisations, their ids, or a queryset of them) as a value for ``__in``."""
    if isinstance(gateways, QuerySet):
        return gateways.values("pk")
    return [getattr(g, "pk", g) for g in gateways]


def demand(
    requests: QuerySet,
    *,
    months=None,
    by: Sequence[str] = GROUPS,
    gateways=None,
) -> Demand:
    """Demand figures of ``requests`` (already restricted to what the reader may see) per ``by``
    (of ``owner``, ``capability``) and month. ``months``: a list of dates, each standing for its
    month; a ``(first, last)`` tuple of dates, every month between; None, the last twelve.

    ``gateways``: report on these organisations only, each with every capability it offers even
    where nothing was asked of it; None: every organisation that received a request in the
    period or has committed work starting in it. Seven queries, whatever the number of
    requests."""
    from socmaster.organisations.models import Organisation

    by = tuple(by)
    if set(by) - set(GROUPS):
        raise ValueError(f"Group by {' and '.join(GROUPS)}.")
    months = _months(months)
    span = months_between(months[0], months[-1])
    after = _next_month(span[-1])
    wanted = set(months)
    qs = requests.order_by()
    if gateways is not None:
        qs = qs.filter(owner__in=_gateway_filter(gateways))
    received = qs.filter(submitted_at__gte=_start_of(span[0]), submitted_at__lt=_start_of(after))

    cells: dict[tuple, Figures] = {}

    def cell(owner_id, capability_id, month) -> Figures:
        key = (owner_id, capability_id, month)
        if key not in cells:
            cells[key] = Figures(owner=owner_id, capability=capability_id, month=month)
        return cells[key]

    # The requests received in each month, and what became of them.
    for g in (
        received.annotate(m=_month_number("submitted_at", span))
        .values("owner_id", "capability_id", "m")
        .annotate(
            received=Count("id"),
            **{name: Count("id", filter=q) for name, q in OUTCOMES.items()},
        )
        .order_by()
    ):
        if span[g["m"]] not in wanted:
            continue
        c = cell(g["owner_id"], g["capability_id"], span[g["m"]])
        for name in ("received", *OUTCOMES):
            setattr(c, name, getattr(c, name) + g[name])
    for owner_id, capability_id, month, days in _decision_days(received.filter(DECIDED_Q), span):
        if month in wanted:
            cell(owner_id, capability_id, month).days_to_decision.append(days)
    # The capacity committed to work starting in each month, whenever it was asked for.
    for g in (
        qs.filter(ACCEPTED_Q, committed_from__gte=span[0], committed_from__lt=after)
        .annotate(m=_month_number("committed_from", span, dates=True))
        .values("owner_id", "capability_id", "m", "offer__capacity_unit")
        .annotate(committed=Sum("committed_capacity"))
        .order_by()
    ):
        unit = g["offer__capacity_unit"]
        if span[g["m"]] not in wanted or g["committed"] is None or not unit:
            continue
        c = cell(g["owner_id"], g["capability_id"], span[g["m"]])
        c.committed[unit] = c.committed.get(unit, Decimal(0)) + g["committed"]

    offers = CapabilityOffer.objects.filter(active=True)
    if gateways is not None:
        offers = offers.filter(organisation__in=_gateway_filter(gateways))
    else:
        offers = offers.filter(organisation_id__in=sorted({k[0] for k in cells}))
    for o in (
        offers.values("organisation_id", "capability_id", "capacity_unit")
        .annotate(total=Sum("monthly_capacity"))
        .order_by()
    ):
        for month in months:
            c = cell(o["organisation_id"], o["capability_id"], month)
            c.offered[o["capacity_unit"]] = (
                c.offered.get(o["capacity_unit"], Decimal(0)) + o["total"]
            )

    orgs = Organisation.objects.select_related("region").in_bulk({k[0] for k in cells})
    capabilities = Capability.objects.in_bulk({k[1] for k in cells})
    for c in cells.values():
        c.owner, c.capability = orgs[c.owner], capabilities[c.capability]
    return Demand(months=months, by=by, cells=sorted(cells.values(), key=_sort_key))


def _month_number(name: str, span: list[dt.date], *, dates: bool = False) -> Case:
    """Which month of ``span`` (consecutive months) the moment in field ``name`` falls in, in
    Europe/London time (``dates``: the date in date field ``name``), as its index, worked out
    in SQL by comparison with each month's end (no per-row function). Use it on rows already
    limited to the span."""
    return Case(
        *(
            When(
                **{f"{name}__lt": _next_month(month) if dates else _start_of(_next_month(month))},
                then=Value(i),
            )
            for i, month in enumerate(span)
        ),
        default=Value(len(span) - 1),
        output_field=IntegerField(),
    )


def _decision_days(decided: QuerySet, span: list[dt.date]):
    """(owner id, capability id, month received, running days to decision) of each request in
    ``decided`` (received within ``span``, and decided): two queries. The requests come with
    their month and elapsed time worked out in the database; the pauses with their request's
    submission and decision, and only those requests' clocks are worked out here
    (``clock.clock``)."""
    decided = decided.filter(decided_at__isnull=False)
    found = list(
        decided.annotate(
            m=_month_number("submitted_at", span),
            elapsed=ExpressionWrapper(
                F("decided_at") - F("submitted_at"), output_field=DurationField()
            ),
        )
        .values_list("pk", "owner_id", "capability_id", "m", "elapsed")
        .order_by()
    )
    paused: dict[int, tuple] = {}
    for request_id, started, ended, submitted_at, decided_at in (
        RequestPause.objects.filter(request__in=decided.values("pk"))
        .order_by()
        .values_list(
            "request_id", "started_at", "ended_at", "request__submitted_at", "request__decided_at"
        )
    ):
        paused.setdefault(request_id, (submitted_at, decided_at, []))[2].append((started, ended))
    now = timezone.now()
    for pk, owner_id, capability_id, m, elapsed in found:
        if pk in paused:
            submitted_at, decided_at, pauses = paused[pk]
            running = clock.clock(submitted_at, decided_at, now, pauses).running_days
        else:
            running = elapsed.total_seconds() / 86400
        yield owner_id, capability_id, span[m], running


# --- the regional view ---------------------------------------------------------------------------


@dataclass
class RequesterFigures:
    """What one organisation asked the gateways for in the period, and what became of its
    requests received in the period (at every gateway: a referred request is asked for once,
    and counted at each gateway that received it in the period, referred at the first)."""

    organisation: object  # Organisation
    requests: int = 0
    accepted: int = 0
    declined: int = 0
    referred: int = 0
    unmet: int = 0


@dataclass
class RegionView:
    """One region for the chief officers' board: its gateways (the region's ROCU), and the
    organisations of the region as requesters. ``region`` None: the national gateways (the NCA)
    and requesters with no region."""

    region: object  # Organisation or None
    #: Each gateway organisation of the region over the period.
    gateways: list[Figures]
    #: Each gateway organisation of the region by month.
    by_month: list[Figures]
    #: Every force of the region, and any other organisation of it that asked for support.
    requesters: list[RequesterFigures]

    @property
    def name(self) -> str:
        return self.region.name if self.region is not None else "National"

    @property
    def total(self) -> Figures:
        total = Figures()
        for f in self.gateways:
            total.add(f)
        return total


def regional(
    requests: QuerySet, *, months=None, region=None, data: Demand | None = None
) -> list[RegionView]:
    """Per region (or only ``region``): its gateways' figures and its requesters'. ``data``:
    the ``demand`` of the same requests and months, where the caller has it already (two
    queries then, else nine), whatever the number of requests."""
    from socmaster.organisations.choices import OrganisationType
    from socmaster.organisations.models import Organisation

    months = data.months if data is not None else _months(months)
    start, end = _start_of(months[0]), _start_of(_next_month(months[-1]))
    qs = requests.order_by()
    figures = data if data is not None else demand(qs, months=months, by=("owner",))
    copy = Exists(SupportRequest.objects.filter(referred_to=OuterRef("pk")))
    asked = {
        g["requesting_organisation_id"]: g
        for g in qs.filter(submitted_at__gte=start, submitted_at__lt=end)
        .values("requesting_organisation_id")
        .annotate(
            requests=Count("id", filter=~copy),
            accepted=Count("id", filter=ACCEPTED_Q),
            declined=Count("id", filter=DECLINED_Q),
            referred=Count("id", filter=REFERRED_Q),
            unmet=Count("id", filter=UNMET_Q),
        )
        .order_by()
    }
    organisations = list(
        Organisation.objects.filter(
            Q(type=OrganisationType.REGION)
            | Q(type=OrganisationType.FORCE, active=True)
            | Q(pk__in=sorted(asked))
        ).select_related("region")
    )
    regions = sorted(
        (o for o in organisations if o.type == OrganisationType.REGION), key=lambda o: o.name
    )
    if region is not None:
        regions = [r for r in regions if r.pk == region.pk]

    per_gateway, per_gateway_month = figures.totals("owner"), figures.totals("owner", "month")
    views = []
    for place in [*regions, *([None] if region is None else [])]:
        place_id = place.pk if place is not None else None
        requesters = [
            RequesterFigures(
                organisation=o,
                **{
                    k: asked.get(o.pk, {}).get(k, 0)
                    for k in ("requests", "accepted", "declined", "referred", "unmet")
                },
            )
            for o in organisations
            if o.region_id == place_id
            and o.type != OrganisationType.REGION
            and (o.type == OrganisationType.FORCE or o.pk in asked)
        ]
        view = RegionView(
            region=place,
            gateways=[f for f in per_gateway if f.owner.region_id == place_id],
            by_month=[f for f in per_gateway_month if f.owner.region_id == place_id],
            requesters=sorted(requesters, key=lambda r: r.organisation.name),
        )
        if place is None and not (view.gateways or any(r.requests for r in view.requesters)):
            continue
        views.append(view)
    return views


# --- rows for CSV, JSON and XLSX ----------------------------------------------------------------

#: What each column of a row means (the module's notes give the whole basis). The counts and
#: days of a month are about the requests received in that month; capacity, about the work
#: starting in it.
MEANINGS = {
    "region": "Region of the gateway organisation (National for the NCA).",
    "organisation": "The gateway organisation (ROCU or NCA) that received the requests.",
    "capability": "The capability asked for.",
    "month": "The month (Europe/London, YYYY-MM) the requests were received at this gateway; "
    "a request referred here is received in the month of the referral.",
    "received": "Requests received at this gateway in the month.",
    "accepted": "Of them, accepted (whatever happened after: in progress, completed, or "
    "withdrawn after acceptance).",
    "declined": "Of them, declined.",
    "referred": "Of them, referred to another gateway.",
    "withdrawn": "Of them, withdrawn by the requester before any decision.",
    "awaiting": "Of them, still awaiting a decision (submitted or triaged). Received = accepted "
    "+ declined + referred + withdrawn + awaiting.",
    "decided": "Of them, decided by the gateway: accepted + declined + referred.",
    "unmet": "Of them, declined or referred for lack of capacity.",
    "median_days_to_decision": "Median running days from receipt to decision of those decided, "
    "time paused waiting on the requester left out.",
    "mean_days_to_decision": "Mean of the same.",
    "capacity_unit": "The unit of the capacity columns (a row per unit).",
    "capacity_committed": "Capacity committed by accepted requests to work starting in the "
    "month (committed_from), whenever they were received.",
    "capacity_offered": "Monthly capacity of the gateway's active offers of the capability.",
    "utilisation_percent": "Capacity committed to work starting in the month as a percentage of "
    "the month's capacity offered.",
}
COLUMNS = list(MEANINGS)
COUNTS = (
    "received",
    "accepted",
    "declined",
    "referred",
    "withdrawn",
    "awaiting",
    "decided",
    "unmet",
)


def _round(value: float | None, places: int = 2) -> float | None:
    return None if value is None else round(value, places)


def _region_name(owner) -> str:
    if owner is None:
        return ALL
    return owner.region.name if owner.region_id else "National"


def figure_rows(figures: Iterable[Figures]) -> list[dict]:
    """Flat rows (``COLUMNS``) of ``figures``. Capacity is given per unit: an organisation that
    offers a capability in two units has a row per unit, with the request counts on the first
    row only (so columns still add up)."""
    out = []
    for f in figures:
        base = {
            "region": _region_name(f.owner),
            "organisation": f.owner.name if f.owner is not None else ALL,
            "capability": f.capability.name if f.capability is not None else ALL,
            "month": month_label(f.month),
            **{name: getattr(f, name) for name in COUNTS},
            "median_days_to_decision": _round(f.median_days),
            "mean_days_to_decision": _round(f.mean_days),
        }
        for i, unit in enumerate(f.units or [None]):
            row = dict(base) if i == 0 else {**base, **dict.fromkeys(COUNTS)}
            if i:
                row["median_days_to_decision"] = row["mean_days_to_decision"] = None
            committed = f.committed.get(unit, Decimal(0)) if unit else Decimal(0)
            offered = f.offered.get(unit) if unit else None
            utilisation = f.utilisation(unit) if unit else None
            row.update(
                capacity_unit=CapacityUnit(unit).label if unit else "",
                capacity_committed=float(committed),
                capacity_offered=float(offered) if offered is not None else None,
                utilisation_percent=_round(100 * utilisation, 1)
                if utilisation is not None
                else None,
            )
            out.append(row)
    return out


def rows(data: Demand, keys: Sequence[str] | None = None) -> list[dict]:
    """Flat rows (``COLUMNS``) of ``data.figures``, or of ``data.totals(*keys)``."""
    return figure_rows(data.figures if keys is None else data.totals(*keys))


REQUESTER_COLUMNS = [
    "region",
    "requesting_organisation",
    "requests",
    "accepted",
    "declined",
    "referred",
    "unmet",
]


def requester_rows(views: Iterable[RegionView]) -> list[dict]:
    """Flat rows (``REQUESTER_COLUMNS``) of the requesters of each regional view."""
    return [
        {
            "region": view.name,
            "requesting_organisation": r.organisation.name,
            "requests": r.requests,
            "accepted": r.accepted,
            "declined": r.declined,
            "referred": r.referred,
            "unmet": r.unmet,
        }
        for view in views
        for r in view.requesters
    ]

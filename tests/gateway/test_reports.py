"""Demand and unmet-demand figures (``gateway.reports``), worked out by hand for requests made
through the services at known times, checked against the synthetic dataset's ground truth, and
the ``report gateway-demand`` command. All people, requests and operations are synthetic.

The basis: a month's counts are about the requests received in it (with what became of them);
capacity committed is counted in the month its work starts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from socmaster.core.models import AuditEntry
from socmaster.gateway import reports, services
from socmaster.gateway.models import Capability, RequestPause, SupportRequest

pytestmark = pytest.mark.django_db

UTC = dt.UTC
JUNE, JULY, AUGUST = dt.date(2025, 6, 1), dt.date(2025, 7, 1), dt.date(2025, 8, 1)
MONTHS = [JUNE, JULY, AUGUST]


@pytest.fixture
def clock(monkeypatch):
    """Services, defaults and audit entries all take the time from here."""
    state = {"now": dt.datetime(2025, 5, 1, 9, 0, tzinfo=UTC)}

    def now():
        return state["now"]

    monkeypatch.setattr(timezone, "now", now)
    for model, name in ((SupportRequest, "submitted_at"), (RequestPause, "started_at")):
        monkeypatch.setattr(model._meta.get_field(name), "_get_default", now)

    def set_to(month, day, hour=9, minute=0):
        state["now"] = dt.datetime(2025, month, day, hour, minute, tzinfo=UTC)

    return set_to


@pytest.fixture
def world(clock, make_user, org):
    """North East ROCU and Yorkshire and Humber ROCU gateways, a requester in Durham (North East),
    digital forensics offered by both ROCUs, economic crime by the North East."""
    durham = make_user("force-durham", "analyst")
    ne_officer = make_user("rocu-north-east", "gateway_officer")
    yh_officer = make_user("rocu-yorkshire-and-the-humber", "gateway_officer")
    admin = make_user("national-crime-agency", "administrator")
    ne, yh = org("rocu-north-east"), org("rocu-yorkshire-and-the-humber")
    forensics = Capability.objects.get(code="digital_forensics")
    economic = Capability.objects.get(code="economic_crime")
    offer = {}
    for key, capability, organisation, team, capacity, unit in (
        ("ne_a", forensics, ne, "Lab A", "10", "team_days"),
        ("ne_b", forensics, ne, "Lab B", "5", "team_days"),
        ("ne_closed", forensics, ne, "Lab C", "100", "team_days"),
        ("ne_econ", economic, ne, "Fraud team", "8", "officer_days"),
        ("yh", forensics, yh, "Lab", "12", "team_days"),
    ):
        offer[key] = services.create_offer(
            admin,
            capability=capability,
            organisation=organisation,
            team=team,
            monthly_capacity=capacity,
            capacity_unit=unit,
        )
    services.update_offer(admin, offer["ne_closed"], active=False)
    return {
        "durham": durham,
        "ne_officer": ne_officer,
        "yh_officer": yh_officer,
        "ne": ne,
        "yh": yh,
        "forensics": forensics,
        "economic": economic,
        "offer": offer,
        "clock": clock,
    }


def _submit(w, capability=None, gateway=None):
    return services.submit_request(
        w["durham"],
        capability=capability or w["forensics"],
        gateway=gateway or w["ne"],
        requesting_organisation=w["durham"].home_organisation,
        threat_description="A synthetic network supplying drugs",
        asked_for="Examine seized phones",
        justification="Synthetic test request",
        needed_from=timezone.localdate() + dt.timedelta(days=30),
    )


def _accept(user, request, offer, capacity, start=dt.date(2025, 9, 1)):
    return services.accept(
        user,
        request,
        offer=offer,
        committed_from=start,
        committed_to=start + dt.timedelta(days=20),
        committed_capacity=capacity,
    )


@pytest.fixture
def history(world):
    """Requests with decisions at known times (UTC; Europe/London is an hour ahead in summer).
    Committed work starts in August (r1, r9 at the North East) and June (r4b at Yorkshire)."""
    w, at = world, world["clock"]
    ne_officer, yh_officer = w["ne_officer"], w["yh_officer"]
    made = {}
    # accepted after a two-day pause: 4 days elapsed, 2 running; work from 4 August
    at(6, 2)
    made["r1"] = r1 = _submit(w)
    at(6, 3)
    services.pause(ne_officer, r1, asked="Which phones?")
    at(6, 5)
    services.resume(w["durham"], r1, answer="The two seized on arrest.")
    at(6, 6)
    _accept(ne_officer, r1, w["offer"]["ne_a"], "4", dt.date(2025, 8, 4))
    # declined for lack of capacity after 1 day (unmet)
    at(6, 10)
    made["r2"] = r2 = _submit(w)
    at(6, 11)
    services.decline(ne_officer, r2, reason="capacity", notes="The labs are full.")
    # declined on the criteria after 3 days (not unmet)
    at(6, 12)
    made["r3"] = r3 = _submit(w)
    at(6, 15)
    services.decline(ne_officer, r3, reason="criteria", notes="Not a SOC threat.")
    # paused, then declined for capacity while still paused: 1 day running of 2 (unmet)
    at(6, 16)
    made["r8"] = r8 = _submit(w)
    at(6, 17)
    services.pause(ne_officer, r8, asked="Is there a threat to life?")
    at(6, 18)
    services.decline(ne_officer, r8, reason="capacity", notes="No capacity this month.")
    # referred to Yorkshire and Humber for capacity after 1.5 days (unmet at the North East);
    # received there when referred (June) and accepted 2 days later, work from 30 June
    at(6, 20)
    made["r4"] = r4 = _submit(w)
    at(6, 21, 21)
    made["r4b"] = r4b = services.refer(
        ne_officer, r4, to=w["yh"], reason="capacity", notes="Yorkshire has a lab free."
    )
    at(6, 23, 21)
    _accept(yh_officer, r4b, w["offer"]["yh"], "3", dt.date(2025, 6, 30))
    # referred elsewhere for jurisdiction after 1 day (not unmet); left waiting there
    at(6, 26)
    made["r7"] = r7 = _submit(w)
    at(6, 27)
    made["r7b"] = services.refer(
        ne_officer, r7, to=w["yh"], reason="jurisdiction", notes="The suspects are in Leeds."
    )
    # economic crime, waiting
    at(6, 25)
    made["r6"] = _submit(w, w["economic"])
    # 23:30 UTC on 30 June is 00:30 on 1 July in London: received in July; withdrawn in July
    at(6, 30, 23, 30)
    made["r5"] = r5 = _submit(w, w["economic"])
    at(7, 2)
    services.withdraw(w["durham"], r5, reason="Arrests made.")
    # received in July, accepted at 00:30 on 1 August, London time (1 day 14.5 hours); work
    # from 11 August
    at(7, 30)
    made["r9"] = r9 = _submit(w)
    at(7, 31, 23, 30)
    _accept(ne_officer, r9, w["offer"]["ne_b"], "2", dt.date(2025, 8, 11))
    at(9, 1)
    return made


def _cell(data, owner, capability, month):
    [found] = [
        f
        for f in data.cells
        if f.owner == owner and f.capability == capability and f.month == month
    ]
    return found


R9_DAYS = 1 + 14.5 / 24


def _outcomes(f) -> int:
    return f.accepted + f.declined + f.referred + f.withdrawn + f.awaiting


def test_counts_the_requests_received_in_the_month_by_their_outcome(world, history):
    w = world
    data = reports.demand(SupportRequest.objects.all(), months=MONTHS)
    june = _cell(data, w["ne"], w["forensics"], JUNE)
    assert (june.received, june.accepted, june.declined, june.referred) == (6, 1, 3, 2)
    assert (june.withdrawn, june.awaiting, june.decided) == (0, 0, 6)
    # capacity declines (r2, r8) and the capacity referral (r4); not the criteria decline nor
    # the referral for jurisdiction
    assert june.unmet == 3
    # r9, received in July and accepted on 1 August (London): July's, not August's
    july = _cell(data, w["ne"], w["forensics"], JULY)
    assert (july.received, july.accepted, july.decided) == (1, 1, 1)
    assert july.days_to_decision == pytest.approx([R9_DAYS])
    august = _cell(data, w["ne"], w["forensics"], AUGUST)
    assert (august.received, august.accepted, august.decided, august.days_to_decision) == (
        0,
        0,
        0,
        [],
    )
    # still waiting: r6 at the North East, r7b at Yorkshire
    assert _cell(data, w["ne"], w["economic"], JUNE).awaiting == 1
    yh_june = _cell(data, w["yh"], w["forensics"], JUNE)
    assert (yh_june.received, yh_june.accepted, yh_june.awaiting) == (2, 1, 1)


def test_an_accepted_request_stays_accepted_and_every_row_adds_up(world, history):
    """Rule 1: the outcome is the decision, whatever follows it; withdrawn is before any
    decision; received = accepted + declined + referred + withdrawn + awaiting."""
    w, at, officer = world, world["clock"], world["ne_officer"]
    at(8, 4)
    withdrawn_later = _submit(w)
    done = _submit(w)
    waiting = _submit(w)
    at(8, 5)
    _accept(officer, withdrawn_later, w["offer"]["ne_a"], "1")
    _accept(officer, done, w["offer"]["ne_a"], "1")
    services.triage(officer, waiting)
    at(8, 6)
    services.withdraw(w["durham"], withdrawn_later, reason="No longer needed.")
    services.start(officer, done)
    at(8, 7)
    services.complete(officer, done, outcome="Phones examined.")
    at(9, 1)
    data = reports.demand(SupportRequest.objects.all(), months=MONTHS)
    august = _cell(data, w["ne"], w["forensics"], AUGUST)
    assert (august.received, august.accepted, august.withdrawn, august.awaiting) == (3, 2, 0, 1)
    assert (august.decided, august.days_to_decision) == (2, pytest.approx([1, 1]))
    # r5, withdrawn before any decision
    assert _cell(data, w["ne"], w["economic"], JULY).withdrawn == 1
    every = [
        *data.cells,
        *data.totals("owner"),
        *data.totals("capability"),
        *data.totals("month"),
        *data.totals("owner", "month"),
        data.total,
    ]
    assert all(f.received == _outcomes(f) for f in every)
    assert data.total.received == _outcomes(data.total) == 14
    assert all(
        r["received"]
        == sum(r[k] for k in ("accepted", "declined", "referred", "withdrawn")) + r["awaiting"]
        for r in reports.rows(data)
        if r["received"] is not None
    )
    assert (data.total.withdrawn, data.total.awaiting) == (1, 3)


def test_month_boundaries_are_london_time(world, history):
    w = world
    data = reports.demand(SupportRequest.objects.all(), months=MONTHS)
    econ_june = _cell(data, w["ne"], w["economic"], JUNE)
    econ_july = _cell(data, w["ne"], w["economic"], JULY)
    # r6 in June; r5, submitted 23:30 UTC on 30 June, in July and withdrawn there (no decision)
    assert (econ_june.received, econ_july.received) == (1, 1)
    assert (econ_july.withdrawn, econ_july.decided, econ_july.median_days) == (1, 0, None)
    # June alone leaves July's and August's requests out
    only_june = reports.demand(SupportRequest.objects.all(), months=[dt.date(2025, 6, 15)])
    assert {f.month for f in only_june.cells} == {JUNE}
    assert only_june.total.received == 6 + 1 + 2
    # a (first, last) tuple is every month between; a list, only the months in it
    assert reports.demand(SupportRequest.objects.all(), months=(JUNE, AUGUST)).months == MONTHS
    june_august = reports.demand(SupportRequest.objects.all(), months=[JUNE, AUGUST])
    assert [f.month for f in june_august.by_month] == [JUNE, AUGUST]
    assert [f.received for f in june_august.by_month] == [9, 0]
    assert reports.last_months(3, today=dt.date(2025, 1, 15)) == [
        dt.date(2024, 11, 1),
        dt.date(2024, 12, 1),
        dt.date(2025, 1, 1),
    ]


def test_time_to_decision_leaves_paused_time_out(world, history):
    w = world
    data = reports.demand(SupportRequest.objects.all(), months=MONTHS)
    june = _cell(data, w["ne"], w["forensics"], JUNE)
    # r2 1, r7 1, r8 1 (a day of its two paused), r4 1.5, r1 2 (two of its four paused), r3 3
    assert sorted(june.days_to_decision) == pytest.approx([1, 1, 1, 1.5, 2, 3])
    assert june.median_days == pytest.approx(1.25)
    assert june.mean_days == pytest.approx(9.5 / 6)
    assert _cell(data, w["yh"], w["forensics"], JUNE).days_to_decision == pytest.approx([2])
    # the same as each request's own decision clock
    decided = SupportRequest.objects.filter(
        decided_at__isnull=False, status__in=["accepted", "declined", "referred"]
    ).prefetch_related("pauses")
    mine = sorted(d for f in data.cells for d in f.days_to_decision)
    theirs = sorted(services.decision_clock(r).running_days for r in decided)
    assert mine == pytest.approx(theirs) and len(mine) == 8


def test_capacity_committed_in_the_month_its_work_starts(world, history):
    """Rule 2: r1 (received and accepted in June) and r9 (received in July, accepted in
    August) both commit work starting in August: August's, against August's capacity."""
    w = world
    data = reports.demand(SupportRequest.objects.all(), months=MONTHS)
    june = _cell(data, w["ne"], w["forensics"], JUNE)
    # Lab A 10 + Lab B 5 team-days a month; the inactive Lab C's 100 left out
    assert june.offered == {"team_days": 15}
    assert (june.accepted, june.committed, june.utilisation("team_days")) == (1, {}, 0)
    assert _cell(data, w["ne"], w["forensics"], JULY).committed == {}
    august = _cell(data, w["ne"], w["forensics"], AUGUST)
    assert (august.received, august.committed) == (0, {"team_days": 6})
    assert august.utilisation("team_days") == pytest.approx(6 / 15)
    # r4b's work starts on 30 June at Yorkshire
    yh_june = _cell(data, w["yh"], w["forensics"], JUNE)
    assert yh_june.committed == {"team_days": 3}
    assert yh_june.utilisation("team_days") == pytest.approx(3 / 12)
    # a month with nothing asked still shows what is offered
    econ_august = _cell(data, w["ne"], w["economic"], AUGUST)
    assert (econ_august.received, econ_august.offered) == (0, {"officer_days": 8})
    assert econ_august.utilisation("officer_days") == 0
    # over the three months: offered three times over, committed by the month of work
    [ne_forensics] = [
        f
        for f in data.totals("owner", "capability")
        if (f.owner, f.capability) == (w["ne"], w["forensics"])
    ]
    assert ne_forensics.offered == {"team_days": 45}
    assert ne_forensics.committed == {"team_days": 6}
    assert ne_forensics.utilisation("team_days") == pytest.approx(6 / 45)
    # August alone: work starting then counts though it was asked for before, and the gateway
    # is reported on though it received nothing in August; work starting after it does not
    at = world["clock"]
    at(8, 20)
    later = _submit(w)
    _accept(w["ne_officer"], later, w["offer"]["ne_a"], "5", dt.date(2025, 9, 1))
    at(9, 1)
    only_august = reports.demand(SupportRequest.objects.all(), months=[AUGUST])
    august = _cell(only_august, w["ne"], w["forensics"], AUGUST)
    assert (august.received, august.accepted, august.committed) == (1, 1, {"team_days": 6})
    assert {f.owner for f in only_august.cells} == {w["ne"]}
    september = reports.demand(SupportRequest.objects.all(), months=[dt.date(2025, 9, 1)])
    assert _cell(september, w["ne"], w["forensics"], dt.date(2025, 9, 1)).committed == {
        "team_days": 5
    }


def test_a_referral_is_received_at_the_second_gateway_in_the_month_referred(world, history):
    """Rule 3: received and referred at the first gateway in its month; received at the
    second when referred (the new request's own submission), here 00:30 on 1 August in
    London."""
    w, at = world, world["clock"]
    at(7, 28)
    sent = _submit(w)
    at(7, 31, 23, 30)
    there = services.refer(
        w["ne_officer"], sent, to=w["yh"], reason="capacity", notes="Yorkshire has a lab free."
    )
    at(9, 1)
    sent.refresh_from_db()
    assert there.submitted_at == sent.decided_at == dt.datetime(2025, 7, 31, 23, 30, tzinfo=UTC)
    data = reports.demand(SupportRequest.objects.all(), months=MONTHS)
    ne_july = _cell(data, w["ne"], w["forensics"], JULY)
    assert (ne_july.received, ne_july.accepted, ne_july.referred, ne_july.unmet) == (2, 1, 1, 1)
    yh_july = _cell(data, w["yh"], w["forensics"], JULY)
    yh_august = _cell(data, w["yh"], w["forensics"], AUGUST)
    assert (yh_july.received, yh_august.received, yh_august.awaiting) == (0, 1, 1)
    assert (yh_august.referred, yh_august.unmet) == (0, 0)
    # June's referrals: r4 and r7 referred at the North East, r4b and r7b received at Yorkshire
    ne_june = _cell(data, w["ne"], w["forensics"], JUNE)
    assert (ne_june.received, ne_june.referred) == (6, 2)
    assert _cell(data, w["yh"], w["forensics"], JUNE).received == 2
    # the requester asked once: the copy is not asked again
    [view] = reports.regional(SupportRequest.objects.all(), months=MONTHS, region=w["ne"].region)
    durham = {r.organisation.key: r for r in view.requesters}["force-durham"]
    assert (durham.requests, durham.referred) == (10, 3)


def test_totals_per_organisation_capability_and_month(world, history):
    data = reports.demand(SupportRequest.objects.all(), months=MONTHS)
    by_org = {f.owner.key: f for f in data.by_organisation}
    assert set(by_org) == {"rocu-north-east", "rocu-yorkshire-and-the-humber"}
    ne = by_org["rocu-north-east"]
    assert (ne.received, ne.accepted, ne.declined, ne.referred, ne.withdrawn) == (9, 2, 3, 2, 1)
    assert (ne.awaiting, ne.unmet) == (1, 3)
    assert ne.offered == {"team_days": 45, "officer_days": 24}
    by_capability = {f.capability.code: f for f in data.by_capability}
    assert by_capability["digital_forensics"].received == 7 + 2
    assert by_capability["digital_forensics"].offered == {"team_days": (15 + 12) * 3}
    assert by_capability["digital_forensics"].committed == {"team_days": 6 + 3}
    assert [(f.month, f.received) for f in data.by_month] == [(JUNE, 9), (JULY, 2), (AUGUST, 0)]
    assert data.total.decided == 8 and data.total.unmet == 3
    # grouped by organisation only: one figure per organisation and month
    per_org = reports.demand(SupportRequest.objects.all(), months=MONTHS, by=("owner",))
    assert [(f.owner.key, f.month) for f in per_org.figures][:3] == [
        ("rocu-north-east", JUNE),
        ("rocu-north-east", JULY),
        ("rocu-north-east", AUGUST),
    ]
    assert per_org.figures[0].received == 7 and per_org.figures[0].capability is None
    with pytest.raises(ValueError):
        reports.demand(SupportRequest.objects.all(), months=MONTHS, by=("requester",))


def test_only_what_the_reader_may_see(world, history, make_user):
    leeds = make_user("force-west-yorkshire", "analyst")
    visible = SupportRequest.objects.visible_to(leeds)
    data = reports.demand(visible, months=MONTHS)
    # Yorkshire's requests (handled in its region) only; the North East's are not in the figures
    assert {f.owner.key for f in data.cells} == {"rocu-yorkshire-and-the-humber"}
    assert data.total.received == 2
    assert data.total.committed == {"team_days": 3}


def test_regional_view(world, history):
    views = {v.name: v for v in reports.regional(SupportRequest.objects.all(), months=MONTHS)}
    north_east = views["North East"]
    [rocu] = north_east.gateways
    assert rocu.owner.key == "rocu-north-east" and rocu.received == 9 and rocu.unmet == 3
    assert [f.month for f in north_east.by_month] == MONTHS
    requesters = {r.organisation.key: r for r in north_east.requesters}
    # every force of the region, those that asked for nothing too
    assert set(requesters) == {"force-cleveland", "force-durham", "force-northumbria"}
    assert requesters["force-cleveland"].requests == 0
    durham = requesters["force-durham"]
    # nine requests asked (the referrals' copies are not asked again); what became of those
    # received in the period, at either ROCU
    assert (durham.requests, durham.accepted, durham.declined, durham.referred) == (9, 3, 3, 2)
    assert durham.unmet == 3
    # June alone: r9 (received in July) is not among them, though decided in August either way
    [june_only] = reports.regional(
        SupportRequest.objects.all(), months=[JUNE], region=world["ne"].region
    )
    durham_june = {r.organisation.key: r for r in june_only.requesters}["force-durham"]
    assert (durham_june.requests, durham_june.accepted) == (7, 2)
    yorkshire = views["Yorkshire and the Humber"]
    assert yorkshire.total.received == 2 and yorkshire.total.accepted == 1
    assert all(r.requests == 0 for r in yorkshire.requesters)
    assert len(yorkshire.requesters) == 4
    assert "National" not in views  # no national gateway or requester in the period
    data = reports.demand(SupportRequest.objects.all(), months=MONTHS)
    again = reports.regional(SupportRequest.objects.all(), data=data)
    assert [(v.name, v.total.received, [r.requests for r in v.requesters]) for v in again] == [
        (v.name, v.total.received, [r.requests for r in v.requesters]) for v in views.values()
    ]
    only = reports.regional(SupportRequest.objects.all(), months=MONTHS, region=world["ne"].region)
    assert [v.name for v in only] == ["North East"]
    flat = reports.requester_rows(only)
    assert list(flat[0]) == reports.REQUESTER_COLUMNS
    assert {r["requesting_organisation"]: r["requests"] for r in flat}["Durham Constabulary"] == 9


def test_rows_are_flat_and_serialisable(world, history):
    w = world
    data = reports.demand(SupportRequest.objects.all(), months=MONTHS)
    rows = reports.rows(data)
    assert all(list(r) == reports.COLUMNS for r in rows)
    assert "awaiting" in reports.COLUMNS and set(reports.MEANINGS) == set(reports.COLUMNS)
    json.dumps(rows)

    def row(month):
        [found] = [
            r
            for r in rows
            if r["organisation"] == w["ne"].name
            and r["capability"] == w["forensics"].name
            and r["month"] == month
        ]
        return found

    june = row("2025-06")
    assert june["region"] == "North East"
    assert (june["received"], june["decided"], june["unmet"], june["awaiting"]) == (6, 6, 3, 0)
    assert june["median_days_to_decision"] == 1.25
    assert june["mean_days_to_decision"] == 1.58
    assert (june["capacity_unit"], june["capacity_committed"], june["capacity_offered"]) == (
        "team-days",
        0.0,
        15.0,
    )
    assert june["utilisation_percent"] == 0.0
    august = row("2025-08")
    assert (august["received"], august["capacity_committed"], august["utilisation_percent"]) == (
        0,
        6.0,
        40.0,
    )
    totals = reports.rows(data, keys=("owner",))
    ne_rows = [r for r in totals if r["organisation"] == w["ne"].name]
    # two units: one row each, the counts on the first only, so the columns still add up
    assert [r["capacity_unit"] for r in ne_rows] == ["officer-days", "team-days"]
    assert ne_rows[0]["received"] == 9 and ne_rows[1]["received"] is None
    assert ne_rows[0]["awaiting"] == 1 and ne_rows[1]["awaiting"] is None
    assert {r["capability"] for r in ne_rows} == {"All"}


def test_query_count_does_not_grow_with_the_data(world, history):
    w, at = world, world["clock"]

    def count(fn):
        with CaptureQueriesContext(connection) as ctx:
            fn()
        return len(ctx.captured_queries)

    def both():
        data = reports.demand(SupportRequest.objects.all(), months=MONTHS)
        return (
            count(lambda: reports.demand(SupportRequest.objects.all(), months=MONTHS)),
            count(lambda: reports.regional(SupportRequest.objects.all(), months=MONTHS)),
            count(lambda: reports.regional(SupportRequest.objects.all(), data=data)),
        )

    small = both()
    at(7, 5)
    for i in range(6):
        request = _submit(w)
        services.pause(w["ne_officer"], request, asked="More detail, please.")
        services.resume(w["durham"], request, answer="Here it is.")
        _accept(w["ne_officer"], request, w["offer"]["ne_a"], "1", dt.date(2025, 7, 10 + i))
        other = _submit(w, w["economic"])
        services.decline(w["ne_officer"], other, reason="capacity", notes="None left.")
        sent = _submit(w)
        services.refer(w["ne_officer"], sent, to=w["yh"], reason="capacity", notes="Full.")
    at(9, 1)
    assert SupportRequest.objects.count() == 11 + 24
    large = reports.demand(SupportRequest.objects.all(), months=MONTHS)
    assert _cell(large, w["ne"], w["forensics"], JULY).committed == {"team_days": 6}
    assert _cell(large, w["yh"], w["forensics"], JULY).received == 6
    assert small == both() == (7, 9, 2)


def _run(*args) -> str:
    out = io.StringIO()
    call_command("report", "gateway-demand", *args, "--reason", "Chief officers' board", stdout=out)
    return out.getvalue()


def test_command_line_report_scoped_and_audited(world, history):
    rows = json.loads(
        _run("--region", "North East", "--from", "2025-06", "--to", "2025-08", "--format", "json")
    )
    assert {r["organisation"] for r in rows} == {world["ne"].name}
    assert len(rows) == 2 * 3  # two capabilities offered, three months
    [june] = [r for r in rows if r["month"] == "2025-06" and r["capacity_unit"] == "team-days"]
    assert (june["received"], june["unmet"], june["capacity_offered"]) == (6, 3, 15.0)
    entry = AuditEntry.objects.get(action="export", record_type="report gateway-demand")
    assert entry.reason == "Chief officers' board"
    assert entry.changes["count"] == 6
    assert entry.changes["filters"]["region"] == "North East"
    lines = list(
        csv.DictReader(io.StringIO(_run("--organisation", "YHROCU", "--from", "2025-06-01")))
    )
    assert list(lines[0]) == reports.COLUMNS
    assert {r["organisation"] for r in lines} == {world["yh"].name}
    assert {r["month"] for r in lines} == {"2025-06", "2025-07", "2025-08", "2025-09"}


def test_command_line_refuses_bad_scope_and_writes_nothing(world, history):
    with pytest.raises(CommandError, match="not a region"):
        _run("--region", "Durham Constabulary")
    with pytest.raises(CommandError, match="Unknown organisation"):
        _run("--region", "Atlantis")
    with pytest.raises(CommandError, match="does not run a gateway"):
        _run("--organisation", "Durham Constabulary")
    with pytest.raises(CommandError, match="--to is before --from"):
        _run("--from", "2025-08", "--to", "2025-06")
    with pytest.raises(CommandError, match="YYYY-MM"):
        _run("--from", "June")
    assert not AuditEntry.objects.filter(action="export").exists()


def test_reproduces_the_synthetic_ground_truth(monkeypatch):
    """The demo dataset loaded as of its own day (so its dates are the truth's): ``demand``
    over every request gives ``truth["gateway"]``'s figures per gateway, capability and month,
    and nothing else."""
    from socmaster.synth import generate
    from socmaster.web.synthetic import load_dataset, organisation_specs, remove_synthetic

    dataset = generate("demo", 2026, organisation_specs(), disruptions=0)
    truth = dataset.truth["gateway"]["demand"]
    day = dt.datetime.combine(dataset.today, dt.time(), tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: day)
    load_dataset(dataset)
    assert timezone.localdate() == dataset.today

    wanted = sorted({m for caps in truth.values() for months in caps.values() for m in months})
    first, last = (dt.date.fromisoformat(f"{m}-01") for m in (wanted[0], wanted[-1]))
    data = reports.demand(SupportRequest.objects.all(), months=(first, last))
    counts = ("received", "accepted", "declined", "referred", "unmet", "withdrawn", "awaiting")
    mine = {}
    for f in data.cells:
        cell = {name: getattr(f, name) for name in counts}
        cell["committed"] = round(float(sum(f.committed.values())), 1)
        cell["decision_days"] = sorted(f.days_to_decision)
        if any(cell.values()):
            mine[(f.owner.key, f.capability.code, f"{f.month:%Y-%m}")] = cell
    theirs = {
        (gateway, capability, month): cell
        for gateway, caps in truth.items()
        for capability, months in caps.items()
        for month, cell in months.items()
    }
    assert len(theirs) > 50 and {g for g, _, _ in theirs} >= {"rocu-north-east"}
    assert set(mine) == set(theirs)
    for key, cell in theirs.items():
        assert {n: mine[key][n] for n in counts} == {n: cell[n] for n in counts}, key
        assert mine[key]["committed"] == cell["committed"], key
        assert mine[key]["decision_days"] == pytest.approx(cell["decision_days"], abs=1e-4), key
    # the truth's requests, every one of them counted once where it was received
    assert data.total.received == sum(dataset.truth["gateway"]["received"].values())
    remove_synthetic()

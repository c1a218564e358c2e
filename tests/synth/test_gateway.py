"""The synthetic year of ROCU gateway demand (``synth.gateway``): offers, requests in the states
the workflow reaches, capacity pressure, the ground truth, and loading it. All of it is
invented."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from socmaster.synth import OrgSpec, generate
from socmaster.synth import gateway as synth
from socmaster.synth.gateway import ACCEPTED, AWAITING, CAPABILITIES, demand, gateway_plan

DATA = (
    Path(__file__).resolve().parents[2]
    / "src"
    / "socmaster"
    / "organisations"
    / "data"
    / "organisations.json"
)
NCA = "national-crime-agency"


@pytest.fixture(scope="module")
def orgs():
    rows = json.loads(DATA.read_text())["organisations"]
    return [
        OrgSpec(
            o["key"], o["name"], o["type"], o["key"] if o["type"] == "region" else o.get("region")
        )
        for o in rows
    ]


@pytest.fixture(scope="module")
def dataset(orgs):
    """A fifth of the national master list, with every organisation staffed."""
    return generate("0.2", 9, orgs, disruptions=0)


@pytest.fixture(scope="module")
def national(dataset, orgs):
    """The gateway's national year (its volumes and capacity are the national scale's; the
    threats asked about are the smaller master list's)."""
    return gateway_plan(dataclasses.replace(dataset, scale="national"), orgs)


@pytest.fixture(scope="module")
def demo(orgs):
    return generate("demo", 2026, orgs, disruptions=0)


def rocus(orgs) -> list[str]:
    return sorted(o.key for o in orgs if o.type == "rocu")


def test_the_copies_of_the_gateways_vocabulary_are_in_step_with_it():
    from socmaster.gateway import choices, services

    assert synth.CRITERIA == choices.DEFAULT_CRITERIA
    assert synth.DECISION_DAYS == {str(k): v for k, v in choices.DEFAULT_DECISION_DAYS.items()}
    assert set(CAPABILITIES) == set(synth.TEAMS) == {code for code, _ in choices.CAPABILITIES}
    assert synth.UNMET_REASONS == choices.UNMET_REASONS
    assert set(AWAITING) == set(choices.AWAITING_DECISION)
    assert synth.PREFIX == services.PREFIX
    assert {unit for _, unit, *_ in CAPABILITIES.values()} <= set(choices.CapacityUnit.values)
    assert {a for options in synth.AUTHORITIES.values() for o in options for a in o} <= set(
        choices.Authority.values
    )
    assert set(synth.NCA_CAPABILITIES) <= set(CAPABILITIES)
    assert set(synth.CRITERION_TEXT) == set(services.CRITERIA)


def test_deterministic_for_a_seed_and_kept_by_generate(dataset, orgs, demo):
    again = gateway_plan(dataset, orgs)
    assert again.requests == dataset.gateway.requests and again.offers == dataset.gateway.offers
    assert dataset.truth["gateway"] == dataset.gateway.truth == again.truth
    other = generate("demo", 2027, orgs, disruptions=0)
    assert other.gateway.requests != demo.gateway.requests
    # Its own random source: the rest of the dataset is drawn as it was before it existed.
    assert generate("demo", 2026, orgs, disruptions=0).threats == demo.threats


def test_offers_every_rocu_most_capabilities_the_nca_the_national_ones(national, orgs):
    offered = defaultdict(set)
    for o in national.offers:
        offered[o.gateway].add(o.capability)
        assert o.team.endswith(synth.TEAM_SUFFIX) and o.monthly_capacity > 0
        assert o.unit == CAPABILITIES[o.capability][1]
        assert o.owner == f"syn-{o.gateway}-chief_officer-1"
    assert set(offered) == {*rocus(orgs), NCA}
    for rocu in rocus(orgs):
        assert len(offered[rocu]) >= len(CAPABILITIES) - len(synth.OPTIONAL)
        assert set(CAPABILITIES) - set(synth.OPTIONAL) <= offered[rocu]
    assert offered[NCA] == set(synth.NCA_CAPABILITIES)
    surveillance = {
        o.gateway: o.monthly_capacity for o in national.offers if o.capability == "surveillance"
    }
    assert all(20 <= surveillance[r] <= 40 for r in rocus(orgs))


def test_national_volumes_per_rocu_follow_the_size_of_its_forces(national, orgs):
    received = national.truth["received"]
    assert all(600 <= received[r] <= 1500 for r in rocus(orgs)), received
    assert received["rocu-north-west"] > 1.7 * received["rocu-north-east"]
    assert received["rocu-eastern"] > received["rocu-wales"]
    assert 200 <= received[NCA] <= 800
    assert sum(received.values()) == len(national.requests)
    # From the region's forces, and some from the ROCU's own units.
    region = {o.key: o.region_key for o in orgs}
    for r in national.requests:
        if r.gateway != NCA and r.referred_from is None:
            assert r.requesting_org == r.gateway or (
                region[r.requesting_org] == region[r.gateway]
                and r.requesting_org.startswith("force-")
            )
        if r.gateway == NCA and r.referred_from is None:
            assert r.requesting_org.startswith("rocu-")  # the ROCUs ask the NCA
    own = sum(r.requesting_org == r.gateway for r in national.requests) / len(national.requests)
    assert 0.05 < own < 0.2


def test_the_demo_and_small_scales_have_a_handful_per_rocu(demo, dataset, national, orgs):
    # The demo's region's ROCU (the others have nobody on the gateway) and the NCA.
    assert set(demo.truth["gateway"]["received"]) == {"rocu-north-east", NCA}
    originals = [r for r in demo.gateway.requests if r.referred_from is None]
    assert Counter(r.gateway for r in originals)["rocu-north-east"] == synth.DEMO_REQUESTS
    assert 1 <= demo.truth["gateway"]["received"][NCA] <= 10
    # A multiplier scales the national volumes, down to a floor.
    small, full = dataset.truth["gateway"]["received"], national.truth["received"]
    assert all(0.15 * full[g] <= small[g] <= 0.25 * full[g] for g in rocus(orgs)), small
    tiny = generate("0.005", 9, orgs, disruptions=0).gateway.requests
    sent = Counter(r.gateway for r in tiny if r.referred_from is None and r.gateway != NCA)
    planned = Counter(
        r.gateway for r in national.requests if r.referred_from is None and r.gateway != NCA
    )
    assert sent == {g: max(synth.MIN_REQUESTS, round(planned[g] * 0.005)) for g in rocus(orgs)}
    assert synth.MIN_REQUESTS in sent.values()
    # The demo's queue is not empty, and shows a request past its limit.
    assert demo.truth["gateway"]["awaiting"] and demo.truth["gateway"]["overdue"]


def _in_hours(t: dt.datetime | None) -> bool:
    return t is None or synth.DAY_START <= t.hour < synth.DAY_END


def test_every_request_is_one_the_workflow_could_leave(national, dataset):
    plan = national
    now = plan.now
    by_number = {r.number: r for r in plan.requests}
    offered = {(o.gateway, o.capability) for o in plan.offers}
    users = {u.username: u for u in dataset.users}
    threats = {t.reference: t for t in dataset.threats}
    planner = synth._Planner(dataset, [])
    officer = {g: f"syn-{g}-gateway_officer-1" for g, _ in offered}
    assert [r.number for r in plan.requests] == list(range(1, len(plan.requests) + 1))
    assert [r.submitted_at for r in plan.requests] == sorted(r.submitted_at for r in plan.requests)
    for r in plan.requests:
        assert (r.gateway, r.capability) in offered
        times = [r.submitted_at, r.triaged_at, r.decided_at, r.started_at, r.completed_at]
        assert all(_in_hours(t) and (t is None or t < now) for t in times), r
        assert now - dt.timedelta(days=367) <= r.submitted_at
        assert r.triaged_at is None or r.submitted_at <= r.triaged_at
        assert r.triaged_at is None or r.decided_at is None or r.triaged_at <= r.decided_at
        # (A referral received keeps the dates asked for, as ``services.refer`` copies them.)
        assert r.referred_from is not None or r.needed_from >= r.submitted_at.date()
        assert r.needed_to is None or r.needed_to >= r.needed_from
        # A threat on the master list (the requester's own, open), or a description.
        assert (r.threat is None) != (r.threat_description == "")
        if r.threat:
            threat = threats[r.threat]
            assert threat.owner_key == r.requesting_org and threat.closed_on is None
            assert threat.opened_on <= r.submitted_at.date()
        requester = users[r.requested_by]
        assert requester.org_key == r.requesting_org and set(requester.roles) & {"sio", "analyst"}
        assert r.requesting_org in r.shared_with
        assert r.handling in ("region", "national", "named")
        # Pauses: in order, within the clocks, answered unless still open while it waits.
        last = r.submitted_at
        for p in r.pauses:
            assert last <= p.started_at and p.started_by == officer[r.gateway]
            if p.ended_at is None:
                assert r.status in AWAITING and p is r.pauses[-1] and not p.answer
            else:
                assert p.started_at <= p.ended_at and p.answer and p.ended_by
                assert r.decided_at is None or p.ended_at <= r.decided_at
                last = p.ended_at
        decided = r.status not in AWAITING
        assert (r.decided_at is not None) == decided and (r.decided_by is not None) == decided
        if r.status in AWAITING:
            assert (r.triaged_at is not None) == (r.status == "triaged")
            assert not (r.decline_reason or r.referral_reason or r.committed_from or r.outcome)
            continue
        assert r.override_score is None  # overrides are only for the queue
        if r.status == "withdrawn":
            assert r.decided_by == r.requested_by and r.committed_from is None
            continue
        assert r.decided_by == officer[r.gateway] == r.assigned_to
        unmet = planner.unmet_criteria(r)
        if r.accepted:
            assert not unmet and not r.decline_reason and not r.referral_reason
            assert r.committed_capacity > 0
            assert r.decided_at.date() <= r.committed_from <= r.committed_to
            assert (r.started_at is not None) == (r.status != "accepted")
            assert r.started_at is None or r.decided_at <= r.started_at
            assert (r.completed_at is not None) == (r.status == "completed") == bool(r.outcome)
            assert r.completed_at is None or r.started_at <= r.completed_at
        else:
            assert r.committed_from is None and r.started_at is None
        if r.status == "declined":
            assert r.decline_reason in {
                "capacity",
                "criteria",
                "information",
                "proportionality",
                "other",
            }
            assert r.decision_notes and not r.referral_reason
            assert r.decline_reason != "criteria" or unmet
            assert r.decline_reason in ("criteria", "information") or not unmet
        if r.status == "referred":
            assert r.referral_reason in ("capacity", "jurisdiction") and r.decision_notes
            received = by_number[r.referred_to]
            assert received.referred_from == r.number and received.referred_to is None
            assert received.gateway != r.gateway and (received.gateway, r.capability) in offered
            assert received.submitted_at == r.decided_at
            assert set(received.shared_with) == {r.requesting_org, r.gateway}
            for name in ("capability", "requesting_org", "requested_by", "threat", "urgency"):
                assert getattr(received, name) == getattr(r, name)
            assert received.needed_from == r.needed_from and received.authorities == r.authorities


def test_capacity_is_kept_to_and_only_a_full_month_declines_for_it(national):
    committed = defaultdict(float)
    plain = defaultdict(float)  # without threat-to-life work, which is taken whatever the load
    for r in national.requests:
        if r.accepted:
            key = (r.gateway, r.capability, synth.month(r.committed_from))
            committed[key] += r.committed_capacity
            if not r.threat_to_life:
                plain[key] += r.committed_capacity
    capacity = {(o.gateway, o.capability): o.monthly_capacity for o in national.offers}

    def limit(gateway, capability):
        return capacity[(gateway, capability)] * (1 + synth.STRETCH.get(capability, 0))

    assert all(v <= limit(g, c) + 1e-9 for (g, c, _), v in plain.items())
    full = 0
    for r in national.requests:
        if synth.UNMET_REASONS & {r.decline_reason, r.referral_reason}:
            start = max(r.needed_from, r.decided_at.date())
            most = CAPABILITIES[r.capability][2][1]
            key = (r.gateway, r.capability, synth.month(start))
            assert committed[key] + most > limit(r.gateway, r.capability)
            full += 1
    assert full > 200


def test_the_mix_of_urgency_outcomes_and_pauses(national):
    requests = national.requests
    n = len(requests)
    urgency = Counter(r.urgency for r in requests)
    assert urgency["immediate"] < 0.08 * n < urgency["urgent"] < urgency["routine"]
    assert 0.035 * n < sum(r.threat_to_life for r in requests) < 0.07 * n
    assert 0.05 * n < sum(r.threat is None for r in requests) < 0.15 * n
    assert 0.1 * n < sum(bool(r.pauses) for r in requests) < 0.25 * n
    status = Counter(r.status for r in requests)
    assert status["completed"] + status["in_progress"] > 0.55 * n
    assert status["accepted"] > 0.01 * n
    assert 0.1 * n < status["declined"] < 0.3 * n
    assert 0.01 * n < status["referred"] < 0.06 * n
    assert 0.01 * n < status["withdrawn"] < 0.08 * n
    assert 0 < status["submitted"] + status["triaged"] < 0.05 * n
    reasons = Counter(r.decline_reason for r in requests if r.status == "declined")
    assert set(reasons) == {"capacity", "criteria", "information", "proportionality", "other"}
    referrals = Counter(r.referral_reason for r in requests if r.status == "referred")
    assert referrals["capacity"] > 20 and referrals["jurisdiction"] > 20
    targets = Counter(national.requests[t - 1].gateway for _, t in _pairs(national))
    assert targets[NCA] > 0 and sum(targets.values()) - targets[NCA] > 0  # ROCUs and the NCA
    # Every information decline asked first, and the question went unanswered.
    for r in requests:
        if r.decline_reason == "information":
            assert r.pauses[-1].answer == "(closed by the decision)"
            assert r.pauses[-1].ended_at == r.decided_at
    # A few past the decision limit at each ROCU.
    overdue = Counter(
        national.requests[int(ref[3:]) - 1].gateway for ref in national.truth["overdue"]
    )
    assert all(1 <= overdue[g] <= 30 for g in national.truth["received"] if g != NCA), overdue


def _pairs(plan):
    return [(r.number, r.referred_to) for r in plan.requests if r.referred_to is not None]


def test_surveillance_is_oversubscribed_and_the_rest_less_so(national, orgs):
    truth = national.truth
    months = truth["months"]

    def figures(gateway, capability):
        cells = truth["demand"][gateway].get(capability, {})
        received = sum(c["received"] for c in cells.values())
        unmet = sum(c["unmet"] for c in cells.values())
        committed = sum(cells[m]["committed"] for m in months if m in cells)
        capacity = truth["offers"][gateway][capability]["capacity"] * len(months)
        return received, unmet, committed / capacity

    others_unmet = others_received = 0
    for rocu in rocus(orgs):
        received, unmet, used = figures(rocu, "surveillance")
        assert used > 0.9 and unmet > 0.1 * received, (rocu, received, unmet, used)
        over = sum(
            truth["demand"][rocu]["surveillance"].get(m, {"committed": 0})["committed"]
            >= truth["offers"][rocu]["surveillance"]["capacity"]
            for m in months
        )
        assert over >= 6  # at or above capacity in most months
        for capability in truth["offers"][rocu]:
            if capability != "surveillance":
                r, u, _ = figures(rocu, capability)
                others_received += r
                others_unmet += u
    national_surveillance = [figures(r, "surveillance") for r in rocus(orgs)]
    share = sum(u for _, u, _ in national_surveillance) / sum(
        r for r, _, _ in national_surveillance
    )
    assert others_unmet / others_received < share / 2
    for capability in CAPABILITIES:
        if capability != "surveillance":
            cells = [national.truth["demand"][r].get(capability, {}).values() for r in rocus(orgs)]
            received = sum(c["received"] for each in cells for c in each)
            unmet = sum(c["unmet"] for each in cells for c in each)
            assert unmet < share * received, capability


def test_the_truth_counts_what_the_requests_say(national):
    truth = national.truth
    cells = [
        c for caps in truth["demand"].values() for months in caps.values() for c in months.values()
    ]
    assert sum(c["received"] for c in cells) == len(national.requests)
    status = Counter(r.status for r in national.requests)
    assert sum(c["accepted"] for c in cells) == sum(status[s] for s in ACCEPTED)
    for name in ("declined", "referred", "withdrawn"):
        assert sum(c[name] for c in cells) == status[name]
    assert (
        sum(c["awaiting"] for c in cells)
        == len(truth["awaiting"])
        == status["submitted"] + status["triaged"]
    )
    unmet = sum(1 for r in national.requests if "capacity" in (r.decline_reason, r.referral_reason))
    assert sum(c["unmet"] for c in cells) == unmet
    decided = sum(status[s] for s in (*ACCEPTED, "declined", "referred"))
    assert sum(len(c["decision_days"]) for c in cells) == decided
    assert round(sum(c["committed"] for c in cells), 1) == round(
        sum(r.committed_capacity for r in national.requests if r.accepted), 1
    )
    assert truth["by_status"] == dict(sorted(status.items()))
    assert len(truth["months"]) == 12 and truth["months"][-1] == synth.month(
        national.now.date() - dt.timedelta(days=1)
    )
    assert truth["referrals"] == [
        [synth.reference(a), synth.reference(b)] for a, b in _pairs(national)
    ]
    # The clocks as the gateway's own clock counts them.
    from socmaster.gateway import clock

    def running(r, end):
        pauses = [(p.started_at, p.ended_at) for p in r.pauses]
        return clock.clock(r.submitted_at, end, national.now, pauses).running_days

    overdue = [
        r.reference
        for r in national.requests
        if r.status in AWAITING and running(r, None) > synth.DECISION_DAYS[r.urgency]
    ]
    assert truth["overdue"] == overdue and overdue
    for r in national.requests:
        if r.status in AWAITING and not any(p.ended_at is None for p in r.pauses):
            age = running(r, None)
            limit = synth.DECISION_DAYS[r.urgency]
            assert not limit - 1 <= age <= limit  # the same answer all day
    days = sorted(
        round(running(r, r.decided_at), 4)
        for r in national.requests
        if r.status in (*ACCEPTED, "declined", "referred")
    )
    assert sorted(d for c in cells for d in c["decision_days"]) == days
    # Moved by whole days, a month's figures are those of the requests that now fall in it.
    moved = demand(national.requests, shift_days=33)
    assert sum(
        c["received"] for caps in moved.values() for m in caps.values() for c in m.values()
    ) == len(national.requests)
    assert moved != truth["demand"]


@pytest.mark.django_db
def test_loading_the_demo_dataset_writes_what_the_truth_says():
    from django.db import transaction
    from django.utils import timezone

    from socmaster.core.models import ReferenceCounter
    from socmaster.core.references import next_reference
    from socmaster.gateway import services
    from socmaster.gateway.models import CapabilityOffer, RequestPause, SupportRequest
    from socmaster.organisations.models import Organisation, User
    from socmaster.threats.models import Threat
    from socmaster.web import synthetic
    from socmaster.web.synthetic import (
        load_dataset,
        organisation_specs,
        remove_synthetic,
        remove_synthetic_gateway,
    )

    dataset = generate("demo", 2026, organisation_specs(), disruptions=0)
    plan = dataset.gateway
    truth = dataset.truth["gateway"]
    steps: list[tuple[int, int]] = []
    counts = load_dataset(
        dataset,
        lambda name, done, total: (
            steps.append((done, total)) if name == "gateway requests" else None
        ),
    )
    assert counts["gateway requests"] == SupportRequest.objects.count() == len(plan.requests)
    assert counts["capability offers"] == CapabilityOffer.objects.count() == len(plan.offers)
    assert (
        counts["request pauses"]
        == RequestPause.objects.count()
        == sum(len(r.pauses) for r in plan.requests)
    )
    assert steps[0] == (0, len(plan.requests)) and steps[-1] == (len(plan.requests),) * 2

    stored = {
        r.reference: r
        for r in SupportRequest.objects.select_related(
            "owner", "requesting_organisation", "capability", "offer__organisation", "threat"
        ).prefetch_related("pauses", "shared_with")
    }
    assert set(stored) == {r.reference for r in plan.requests}
    shift = (timezone.localdate() - dataset.today).days
    for r in plan.requests:
        s = stored[r.reference]
        assert (s.status, s.owner.key, s.capability.code) == (r.status, r.gateway, r.capability)
        assert s.requesting_organisation.key == r.requesting_org
        assert {o.key for o in s.shared_with.all()} == set(r.shared_with)
        assert timezone.localdate(s.submitted_at) == r.submitted_at.date() + dt.timedelta(shift)
        # As the services leave them: the decision's time and decider, the offer committed.
        assert (s.decided_at is None) == (s.decided_by_id is None) == (r.status in AWAITING)
        if r.accepted:
            assert (
                s.offer.organisation_id == s.owner_id and s.offer.capability_id == s.capability_id
            )
            assert all(c.met for c in services.acceptance(s))
        else:
            assert s.offer is None
        if r.referred_to:
            received = s.referred_to
            assert received.reference == synth.reference(r.referred_to)
            assert received.owner_id != s.owner_id
            assert received.owner in services.gateways_for(s.capability)
            assert {o.pk for o in received.shared_with.all()} == {
                s.requesting_organisation_id,
                s.owner_id,
            }
        assert s.score_base == sum(f.points for f in services.base_factors(s))
    # The queue's flags and the figures, against the truth moved to today.
    now = timezone.now()
    overdue = sorted(r.reference for r in stored.values() if services.is_decision_overdue(r, now))
    assert overdue == truth["overdue"] and overdue
    figures = defaultdict(Counter)
    for s in stored.values():
        key = (s.owner.key, s.capability.code, timezone.localdate(s.submitted_at).strftime("%Y-%m"))
        figures[key]["received"] += 1
        figures[key]["unmet"] += "capacity" in (s.decline_reason, s.referral_reason)
        if s.committed_from:
            committed = (s.owner.key, s.capability.code, s.committed_from.strftime("%Y-%m"))
            figures[committed]["committed"] += float(s.committed_capacity)
    expected = demand(plan.requests, shift_days=shift)
    assert {
        (g, c, m): Counter({k: cell[k] for k in ("received", "unmet", "committed") if cell[k]})
        for g, caps in expected.items()
        for c, months in caps.items()
        for m, cell in months.items()
    } == {k: +v for k, v in figures.items()}
    # Requesters follow their requests.
    for username in {r.requested_by for r in plan.requests}:
        user = User.objects.get(username=username)
        visible = set(SupportRequest.objects.visible_to(user).values_list("reference", flat=True))
        assert {r.reference for r in plan.requests if r.requested_by == username} <= visible
    # The counter is past them: the next request takes the next number.
    assert ReferenceCounter.objects.get(prefix=services.PREFIX).last == len(plan.requests)
    with transaction.atomic():
        assert next_reference(services.PREFIX, SupportRequest.objects.all()) == synth.reference(
            len(plan.requests) + 1
        )

    # Loaded again (after its requests were removed): numbers are never used twice, and the
    # offers are the same rows.
    offers = set(CapabilityOffer.objects.values_list("pk", flat=True))
    remove_synthetic_gateway()
    assert not SupportRequest.objects.exists() and not CapabilityOffer.objects.exists()
    load = synthetic._load_gateway(
        dataset,
        {o.key: o for o in Organisation.objects.all()},
        dict(User.objects.filter(username__startswith="syn-").values_list("username", "id")),
        dict(Threat.objects.values_list("reference", "id")),
        lambda *args: None,
    )
    assert load["gateway requests"] == len(plan.requests)
    first = len(plan.requests) + 2  # one number went to the request above
    assert sorted(SupportRequest.objects.values_list("reference", flat=True)) == [
        synth.reference(n) for n in range(first, first + len(plan.requests))
    ]
    assert CapabilityOffer.objects.count() == len(offers)

    remove_synthetic()
    assert not SupportRequest.objects.exists() and not CapabilityOffer.objects.exists()

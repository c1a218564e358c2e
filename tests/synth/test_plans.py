"""Synthetic 4P plans: determinism, fault rates, consistency, and — once loaded — the plan-quality
checks finding exactly the planted faults."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter
from pathlib import Path

import pytest

from socmaster.synth import PLAN_FAULT_RATES, PLAN_FAULTS, OrgSpec, generate
from socmaster.synth.generator import TODAY
from socmaster.synth.plans import (
    INVESTIGATION_PHASES,
    PLAN_MARGIN_DAYS,
    PLAN_RATE,
    SAFEGUARDING_CRIME_TYPES,
    needs_link_share,
)

DATA = (
    Path(__file__).resolve().parents[2]
    / "src"
    / "socmaster"
    / "organisations"
    / "data"
    / "organisations.json"
)
#: Small enough to load in a couple of seconds, large enough that every planted fault occurs.
LOAD_SCALE = 0.06
LOAD_SEED = 5


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
def moderate(orgs):
    """About 2,300 threats and 1,650 plans."""
    return generate(0.5, 3, orgs, disruptions=0)


def test_same_seed_same_plans_whatever_the_disruptions(orgs):
    a, b, c = generate("demo", 11, orgs), generate("demo", 11, orgs), generate("demo", 12, orgs)
    assert a.plans and a.plans == b.plans and a.truth["plan_faults"] == b.truth["plan_faults"]
    assert a.truth["plan_copied_from"] == b.truth["plan_copied_from"]
    assert a.plans != c.plans
    # Plans have their own random sources: changing the number of disruptions leaves them alone.
    assert generate("demo", 11, orgs, disruptions=0).plans == a.plans


def test_fault_rates_are_the_documented_ones(moderate):
    truth = moderate.truth["plan_faults"]
    active = [t for t in moderate.threats if t.closed_on is None]
    assert set(truth) == {t.reference for t in active}  # every active threat, and only those
    planned = {p.threat for p in moderate.plans}
    assert abs(len(planned) / len(active) - PLAN_RATE) < 0.03
    assert all(("no_plan" in truth[t.reference]) == (t.reference not in planned) for t in active)
    assert all(("no_lro" in truth[t.reference]) == (t.lro is None) for t in active)
    counts = Counter(k for ref in planned for k in truth[ref])
    n = len(planned)
    for key, rate in PLAN_FAULT_RATES.items():
        tolerance = 4 * math.sqrt(rate * (1 - rate) / n) + 0.005
        assert abs(counts[key] / n - rate) <= tolerance, (key, counts[key] / n, rate)
    assert (
        0.2 < sum(1 for ref in planned if not truth[ref] - {"no_lro"}) / n < 0.45
    )  # plenty of good plans
    # The linked-plans fault falls on the threats that need a link: the share the generator's
    # mix of types, crime types and phases gives.
    needing = [
        t
        for t in active
        if t.threat_type == "vulnerability"
        or SAFEGUARDING_CRIME_TYPES & set(t.crime_types)
        or t.phase in INVESTIGATION_PHASES
    ]
    assert abs(len(needing) / len(active) - needs_link_share()) < 0.03
    # Each region has a local partner with nobody on socmaster; some unseen actions are its.
    assert len(moderate.truth["unstaffed_partners"]) == 10
    assert not {u.org_key for u in moderate.users} & set(moderate.truth["unstaffed_partners"])


def test_plans_are_consistent_and_faults_only_where_planted(moderate):
    from socmaster.plans.quality import empty_result

    users = {u.username: u for u in moderate.users}
    staffed = {u.org_key for u in moderate.users}
    no_users = set(moderate.truth["unstaffed_partners"])
    held_by_no_users = 0
    threats = {t.reference: t for t in moderate.threats}
    copies = moderate.truth["plan_copied_from"]
    plans = {p.threat: p for p in moderate.plans}
    margin = dt.timedelta(days=PLAN_MARGIN_DAYS)
    for plan in moderate.plans:
        threat, faults = threats[plan.threat], moderate.truth["plan_faults"][plan.threat]
        assert threat.opened_on <= plan.created_on <= plan.updated_on < TODAY
        assert plan.aim.startswith("Synthetic plan.") and len(plan.aim.split()) >= 10
        # Who wrote it: the LRO, an SIO of the owner (a fault), or another member of the owner.
        assert plan.author_role in users[plan.author].roles or plan.author_role == "other"
        assert users[plan.author].org_key == threat.owner_key
        assert (plan.author_role == "lro") == (plan.author == threat.lro)
        assert ("written_by_sio" in faults) == (plan.author_role == "sio")
        assert ("not_by_lro" in faults) == (threat.lro is not None and plan.author_role == "other")
        # Actions: owned by known people and organisations; dates in order.
        live = [a for a in plan.actions if a.status != "cancelled"]
        for a in plan.actions:
            assert a.owner_user is None or a.owner_user in users
            assert plan.created_on <= a.created_on <= a.updated_on <= plan.updated_on
            if a.start_date and a.due_date:
                assert a.start_date <= a.due_date
            assert (a.completed_on is not None) == (a.status == "complete")
        by_p = Counter(a.four_p for a in live)
        assert ("missing_p" in faults) == (len(by_p) < 4)
        assert ("pursue_only" in faults) == (set(by_p) == {"pursue"})
        assert ("undated_actions" in faults) == any(
            not (a.owner_user or a.owner_org) or a.start_date is None or a.due_date is None
            for a in live
        )
        assert ("no_result" in faults) == any(
            a.status == "complete" and not a.result for a in plan.actions
        )
        # Results are judged as the check judges them (the default of three meaningful words).
        assert ("empty_result" in faults) == any(
            a.status == "complete" and a.result and empty_result(a.result) for a in plan.actions
        )
        # Linked plans: named wherever the threat needs them, unless that is the fault.
        unlinked = (
            (
                threat.threat_type == "vulnerability"
                or bool(SAFEGUARDING_CRIME_TYPES & set(threat.crime_types))
            )
            and not plan.safeguarding_plans
        ) or (threat.phase in INVESTIGATION_PHASES and not plan.investigation_plans)
        assert ("plans_not_linked" in faults) == unlinked
        # Open actions held by an organisation with nobody named: somebody there opened the plan
        # or the action, unless that is the fault; a holder with no users only then.
        opened = {(users[v.viewer].org_key, v.action) for v in plan.views}
        unseen = [
            (i, a)
            for i, a in enumerate(plan.actions)
            if a.status in ("not_started", "in_progress")
            and a.owner_org
            and not a.owner_user
            and (a.owner_org, None) not in opened
            and (a.owner_org, i) not in opened
        ]
        assert ("partner_unseen" in faults) == bool(unseen)
        holders = {a.owner_org for a in plan.actions if a.owner_org}
        assert holders <= staffed | no_users
        if holders & no_users:  # only the unseen action is held by a partner with no users
            assert "partner_unseen" in faults and {a.owner_org for _, a in unseen} & no_users
            held_by_no_users += 1
        assert all(
            v.action is None or plan.actions[v.action].owner_org == users[v.viewer].org_key
            for v in plan.views
        )
        open_ = [a for a in live if a.status in ("not_started", "in_progress") and a.due_date]
        assert ("overdue_actions" in faults) == any(a.due_date < TODAY for a in open_)
        assert all(a.due_date <= TODAY - margin or a.due_date >= TODAY + margin for a in open_)
        # Reviews: by a chief officer of the owner, dated between the writing and today.
        assert all(
            r.reviewer == f"syn-{threat.owner_key}-chief_officer-1"
            and "chief_officer" in users[r.reviewer].roles
            and plan.created_on <= r.reviewed_on <= TODAY
            for r in plan.reviews
        )
        due = (plan.reviews[-1].reviewed_on if plan.reviews else plan.created_on) + dt.timedelta(
            days=plan.review_frequency_days
        )
        assert ("review_overdue" in faults) == (due < TODAY)
        assert due <= TODAY - margin or due >= TODAY + margin
        stale = (TODAY - plan.updated_on).days
        assert ("not_updated" in faults) == (stale > 60)
        assert not 60 - PLAN_MARGIN_DAYS < stale < 60 + PLAN_MARGIN_DAYS
        # Copies: the same own text as their source; both fail the check.
        assert ("copied_text" in faults) == (
            plan.threat in copies or plan.threat in copies.values()
        )
        if plan.threat in copies:
            source = plans[copies[plan.threat]]
            assert (plan.aim, plan.objectives, plan.intelligence_gaps) == (
                source.aim,
                source.objectives,
                source.intelligence_gaps,
            )
            assert [a.description for a in plan.actions] == [a.description for a in source.actions]
    assert len(set(copies.values())) == len(copies) and not set(copies) & set(copies.values())
    # Apart from the copies, every plan's own text is its own.
    originals = [p for p in moderate.plans if p.threat not in copies]
    assert len({p.aim for p in originals}) == len(originals)
    assert len({a.description for p in originals for a in p.actions}) == sum(
        len(p.actions) for p in originals
    )
    assert not any(threats[ref].closed_on for ref in plans)
    assert held_by_no_users > 0


@pytest.mark.django_db
def test_loaded_plans_fail_exactly_the_planted_checks():
    from django.utils import timezone

    from socmaster.core.models import AuditEntry
    from socmaster.plans import quality, services
    from socmaster.plans.models import Plan, PlanAction, PlanReview, PlanTextBand
    from socmaster.threats.models import Threat
    from socmaster.web.synthetic import load_dataset, organisation_specs, remove_synthetic

    dataset = generate(LOAD_SCALE, LOAD_SEED, organisation_specs(), disruptions=0)
    counts = load_dataset(dataset)
    assert counts["plans"] == Plan.objects.count() == len(dataset.plans)
    assert counts["plan_actions"] == PlanAction.objects.count() > 4 * len(dataset.plans)
    assert counts["plan_reviews"] == PlanReview.objects.count() > 0
    assert AuditEntry.objects.get(record_type="synth.dataset").changes["counts"]["plans"] == len(
        dataset.plans
    )

    truth = dataset.truth["plan_faults"]
    planted = Counter(k for keys in truth.values() for k in keys)
    assert set(planted) == PLAN_FAULTS | {"no_plan", "no_lro"} and min(planted.values()) >= 3

    assert set(quality.CHECK_KEYS) == PLAN_FAULTS | {"no_plan", "no_lro"}  # every check planted
    # Who opened the plans and their actions is in the audit log, as the product records it.
    assert counts["plan_views"] == AuditEntry.objects.filter(action="view").count() > 0
    assert counts["plan_views"] == sum(len(p.views) for p in dataset.plans)
    for record_type, model in (("plans.plan", Plan), ("plans.planaction", PlanAction)):
        entry = AuditEntry.objects.filter(action="view", record_type=record_type).last()
        record = model.objects.get(pk=entry.record_id)
        assert entry.record_repr == str(record) and entry.membership_id is not None
    opened = AuditEntry.objects.filter(action="view", record_type="plans.planaction").last()
    held = PlanAction.objects.get(pk=opened.record_id)
    assert opened.organisation_id == held.owner_organisation_id and held.owner_user_id is None

    def found(today=None):
        rows = quality.report(Threat.objects.all(), Plan.objects.all(), today=today)
        return {r.threat.reference: set(r.failed_keys) for r in rows}

    result = found()
    assert set(result) == set(truth)  # one row per active threat; closed threats have no plan
    for key in sorted(
        planted
    ):  # precision and recall of every check, with the threats it got wrong
        wrong = sorted(ref for ref in truth if (key in truth[ref]) != (key in result[ref]))
        assert not wrong, (
            f"{key}: {len(wrong)} threats disagree with the ground truth, e.g. {wrong[:5]}"
        )
    assert result == truth
    # Unseen partner actions of both kinds: a holder with no active users, and one whose people
    # never opened the plan or the action (views by other organisations do not count).
    reasons = " ".join(
        f.reason
        for r in quality.report(Threat.objects.all(), Plan.objects.all())
        for f in r.failures
        if f.key == "partner_unseen"
    )
    assert "has no active users" in reasons and "has opened it" in reasons
    # Nothing planted sits within a week of a threshold, so the truth still holds days later.
    assert found(timezone.localdate() + dt.timedelta(days=PLAN_MARGIN_DAYS - 1)) == truth

    # Dates are moved from the generator's day to the real one.
    shift = timezone.localdate() - dataset.today
    first = dataset.plans[0]
    stored = Plan.objects.get(threat__reference=first.threat)
    assert timezone.localtime(stored.created_at).date() == first.created_on + shift
    assert sorted(stored.reviews.values_list("reviewed_on", flat=True)) == [
        r.reviewed_on + shift for r in first.reviews
    ]
    assert stored.author.username == first.author and stored.template is not None
    assert stored.template_lines == services.template_texts(
        stored.template
    )  # as create_plan keeps them

    # Fingerprints are what refresh_fingerprint stores: check a copy, its source and template-based plans.
    copy, source = next(iter(dataset.truth["plan_copied_from"].items()))
    templated = [p.threat for p in dataset.plans if p.from_template][:3]
    for plan in Plan.objects.filter(
        threat__reference__in=[copy, source, *templated]
    ).select_related("template"):
        loaded = (plan.text_signature, sorted(plan.text_bands.values_list("band", "value")))
        assert len(loaded[0]) == 64 and len(loaded[1]) == 16
        services.refresh_fingerprint(plan)
        plan.refresh_from_db()
        assert (plan.text_signature, sorted(plan.text_bands.values_list("band", "value"))) == loaded
    assert PlanTextBand.objects.count() == 16 * Plan.objects.exclude(text_signature=[]).count()

    remove_synthetic()
    assert (
        not Plan.objects.exists()
        and not PlanAction.objects.exists()
        and not PlanReview.objects.exists()
    )
    assert not Threat.objects.filter(reference__startswith="SYN-T-").exists()

"""Plan-quality rules no other test reaches: the SIO check spares a plan whose SIO author is the
threat's LRO, and the report leaves out the plans of closed threats.

Expected outcomes are written by hand from docs/plans.md.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from socmaster.plans import quality, services
from socmaster.plans.models import Plan
from socmaster.threats.models import Phase, Threat

pytestmark = pytest.mark.django_db

ALL_PS = ("pursue", "prevent", "protect", "prepare")


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def people(make_user):
    return {
        "lro": make_user("force-durham", "lro", username="qr-lro"),
        "sro": make_user("force-durham", "analyst", username="qr-sro"),
        "sio": make_user("force-durham", "sio", username="qr-sio"),
    }


def make_threat(org, people, reference: str, **extra) -> Threat:
    values = dict(
        name=f"Threat {reference}",
        owner=org("force-durham"),
        threat_type="ocg",
        handling="region",
        lro=people["lro"],
        sro=people["sro"],
    )
    values.update(extra)
    return Threat.objects.create(reference=reference, **values)


def write_plan(threat: Threat, author, words: str) -> Plan:
    """A plan that passes every check but the one under test: short text of its own (too short
    for the copy check), one owned and dated action per P, and a review today by the SRO."""
    plan = services.create_plan(
        author,
        threat,
        aim=f"Dismantle {words}",
        pursue_objectives=f"Arrest {words}",
        prevent_objectives=f"Divert {words}",
        protect_objectives=f"Safeguard {words}",
        prepare_objectives=f"Ready {words}",
    )
    for p in ALL_PS:
        services.add_action(
            author,
            plan,
            four_p=p,
            description=f"{p} {words}",
            owner_user=author,
            start_date=today() - dt.timedelta(days=10),
            due_date=today() + dt.timedelta(days=30),
            status="in_progress",
        )
    services.record_review(threat.sro, plan, outcome="good", comments="Checked with the LRO.")
    return Plan.objects.get(pk=plan.pk)


def failed(plan: Plan) -> list[str]:
    rows = quality.evaluate(Plan.objects.filter(pk=plan.pk))
    assert len(rows) == 1
    return rows[0].failed_keys


# --- the SIO check and its LRO exemption ---------------------------------------------------------


def test_a_plan_by_the_sio_who_is_not_the_lro_is_flagged(org, people):
    threat = make_threat(org, people, "QR-SIO")
    plan = write_plan(threat, people["sio"], "harbour couriers")
    assert plan.author_role == "sio"
    assert failed(plan) == ["written_by_sio"]


def test_a_plan_by_an_sio_who_is_now_the_threats_lro_is_not_flagged(org, people):
    """The SIO wrote the plan, then became the threat's LRO: the plan is the LRO's own."""
    threat = make_threat(org, people, "QR-SIO-LRO")
    plan = write_plan(threat, people["sio"], "quarry runners")
    assert plan.author_role == "sio"
    Threat.objects.filter(pk=threat.pk).update(lro=people["sio"])
    assert failed(plan) == []
    # and when the LRO moves on again, the plan is the SIO's once more
    Threat.objects.filter(pk=threat.pk).update(lro=people["lro"])
    assert failed(plan) == ["written_by_sio"]


def test_the_exemption_is_for_the_author_not_any_sio(org, people, make_user):
    """Another SIO as LRO does not spare a plan written by a different SIO."""
    threat = make_threat(org, people, "QR-TWO-SIO")
    plan = write_plan(threat, people["sio"], "estate lockups")
    Threat.objects.filter(pk=threat.pk).update(lro=make_user("force-durham", "sio", "lro"))
    assert failed(plan) == ["written_by_sio"]


# --- closed threats ------------------------------------------------------------------------------


def test_plans_of_closed_threats_are_left_out_of_the_report(org, people):
    open_threat = make_threat(org, people, "QR-OPEN")
    closed = make_threat(org, people, "QR-CLOSED")
    dismantled = make_threat(org, people, "QR-DISMANTLED")
    write_plan(open_threat, people["lro"], "garage cannabis")
    write_plan(closed, people["sio"], "ferry cocaine")  # would fail the SIO check
    write_plan(dismantled, people["lro"], "carwash laundering")
    Threat.objects.filter(pk=closed.pk).update(closed_on=today() - dt.timedelta(days=2))
    Threat.objects.filter(pk=dismantled.pk).update(
        phase=Phase.objects.get(name="Closed – dismantled")
    )
    rows = quality.report(Threat.objects.all(), Plan.objects.all())
    assert [(r.threat.reference, r.plan is not None, r.failed_keys) for r in rows] == [
        ("QR-OPEN", True, []),
    ]
    summary = quality.summarise(rows)
    assert summary["total"]["plans"] == 1
    assert summary["total"]["checks"]["written_by_sio"] == 0


def test_a_reopened_threat_comes_back_into_the_report(org, people):
    threat = make_threat(org, people, "QR-REOPEN", closed_on=None)
    write_plan(threat, people["lro"], "tunnel depot")
    Threat.objects.filter(pk=threat.pk).update(closed_on=today())
    assert quality.report(Threat.objects.all(), Plan.objects.all()) == []
    Threat.objects.filter(pk=threat.pk).update(closed_on=None)
    rows = quality.report(Threat.objects.all(), Plan.objects.all())
    assert [r.threat.reference for r in rows] == ["QR-REOPEN"]

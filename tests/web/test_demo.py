"""The Quick start's demo: its loader runs on an empty database and its log-ins work."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from socmaster.threats.models import Threat
from socmaster.web.demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def test_demo_loads_and_its_log_ins_work(client):
    out = io.StringIO()
    call_command("demo", "--no-serve", "--scale", "0.01", stdout=out)
    assert "Synthetic demo data ready" in out.getvalue()
    demo = Threat.objects.filter(reference__startswith="DEMO-")
    assert demo.exists()
    # A threat's figures come from a moderated assessment, or say where they came from.
    unexplained = demo.exclude(tier=None).filter(assessment_source="")
    assert not unexplained.exclude(assessments__status="moderated").exists()
    response = client.post("/login/", {"username": "analyst", "password": DEMO_PASSWORD})
    assert response.status_code == 302 and client.get("/threats/").status_code == 200
    assert_the_demo_shows_what_each_page_is_for(client)


def assert_the_demo_shows_what_each_page_is_for(client):
    """Every page a newcomer opens shows what it is for (run on the demo loaded above)."""
    from socmaster.assessments.models import Assessment
    from socmaster.disruptions.models import Disruption
    from socmaster.organisations.models import User
    from socmaster.plans.models import PlanAction
    from socmaster.threats.models import LinkedEntity, ThreatMember
    from socmaster.web.demo import LRO_THREAT

    lynch = Threat.objects.get(reference=LRO_THREAT)
    assert lynch.lro.username == "lro"
    # Members (a principal among them) and links.
    members = ThreatMember.objects.filter(threat=lynch)
    assert members.count() >= 3 and members.filter(role="principal").exists()
    assert LinkedEntity.objects.filter(threat=lynch).values("kind").distinct().count() >= 3
    # Disruptions at each stage; the returned one is its recorder's to put right.
    statuses = set(Disruption.objects.filter(threat=lynch).values_list("status", flat=True))
    assert {"approved", "submitted", "returned"} <= statuses
    returned = Disruption.objects.get(threat=lynch, status="returned")
    assert returned.recorder.username in {"analyst", "lro"} and returned.decision_reason
    # A plan with actions under every P, a partner's among them, some overdue, one linked to
    # the disruption it produced.
    actions = PlanAction.objects.filter(plan__threat=lynch, plan__status="current")
    assert set(actions.values_list("four_p", flat=True)) == {
        "pursue",
        "prevent",
        "protect",
        "prepare",
    }
    assert actions.filter(owner_organisation__key="partner-durham-county-council").exists()
    assert any(a.is_overdue for a in actions)
    assert actions.filter(status="complete", disruptions__isnull=False).exclude(result="").exists()
    # Every change of score is explained: a re-assessment's summary says how and why it moved.
    assessments = list(
        Assessment.objects.filter(threat__reference__startswith="DEMO-", status="moderated")
        .select_related("threat")
        .order_by("threat_id", "version_number")
    )
    assert assessments
    lynch_tiers = [a.tier for a in assessments if a.threat_id == lynch.pk]
    assert lynch_tiers[0] < lynch_tiers[-1], "the disrupted group's tier should fall"
    for before, after in zip(assessments, assessments[1:], strict=False):
        if before.threat_id != after.threat_id:
            continue
        assert f"(Tier {before.tier}) to" in after.summary, after.summary
        assert f"(Tier {after.tier}) because" in after.summary, after.summary

    # Something in every queue of every demo role.
    def page(username, path):
        client.force_login(User.objects.get(username=username))
        response = client.get(path)
        assert response.status_code == 200, (username, path)
        return response.content.decode()

    assert 'data-testid="queue"' in page("moderator", "/assessments/queue/")
    assert 'data-testid="queue"' in page("moderator", "/disruptions/queue/")
    assert 'data-testid="reviews-due"' in page("chief", "/plans/reviews-due/")
    for holder in ("lro", "sio", "partner", "offender", "gateway"):
        assert 'data-testid="action-table"' in page(holder, "/plans/actions/"), holder
    assert any(
        a.is_overdue
        for a in PlanAction.objects.filter(owner_organisation__key="partner-durham-county-council")
    )
    assert Assessment.objects.filter(assessor__username="assessor", status="returned").exists()
    assert Disruption.objects.filter(recorder__username="analyst", status="returned").exists()
    assert LRO_THREAT in page("lro", "/threats/")

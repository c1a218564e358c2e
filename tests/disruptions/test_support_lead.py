"""A support record counts only while its lead record is approved. When the lead is returned or
rejected (or is still waiting) its approved support records drop out of every figure and are
flagged: on the exceptions report with the lead's reason, on the record's page and on the home page
of their recorder; when the lead is approved again they count again. The inspectorate's extract,
which counts lead records only, reproduces its figures exactly."""

from __future__ import annotations

import datetime as dt

import pytest

from socmaster.core import registry
from socmaster.disruptions import services
from socmaster.disruptions.checks import _ocg_without_disruption, _support_lead_not_approved
from socmaster.disruptions.models import Disruption
from socmaster.disruptions.reports import disruption_extract, disruption_report, threat_timeline
from socmaster.threats.exceptions import checks
from socmaster.threats.models import Threat
from tests.disruptions.test_disruptions import record

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()
YEAR = (TODAY - dt.timedelta(days=365), TODAY)


@pytest.fixture
def people(make_user):
    return {
        "recorder": make_user("force-durham", "analyst", username="sl-rec"),
        "lro": make_user("force-durham", "lro", username="sl-lro"),
        "moderator": make_user("rocu-north-east", "moderator", username="sl-mod"),
        "other": make_user("force-durham", "analyst", username="sl-other"),
    }


@pytest.fixture
def ocg(org, people):
    return Threat.objects.create(
        reference="SL-OCG",
        name="Harbour network",
        owner=org("force-durham"),
        threat_type="ocg",
        handling="region",
        lro=people["lro"],
        opened_on=TODAY - dt.timedelta(days=400),
    )


@pytest.fixture
def pair(people, ocg, org):
    """A lead waiting for moderation and its support record, approved first."""
    durham = org("force-durham")
    lead = record(people["recorder"], ocg, durham)
    helper = record(people["recorder"], ocg, durham, disruption_type="support", lead=lead)
    for d in (lead, helper):
        services.submit_disruption(people["recorder"], d)
    services.moderate_disruption(people["moderator"], helper, "approve")
    return lead, helper


def _decide(people, d, decision, reason=""):
    return services.moderate_disruption(people["moderator"], d, decision, reason)


def _figures():
    report = disruption_report(Disruption.objects.all(), *YEAR)
    types = {row["key"]: row["n"] for row in report["type"]}
    return report["total"], types.get("support", 0), report["support_left_out"]


def _flagged():
    return _support_lead_not_approved(Threat.objects.all())


def _attention(user):
    return {item.key: figure for item, figure in registry.attention_for(user)}.get(
        "support-lead-not-approved"
    )


def test_the_check_is_on_the_exceptions_report():
    assert "support_lead_not_approved" in {c.key for c in checks()}


def test_lead_approved_the_support_counts_and_is_not_flagged(people, pair, ocg):
    lead, helper = pair
    _decide(people, lead, "approve")
    assert _figures() == (2, 1, 0)
    assert set(Disruption.objects.counted().values_list("pk", flat=True)) == {lead.pk, helper.pk}
    assert _flagged() == []
    assert _attention(people["recorder"]) is None
    assert len(threat_timeline(people["recorder"], ocg)) == 2
    helper.refresh_from_db()
    assert helper.is_counted


def test_lead_waiting_the_approved_support_is_not_counted_yet(people, pair):
    lead, helper = pair
    assert _figures() == (0, 0, 1)
    [row] = _flagged()
    assert row["detail"] == (
        f"{helper.reference}: its lead {lead.reference} is submitted; "
        "not counted until its lead is approved"
    )


@pytest.mark.parametrize("decision", ["reject", "return"])
def test_lead_rejected_or_returned_the_support_is_flagged_with_the_reason_and_not_counted(
    people, pair, ocg, decision
):
    lead, helper = pair
    _decide(people, lead, decision, "Not linked to the group")
    assert _figures() == (0, 0, 1)
    assert not Disruption.objects.counted().exists()
    [row] = _flagged()
    assert row["threat"] == ocg
    state = {"reject": "rejected", "return": "returned"}[decision]
    assert f"{helper.reference}: its lead {lead.reference} is {state}" in row["detail"]
    assert f"(since {TODAY:%d %b %Y}): Not linked to the group" in row["detail"]
    assert threat_timeline(people["recorder"], ocg) == []
    # the OCG is now without a counted disruption
    [gap] = _ocg_without_disruption(Threat.objects.all())
    assert gap["threat"] == ocg


def test_lead_returned_then_approved_the_support_counts_again(people, pair):
    lead, helper = pair
    _decide(people, lead, "return", "Add the custody references")
    assert _figures() == (0, 0, 1) and len(_flagged()) == 1
    services.update_disruption(people["recorder"], lead, evidence="Custody refs 1-4")
    services.submit_disruption(people["recorder"], lead)
    _decide(people, lead, "approve")
    assert _figures() == (2, 1, 0)
    assert _flagged() == []
    assert _ocg_without_disruption(Threat.objects.all()) == []


def test_the_recorder_and_the_lro_see_it_on_their_home_page_and_its_link_lists_it(
    people, pair, web
):
    lead, helper = pair
    _decide(people, lead, "reject", "Not linked to the group")
    for who in ("recorder", "lro"):
        figure = _attention(people[who])
        assert figure is not None and figure.count == 1, who
        body = web(people[who]).get(figure.url).content.decode()
        assert body.count('data-testid="disruption-row"') == 1
        assert f">{helper.reference}<" in body
    assert _attention(people["other"]) is None  # neither recorded it nor leads the threat
    listed = web(people["other"]).get("/disruptions/?lead_not_approved=false").content.decode()
    assert f">{lead.reference}<" in listed and f">{helper.reference}<" not in listed


def test_the_exceptions_report_shows_the_flag_with_its_reason(people, pair, web):
    lead, helper = pair
    _decide(people, lead, "reject", "Not linked to the group")
    body = web(people["lro"]).get("/threats/exceptions/").content.decode()
    assert "Support disruptions whose lead is not approved" in body
    assert f"its lead {lead.reference} is rejected" in body
    assert "Not linked to the group" in body


def test_the_support_records_page_says_it_is_not_counted(people, pair, web):
    lead, helper = pair
    client = web(people["recorder"])
    _decide(people, lead, "reject", "Not linked to the group")
    body = client.get(f"/disruptions/{helper.reference}/").content.decode()
    assert 'data-testid="not-counted"' in body and "is rejected (Not linked to the group)" in body
    assert (
        'data-testid="not-counted"'
        not in client.get(f"/disruptions/{lead.reference}/").content.decode()
    )


def test_moderating_a_lead_says_what_it_does_to_its_support_records(people, ocg, org, web):
    durham = org("force-durham")
    client = web(people["moderator"])
    lead = record(people["recorder"], ocg, durham)
    helper = record(people["recorder"], ocg, durham, disruption_type="support", lead=lead)
    for d in (lead, helper):
        services.submit_disruption(people["recorder"], d)
    response = client.post(f"/disruptions/{helper.reference}/approve/", follow=True)
    assert f"Approved. It counts once its lead {lead.reference} is approved." in (
        response.content.decode()
    )
    response = client.post(
        f"/disruptions/{lead.reference}/reject/", {"reason": "Not linked"}, follow=True
    )
    assert (
        f"Rejected. Its approved support record {helper.reference} no longer counts until it is "
        "approved, and is flagged on the exceptions report."
    ) in response.content.decode()


def test_approving_a_lead_says_its_support_records_count_too(people, pair, web):
    lead, helper = pair
    response = web(people["moderator"]).post(f"/disruptions/{lead.reference}/approve/", follow=True)
    assert (
        f"Approved: it now counts. Its approved support record {helper.reference} now counts too."
    ) in response.content.decode()


def test_the_report_page_says_how_many_support_records_are_left_out(people, pair, web):
    body = web(people["recorder"]).get("/disruptions/report/").content.decode()
    assert 'data-testid="report-total">0<' in body
    assert 'data-testid="report-left-out">1 approved support record' in body


def test_the_inspectorates_extract_is_unchanged_by_the_support_rule(people, pair, org):
    """The extract counts approved lead records only: a support record never appeared in it, so
    its figures are the same whatever happens to a support record's lead."""
    lead, helper = pair
    start, end = YEAR
    assert disruption_extract(Disruption.objects.all(), start, end) == []
    _decide(people, lead, "approve")
    [row] = disruption_extract(Disruption.objects.all(), start, end)
    assert (row["organisation"], row["lead_disruptions"], row["pursue"], row["major"]) == (
        "Durham Constabulary",
        1,
        1,
        1,
    )
    # The rule is one filter for leads: the same rows as counting approved leads directly.
    direct = Disruption.objects.filter(status="approved", disruption_type="lead")
    assert set(Disruption.objects.counted().filter(disruption_type="lead")) == set(direct)

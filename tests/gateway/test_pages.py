"""The gateway's pages (synthetic data, see ``conftest.py``): the gateway officer's queue and the
requester's progress, a request's page with every step of its workflow as a form (each step
works, a bad one is a field error on the same page and changes nothing), the submission form,
capabilities and offers ("save unchanged changes nothing"), the demand dashboard and its export,
the threat page's panel and the exceptions report's checks; and every page refuses those who
may not see the request exactly as it answers for a missing one."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from socmaster.core.models import AuditEntry
from socmaster.gateway import services
from socmaster.gateway.models import Capability, CapabilityOffer, SupportRequest
from tests.access import same_body

from .conftest import TODAY, request_values

pytestmark = pytest.mark.django_db


def _rows(body: str) -> list[str]:
    """The references of the request rows listed, in order."""
    return re.findall(
        r'data-testid="request-row">\s*<td[^>]*><a class="govuk-link" href="/gateway/([^/]+)/"',
        body,
    )


def _age(request, days: float) -> None:
    """Make ``request`` as old as ``days`` (submitted that long ago)."""
    SupportRequest.objects.filter(pk=request.pk).update(
        submitted_at=timezone.now() - dt.timedelta(days=days)
    )


def _act(client, request, step, **data):
    return client.post(
        f"/gateway/{request.reference}/{step}/", {f"{step}-{k}": v for k, v in data.items()}
    )


def _date_parts(prefix: str, day: dt.date) -> dict:
    return {f"{prefix}_day": day.day, f"{prefix}_month": day.month, f"{prefix}_year": day.year}


def _entries(request) -> int:
    return (
        AuditEntry.objects.filter(record_type="gateway.supportrequest", record_id=str(request.pk))
        .exclude(action__in=("view", "search"))
        .count()
    )


# --- the list: queue and progress -----------------------------------------------------------------


def test_the_officer_sees_the_queue_by_score_with_its_flags(gw, new_request, web):
    plain = new_request(threat="assessed")
    life = new_request(threat="unassessed", threat_to_life=True)
    described = new_request(threat=None, threat_description="A synthetic new crew in Durham.")
    _age(described, 20)  # routine: its limit is 14 days
    services.override(gw.officer1, plain, score=500, reason="Synthetic: the SIO asked for it first")
    elsewhere = new_request(gateway=gw.rocu2)  # another gateway's queue

    body = web(gw.officer1).get("/gateway/").content.decode()
    assert _rows(body) == [plain.reference, life.reference, described.reference]
    assert elsewhere.reference not in body
    assert "overridden: Synthetic: the SIO asked for it first" in body
    assert 'data-testid="not-listed">Not on the master list' in body
    # Flags: the described request waits past its limit; the unassessed threat is flagged.
    rows = body.split('data-testid="request-row"')[1:]
    assert 'data-testid="flag-overdue"' in rows[2] and 'data-testid="flag-overdue"' not in rows[0]
    assert 'data-testid="flag-unassessed"' in rows[1]
    assert 'data-testid="flag-unassessed"' not in rows[0]  # a current moderated assessment
    assert "20 days" in rows[2] and "waiting for decision" in rows[2]
    # The overdue filter keeps exactly the overdue one.
    overdue = web(gw.officer1).get("/gateway/?tab=queue&overdue=true").content.decode()
    assert _rows(overdue) == [described.reference]


def test_a_paused_request_shows_running_and_paused_time(gw, new_request, web):
    r = new_request()
    _age(r, 5)
    services.pause(gw.officer1, r, asked="Which synthetic address is the target?")
    pause = r.pauses.get()
    type(pause).objects.filter(pk=pause.pk).update(started_at=timezone.now() - dt.timedelta(days=3))
    body = web(gw.officer1).get("/gateway/").content.decode()
    row = body.split('data-testid="request-row"')[1]
    assert "2 days waiting for decision" in row and "and 3 days paused" in row
    assert 'data-testid="flag-waiting"' in row


def test_the_requester_sees_their_requests_and_their_progress(gw, new_request, web):
    mine = new_request()
    accepted = new_request("rib", threat="assessed")
    services.accept(
        gw.officer1,
        accepted,
        offer=gw.offers[("rib", "rocu-north-east")],
        committed_from=TODAY + dt.timedelta(days=14),
        committed_to=TODAY + dt.timedelta(days=21),
        committed_capacity=3,
    )
    theirs = new_request(user=gw.same_region, requesting_organisation=gw.force_b)
    client = web(gw.requester)
    body = client.get("/gateway/").content.decode().replace("&#x27;", "'")
    assert set(_rows(body)) == {mine.reference, accepted.reference}  # not Cleveland's
    assert theirs.reference not in body
    rows = dict(zip(_rows(body), body.split('data-testid="request-row"')[1:], strict=True))
    assert "Waiting for the gateway's triage" in rows[mine.reference]
    team = gw.offers[("rib", "rocu-north-east")].team
    assert f"Accepted: {team}" in rows[accepted.reference]
    assert 'data-testid="tab-queue"' not in body  # not a gateway officer
    assert 'data-testid="tab-accepted">Accepted (1)' in body
    # The status tab and the search narrow the list; an empty one says so.
    assert _rows(client.get("/gateway/?status=accepted").content.decode()) == [accepted.reference]
    assert _rows(client.get(f"/gateway/?q={mine.reference}").content.decode()) == [mine.reference]
    empty = client.get("/gateway/?status=completed").content.decode()
    assert 'data-testid="empty"' in empty and "that match these filters" in empty
    # Every request they may see, not only their own organisation's.
    everything = client.get("/gateway/?mine=").content.decode()
    assert theirs.reference in everything


def test_the_list_pages_and_sorts(gw, new_request, web):
    made = [
        new_request(needed_from=TODAY + dt.timedelta(days=30 - n), needed_to=None)
        for n in range(27)
    ]
    client = web(gw.requester)
    first = client.get("/gateway/").content.decode()
    assert len(_rows(first)) == 25 and 'data-testid="page-count"' in first
    second = client.get("/gateway/?page=2").content.decode()
    assert len(_rows(second)) == 2
    by_need = _rows(client.get("/gateway/?ordering=needed").content.decode())
    assert by_need[0] == made[-1].reference  # needed soonest first


def test_partners_and_other_regions_see_no_request(gw, new_request, web):
    r = new_request()
    for person in (gw.partner, gw.other_region):
        client = web(person)
        body = client.get("/gateway/?mine=").content.decode()
        assert _rows(body) == [] and 'data-testid="empty"' in body
        hidden = client.get(f"/gateway/{r.reference}/")
        missing = client.get("/gateway/GW-NOPE/")
        assert hidden.status_code == missing.status_code == 404
        assert same_body(
            hidden.content.replace(r.reference.encode(), b""),
            missing.content.replace(b"GW-NOPE", b""),
        )
        # Every step answers as for a missing request too, and changes nothing.
        step = client.post(f"/gateway/{r.reference}/triage/", {})
        assert step.status_code == 404
        assert same_body(
            step.content.replace(r.reference.encode(), b""),
            client.post("/gateway/GW-NOPE/triage/", {}).content.replace(b"GW-NOPE", b""),
        )
    r.refresh_from_db()
    assert r.status == "submitted"


def test_the_menu_offers_the_gateway_to_police_users_only(gw, web):
    assert 'href="/gateway/"' in web(gw.requester).get("/").content.decode()
    assert 'href="/gateway/"' not in web(gw.partner).get("/").content.decode()


# --- one request ----------------------------------------------------------------------------------


def test_the_request_page_shows_everything_about_it(gw, new_request, web):
    r = new_request("surveillance", threat="unassessed")
    services.pause(gw.officer1, r, asked="Which synthetic vehicle?")
    services.resume(gw.requester, r, answer="The synthetic blue van.")
    body = web(gw.officer1).get(f"/gateway/{r.reference}/").content.decode()
    assert 'data-testid="status">Submitted' in body
    assert "GW-T2" in body and "Tier 2" in body
    assert "Directed surveillance (RIPA Part II)" in body
    # Acceptance criteria, each met or not (Tier 2 is within 1-3; 14 days' notice of 5).
    assert re.search(r'criterion-tiers">\s*<strong class="govuk-tag govuk-tag--green">Met', body)
    assert 'data-testid="criterion-threat_required"' in body
    # The factors and the score, both clocks, the pause with its question and answer.
    assert 'data-testid="factors"' in body and "Tier 2 threat" in body
    assert f'data-testid="computed-score">{services.computed_score(r)}<' in body
    assert 'data-testid="decision-clock"' in body and "still running" in body
    assert "Which synthetic vehicle?" in body and "The synthetic blue van." in body
    assert 'data-testid="flag-unassessed"' in body
    # The officer's steps are offered; the requester's are not theirs.
    for step in ("triage", "accept", "decline", "refer", "pause", "assign", "override"):
        assert f'data-testid="step-{step}"' in body, step
    assert 'data-testid="step-withdraw"' not in body
    requester = web(gw.requester).get(f"/gateway/{r.reference}/").content.decode()
    assert 'data-testid="step-withdraw"' in requester
    assert 'data-testid="step-accept"' not in requester


def test_inspectors_read_a_request_and_are_offered_no_step(gw, new_request, web):
    r = new_request()
    response = web(gw.inspector).get(f"/gateway/{r.reference}/")
    assert response.status_code == 200
    assert 'id="actions"' not in response.content.decode()


def test_a_restricted_request_asks_for_a_reason(gw, new_request, web):
    r = new_request(handling="named")
    response = web(gw.requester).get(f"/gateway/{r.reference}/")
    assert response.status_code == 302 and "/reason/" in response["Location"]


def test_the_workflow_from_triage_to_completion_through_the_page(gw, new_request, web):
    from socmaster.disruptions.models import Disruption, Standard

    r = new_request("rib", threat="assessed")
    officer = web(gw.officer1)
    assert _act(officer, r, "triage", notes="Synthetic: looks proportionate").status_code == 302
    r.refresh_from_db()
    assert r.status == "triaged"

    offer = gw.offers[("rib", "rocu-north-east")]
    start, end = TODAY + dt.timedelta(days=14), TODAY + dt.timedelta(days=21)
    before = _entries(r)
    bad = _act(
        officer,
        r,
        "accept",
        offer=offer.pk,
        committed_capacity="3",
        **_date_parts("committed_from", end),
        **_date_parts("committed_to", start),
    )
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "The last date cannot be before the first." in text
    assert 'id="id_accept-committed_to-error"' in text  # on its field, on the same page
    r.refresh_from_db()
    assert r.status == "triaged" and r.offer_id is None and _entries(r) == before

    good = _act(
        officer,
        r,
        "accept",
        offer=offer.pk,
        committed_capacity="3",
        notes="Synthetic: team booked",
        **_date_parts("committed_from", start),
        **_date_parts("committed_to", end),
    )
    assert good.status_code == 302
    r.refresh_from_db()
    assert r.status == "accepted" and r.offer == offer and r.committed_to == end

    assert _act(officer, r, "start").status_code == 302
    r.refresh_from_db()
    assert r.status == "in_progress"

    disruption = Disruption.objects.create(
        reference="GW-D1",
        threat=gw.threats["assessed"],
        standard=Standard.objects.get(is_current=True),
        event_date=TODAY,
        recording_organisation=gw.force_a,
        four_p="pursue",
        category="major",
        status="approved",
        recorder=gw.requester,
    )
    bad = _act(officer, r, "complete", outcome="Synthetic arrests", disruptions="GW-D1, GW-NOPE")
    assert bad.status_code == 400 and "No such disruption: GW-NOPE." in bad.content.decode()
    r.refresh_from_db()
    assert r.status == "in_progress"
    done = _act(officer, r, "complete", outcome="Synthetic: two arrests", disruptions="GW-D1")
    assert done.status_code == 302
    r.refresh_from_db()
    assert r.status == "completed" and list(r.disruptions.all()) == [disruption]

    seen = web(gw.requester).get(f"/gateway/{r.reference}/").content.decode()
    assert 'data-testid="status">Completed' in seen
    assert "Synthetic: two arrests" in seen and "GW-D1" in seen
    assert 'data-testid="team">' + offer.team in seen


def test_accepting_a_request_that_fails_its_criteria_is_refused_on_the_page(gw, new_request, web):
    r = new_request("surveillance", threat=None, threat_description="A synthetic crew.")
    response = _act(
        web(gw.officer1),
        r,
        "accept",
        offer=gw.offers[("surveillance", "rocu-north-east")].pk,
        committed_capacity="2",
        **_date_parts("committed_from", TODAY + dt.timedelta(days=14)),
        **_date_parts("committed_to", TODAY + dt.timedelta(days=15)),
    )
    assert response.status_code == 400
    assert "does not meet the capability&#x27;s acceptance criteria" in response.content.decode()
    r.refresh_from_db()
    assert r.status == "submitted"


def test_declining_needs_notes_and_then_shows_the_reason(gw, new_request, web):
    r = new_request()
    officer = web(gw.officer1)
    bad = _act(officer, r, "decline", decline_reason="capacity", decision_notes="")
    assert bad.status_code == 400
    assert 'id="id_decline-decision_notes-error"' in bad.content.decode()
    r.refresh_from_db()
    assert r.status == "submitted"
    ok = _act(officer, r, "decline", decline_reason="capacity", decision_notes="Synthetic: full.")
    assert ok.status_code == 302
    body = web(gw.requester).get(f"/gateway/{r.reference}/").content.decode()
    assert 'data-testid="decision-reason">No capacity' in body and "Synthetic: full." in body


def test_referring_links_both_requests_for_those_who_may_see_them(gw, new_request, web):
    r = new_request()
    officer = web(gw.officer1)
    bad = _act(
        officer,
        r,
        "refer",
        referred_to="rocu-north-east",
        referral_reason="capacity",
        decision_notes="Synthetic",
    )
    assert bad.status_code == 400  # not among the choices: the other gateways only
    assert 'id="id_refer-referred_to-error"' in bad.content.decode()
    r.refresh_from_db()
    assert r.status == "submitted" and not SupportRequest.objects.filter(referred_from=r).exists()
    ok = _act(
        officer,
        r,
        "refer",
        referred_to=gw.rocu2.key,
        referral_reason="capacity",
        decision_notes="Synthetic: no team free",
    )
    assert ok.status_code == 302
    r.refresh_from_db()
    received = r.referred_to
    assert r.status == "referred" and received.owner == gw.rocu2
    page = web(gw.requester).get(f"/gateway/{r.reference}/").content.decode()
    assert f'href="/gateway/{received.reference}/"' in page
    there = web(gw.requester).get(f"/gateway/{received.reference}/").content.decode()
    assert 'data-testid="referred-from"' in there and f'href="/gateway/{r.reference}/"' in there
    # The receiving gateway works on its own request; the first gateway's is not theirs to see.
    theirs = web(gw.officer2).get(f"/gateway/{received.reference}/").content.decode()
    assert 'data-testid="step-accept"' in theirs and 'data-testid="referred-from"' not in theirs


def test_pausing_and_answering_stop_and_restart_the_clocks(gw, new_request, web):
    r = new_request()
    officer = web(gw.officer1)
    assert _act(officer, r, "pause", asked="").status_code == 400
    assert not r.pauses.exists()
    assert _act(officer, r, "pause", asked="Synthetic: which address?").status_code == 302
    requester = web(gw.requester)
    page = requester.get(f"/gateway/{r.reference}/").content.decode()
    assert 'data-testid="flag-waiting"' in page and 'data-testid="step-resume"' in page
    assert _act(requester, r, "resume", answer="").status_code == 400
    assert r.pauses.get().ended_at is None
    assert _act(requester, r, "resume", answer="Synthetic: 4 Mill Lane").status_code == 302
    assert r.pauses.get().answer == "Synthetic: 4 Mill Lane"


def test_override_and_assign(gw, new_request, web, make_user):
    r = new_request()
    officer = web(gw.officer1)
    bad = _act(officer, r, "override", override_score="5000", override_reason="Synthetic")
    assert (
        bad.status_code == 400 and 'id="id_override-override_score-error"' in bad.content.decode()
    )
    r.refresh_from_db()
    assert r.override_score is None
    assert (
        _act(
            officer, r, "override", override_score="900", override_reason="Synthetic: SIO"
        ).status_code
        == 302
    )
    r.refresh_from_db()
    assert (r.override_score, r.override_reason) == (900, "Synthetic: SIO")

    colleague = make_user("rocu-north-east", "gateway_officer", username="gw-colleague")
    bad = _act(officer, r, "assign", assigned_to=gw.requester.username)  # not an officer there
    assert bad.status_code == 400 and 'id="id_assign-assigned_to-error"' in bad.content.decode()
    assert _act(officer, r, "assign", assigned_to=colleague.username).status_code == 302
    r.refresh_from_db()
    assert r.assigned_to == colleague


def test_only_the_requester_withdraws_and_only_the_gateway_decides(gw, new_request, web):
    r = new_request()
    assert _act(web(gw.officer1), r, "withdraw", reason="Synthetic").status_code == 403
    assert _act(web(gw.requester), r, "triage").status_code == 403
    assert _act(web(gw.same_region), r, "triage").status_code == 403  # sees it, may not decide
    r.refresh_from_db()
    assert r.status == "submitted"
    assert _act(web(gw.requester), r, "withdraw", reason="").status_code == 400
    assert _act(web(gw.requester), r, "withdraw", reason="Synthetic: arrested").status_code == 302
    r.refresh_from_db()
    assert r.status == "withdrawn"


def test_a_step_the_state_does_not_allow_is_a_clear_error(gw, new_request, web):
    r = new_request()
    officer = web(gw.officer1)
    response = _act(officer, r, "start")
    assert response.status_code == 400
    assert "Cannot start a support request that is submitted." in response.content.decode()
    services.triage(gw.officer1, r)
    before = _entries(r)
    again = _act(officer, r, "triage")
    assert again.status_code == 400
    assert 'data-testid="step-error"' in again.content.decode()  # on the step's own form
    r.refresh_from_db()
    assert r.status == "triaged" and _entries(r) == before


# --- submitting -------------------------------------------------------------------------------------


def _form(**overrides) -> dict:
    values = request_values()
    data = {
        "capability": "rib",
        "gateway": "rocu-north-east",
        "requesting_organisation": "force-durham",
        "threat": "GW-T2",
        "operation": values["operation"],
        "asked_for": values["asked_for"],
        "justification": values["justification"],
        **_date_parts("needed_from", values["needed_from"]),
        **_date_parts("needed_to", values["needed_to"]),
        "urgency": "routine",
        "authorities": ["directed_surveillance"],
        "handling": "region",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_submitting_a_request(gw, web):
    response = web(gw.requester).post("/gateway/new/", _form())
    assert response.status_code == 302
    r = SupportRequest.objects.get()
    assert response["Location"] == f"/gateway/{r.reference}/"
    assert r.owner == gw.rocu1 and r.threat == gw.threats["unassessed"]
    assert r.requesting_organisation == gw.force_a and r.authorities == ["directed_surveillance"]
    assert list(r.shared_with.all()) == [gw.force_a]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"threat": "GW-T3"}, "threat", "No such threat on the master list."),  # hidden
        ({"threat": "GW-NOPE"}, "threat", "No such threat on the master list."),  # missing
        ({"threat": ""}, "threat_description", "Choose the threat, or describe it"),
        ({"asked_for": ""}, "asked_for", "Say what is asked for."),
        (
            {"capability": "economic_crime", "gateway": "rocu-yorkshire-and-the-humber"},
            "gateway",
            "does not offer Economic crime and fraud",
        ),
        ({"needed_from_day": "31", "needed_from_month": "2"}, "needed_from", "must be a real date"),
    ],
)
def test_a_bad_request_is_a_field_error_and_nothing_is_saved(gw, web, overrides, field, message):
    response = web(gw.requester).post("/gateway/new/", _form(**overrides))
    assert response.status_code == 200
    body = response.content.decode().replace("&#x27;", "'")
    assert f'data-field="{field}"' in body
    group = body.split(f'data-field="{field}"')[1].split('data-field="')[0]
    assert message in group
    assert not SupportRequest.objects.exists()


def test_the_threat_is_chosen_by_reference_never_from_a_list(gw, web):
    body = web(gw.requester).get("/gateway/new/?threat=GW-T1").content.decode()
    assert 'name="threat" value="GW-T1"' in body
    assert "GW-T2" not in body and "GW-T3" not in body  # no dropdown of threats


def test_choosing_a_capability_narrows_the_gateways(gw, web):
    body = web(gw.requester).get("/gateway/new/?capability=economic_crime").content.decode()
    gateway = body.split('data-field="gateway"')[1].split("</select>")[0]
    assert "rocu-north-east" in gateway and "rocu-yorkshire-and-the-humber" not in gateway


def test_partners_and_inspectors_cannot_ask(gw, web):
    assert web(gw.partner).get("/gateway/new/").status_code == 403
    assert web(gw.inspector).get("/gateway/new/").status_code == 403


# --- capabilities and offers ---------------------------------------------------------------------


def test_the_capabilities_page_lists_who_offers_what(gw, web):
    body = web(gw.requester).get("/gateway/capabilities/").content.decode()
    surveillance = body.split('data-testid="capability-surveillance"')[1].split("</section>")[0]
    assert "At least 5 days" in surveillance or "at least 5 days" in surveillance
    assert gw.offers[("surveillance", "rocu-north-east")].team in surveillance
    assert "20.0 team-days" in surveillance
    assert 'data-testid="edit-surveillance"' not in body and "Add an offer" not in body
    admin = web(gw.national_admin).get("/gateway/capabilities/").content.decode()
    assert 'data-testid="edit-surveillance"' in admin


def test_criteria_saved_unchanged_change_nothing_and_a_change_is_saved(gw, web):
    capability = gw.capabilities["surveillance"]
    client = web(gw.national_admin)
    form = client.get("/gateway/capabilities/surveillance/").content.decode()
    assert 'name="tiers" value="3"' in form
    before = list(capability.acceptance_criteria)
    unchanged = {
        "description": capability.description,
        "active": "on",
        "threat_required": "on",
        "tiers": ["1", "2", "3"],
        "notice_days": "5",
        "authorities": "on",
    }
    entries = AuditEntry.objects.count()
    assert client.post("/gateway/capabilities/surveillance/", unchanged).status_code == 302
    capability.refresh_from_db()
    assert capability.acceptance_criteria == before
    assert AuditEntry.objects.count() == entries
    changed = {**unchanged, "notice_days": "7", "assessed": "on"}
    assert client.post("/gateway/capabilities/surveillance/", changed).status_code == 302
    capability.refresh_from_db()
    assert {"kind": "notice_days", "days": 7} in capability.acceptance_criteria
    assert {"kind": "assessed"} in capability.acceptance_criteria
    bad = client.post("/gateway/capabilities/surveillance/", {**unchanged, "notice_days": "400"})
    assert bad.status_code == 200 and "days is a whole number from 0 to 365" in bad.content.decode()
    assert web(gw.rocu_admin).get("/gateway/capabilities/surveillance/").status_code == 403


def test_offers_are_maintained_by_their_organisation(gw, web):
    offer = gw.offers[("surveillance", "rocu-north-east")]
    client = web(gw.rocu_admin)
    same = {
        "team": offer.team,
        "monthly_capacity": "20",
        "capacity_unit": "team_days",
        "active": "on",
    }
    entries = AuditEntry.objects.count()
    assert client.post(f"/gateway/offers/{offer.pk}/", same).status_code == 302
    assert AuditEntry.objects.count() == entries  # saved unchanged: nothing written
    bad = client.post(f"/gateway/offers/{offer.pk}/", {**same, "monthly_capacity": "-3"})
    assert bad.status_code == 200 and "0 or more" in bad.content.decode()
    assert (
        client.post(f"/gateway/offers/{offer.pk}/", {**same, "monthly_capacity": "25"}).status_code
        == 302
    )
    offer.refresh_from_db()
    assert offer.monthly_capacity == 25
    # Another gateway's offer is not theirs to change.
    other = gw.offers[("surveillance", "rocu-yorkshire-and-the-humber")]
    assert client.get(f"/gateway/offers/{other.pk}/").status_code == 403
    assert web(gw.requester).get(f"/gateway/offers/{offer.pk}/").status_code == 403


def test_a_new_offer_and_a_duplicate_team(gw, web):
    client = web(gw.rocu_admin)
    data = {
        "organisation": "rocu-north-east",
        "team": "Synthetic cyber team",
        "monthly_capacity": "12",
        "capacity_unit": "cases",
        "active": "on",
    }
    assert client.post("/gateway/capabilities/cyber_crime/offers/new/", data).status_code == 302
    assert CapabilityOffer.objects.filter(
        capability__code="cyber_crime", organisation=gw.rocu1
    ).exists()
    again = client.post("/gateway/capabilities/cyber_crime/offers/new/", data)
    assert (
        again.status_code == 200
        and "This team already offers this capability here." in again.content.decode()
    )
    assert CapabilityOffer.objects.filter(capability__code="cyber_crime").count() == 1
    # They may offer only for their own organisation.
    other = client.post(
        "/gateway/capabilities/cyber_crime/offers/new/",
        {**data, "organisation": "rocu-yorkshire-and-the-humber"},
    )
    assert (
        other.status_code == 200
        and not CapabilityOffer.objects.filter(
            capability__code="cyber_crime", organisation=gw.rocu2
        ).exists()
    )
    assert web(gw.requester).get("/gateway/capabilities/cyber_crime/offers/new/").status_code == 403


# --- demand, the threat page and the exceptions report -----------------------------------------------


def test_the_demand_dashboard_and_its_export(gw, new_request, web):
    new_request()
    declined = new_request()
    services.decline(gw.officer1, declined, reason="capacity", notes="Synthetic: no team")
    client = web(gw.officer1)
    body = client.get("/gateway/demand/").content.decode()
    assert 'data-testid="total-received">2<' in body
    assert 'data-testid="total-unmet">1<' in body
    assert 'id="demand-data"' in body and "gateway/demand-chart.js" in body
    assert 'data-testid="by-capability"' in body
    # The regional view opens on the officer's own region; every region on asking.
    assert (
        body.count('data-testid="region-view"') == 1
        and '<h3 class="govuk-heading-s">North East</h3>' in body
    )
    # A link naming only a gateway and a capability (as the meeting agenda's) narrows to them.
    other = client.get("/gateway/demand/?gateway=rocu-north-east&capability=economic_crime")
    assert 'data-testid="total-received">0<' in other.content.decode()
    mine = client.get("/gateway/demand/?gateway=rocu-north-east&capability=rib")
    assert 'data-testid="total-received">2<' in mine.content.decode()
    every = client.get("/gateway/demand/?months=12&region=").content.decode()
    assert every.count('data-testid="region-view"') >= 10
    asked = client.get("/gateway/demand/export.csv")
    assert asked.status_code == 200 and b"reason" in asked.content
    exported = client.post("/gateway/demand/export.csv", {"reason": "Synthetic board pack"})
    assert exported.status_code == 200
    text = b"".join(exported.streaming_content).decode()
    assert text.startswith("region,organisation,capability,month")
    assert AuditEntry.objects.filter(action="export", record_type="gateway.demand").exists()
    # What a partner may see of it: nothing.
    partner = web(gw.partner).get("/gateway/demand/").content.decode()
    assert 'data-testid="total-received">0<' in partner


def test_the_threat_page_lists_its_support_requests(gw, new_request, web):
    r = new_request(threat="assessed")
    body = web(gw.requester).get("/threats/GW-T1/").content.decode()
    panel = body.split('id="gateway"')[1]
    assert r.reference in panel and 'data-testid="request-support"' in panel
    # Someone who sees the threat but not the request is not shown it.
    hidden = new_request(threat="assessed", handling="named")
    cleveland = web(gw.same_region).get("/threats/GW-T1/").content.decode()
    assert r.reference in cleveland and hidden.reference not in cleveland
    # A partner shown the threat asks no gateway and sees no request: no panel at all.
    gw.threats["assessed"].shared_with.add(gw.people["partner"].primary_organisation)
    partner = web(gw.partner).get("/threats/GW-T1/")
    assert partner.status_code == 200 and 'id="gateway"' not in partner.content.decode()


def test_the_exceptions_report_flags_overdue_and_unassessed_requests(gw, new_request, web):
    late = new_request(threat="assessed")
    _age(late, 30)
    unassessed = new_request(threat="unassessed")
    body = web(gw.officer1).get("/threats/exceptions/").content.decode()
    overdue = body.split('id="gateway_overdue"')[1].split("<h2")[0]
    assert late.reference in overdue and unassessed.reference not in overdue
    flagged = body.split('id="gateway_unassessed"')[1].split("<h2")[0]
    assert unassessed.reference in flagged and late.reference not in flagged
    assert web(gw.other_region).get("/threats/exceptions/").content.decode().count("GW-0") == 0


def test_the_unassessed_query_agrees_with_the_service(gw, new_request):
    from socmaster.gateway import filters

    made = [new_request(threat=t) for t in ("assessed", "unassessed")]
    made.append(new_request(threat=None, threat_description="Synthetic"))
    flagged = set(filters.unassessed(SupportRequest.objects.all()).values_list("pk", flat=True))
    assert flagged == {r.pk for r in made if services.unassessed(r)} == {made[1].pk}


def test_capability_codes_are_reference_data():
    assert Capability.objects.filter(code="surveillance").exists()


@pytest.mark.parametrize("tab", ["queue", "requests"])
def test_the_list_takes_the_same_queries_whatever_its_size(gw, new_request, web, tab):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def request_with_question(n):
        r = new_request(threat="unassessed" if n % 2 else "assessed")
        services.assign(gw.officer1, r, gw.officer1)
        services.pause(gw.officer1, r, asked=f"Synthetic question {n}")

    request_with_question(0)
    client = web(gw.officer1)
    client.get(f"/gateway/?tab={tab}")
    with CaptureQueriesContext(connection) as one:
        assert len(_rows(client.get(f"/gateway/?tab={tab}").content.decode())) == 1
    for n in range(1, 6):
        request_with_question(n)
    with CaptureQueriesContext(connection) as six:
        assert len(_rows(client.get(f"/gateway/?tab={tab}").content.decode())) == 6
    assert len(six) == len(one)

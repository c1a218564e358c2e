"""The gateway's rules, through its services: every transition from every state, who may take
each step, acceptance criteria as data, the unassessed flag, the triage score and the queue's
order with overrides, fair clocks, referral between gateways, completion, withdrawal, submission
and its refusals, the audit entries each step writes, and the maintenance of capabilities and
offers. The world is the synthetic one of ``tests/gateway/conftest.py``; expected outcomes are
written out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max
from django.http import Http404
from django.utils import timezone

from socmaster.assessments import services as assessment_services
from socmaster.core import policy
from socmaster.core.models import AuditEntry, Compartment, CompartmentMember
from socmaster.disruptions import services as disruption_services
from socmaster.disruptions.models import Tactic
from socmaster.gateway import services
from socmaster.gateway.models import Capability, CapabilityOffer, RequestPause, SupportRequest
from socmaster.organisations.models import Membership, Organisation, User
from socmaster.threats.models import Threat
from tests.gateway.conftest import TODAY, answers, request_values

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)
STATES = [
    "submitted",
    "triaged",
    "accepted",
    "declined",
    "referred",
    "in_progress",
    "completed",
    "withdrawn",
]
#: Hand-written: each transition, the states it may start from and where it ends.
ALLOWED = {
    "triage": {"submitted": "triaged"},
    "accept": {"submitted": "accepted", "triaged": "accepted"},
    "decline": {"submitted": "declined", "triaged": "declined"},
    "refer": {"submitted": "referred", "triaged": "referred"},
    "start": {"accepted": "in_progress"},
    "complete": {"in_progress": "completed"},
    "withdraw": {"submitted": "withdrawn", "triaged": "withdrawn", "accepted": "withdrawn"},
}
#: States in which the clocks may be paused (open requests), and the queue overridden.
PAUSABLE = {"submitted", "triaged", "accepted", "in_progress"}
OVERRIDABLE = {"submitted", "triaged"}


# --- set-up and checks ---------------------------------------------------------------------------


def db_state():
    """Everything a gateway step could write."""
    return (
        list(AuditEntry.objects.order_by("seq").values_list("seq", "action")),
        list(SupportRequest.objects.order_by("pk").values()),
        list(RequestPause.objects.order_by("pk").values()),
        list(SupportRequest.shared_with.through.objects.order_by("pk").values()),
        list(SupportRequest.disruptions.through.objects.order_by("pk").values()),
        list(Capability.objects.order_by("pk").values()),
        list(CapabilityOffer.objects.order_by("pk").values()),
    )


def mark() -> int:
    return AuditEntry.objects.aggregate(m=Max("seq"))["m"] or 0


def since(last: int) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(seq__gt=last).order_by("seq"))


def refused(exc_type, call, *args, **kwargs):
    """Call and expect ``exc_type`` with nothing written; return the exception."""
    before = db_state()
    with pytest.raises(exc_type) as caught:
        call(*args, **kwargs)
    assert db_state() == before, "a refused step wrote something"
    return caught.value


def set_state(request: SupportRequest, status: str) -> SupportRequest:
    SupportRequest.objects.filter(pk=request.pk).update(status=status)
    request.refresh_from_db()
    return request


def backdate(request: SupportRequest, now=None, **ago) -> SupportRequest:
    """Move a request's timestamps into the past: backdate(r, submitted_at=3 * DAY)."""
    now = now or timezone.now()
    SupportRequest.objects.filter(pk=request.pk).update(**{k: now - v for k, v in ago.items()})
    request.refresh_from_db()
    return request


def add_pause(request, user, started, ended=None, asked="Which address?"):
    """A pause at given moments (a row of its own, as the service makes one)."""
    return RequestPause.objects.create(
        request=request,
        started_at=started,
        ended_at=ended,
        asked=asked,
        started_by=user,
        ended_by=user if ended else None,
    )


def set_tier(gw, key: str, tier) -> Threat:
    Threat.objects.filter(pk=gw.threats[key].pk).update(tier=tier)
    gw.threats[key].refresh_from_db()
    return gw.threats[key]


def offer_for(request) -> CapabilityOffer:
    return CapabilityOffer.objects.get(capability=request.capability, organisation=request.owner)


def accept_args(request, **overrides):
    values = {
        "offer": offer_for(request),
        "committed_from": TODAY + 14 * DAY,
        "committed_to": TODAY + 21 * DAY,
        "committed_capacity": "5",
        "notes": "Team A from the 14th.",
    }
    values.update(overrides)
    return values


def act(name, gw, request, user=None):
    """Take step ``name`` on ``request`` with good input, as ``user`` (the natural one)."""
    officer = user or gw.officer1
    if name == "triage":
        return services.triage(officer, request, notes="Looked at it")
    if name == "accept":
        return services.accept(officer, request, **accept_args(request))
    if name == "decline":
        return services.decline(officer, request, reason="capacity", notes="No team is free.")
    if name == "refer":
        return services.refer(
            officer, request, to=gw.rocu2, reason="capacity", notes="Yorkshire has a team."
        )
    if name == "start":
        return services.start(officer, request)
    if name == "complete":
        return services.complete(officer, request, outcome="Storage address found.")
    if name == "withdraw":
        return services.withdraw(user or gw.requester, request, reason="No longer needed.")
    if name == "pause":
        return services.pause(officer, request, asked="Which vehicle?")
    if name == "resume":
        return services.resume(user or gw.requester, request, answer="The blue van.")
    if name == "override":
        return services.override(officer, request, score=90, reason="Linked to a firearms job.")
    if name == "assign":
        return services.assign(officer, request, gw.officer1)
    raise AssertionError(name)


def fresh(user: User) -> User:
    """The user again, without cached memberships."""
    return User.objects.get(pk=user.pk)


# --- every transition from every state ----------------------------------------------------------


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("name", list(ALLOWED))
def test_every_transition_from_every_state(gw, new_request, name, state):
    request = set_state(new_request(), state)
    if state in ALLOWED[name]:
        last = mark()
        act(name, gw, request)
        request.refresh_from_db()
        assert request.status == ALLOWED[name][state]
        transitions = [e for e in since(last) if e.action == "transition"]
        assert [e.changes for e in transitions] == [
            {"status": {"before": state, "after": ALLOWED[name][state]}, "transition": name}
        ]
    else:
        error = refused(ValidationError, act, name, gw, request)
        assert list(error.message_dict) == ["status"]
        assert f"Cannot {name} a support request" in error.message_dict["status"][0]


@pytest.mark.parametrize("state", STATES)
def test_the_clocks_pause_only_while_a_request_is_open(gw, new_request, state):
    request = set_state(new_request(), state)
    if state in PAUSABLE:
        paused = act("pause", gw, request)
        assert paused.ended_at is None and paused.asked == "Which vehicle?"
    else:
        error = refused(ValidationError, act, "pause", gw, request)
        assert "closed" in error.message_dict["status"][0]


@pytest.mark.parametrize("state", STATES)
def test_the_queue_order_is_overridden_only_while_awaiting_a_decision(gw, new_request, state):
    request = set_state(new_request(), state)
    if state in OVERRIDABLE:
        act("override", gw, request)
        request.refresh_from_db()
        assert request.override_score == 90
    else:
        error = refused(ValidationError, act, "override", gw, request)
        assert "awaiting a decision" in error.message_dict["status"][0]


def test_a_request_goes_from_submission_to_completion(gw, new_request):
    request = new_request()
    assert (request.status, request.owner, request.handling) == ("submitted", gw.rocu1, "region")
    services.triage(gw.officer1, request)
    services.accept(gw.officer1, request, **accept_args(request))
    request.refresh_from_db()
    assert request.status == "accepted"
    assert request.offer == offer_for(request)
    assert request.committed_capacity == Decimal("5")
    assert (request.committed_from, request.committed_to) == (TODAY + 14 * DAY, TODAY + 21 * DAY)
    assert request.decided_by == gw.officer1 and request.decided_at is not None
    assert request.decision_notes == "Team A from the 14th."
    services.start(gw.officer1, request)
    services.complete(gw.officer1, request, outcome="  Storage address found.  ")
    request.refresh_from_db()
    assert request.status == "completed"
    assert request.started_at <= request.completed_at
    assert request.outcome == "Storage address found."


# --- who may take each step --------------------------------------------------------------------

#: Hand-written, for a request from force A (Durham) to ROCU 1 (North East) with region handling:
#: what each person gets from the gateway's steps, from withdrawing and from answering a pause.
#: "ok": done; "denied": PermissionDenied (they see the request); "missing": Http404 (they do not
#: see it, so it answers like a missing one).
WHO = {
    #                  gateway step  withdraw   answer
    "requester": ("denied", "ok", "ok"),  # force A analyst
    "sio": ("denied", "ok", "ok"),  # force A SIO: also of the requesting organisation
    "officer1": ("ok", "denied", "ok"),  # gateway officer of ROCU 1
    "officer2": ("missing", "missing", "missing"),  # gateway officer of ROCU 2 (other region)
    "nca_officer": ("missing", "missing", "missing"),  # the NCA is in no region
    "same_region": ("denied", "denied", "denied"),  # force B: sees it, may not act
    "other_region": ("missing", "missing", "missing"),
    "partner": ("missing", "missing", "missing"),  # not shared with the partner
    "inspector": ("denied", "denied", "denied"),  # reads everything, changes nothing
    "national_admin": ("missing", "missing", "missing"),
    "rocu_admin": ("denied", "denied", "denied"),  # ROCU 1's administrator: not the gateway
}
#: The gateway's steps, each from a state it may start from.
GATEWAY_STEPS = {
    "triage": "submitted",
    "accept": "triaged",
    "decline": "submitted",
    "refer": "triaged",
    "start": "accepted",
    "complete": "in_progress",
    "pause": "submitted",
    "override": "submitted",
    "assign": "submitted",
}
OUTCOME = {"ok": None, "denied": PermissionDenied, "missing": Http404}


@pytest.mark.parametrize("step", list(GATEWAY_STEPS))
@pytest.mark.parametrize("who", list(WHO))
def test_who_may_take_each_gateway_step(gw, new_request, who, step):
    request = set_state(new_request(), GATEWAY_STEPS[step])
    outcome = OUTCOME[WHO[who][0]]
    if outcome is None:
        act(step, gw, request, user=gw.people[who])
    else:
        refused(outcome, act, step, gw, request, user=gw.people[who])


@pytest.mark.parametrize("who", list(WHO))
def test_who_may_withdraw(gw, new_request, who):
    request = new_request()
    outcome = OUTCOME[WHO[who][1]]
    if outcome is None:
        services.withdraw(gw.people[who], request, reason="Arrested on other matters.")
        request.refresh_from_db()
        assert request.status == "withdrawn"
    else:
        refused(outcome, services.withdraw, gw.people[who], request, reason="Arrested.")


@pytest.mark.parametrize("who", list(WHO))
def test_who_may_answer_a_question(gw, new_request, who):
    request = new_request()
    services.pause(gw.officer1, request, asked="Which vehicle?")
    outcome = OUTCOME[WHO[who][2]]
    if outcome is None:
        services.resume(gw.people[who], request, answer="The blue van.")
        assert not request.pauses.filter(ended_at__isnull=True).exists()
        assert request.pauses.get().answer == "The blue van."
    else:
        refused(outcome, services.resume, gw.people[who], request, answer="The blue van.")


def test_an_officer_of_another_gateway_who_sees_the_request_may_not_decide_it(gw, new_request):
    request = new_request(handling="national")
    assert policy.can(gw.officer2, "view", request)
    for step in ("triage", "decline", "pause", "override", "assign"):
        refused(PermissionDenied, act, step, gw, request, user=gw.officer2)
    assert not services.can_decide(gw.officer2, request)
    assert services.can_decide(gw.officer1, request)


def test_a_gateway_officer_who_is_also_an_inspector_changes_nothing(gw, new_request, org):
    request = new_request()
    officer = gw.officer1
    Membership.objects.create(user=officer, organisation=org("hmicfrs"), role="inspector")
    officer = fresh(officer)
    assert not services.is_gateway_officer(officer, gw.rocu1.pk)
    refused(PermissionDenied, act, "triage", gw, request, user=officer)


def test_an_ended_membership_no_longer_decides(gw, new_request):
    request = new_request()
    Membership.objects.filter(user=gw.officer1).update(valid_to=TODAY - DAY)
    officer = fresh(gw.officer1)
    refused(Http404, act, "triage", gw, request, user=officer)


def test_assignment_only_to_a_gateway_officer_of_the_gateway(gw, new_request, make_user):
    request = new_request()
    colleague = make_user("rocu-north-east", "gateway_officer", username="gw-colleague")
    for assignee in (gw.officer2, gw.rocu_admin, gw.requester):
        error = refused(ValidationError, services.assign, gw.officer1, request, assignee)
        assert "assigned_to" in error.message_dict
    last = mark()
    services.assign(gw.officer1, request, colleague)
    request.refresh_from_db()
    assert request.assigned_to == colleague
    assert [e.changes for e in since(last)] == [
        {"assigned_to": {"before": None, "after": colleague.pk}}
    ]
    # The same assignee again changes nothing; None takes the assignment off.
    unchanged = db_state()
    services.assign(gw.officer1, request, colleague)
    assert db_state() == unchanged
    services.assign(gw.officer1, request, None)
    request.refresh_from_db()
    assert request.assigned_to is None


#: Hand-written: the buttons each person is offered on a request from force A to ROCU 1.
BUTTONS = {
    ("submitted", "officer1"): ["triage", "accept", "decline", "refer"],
    ("submitted", "requester"): ["withdraw"],
    ("triaged", "officer1"): ["accept", "decline", "refer"],
    ("triaged", "requester"): ["withdraw"],
    ("accepted", "officer1"): ["start"],
    ("accepted", "requester"): ["withdraw"],
    ("in_progress", "officer1"): ["complete"],
    ("in_progress", "requester"): [],
    ("completed", "officer1"): [],
    ("declined", "requester"): [],
    ("submitted", "same_region"): [],
    ("submitted", "inspector"): [],
    ("submitted", "rocu_admin"): [],
    ("submitted", "officer2"): [],
}


@pytest.mark.parametrize(("state", "who"), list(BUTTONS))
def test_available_transitions(gw, new_request, state, who):
    request = set_state(new_request(), state)
    assert services.available_transitions(gw.people[who], request) == BUTTONS[(state, who)]


def test_who_may_ask_on_behalf_of_which_organisation(gw, make_user, org):
    assert services.requesting_organisations(gw.requester) == [gw.force_a]
    assert services.requesting_organisations(gw.officer1) == [gw.rocu1]
    assert services.requesting_organisations(gw.partner) == []
    assert services.requesting_organisations(gw.inspector) == []
    inspectorate_admin = make_user("hmicfrs", "administrator")
    assert services.requesting_organisations(inspectorate_admin) == []
    partner_admin = make_user("partner-durham-county-council", "administrator")
    assert services.requesting_organisations(partner_admin) == []
    inspecting_analyst = make_user("hmicfrs", "inspector")
    Membership.objects.create(user=inspecting_analyst, organisation=gw.force_a, role="analyst")
    assert services.requesting_organisations(fresh(inspecting_analyst)) == []
    refused(PermissionDenied, submit, gw, user=fresh(inspecting_analyst))
    both = make_user("force-durham", "analyst")
    Membership.objects.create(user=both, organisation=org("force-cleveland"), role="sio")
    assert services.requesting_organisations(fresh(both)) == [gw.force_b, gw.force_a]


def test_a_request_in_a_compartment_is_decided_only_by_its_members(gw, new_request):
    request = new_request()
    unit = Compartment.objects.create(code="gw-siu", name="Synthetic SIU", owner=gw.rocu1)
    SupportRequest.objects.filter(pk=request.pk).update(compartment=unit)
    request.refresh_from_db()
    assert not services.can_decide(gw.officer1, request)
    assert services.available_transitions(gw.officer1, request) == []
    refused(Http404, act, "triage", gw, request)
    CompartmentMember.objects.create(compartment=unit, user=gw.officer1)
    officer = fresh(gw.officer1)
    assert services.can_decide(officer, request)
    services.triage(officer, request)


# --- acceptance criteria -------------------------------------------------------------------------


def set_criteria(gw, code, criteria):
    capability = services.update_capability(
        gw.national_admin, gw.capabilities[code], acceptance_criteria=criteria
    )
    gw.capabilities[code] = capability
    return capability


DESCRIBED = {"threat": None, "threat_description": "A synthetic group not yet on the list."}


@pytest.mark.parametrize(
    ("spec", "request_kwargs", "met", "detail"),
    [
        ({"kind": "threat_required"}, {"threat": "assessed"}, True, ""),
        ({"kind": "threat_required"}, DESCRIBED, False, "not on the master list"),
        ({"kind": "tiers", "tiers": [1, 2, 3]}, {"threat": "assessed"}, True, "Tier 2"),
        ({"kind": "tiers", "tiers": [1]}, {"threat": "assessed"}, False, "The threat is Tier 2."),
        ({"kind": "tiers", "tiers": [1]}, {"threat_to_life": True}, True, "threat to life"),
        ({"kind": "tiers", "tiers": [1, 2]}, DESCRIBED, False, "has no tier"),
        ({"kind": "notice_days", "days": 5}, {}, True, "14 days' notice"),
        ({"kind": "notice_days", "days": 14}, {}, True, "14 days' notice"),
        ({"kind": "notice_days", "days": 15}, {}, False, "14 days' notice given."),
        ({"kind": "notice_days", "days": 30}, {"urgency": "immediate"}, True, "immediate"),
        ({"kind": "notice_days", "days": 30}, {"urgency": "urgent"}, False, "14 days"),
        ({"kind": "notice_days", "days": 30}, {"threat_to_life": True}, True, "threat to life"),
        ({"kind": "assessed"}, {"threat": "assessed"}, True, ""),
        ({"kind": "assessed"}, {"threat": "unassessed"}, False, "None current."),
        ({"kind": "assessed"}, DESCRIBED, False, "No threat"),
        ({"kind": "authorities"}, {"authorities": []}, False, "None."),
        ({"kind": "authorities"}, {"authorities": ["chis"]}, True, ""),
    ],
)
def test_each_kind_of_criterion(gw, new_request, spec, request_kwargs, met, detail):
    set_criteria(gw, "rib", [spec])
    request = new_request("rib", **request_kwargs)
    [criterion] = services.acceptance(request)
    assert criterion.kind == spec["kind"]
    assert criterion.met is met
    assert detail in criterion.detail


def test_a_capability_with_no_criteria_accepts_anything(gw, new_request):
    assert services.acceptance(new_request("rib", **DESCRIBED, authorities=[])) == []


def test_accept_is_refused_while_criteria_are_unmet_naming_them(gw, new_request):
    # Surveillance: a threat, Tier 1-3, 5 days' notice, authorities named. This one is Tier 2
    # (met) but gives 2 days' notice and names no authority.
    request = new_request(
        "surveillance", needed_from=TODAY + 2 * DAY, needed_to=None, authorities=[]
    )
    error = refused(ValidationError, services.accept, gw.officer1, request, **accept_args(request))
    message = error.message_dict["status"][0]
    assert "Asked for at least 5 days before it is needed (2 days' notice given.)" in message
    assert "The authorities it needs are named" in message
    assert "Tier" not in message and "master list" not in message
    # Declining it, saying which, is allowed.
    services.decline(gw.officer1, request, reason="criteria", notes="Not enough notice.")
    request.refresh_from_db()
    assert (request.status, request.decline_reason) == ("declined", "criteria")


def test_criteria_are_data_an_administrator_changes(gw, new_request):
    request = new_request("rib")
    set_criteria(gw, "rib", [{"kind": "tiers", "tiers": [1]}])
    request.refresh_from_db()
    refused(ValidationError, services.accept, gw.officer1, request, **accept_args(request))
    set_criteria(gw, "rib", [{"kind": "tiers", "tiers": [1, 2]}])
    request.refresh_from_db()
    services.accept(gw.officer1, request, **accept_args(request))


@pytest.mark.parametrize(
    ("exemption", "accepted"),
    [
        ({"threat_to_life": True}, True),  # exempt from the tier and the notice
        ({"urgency": "immediate"}, False),  # exempt from the notice, not from the tier
        ({}, False),
    ],
)
def test_threat_to_life_and_immediate_exemptions(gw, new_request, exemption, accepted):
    set_tier(gw, "unassessed", 4)
    request = new_request("surveillance", needed_from=TODAY + DAY, needed_to=None, **exemption)
    unmet = [c.kind for c in services.acceptance(request) if not c.met]
    expected = {
        True: [],
        False: ["tiers"] if exemption else ["tiers", "notice_days"],
    }[accepted]
    assert unmet == expected
    if accepted:
        services.accept(gw.officer1, request, **accept_args(request))
    else:
        refused(ValidationError, services.accept, gw.officer1, request, **accept_args(request))


def test_immediate_alone_meets_the_notice(gw, new_request):
    request = new_request(
        "surveillance", needed_from=TODAY, needed_to=None, urgency="immediate", threat="assessed"
    )
    assert all(c.met for c in services.acceptance(request))
    services.accept(gw.officer1, request, **accept_args(request))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"offer": None}, "offer"),
        ({"committed_from": None}, "committed_from"),
        ({"committed_to": None}, "committed_to"),
        ({"committed_to": TODAY + 13 * DAY}, "committed_to"),
        ({"committed_capacity": "0"}, "committed_capacity"),
        ({"committed_capacity": "-2"}, "committed_capacity"),
        ({"committed_capacity": "lots"}, "committed_capacity"),
        ({"committed_capacity": None}, "committed_capacity"),
    ],
)
def test_accept_checks_what_is_committed(gw, new_request, overrides, field):
    request = new_request()
    error = refused(
        ValidationError,
        services.accept,
        gw.officer1,
        request,
        **accept_args(request, **overrides),
    )
    assert field in error.message_dict


@pytest.mark.parametrize(
    ("offer_key", "why"),
    [
        (("rib", "rocu-yorkshire-and-the-humber"), "another gateway's team"),
        (("surveillance", "rocu-north-east"), "a team offering another capability"),
    ],
)
def test_accept_commits_only_a_team_of_this_gateway_offering_the_capability(
    gw, new_request, offer_key, why
):
    request = new_request("rib")
    error = refused(
        ValidationError,
        services.accept,
        gw.officer1,
        request,
        **accept_args(request, offer=gw.offers[offer_key]),
    )
    assert list(error.message_dict) == ["offer"], why


@pytest.mark.parametrize(
    ("reason", "notes", "field"),
    [
        ("bored", "No team.", "decline_reason"),
        ("", "No team.", "decline_reason"),
        ("capacity", "  ", "decision_notes"),
    ],
)
def test_a_decline_needs_a_reason_from_the_list_and_an_explanation(
    gw, new_request, reason, notes, field
):
    request = new_request()
    error = refused(
        ValidationError, services.decline, gw.officer1, request, reason=reason, notes=notes
    )
    assert list(error.message_dict) == [field]


def test_a_decline_records_its_reason(gw, new_request):
    request = new_request()
    services.decline(gw.officer1, request, reason="proportionality", notes="  Not needed. ")
    request.refresh_from_db()
    assert (request.status, request.decline_reason, request.decision_notes) == (
        "declined",
        "proportionality",
        "Not needed.",
    )
    assert (request.decided_by, request.referral_reason, request.offer) == (gw.officer1, "", None)


# --- the unassessed flag -----------------------------------------------------------------------


def test_the_unassessed_flag(gw, new_request):
    assert not services.unassessed(new_request(threat="assessed"))
    assert services.unassessed(new_request(threat="unassessed"))
    assert not services.unassessed(new_request(**DESCRIBED))  # nothing on the list to assess


def test_a_stale_assessment_is_not_current(gw, new_request, settings):
    request = new_request(threat="assessed")
    settings.SOCMASTER = {**settings.SOCMASTER, "STALE_EVIDENCE_DAYS": 9}  # evidence is 10 days old
    assert services.unassessed(request)
    settings.SOCMASTER = {**settings.SOCMASTER, "STALE_EVIDENCE_DAYS": 10}
    assert not services.unassessed(request)


def test_an_assessment_not_yet_moderated_does_not_count(gw, new_request):
    threat = gw.threats["unassessed"]
    draft = assessment_services.create_assessment(
        gw.requester,
        threat,
        answers=answers(3),
        evidence_from=TODAY - 30 * DAY,
        evidence_to=TODAY - 2 * DAY,
        review_due=TODAY + 90 * DAY,
    )
    assessment_services.submit_assessment(gw.requester, draft)
    request = new_request(threat="unassessed")
    assert services.unassessed(request)
    assert [f for f in services.base_factors(request) if f.label == "MoRiLE harm"][0].points == 0


# --- the triage score ---------------------------------------------------------------------------


def factors(request, now=None) -> dict:
    return {f.label: f for f in services.triage_factors(request, now)}


@pytest.mark.parametrize(
    ("tier", "points", "text"),
    [
        (1, 40, "Tier 1 threat"),
        (2, 30, "Tier 2 threat"),
        (3, 20, "Tier 3 threat"),
        (4, 10, "Tier 4 threat"),
        (5, 5, "Tier 5 threat"),
        (None, 0, "No tiered threat"),
    ],
)
def test_the_tier_factor(gw, new_request, tier, points, text):
    set_tier(gw, "unassessed", tier)
    request = new_request(threat="unassessed")
    tier_factor = factors(request)["Tier"]
    assert (tier_factor.points, tier_factor.explanation.startswith(text)) == (points, True)
    assert request.score_base == points  # no harm, routine, no threat to life


def test_a_described_threat_scores_no_tier_and_no_harm(gw, new_request):
    request = new_request(**DESCRIBED)
    f = factors(request)
    assert (f["Tier"].points, f["MoRiLE harm"].points) == (0, 0)
    assert f["MoRiLE harm"].explanation == "No moderated MoRiLE assessment"


def test_harm_comes_from_the_latest_moderated_assessment_scaled_to_the_highest(gw, new_request):
    # The assessed threat's harm is 40; the default scheme's highest is 16 x 3 x 2 = 96:
    # 20 x 40 / 96 = 8.3, so 8 points.
    request = new_request(threat="assessed")
    harm = factors(request)["MoRiLE harm"]
    assert (harm.points, harm.explanation) == (8, "Harm 40 of a possible 96")
    assert request.score_base == 30 + 8
    # A re-assessment at the highest answers, moderated, gives all 20 points ...
    threat = gw.threats["assessed"]
    second = assessment_services.create_assessment(
        gw.requester,
        threat,
        answers=answers(4),
        evidence_from=TODAY - 30 * DAY,
        evidence_to=TODAY - 2 * DAY,
        review_due=TODAY + 90 * DAY,
    )
    assessment_services.submit_assessment(gw.requester, second)
    assessment_services.moderate_assessment(gw.moderator, second)
    harm = factors(new_request(threat="assessed"))["MoRiLE harm"]
    assert (harm.points, harm.explanation) == (20, "Harm 96 of a possible 96")
    # ... and a later draft at the lowest does not count until it is moderated.
    assessment_services.create_assessment(
        gw.requester,
        threat,
        answers=answers(0),
        evidence_from=TODAY - 30 * DAY,
        evidence_to=TODAY - DAY,
        review_due=TODAY + 90 * DAY,
    )
    assert factors(new_request(threat="assessed"))["MoRiLE harm"].points == 20
    # Harm 4.5 of 96 is 0.94 of a point: rounded, 1.
    fourth = assessment_services.create_assessment(
        gw.requester,
        threat,
        answers=answers(1),
        evidence_from=TODAY - 30 * DAY,
        evidence_to=TODAY - DAY,
        review_due=TODAY + 90 * DAY,
    )
    assessment_services.submit_assessment(gw.requester, fourth)
    assessment_services.moderate_assessment(gw.moderator, fourth)
    harm = factors(new_request(threat="assessed"))["MoRiLE harm"]
    assert (harm.points, harm.explanation) == (1, "Harm 4.5 of a possible 96")


@pytest.mark.parametrize(("urgency", "points"), [("immediate", 30), ("urgent", 15), ("routine", 0)])
def test_the_urgency_factor(gw, new_request, urgency, points):
    request = new_request(urgency=urgency)
    assert factors(request)["Urgency"].points == points
    assert request.score_base == 30 + points


def test_the_threat_to_life_factor(gw, new_request):
    assert "Threat to life" not in factors(new_request())
    request = new_request(threat_to_life=True)
    assert factors(request)["Threat to life"].points == 50
    assert request.score_base == 30 + 50


@pytest.mark.parametrize(
    ("days_ago", "paused_days", "points"),
    [(0, 0, 0), (5, 0, 5), (29, 0, 29), (30, 0, 30), (45, 0, 30), (10, 4, 6), (40, 15, 25)],
)
def test_the_age_factor_counts_running_days_capped(gw, new_request, days_ago, paused_days, points):
    now = timezone.now()
    request = backdate(new_request(), now, submitted_at=days_ago * DAY)
    if paused_days:
        add_pause(
            request,
            gw.officer1,
            now - (days_ago - 1) * DAY,
            now - (days_ago - 1 - paused_days) * DAY,
        )
    assert factors(request, now)["Age"].points == points
    assert services.computed_score(request, now) == 30 + points
    assert services.queue_score(request, now) == 30 + points


def test_triage_scores_the_request_again(gw, new_request):
    request = new_request(threat="unassessed")
    assert request.score_base == 30
    set_tier(gw, "unassessed", 1)
    request.refresh_from_db()
    services.triage(gw.officer1, request)
    request.refresh_from_db()
    assert request.score_base == 40


# --- the queue -------------------------------------------------------------------------------------


@pytest.fixture
def queue_world(gw, new_request):
    """Requests to ROCU 1 with scores worked out by hand (tier 2 = 30 points, no harm unless
    the assessed threat, whose harm adds 8), and two that are not in its queue."""
    now = timezone.now()
    r = {
        "a": new_request(),  # 30
        "b": new_request(urgency="urgent"),  # 30 + 15 = 45
        "c": new_request(urgency="immediate", threat_to_life=True),  # 30 + 30 + 50 = 110
        "d": new_request(threat="assessed"),  # 30 + 8 = 38
        "e": new_request(),  # 30 + 10 days = 40
        "g": new_request(),  # 30, older than a
        "accepted": new_request(urgency="immediate"),  # decided: not in the queue
        "elsewhere": new_request(gateway=gw.rocu2, urgency="immediate"),  # ROCU 2's queue
    }
    backdate(r["e"], submitted_at=10 * DAY)
    backdate(r["g"], submitted_at=dt.timedelta(hours=2))
    backdate(r["a"], submitted_at=dt.timedelta(hours=1))
    set_state(r["accepted"], "accepted")
    return r, now


def names(queue, r) -> list[str]:
    by_pk = {v.pk: k for k, v in r.items()}
    return [by_pk[x.pk] for x in queue]


def test_the_queue_sorts_by_score_then_age(gw, queue_world):
    r, now = queue_world
    assert names(services.queue(gw.officer1, now=now), r) == ["c", "b", "e", "d", "g", "a"]
    assert names(services.queue(gw.officer2, now=now), r) == ["elsewhere"]
    assert services.queue(gw.requester, now=now) == []
    assert services.queue(gw.officer1, organisation_id=gw.rocu2.pk, now=now) == []


def test_an_override_moves_a_request_and_none_takes_it_off(gw, queue_world):
    r, now = queue_world
    services.override(gw.officer1, r["a"], score=200, reason="Linked to a firearms job.")
    r["a"].refresh_from_db()
    assert (r["a"].override_score, r["a"].override_reason, r["a"].override_by) == (
        200,
        "Linked to a firearms job.",
        gw.officer1,
    )
    assert names(services.queue(gw.officer1, now=now), r) == ["a", "c", "b", "e", "d", "g"]
    services.override(gw.officer1, r["c"], score=0, reason="Covered by another team.")
    assert names(services.queue(gw.officer1, now=now), r)[-1] == "c"
    services.override(gw.officer1, r["a"], score=None, reason="The firearms job ended.")
    r["a"].refresh_from_db()
    assert (r["a"].override_score, r["a"].override_reason, r["a"].override_by) == (None, "", None)
    assert names(services.queue(gw.officer1, now=now), r) == ["b", "e", "d", "g", "a", "c"]


@pytest.mark.parametrize(
    ("score", "reason", "field"),
    [
        (50, "", "override_reason"),
        (50, "   ", "override_reason"),
        (None, "", "override_reason"),
        (-1, "Why", "override_score"),
        (1000, "Why", "override_score"),
        ("high", "Why", "override_score"),
    ],
)
def test_an_override_needs_a_reason_and_a_score_in_range(gw, new_request, score, reason, field):
    request = new_request()
    error = refused(
        ValidationError, services.override, gw.officer1, request, score=score, reason=reason
    )
    assert list(error.message_dict) == [field]


def test_the_order_survives_reassignment(gw, queue_world, make_user):
    r, now = queue_world
    services.override(gw.officer1, r["g"], score=100, reason="Requested by the chief officer.")
    before = names(services.queue(gw.officer1, now=now), r)
    colleague = make_user("rocu-north-east", "gateway_officer", username="gw-colleague")
    for key in ("a", "b", "c", "g"):
        services.assign(gw.officer1, r[key], colleague)
    assert (
        names(services.queue(gw.officer1, now=now), r)
        == before
        == [
            "c",
            "g",
            "b",
            "e",
            "d",
            "a",
        ]
    )
    assert names(services.queue(fresh(colleague), now=now), r) == before


# --- clocks ---------------------------------------------------------------------------------------


def test_time_paused_is_taken_off_the_decision_clock(gw, new_request):
    base = timezone.now()
    request = new_request()
    SupportRequest.objects.filter(pk=request.pk).update(submitted_at=base - 10 * DAY)
    request.refresh_from_db()
    add_pause(request, gw.officer1, base - 8 * DAY, base - 5 * DAY)
    running = services.decision_clock(request, base)
    assert (running.elapsed, running.paused, running.stopped) == (10 * DAY, 3 * DAY, False)
    services.decline(gw.officer1, request, reason="capacity", notes="No team.")
    request.refresh_from_db()
    decided = services.decision_clock(request, base + 30 * DAY)
    assert decided.stopped
    assert decided.paused == 3 * DAY
    assert decided.running == request.decided_at - request.submitted_at - 3 * DAY


def test_the_completion_clock_takes_off_every_pause_and_the_decision_clock_only_its_own(
    gw, new_request
):
    base = timezone.now()
    request = new_request()
    SupportRequest.objects.filter(pk=request.pk).update(submitted_at=base - 20 * DAY)
    request.refresh_from_db()
    add_pause(request, gw.officer1, base - 18 * DAY, base - 16 * DAY)  # 2 days, before deciding
    services.accept(gw.officer1, request, **accept_args(request))
    SupportRequest.objects.filter(pk=request.pk).update(decided_at=base - 12 * DAY)
    request.refresh_from_db()
    services.start(gw.officer1, request)
    add_pause(request, gw.officer1, base - 9 * DAY, base - 4 * DAY)  # 5 days, during the work
    in_progress = services.completion_clock(request, base)
    assert (in_progress.paused, in_progress.stopped) == (7 * DAY, False)
    services.complete(gw.officer1, request, outcome="Done.")
    request.refresh_from_db()
    completed = services.completion_clock(request)
    assert completed.stopped and completed.paused == 7 * DAY
    assert completed.running == request.completed_at - request.submitted_at - 7 * DAY
    decision = services.decision_clock(request)
    assert decision.paused == 2 * DAY and decision.elapsed == 8 * DAY


@pytest.mark.parametrize("name", ["decline", "refer", "withdraw"])
def test_nothing_to_complete_once_declined_referred_or_withdrawn(gw, new_request, name):
    request = new_request()
    assert services.completion_clock(request) is not None
    act(name, gw, request)
    request.refresh_from_db()
    assert services.completion_clock(request) is None
    assert services.decision_clock(request).stopped


@pytest.mark.parametrize("step", ["triage", "assign", "override"])
def test_paused_time_survives_triage_reassignment_and_override(gw, new_request, step):
    base = timezone.now()
    request = new_request()
    SupportRequest.objects.filter(pk=request.pk).update(submitted_at=base - 10 * DAY)
    request.refresh_from_db()
    add_pause(request, gw.officer1, base - 9 * DAY, base - 7 * DAY)
    add_pause(request, gw.officer1, base - 3 * DAY)  # still open
    before = services.decision_clock(request, base)
    pauses = list(RequestPause.objects.values())
    assert before.paused == 5 * DAY and before.waiting_now
    act(step, gw, request)
    request.refresh_from_db()
    assert list(RequestPause.objects.values()) == pauses
    after = services.decision_clock(request, base)
    assert (after.paused, after.running, after.waiting_now) == (5 * DAY, 5 * DAY, True)


@pytest.mark.parametrize(
    ("name", "answer"),
    [
        ("accept", "(closed by the decision)"),
        ("decline", "(closed by the decision)"),
        ("refer", "(closed by the decision)"),
        ("withdraw", "(withdrawn)"),
    ],
)
def test_a_decision_closes_an_open_pause(gw, new_request, name, answer):
    request = backdate(new_request(), submitted_at=3 * DAY)
    started = timezone.now() - 2 * DAY
    add_pause(request, gw.officer1, started)
    last = mark()
    act(name, gw, request)
    request.refresh_from_db()
    pause = request.pauses.get()
    decider = gw.requester if name == "withdraw" else gw.officer1
    assert (pause.ended_at, pause.ended_by, pause.answer) == (request.decided_at, decider, answer)
    clock = services.decision_clock(request)
    assert clock.paused == request.decided_at - started and not clock.waiting_now
    entries = since(last)
    closing = [e for e in entries if "pause" in e.changes]
    assert [(e.action, e.changes["pause"]["answer"]) for e in closing] == [("update", answer)]
    # The pause's entry, then the decision's (a referral first opens the new request).
    opened = ["create"] if name == "refer" else []
    assert [e.action for e in entries] == [*opened, "update", "transition"]


def test_completion_closes_an_open_pause(gw, new_request):
    request = set_state(new_request(), "in_progress")
    add_pause(request, gw.officer1, timezone.now() - DAY)
    services.complete(gw.officer1, request, outcome="Done.")
    request.refresh_from_db()
    pause = request.pauses.get()
    assert (pause.ended_at, pause.answer) == (request.completed_at, "(closed on completion)")


def test_pausing_and_answering(gw, new_request):
    request = new_request()
    error = refused(ValidationError, services.resume, gw.requester, request, answer="Here.")
    assert "not paused" in error.message_dict["answer"][0]
    error = refused(ValidationError, services.pause, gw.officer1, request, asked="  ")
    assert "asked" in error.message_dict
    last = mark()
    paused = services.pause(gw.officer1, request, asked="  Which vehicle?  ")
    assert (paused.asked, paused.started_by, paused.ended_at) == (
        "Which vehicle?",
        gw.officer1,
        None,
    )
    assert [e.action for e in since(last)] == ["update"]
    error = refused(ValidationError, services.pause, gw.officer1, request, asked="And the driver?")
    assert "already paused" in error.message_dict["asked"][0]
    error = refused(ValidationError, services.resume, gw.requester, request, answer=" ")
    assert "answer" in error.message_dict
    last = mark()
    services.resume(gw.requester, request, answer="  The blue van. ")
    paused.refresh_from_db()
    assert (paused.answer, paused.ended_by) == ("The blue van.", gw.requester)
    assert paused.ended_at is not None
    assert [e.action for e in since(last)] == ["update"]
    assert services.decision_clock(request).running < services.decision_clock(request).elapsed


# --- decisions overdue ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("urgency", "days_ago", "paused_days", "overdue"),
    [
        ("routine", 13, 0, False),
        ("routine", 15, 0, True),
        ("routine", 15, 3, False),
        ("urgent", 4, 0, True),
        ("urgent", 2, 0, False),
        ("immediate", 2, 0, True),
        ("immediate", 0.5, 0, False),
    ],
)
def test_a_decision_is_overdue_past_the_days_for_its_urgency(
    gw, new_request, urgency, days_ago, paused_days, overdue
):
    now = timezone.now()
    request = backdate(new_request(urgency=urgency), now, submitted_at=days_ago * DAY)
    if paused_days:
        add_pause(request, gw.officer1, now - 10 * DAY, now - (10 - paused_days) * DAY)
    assert services.is_decision_overdue(request, now) is overdue
    found = services.overdue_decisions(SupportRequest.objects.all(), now)
    assert [x.pk for x in found] == ([request.pk] if overdue else [])


def test_a_decided_request_is_never_overdue_and_the_days_are_configurable(
    gw, new_request, settings
):
    now = timezone.now()
    request = backdate(new_request(), now, submitted_at=20 * DAY)
    assert services.is_decision_overdue(request, now)
    settings.SOCMASTER = {**settings.SOCMASTER, "GATEWAY_DECISION_DAYS": {"routine": 21}}
    assert not services.is_decision_overdue(request, now)
    assert services.decision_days()["immediate"] == 1
    settings.SOCMASTER = {**settings.SOCMASTER, "GATEWAY_DECISION_DAYS": {}}
    set_state(request, "accepted")
    assert not services.is_decision_overdue(request, now)
    assert services.overdue_decisions(SupportRequest.objects.all(), now) == []


# --- referral --------------------------------------------------------------------------------------


def test_referral_closes_the_request_here_and_opens_one_there(gw, new_request):
    original = new_request(threat="assessed", handling="named", urgency="urgent")
    last = mark()
    received = services.refer(
        gw.officer1, original, to=gw.rocu2, reason="capacity", notes="  Yorkshire has a team. "
    )
    original.refresh_from_db()
    assert original.status == "referred"
    assert (original.referral_reason, original.decision_notes) == (
        "capacity",
        "Yorkshire has a team.",
    )
    assert original.referred_to == received and original.decided_by == gw.officer1
    assert received.status == "submitted" and received.owner == gw.rocu2
    assert received.reference != original.reference
    assert set(received.shared_with.all()) == {gw.force_a, gw.rocu1}
    same = (
        "capability_id",
        "requesting_organisation_id",
        "requested_by_id",
        "threat_id",
        "handling",
        *services.REQUEST_FIELDS,
    )
    assert {n: getattr(received, n) for n in same} == {n: getattr(original, n) for n in same}
    assert received.score_base == 30 + 8 + 15
    entries = since(last)
    assert [(e.action, e.record_id) for e in entries] == [
        ("create", str(received.pk)),
        ("transition", str(original.pk)),
    ]
    assert entries[0].reason == f"Referred from {original.reference}"
    # The requester and the referring gateway follow it; the receiving gateway decides it.
    requester, officer1, officer2 = gw.requester, gw.officer1, gw.officer2
    assert all(policy.can(u, "view", received) for u in (requester, officer1, officer2))
    assert services.can_decide(officer2, received) and not services.can_decide(officer1, received)
    assert not policy.can(gw.same_region, "view", received)  # named handling, kept
    services.accept(officer2, received, **accept_args(received))


def test_referral_to_the_nca(gw, new_request):
    received = services.refer(
        gw.officer1, new_request(), to=gw.nca, reason="jurisdiction", notes="National links."
    )
    assert received.owner == gw.nca
    assert services.can_decide(gw.nca_officer, received)


@pytest.mark.parametrize(
    ("to", "reason", "notes", "field", "message"),
    [
        ("rocu1", "capacity", "Why", "referred_to", "another ROCU or the NCA"),
        (None, "capacity", "Why", "referred_to", "another ROCU or the NCA"),
        ("force_b", "capacity", "Why", "referred_to", "does not offer"),
        ("rocu2", "bored", "Why", "referral_reason", "Choose why"),
        ("rocu2", "capacity", " ", "decision_notes", "Say why"),
    ],
)
def test_referral_refusals(gw, new_request, to, reason, notes, field, message):
    request = new_request()
    target = getattr(gw, to) if to else None
    error = refused(
        ValidationError, services.refer, gw.officer1, request, to=target, reason=reason, notes=notes
    )
    assert list(error.message_dict) == [field]
    assert message in error.message_dict[field][0]


def test_referral_only_to_a_gateway_offering_the_capability(gw, new_request):
    # Economic crime is offered by ROCU 1 alone.
    request = new_request("economic_crime")
    error = refused(
        ValidationError,
        services.refer,
        gw.officer1,
        request,
        to=gw.rocu2,
        reason="capacity",
        notes="Why",
    )
    assert error.message_dict["referred_to"] == [
        f"{gw.rocu2.name} does not offer {gw.capabilities['economic_crime'].name}."
    ]
    # An offer taken off the list no longer counts.
    request = new_request("rib")
    CapabilityOffer.objects.filter(organisation=gw.rocu2, capability__code="rib").update(
        active=False
    )
    refused(
        ValidationError,
        services.refer,
        gw.officer1,
        request,
        to=gw.rocu2,
        reason="capacity",
        notes="Why",
    )


# --- completion and its disruptions ----------------------------------------------------------------


def _disruption(user, threat, organisation):
    return disruption_services.record_disruption(
        user,
        threat,
        recording_organisation=organisation,
        event_date=TODAY,
        team="Op Synthetic",
        four_p="pursue",
        category="major",
        tactic=Tactic.objects.get(code="arrest"),
        narrative="Synthetic arrests.",
        evidence="Synthetic ref 1",
    )


def test_completion_links_only_disruptions_the_user_may_see(gw, new_request, org):
    seen = _disruption(gw.requester, gw.threats["assessed"], gw.force_a)
    hidden = _disruption(gw.other_region, gw.threats["hidden"], org("force-west-yorkshire"))
    request = set_state(new_request(threat="assessed"), "in_progress")
    error = refused(
        ValidationError,
        services.complete,
        gw.officer1,
        request,
        outcome="Done.",
        disruptions=[seen, hidden],
    )
    assert error.message_dict == {"disruptions": ["No such disruption."]}
    error = refused(ValidationError, services.complete, gw.officer1, request, outcome="  ")
    assert "outcome" in error.message_dict
    last = mark()
    services.complete(gw.officer1, request, outcome="Arrests.", disruptions=[seen])
    assert list(request.disruptions.all()) == [seen]
    assert [e.action for e in since(last)] == ["transition", "update"]


# --- withdrawal --------------------------------------------------------------------------------------


def test_withdrawal_needs_a_reason_and_keeps_an_earlier_decision(gw, new_request):
    request = new_request()
    error = refused(ValidationError, services.withdraw, gw.requester, request, reason="  ")
    assert "reason" in error.message_dict
    services.withdraw(gw.requester, request, reason="Suspects charged.")
    request.refresh_from_db()
    assert (request.status, request.decided_by) == ("withdrawn", gw.requester)
    accepted = new_request()
    services.accept(gw.officer1, accepted, **accept_args(accepted))
    accepted.refresh_from_db()
    decided = accepted.decided_at
    services.withdraw(gw.sio, accepted, reason="Suspects charged.")
    accepted.refresh_from_db()
    assert (accepted.status, accepted.decided_at, accepted.decided_by) == (
        "withdrawn",
        decided,
        gw.officer1,
    )


def test_the_requesting_organisation_of_a_referred_request_withdraws_it(gw, new_request):
    received = act("refer", gw, new_request())
    refused(PermissionDenied, services.withdraw, gw.officer1, received, reason="Not ours.")
    services.withdraw(gw.requester, received, reason="Charged.")


# --- submission ----------------------------------------------------------------------------------------


def test_a_submitted_request(gw, new_request):
    last = mark()
    request = new_request(
        threat="assessed",
        asked_for="  Surveillance  ",
        authorities=["chis", "directed_surveillance", "chis"],
    )
    assert request.reference.startswith("GW")
    assert (request.owner, request.requesting_organisation, request.requested_by) == (
        gw.rocu1,
        gw.force_a,
        gw.requester,
    )
    assert request.status == "submitted" and request.asked_for == "Surveillance"
    assert request.authorities == ["chis", "directed_surveillance"]
    assert list(request.shared_with.all()) == [gw.force_a]
    entries = since(last)
    assert [(e.action, e.record_id) for e in entries] == [("create", str(request.pk))]
    assert entries[0].changes["after"]["asked_for"] == "Surveillance"
    assert new_request().reference != request.reference


def submit(gw, user=None, **kwargs):
    args = {
        "capability": gw.capabilities["rib"],
        "gateway": gw.rocu1,
        "requesting_organisation": gw.force_a,
        "threat": gw.threats["unassessed"],
        "handling": "region",
    }
    values = request_values()
    for key, value in kwargs.items():
        (args if key in args else values)[key] = value
    return services.submit_request(user or gw.requester, **args, **values)


def test_submission_only_for_an_organisation_the_user_works_in(gw):
    refused(PermissionDenied, submit, gw, requesting_organisation=gw.force_b)
    refused(PermissionDenied, submit, gw, user=gw.inspector, requesting_organisation=gw.force_a)
    partner_org = Organisation.objects.get(key="partner-durham-county-council")
    refused(PermissionDenied, submit, gw, user=gw.partner, requesting_organisation=partner_org)
    submit(gw, user=gw.same_region, requesting_organisation=gw.force_b)


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"gateway": "force_b"}, "gateway", "does not offer"),
        ({"gateway": "rocu2", "capability": "economic_crime"}, "gateway", "does not offer"),
        ({"threat": "hidden"}, "threat", "No such threat."),
        ({"threat": None}, "threat_description", "describe it"),
        ({"threat": None, "threat_description": "  "}, "threat_description", "describe it"),
        ({"needed_to": TODAY + 13 * DAY}, "needed_to", "cannot be before"),
        ({"needed_to": "soon"}, "needed_to", "Give a date"),
        ({"needed_from": TODAY - 2 * DAY}, "needed_from", "in the past"),
        ({"needed_from": None}, "needed_from", "Give the date"),
        ({"authorities": ["directed_surveillance", "telepathy"]}, "authorities", "from the list"),
        ({"authorities": "chis"}, "authorities", "from the list"),
        ({"urgency": "yesterday"}, "urgency", "Choose an urgency"),
        ({"handling": "owner"}, "handling", "who may see"),
        ({"asked_for": " "}, "asked_for", "what is asked for"),
        ({"justification": ""}, "justification", "why"),
        ({"operation": "Op\x00Null"}, "operation", ""),
    ],
)
def test_submission_refusals(gw, kwargs, field, message):
    resolved = {}
    for key, value in kwargs.items():
        if key == "gateway":
            value = getattr(gw, value)
        elif key == "capability":
            value = gw.capabilities[value]
        elif key == "threat" and value is not None:
            value = gw.threats[value]
        resolved[key] = value
    error = refused(ValidationError, submit, gw, **resolved)
    assert field in error.message_dict
    assert message in " ".join(error.message_dict[field])


def test_a_threat_the_user_may_not_see_answers_like_a_missing_one(gw):
    error = refused(ValidationError, submit, gw, threat=gw.threats["hidden"])
    assert error.message_dict == {"threat": ["No such threat."]}


def test_an_inactive_capability_is_refused(gw):
    Capability.objects.filter(code="rib").update(active=False)
    gw.capabilities["rib"].refresh_from_db()
    error = refused(ValidationError, submit, gw)
    assert "capability" in error.message_dict


def test_unknown_fields_are_refused_by_name(gw):
    error = refused(ValidationError, submit, gw, status="accepted", score_base=99)
    assert set(error.message_dict) == {"status", "score_base"}


def test_a_request_for_the_nca_with_national_handling(gw):
    request = submit(gw, gateway=gw.nca, handling="national")
    assert (request.owner, request.handling) == (gw.nca, "national")


# --- the audit entries each step writes --------------------------------------------------------------

#: Hand-written: the entries each step writes (action, on the request or on the new one).
ENTRIES = {
    "triage": ("submitted", ["transition"]),
    "accept": ("triaged", ["transition"]),
    "decline": ("submitted", ["transition"]),
    "refer": ("submitted", ["create", "transition"]),
    "start": ("accepted", ["transition"]),
    "complete": ("in_progress", ["transition"]),
    "withdraw": ("submitted", ["transition"]),
    "pause": ("submitted", ["update"]),
    "override": ("submitted", ["update"]),
}


@pytest.mark.parametrize("step", list(ENTRIES))
def test_each_step_writes_its_audit_entries(gw, new_request, step):
    state, actions = ENTRIES[step]
    request = set_state(new_request(), state)
    last = mark()
    act(step, gw, request)
    entries = since(last)
    assert [e.action for e in entries] == actions
    assert all(e.record_type == "gateway.supportrequest" for e in entries)
    assert entries[-1].record_id == str(request.pk)


# --- capabilities and offers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("criteria", "problems"),
    [
        ({"kind": "tiers"}, ["Acceptance criteria are a list."]),
        (
            [{"kind": "telepathy"}],
            [
                "Criterion 1: unknown kind 'telepathy' (one of threat_required, tiers, "
                "notice_days, assessed, authorities)."
            ],
        ),
        (
            ["tiers"],
            [
                "Criterion 1: unknown kind None (one of threat_required, tiers, "
                "notice_days, assessed, authorities)."
            ],
        ),
        (
            [{"kind": "authorities"}, {"kind": "tiers", "tiers": [0, 2]}],
            ["Criterion 2: tiers are a list of numbers from 1 to 5."],
        ),
        (
            [{"kind": "tiers", "tiers": []}],
            ["Criterion 1: tiers are a list of numbers from 1 to 5."],
        ),
        (
            [{"kind": "tiers", "tiers": [6]}],
            ["Criterion 1: tiers are a list of numbers from 1 to 5."],
        ),
        (
            [{"kind": "tiers", "tiers": ["1"]}],
            ["Criterion 1: tiers are a list of numbers from 1 to 5."],
        ),
        (
            [{"kind": "notice_days", "days": -1}, {"kind": "notice_days", "days": 366}],
            [
                "Criterion 1: days is a whole number from 0 to 365.",
                "Criterion 2: days is a whole number from 0 to 365.",
            ],
        ),
        (
            [{"kind": "notice_days", "days": "5"}],
            ["Criterion 1: days is a whole number from 0 to 365."],
        ),
        ([{"kind": "notice_days"}], ["Criterion 1: days is a whole number from 0 to 365."]),
        (
            [
                {"kind": "threat_required"},
                {"kind": "tiers", "tiers": [1, 5]},
                {"kind": "notice_days", "days": 0},
                {"kind": "notice_days", "days": 365},
                {"kind": "assessed"},
                {"kind": "authorities"},
            ],
            [],
        ),
    ],
)
def test_criteria_problems(criteria, problems):
    assert services.criteria_problems(criteria) == problems


def test_the_default_criteria_are_valid(db):
    for capability in Capability.objects.all():
        assert services.criteria_problems(capability.acceptance_criteria) == [], capability.code


@pytest.mark.parametrize("who", ["rocu_admin", "officer1", "inspector", "requester"])
def test_only_national_administrators_maintain_capabilities(gw, who):
    user = gw.people[who]
    refused(PermissionDenied, services.create_capability, user, code="k9", name="Dog unit")
    refused(PermissionDenied, services.update_capability, user, gw.capabilities["rib"], name="RIB")


def test_creating_a_capability(gw):
    last = mark()
    capability = services.create_capability(
        gw.national_admin,
        code=" k9 ",
        name=" Dog unit ",
        criteria=[{"kind": "threat_required"}],
    )
    assert (capability.code, capability.name) == ("k9", "Dog unit")
    assert capability.acceptance_criteria == [{"kind": "threat_required"}]
    assert [(e.action, e.record_id) for e in since(last)] == [("create", str(capability.pk))]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"code": "", "name": "Dog unit"}, "code"),
        ({"code": "k9", "name": "  "}, "name"),
        ({"code": "rib", "name": "Dog unit"}, "name"),
        ({"code": "k9", "name": "Surveillance"}, "name"),
        ({"code": "k9", "name": "Dog unit", "criteria": [{"kind": "x"}]}, "acceptance_criteria"),
    ],
)
def test_capability_refusals(gw, kwargs, field):
    error = refused(ValidationError, services.create_capability, gw.national_admin, **kwargs)
    assert field in error.message_dict


def test_updating_a_capability(gw):
    rib = gw.capabilities["rib"]
    unchanged = db_state()
    services.update_capability(gw.national_admin, rib, name=rib.name, description=rib.description)
    assert db_state() == unchanged
    error = refused(ValidationError, services.update_capability, gw.national_admin, rib, code="new")
    assert error.message_dict == {"code": ["This field cannot be changed here."]}
    error = refused(
        ValidationError,
        services.update_capability,
        gw.national_admin,
        rib,
        acceptance_criteria=[{"kind": "tiers", "tiers": [9]}],
    )
    assert error.message_dict["acceptance_criteria"] == [
        "Criterion 1: tiers are a list of numbers from 1 to 5."
    ]
    last = mark()
    services.update_capability(gw.national_admin, rib, description=" Research. ", active=False)
    rib.refresh_from_db()
    assert (rib.description, rib.active) == ("Research.", False)
    [entry] = since(last)
    assert entry.action == "update"
    assert entry.changes["before"]["active"] is True and entry.changes["after"]["active"] is False


@pytest.mark.parametrize("name", ["", "  ", "Surveillance"])
def test_a_capability_cannot_be_renamed_to_nothing_or_to_another_one(gw, name):
    error = refused(
        ValidationError,
        services.update_capability,
        gw.national_admin,
        gw.capabilities["rib"],
        name=name,
    )
    assert "name" in error.message_dict


#: Hand-written: who maintains ROCU 1's offers, and ROCU 2's.
MAINTAINS_OFFERS = {
    "rocu_admin": (True, False),
    "national_admin": (True, True),
    "officer1": (False, False),
    "requester": (False, False),
    "inspector": (False, False),
}


@pytest.mark.parametrize("who", list(MAINTAINS_OFFERS))
def test_who_maintains_offers(gw, who):
    user = gw.people[who]
    for organisation, allowed in zip((gw.rocu1, gw.rocu2), MAINTAINS_OFFERS[who], strict=True):
        assert services.may_maintain_offers(user, organisation) is allowed
        offer = gw.offers[("rib", organisation.key)]
        kwargs = {
            "capability": gw.capabilities["economic_crime"],
            "organisation": organisation,
            "team": "Fraud team",
            "monthly_capacity": "12.5",
        }
        if allowed:
            created = services.create_offer(user, **kwargs)
            assert created.monthly_capacity == Decimal("12.5")
            services.update_offer(user, offer, monthly_capacity=30)
            offer.refresh_from_db()
            assert offer.monthly_capacity == 30
        else:
            refused(PermissionDenied, services.create_offer, user, **kwargs)
            refused(PermissionDenied, services.update_offer, user, offer, monthly_capacity=30)


def test_an_inspector_who_administers_a_rocu_maintains_no_offers(gw, org):
    user = gw.inspector
    Membership.objects.create(user=user, organisation=gw.rocu1, role="administrator")
    user = fresh(user)
    assert not services.may_maintain_offers(user, gw.rocu1)
    refused(
        PermissionDenied,
        services.update_offer,
        user,
        gw.offers[("rib", "rocu-north-east")],
        monthly_capacity=1,
    )


def test_offers_are_made_only_by_gateways_and_checked(gw):
    rib = gw.capabilities["rib"]
    error = refused(
        ValidationError,
        services.create_offer,
        gw.national_admin,
        capability=rib,
        organisation=gw.force_a,
        team="Force team",
        monthly_capacity=1,
    )
    assert "organisation" in error.message_dict
    existing = gw.offers[("rib", "rocu-north-east")]
    error = refused(
        ValidationError,
        services.create_offer,
        gw.rocu_admin,
        capability=rib,
        organisation=gw.rocu1,
        team=existing.team,
        monthly_capacity=1,
    )
    assert "team" in error.message_dict
    for bad in ({"team": " "}, {"monthly_capacity": "-1"}, {"monthly_capacity": "many"}, {}):
        values = {"team": "New team", "monthly_capacity": "3"} | bad
        if not bad:
            values.pop("monthly_capacity")
        refused(
            ValidationError,
            services.create_offer,
            gw.rocu_admin,
            capability=rib,
            organisation=gw.rocu1,
            **values,
        )
    last = mark()
    offer = services.create_offer(
        gw.rocu_admin, capability=rib, organisation=gw.rocu1, team=" New team ", monthly_capacity=3
    )
    assert offer.team == "New team"
    assert [(e.action, e.record_id) for e in since(last)] == [("create", str(offer.pk))]


def test_updating_an_offer(gw):
    offer = gw.offers[("rib", "rocu-north-east")]
    unchanged = db_state()
    services.update_offer(gw.rocu_admin, offer, team=offer.team, monthly_capacity="20.0")
    assert db_state() == unchanged
    error = refused(ValidationError, services.update_offer, gw.rocu_admin, offer, organisation=1)
    assert error.message_dict == {"organisation": ["This field cannot be changed here."]}
    for bad in ({"monthly_capacity": "-1"}, {"team": ""}, {"capacity_unit": "furlongs"}):
        error = refused(ValidationError, services.update_offer, gw.rocu_admin, offer, **bad)
        assert set(error.message_dict) == set(bad)
    other = services.create_offer(
        gw.rocu_admin,
        capability=offer.capability,
        organisation=gw.rocu1,
        team="Second team",
        monthly_capacity=1,
    )
    error = refused(ValidationError, services.update_offer, gw.rocu_admin, other, team=offer.team)
    assert "team" in error.message_dict
    last = mark()
    services.update_offer(gw.rocu_admin, offer, capacity_unit="officer_days", active=False)
    offer.refresh_from_db()
    assert (offer.capacity_unit, offer.active) == ("officer_days", False)
    [entry] = since(last)
    assert entry.action == "update" and entry.changes["after"]["capacity_unit"] == "officer_days"
    assert list(services.offers_of(offer.capability, gw.rocu1.pk)) == [other]


def test_the_capability_owner_works_in_the_offering_organisation(gw):
    offer = gw.offers[("rib", "rocu-north-east")]
    for outsider in (gw.officer2, gw.requester):
        error = refused(
            ValidationError, services.update_offer, gw.rocu_admin, offer, capability_owner=outsider
        )
        assert "capability_owner" in error.message_dict
    error = refused(
        ValidationError,
        services.create_offer,
        gw.national_admin,
        capability=offer.capability,
        organisation=gw.rocu2,
        team="Second team",
        monthly_capacity=1,
        capability_owner=gw.officer1,
    )
    assert "capability_owner" in error.message_dict
    services.update_offer(gw.rocu_admin, offer, capability_owner=gw.officer1)
    offer.refresh_from_db()
    assert offer.capability_owner == gw.officer1
    services.update_offer(gw.rocu_admin, offer, capability_owner=None)
    offer.refresh_from_db()
    assert offer.capability_owner is None


def test_gateways_for_a_capability(gw):
    assert services.gateways_for(gw.capabilities["rib"]) == sorted(
        [gw.rocu1, gw.rocu2, gw.nca], key=lambda o: o.name
    )
    assert services.gateways_for(gw.capabilities["economic_crime"]) == [gw.rocu1]
    assert services.gateways_for(Capability.objects.get(code="marsoc")) == []

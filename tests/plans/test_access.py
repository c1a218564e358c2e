"""Who may see and change a 4P plan, its actions and reviews.

The expected answers are written out by hand (not computed from the policy), and the querysets,
the rights functions in ``plans.services`` and the service calls themselves must all agree.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from socmaster.plans import services
from socmaster.plans.models import Plan, PlanAction, PlanReview
from socmaster.threats.models import Threat

pytestmark = pytest.mark.django_db

OK, DENIED, HIDDEN = "ok", "403", "404"
EVERY_SECTION = {
    "aim",
    "objectives",
    "intelligence_gaps",
    "linked_plans",
    "other_actions",
    "reviews",
}
SHOWN_TO_PARTNERS = ["aim", "objectives"]
ALL_FIELDS = {
    "four_p",
    "description",
    "owner_user",
    "owner_organisation",
    "start_date",
    "due_date",
    "status",
    "result",
}
HOLDER_FIELDS = {"status", "result", "start_date"}


def today() -> dt.date:
    return timezone.localdate()


#: The threat is owned by Durham Constabulary (North East) with handling "region". The plan has a
#: Pursue action held by a Durham analyst and a Protect action held by Durham County Council.
#:
#: who: (sees the plan, sees all of it, actions seen, sections seen,
#:       change the plan, change the council action's status/result, its description,
#:       rights on the council action, rights on the police action, reviewer role, record a review)
TABLE = {
    "lro": (True, True, "all", "every", OK, OK, OK, ALL_FIELDS, ALL_FIELDS, None, DENIED),
    "sro": (True, True, "all", "every", OK, OK, OK, ALL_FIELDS, ALL_FIELDS, "sro", OK),
    "analyst": (True, True, "all", "every", OK, OK, OK, ALL_FIELDS, ALL_FIELDS, None, DENIED),
    "sio": (True, True, "all", "every", OK, OK, OK, ALL_FIELDS, ALL_FIELDS, None, DENIED),
    "chief": (True, True, "all", "every", OK, OK, OK, ALL_FIELDS, ALL_FIELDS, "chief_officer", OK),
    "neighbour": (True, True, "all", "every", DENIED, DENIED, DENIED, set(), set(), None, DENIED),
    "far": (False, False, "none", None, HIDDEN, HIDDEN, HIDDEN, set(), set(), None, HIDDEN),
    "partner": (
        True,
        False,
        "own",
        "chosen",
        DENIED,
        OK,
        DENIED,
        HOLDER_FIELDS,
        set(),
        None,
        DENIED,
    ),
    "other_partner": (
        False,
        False,
        "none",
        None,
        HIDDEN,
        HIDDEN,
        HIDDEN,
        set(),
        set(),
        None,
        HIDDEN,
    ),
    "inspector": (True, True, "all", "every", DENIED, DENIED, DENIED, set(), set(), None, DENIED),
}
WHO = {
    "lro": "the threat's LRO",
    "sro": "the threat's SRO (a Durham analyst)",
    "analyst": "an analyst of the owning force",
    "sio": "an SIO of the owning force",
    "chief": "a chief officer of the owning force",
    "neighbour": "an analyst of Cleveland Police (same region)",
    "far": "an analyst of West Yorkshire Police (another region)",
    "partner": "a user of Durham County Council, which holds an action",
    "other_partner": "a user of Middlesbrough Council, which holds none",
    "inspector": "an HMICFRS inspector",
}


@pytest.fixture
def people(make_user):
    return {
        "lro": make_user("force-durham", "lro", username="lro"),
        "sro": make_user("force-durham", "analyst", username="sro"),
        "analyst": make_user("force-durham", "analyst", username="analyst"),
        "sio": make_user("force-durham", "sio", username="sio"),
        "chief": make_user("force-durham", "chief_officer", username="chief"),
        "neighbour": make_user("force-cleveland", "analyst", username="cleveland"),
        "far": make_user("force-west-yorkshire", "analyst", username="wy"),
        "partner": make_user("partner-durham-county-council", "partner_user", username="council"),
        "other_partner": make_user(
            "partner-middlesbrough-council", "partner_user", username="boro"
        ),
        "inspector": make_user("hmicfrs", "inspector", username="insp"),
    }


@pytest.fixture
def setting(people, org, make_user):
    """The threat, its plan and its two actions."""
    threat = Threat.objects.create(
        reference="ACC-1",
        name="Harbour network",
        owner=org("force-durham"),
        threat_type="ocg",
        handling="region",
        lro=people["lro"],
        sro=people["sro"],
    )
    plan = services.create_plan(
        people["lro"],
        threat,
        aim="Dismantle the network.",
        pursue_objectives="Charge the principals.",
        intelligence_gaps="Who launders the cash?",
        partner_sections=SHOWN_TO_PARTNERS,
    )
    police = services.add_action(
        people["lro"],
        plan,
        four_p="pursue",
        description="Obtain the billing.",
        owner_user=people["analyst"],
        start_date=today(),
        due_date=today() + dt.timedelta(days=30),
    )
    council = services.add_action(
        people["lro"],
        plan,
        four_p="protect",
        description="Visit the cuckooed tenants.",
        owner_organisation=org("partner-durham-county-council"),
        start_date=today(),
        due_date=today() + dt.timedelta(days=20),
    )
    # another plan nobody here holds an action in, to show visible_to filters by plan
    elsewhere = Threat.objects.create(
        reference="ACC-X", name="x", owner=org("force-kent"), threat_type="ocg", handling="owner"
    )
    other_plan = services.create_plan(
        make_user("force-kent", "analyst"), elsewhere, aim="Elsewhere."
    )
    return {
        "threat": threat,
        "plan": Plan.objects.get(pk=plan.pk),
        "police": police,
        "council": council,
        "other_plan": other_plan,
    }


def outcome(call) -> str:
    try:
        call()
    except Http404:
        return HIDDEN
    except PermissionDenied:
        return DENIED
    return OK


@pytest.mark.parametrize("who", list(TABLE))
def test_access_table(people, setting, who):
    (
        sees,
        full,
        actions_seen,
        sections,
        edit,
        status,
        describe,
        council_rights,
        police_rights,
        role,
        review,
    ) = TABLE[who]
    user, plan = people[who], setting["plan"]
    council, police = setting["council"], setting["police"]
    note = WHO[who]

    # reading
    assert Plan.objects.visible_to(user).filter(pk=plan.pk).exists() is sees, note
    assert services.may_view(user, plan) is sees, note
    assert services.has_full_view(user, plan) is full, note
    expected_actions = {"all": {police.pk, council.pk}, "own": {council.pk}, "none": set()}
    seen = set(PlanAction.objects.visible_to(user).filter(plan=plan).values_list("pk", flat=True))
    assert seen == expected_actions[actions_seen], note
    if sections == "every":
        assert services.visible_partner_sections(user, plan) == EVERY_SECTION, note
    elif sections == "chosen":
        assert services.visible_partner_sections(user, plan) == set(SHOWN_TO_PARTNERS), note
    assert (setting["other_plan"] in Plan.objects.visible_to(user)) is (who == "inspector"), note

    # rights
    assert services.may_edit(user, plan) is (edit == OK), note
    assert set(services.action_rights(user, council)) == council_rights, note
    assert set(services.action_rights(user, police)) == police_rights, note
    assert services.reviewer_role(user, plan) == role, note

    # the services agree
    assert (
        outcome(lambda: services.update_plan(user, plan, intelligence_gaps=f"gap ({who})")) == edit
    ), note
    assert (
        outcome(
            lambda: services.update_action(
                user, council, status="in_progress", result=f"Visited ({who})"
            )
        )
        == status
    ), note
    assert (
        outcome(lambda: services.update_action(user, council, description=f"By {who}")) == describe
    ), note
    assert (
        outcome(
            lambda: services.add_action(
                user, plan, four_p="prevent", description="Refer to diversion."
            )
        )
        == edit
    ), note
    assert (
        outcome(lambda: services.record_review(user, plan, outcome="good", comments="Reviewed."))
        == review
    ), note
    assert outcome(lambda: services.new_version(user, Plan.objects.get(pk=plan.pk))) == edit, note

    stored = PlanAction.objects.get(pk=council.pk)
    assert (stored.result == f"Visited ({who})") is (status == OK), note
    assert (stored.description == f"By {who}") is (describe == OK), note
    assert PlanReview.objects.filter(reviewer=user).exists() is (review == OK), note


@pytest.fixture
def partner(people):
    return people["partner"]


def test_partner_changes_status_result_and_start_of_its_own_action(partner, setting, people):
    council, plan = setting["council"], setting["plan"]
    services.update_action(
        partner, council, start_date=today() - dt.timedelta(days=1), status="in_progress"
    )
    with pytest.raises(ValidationError) as exc:
        services.update_action(partner, council, status="complete")
    assert list(exc.value.message_dict) == ["result"]
    services.update_action(
        partner, council, status="complete", result="Two tenants moved to safe housing."
    )
    stored = PlanAction.objects.get(pk=council.pk)
    assert (stored.status, stored.completed_on, stored.updated_by) == ("complete", today(), partner)
    assert stored.start_date == today() - dt.timedelta(days=1)
    assert Plan.objects.get(pk=plan.pk).updated_by == partner
    # a form may send the other fields back unchanged
    services.update_action(
        partner,
        council,
        description=council.description,
        due_date=council.due_date,
        result="Three tenants moved.",
    )
    assert PlanAction.objects.get(pk=council.pk).result == "Three tenants moved."


@pytest.mark.parametrize(
    "field",
    ["description", "due_date", "owner_organisation", "owner_user", "four_p", "disruptions"],
)
def test_partner_may_not_change_the_rest_of_its_action(partner, setting, people, org, field):
    council = setting["council"]
    values = {
        "description": "Something else.",
        "due_date": today() + dt.timedelta(days=90),
        "owner_organisation": org("partner-middlesbrough-council"),
        "owner_user": people["partner"],
        "four_p": "prevent",
        "disruptions": [],
    }
    with pytest.raises(PermissionDenied) as exc:
        services.update_action(partner, council, status="in_progress", **{field: values[field]})
    assert f"not {field.replace('_', ' ')}" in str(exc.value)
    stored = PlanAction.objects.get(pk=council.pk)
    assert (stored.status, stored.description, stored.four_p) == (
        "not_started",
        "Visit the cuckooed tenants.",
        "protect",
    )
    assert stored.owner_organisation == org("partner-durham-county-council")


def test_partner_may_not_change_another_organisations_action(partner, setting):
    # Hidden from the partner (not shown to them), so it answers like a missing record.
    with pytest.raises(Http404):
        services.update_action(partner, setting["police"], status="complete", result="Done.")
    assert PlanAction.objects.get(pk=setting["police"].pk).status == "not_started"


def test_partner_sees_what_the_lro_chooses(partner, setting, people):
    plan = setting["plan"]
    assert services.visible_partner_sections(partner, plan) == {"aim", "objectives"}
    services.update_plan(people["lro"], plan, partner_sections=["reviews", "linked_plans"])
    assert services.visible_partner_sections(partner, Plan.objects.get(pk=plan.pk)) == {
        "reviews",
        "linked_plans",
    }
    services.update_plan(people["lro"], plan, partner_sections=[])
    assert services.visible_partner_sections(partner, Plan.objects.get(pk=plan.pk)) == set()
    # the owning force always sees every section, whatever partners are shown
    assert services.visible_partner_sections(people["analyst"], plan) == EVERY_SECTION


def test_partner_sees_the_whole_plan_when_the_threat_is_shared_with_it(partner, setting, org):
    setting["threat"].shared_with.add(org("partner-durham-county-council"))
    plan = Plan.objects.get(pk=setting["plan"].pk)
    assert services.has_full_view(partner, plan)
    assert services.visible_partner_sections(partner, plan) == EVERY_SECTION
    assert not services.may_edit(partner, plan)
    assert set(services.action_rights(partner, setting["police"])) == set()


def test_holding_an_action_on_a_superseded_version(partner, setting, people):
    old_council = setting["council"]
    services.new_version(people["lro"], setting["plan"])
    with pytest.raises(ValidationError) as exc:
        services.update_action(partner, old_council, status="in_progress")
    assert "superseded" in exc.value.message_dict["status"][0]
    assert services.action_rights(partner, PlanAction.objects.get(pk=old_council.pk)) == ()
    current = PlanAction.objects.get(carried_from=old_council)
    services.update_action(partner, current, status="in_progress")
    assert PlanAction.objects.get(pk=current.pk).status == "in_progress"


def test_owner_only_threat(people, setting, org):
    Threat.objects.filter(pk=setting["threat"].pk).update(handling="owner")
    plan = Plan.objects.get(pk=setting["plan"].pk)
    neighbour, partner = people["neighbour"], people["partner"]
    assert not Plan.objects.visible_to(neighbour).filter(pk=plan.pk).exists()
    with pytest.raises(Http404):
        services.update_plan(neighbour, plan, aim="x")
    with pytest.raises(Http404):
        services.record_review(neighbour, plan, outcome="good", comments="x")
    # the partner holding an action still sees the plan through that action, and may update it
    assert Plan.objects.visible_to(partner).filter(pk=plan.pk).exists()
    assert not services.has_full_view(partner, plan)
    services.update_action(partner, setting["council"], status="in_progress")
    assert services.record_review(people["sro"], plan, outcome="good", comments="ok").pk


def test_a_person_named_on_an_action_in_another_region_sees_the_plan(people, setting):
    far, plan = people["far"], setting["plan"]
    action = services.add_action(
        people["lro"],
        plan,
        four_p="prepare",
        owner_user=far,
        description="Brief the West Yorkshire lines desk.",
    )
    assert Plan.objects.visible_to(far).filter(pk=plan.pk).exists()
    assert services.may_view(far, plan) and not services.has_full_view(far, plan)
    assert set(
        PlanAction.objects.visible_to(far).filter(plan=plan).values_list("pk", flat=True)
    ) == {action.pk}
    assert set(services.action_rights(far, action)) == HOLDER_FIELDS
    assert services.action_rights(far, setting["council"]) == ()
    services.update_action(far, action, status="in_progress")
    with pytest.raises(PermissionDenied):
        services.update_plan(far, plan, aim="x")


def test_inactive_users_see_nothing(people, setting):
    user = people["analyst"]
    user.is_active = False
    user.save()
    assert not Plan.objects.visible_to(user).exists()
    assert not PlanAction.objects.visible_to(user).exists()


def test_inactive_holder_of_an_action_may_not_change_it(partner, setting):
    partner.is_active = False
    partner.save()
    plan, council = setting["plan"], setting["council"]
    assert not Plan.objects.visible_to(partner).exists()  # the querysets agree already
    assert not services.may_view(partner, plan)
    assert services.action_rights(partner, council) == ()
    with pytest.raises(Http404):
        services.update_action(partner, council, status="in_progress")


def test_partners_shown_other_actions_can_open_them(partner, setting, people):
    services.update_plan(people["lro"], setting["plan"], partner_sections=["other_actions"])
    plan = Plan.objects.get(pk=setting["plan"].pk)
    assert "other_actions" in services.visible_partner_sections(partner, plan)
    assert set(PlanAction.objects.visible_to(partner).filter(plan=plan)) == {
        setting["police"],
        setting["council"],
    }

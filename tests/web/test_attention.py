"""The home page's attention list per role: what each figure counts, that it counts only what
the user may see, that its link opens a list of exactly the records counted, urgent figures
first, zero figures under "Nothing else needs you", and a bounded number of queries."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from socmaster.assessments import services as assessment_services
from socmaster.assessments.models import Assessment
from socmaster.core import audit, registry
from socmaster.core.choices import AuditAction
from socmaster.disruptions.models import Disruption, Standard
from socmaster.plans.models import Plan, PlanAction
from socmaster.threats.models import Threat

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()
NOW = timezone.now()


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


@pytest.fixture
def people(make_user):
    return {
        "lro": make_user("force-durham", "lro", username="att-lro"),
        "chief": make_user("force-durham", "chief_officer", username="att-chief"),
        "recorder": make_user("force-durham", "analyst", username="att-recorder"),
        "moderator": make_user("rocu-north-east", "moderator", username="att-moderator"),
        "assessor": make_user("rocu-north-east", "rocta_assessor", username="att-assessor"),
        "partner": make_user("partner-durham-county-council", "partner_user", username="att-pt"),
        "kent": make_user("force-kent", "lro", username="att-kent"),
        "inspector": make_user("hmicfrs", "inspector", username="att-insp"),
        "gateway": make_user("rocu-north-east", "gateway_officer", username="att-gateway"),
    }


def _plan(threat, author, *, written_days_ago=0):
    plan = Plan.objects.create(threat=threat, author=author, aim="Dismantle the group.")
    Plan.objects.filter(pk=plan.pk).update(created_at=NOW - dt.timedelta(days=written_days_ago))
    return plan


def _action(plan, *, due, status="not_started", user=None, organisation=None, p="pursue"):
    return PlanAction.objects.create(
        plan=plan,
        four_p=p,
        description=f"{p} action due {due}",
        owner_user=user,
        owner_organisation=organisation,
        start_date=days(-60),
        due_date=due,
        status=status,
    )


def _assessment(threat, assessor, version, *, status, review_due=None, submitted_days_ago=0):
    return Assessment.objects.create(
        threat=threat,
        version_number=version,
        scheme=assessment_services.current_scheme(),
        score=Decimal("50"),
        tier=3,
        evidence_from=days(-300),
        evidence_to=days(-20),
        review_due=review_due or days(90),
        status=status,
        assessor=assessor,
        submitted_at=NOW - dt.timedelta(days=submitted_days_ago),
    )


_serial = iter(range(1, 1000))


def _disruption(threat, recorder, organisation, *, status, waiting_days=0):
    d = Disruption.objects.create(
        reference=f"ATT-D{next(_serial)}",
        threat=threat,
        standard=Standard.objects.get(is_current=True),
        event_date=days(-10),
        recording_organisation=organisation,
        four_p="pursue",
        category="major",
        status=status,
        recorder=recorder,
    )
    Disruption.objects.filter(pk=d.pk).update(updated_at=NOW - dt.timedelta(days=waiting_days))
    return d


@pytest.fixture
def world(people, org):
    """Durham's threats (one the LRO leads, shared with the council; one owner-only they lead;
    one nobody leads) and a Kent owner-only threat that names the Durham LRO but that they may not
    see: every figure must leave it out."""
    durham, council, kent = (
        org("force-durham"),
        org("partner-durham-county-council"),
        org("force-kent"),
    )
    lro, chief = people["lro"], people["chief"]
    led = Threat.objects.create(
        reference="ATT-1",
        name="Harbour",
        owner=durham,
        handling="region",
        lro=lro,
        moderation_status="moderated",
    )
    led.shared_with.add(council)
    own = Threat.objects.create(
        reference="ATT-2",
        name="Quarry",
        owner=durham,
        handling="owner",
        lro=lro,
        moderation_status="moderated",
    )
    unled = Threat.objects.create(reference="ATT-3", name="Mill", owner=durham, handling="region")
    hidden = Threat.objects.create(
        reference="ATT-K", name="Kent", owner=kent, handling="owner", lro=lro
    )

    plan = _plan(led, lro, written_days_ago=100)  # review was due 10 days ago
    _action(plan, due=days(-5), user=lro)  # overdue, held by the LRO
    _action(plan, due=days(-2), organisation=council, p="protect")  # overdue, held by the council
    _action(plan, due=days(3), user=lro, p="prevent")  # due soon, held by the LRO
    _action(plan, due=days(-900), user=lro, status="complete", p="prepare")  # long done
    _action(plan, due=days(-800), user=lro, status="cancelled", p="prepare")  # long cancelled
    _plan(own, lro, written_days_ago=1)  # its review is not due
    _plan(unled, chief, written_days_ago=200)  # due, but on a threat the LRO does not lead
    kent_plan = _plan(hidden, people["kent"], written_days_ago=200)
    # Hidden: the plan's threat names the Durham LRO, but they may not see it (and do not hold it).
    _action(kent_plan, due=days(-5), user=people["kent"])

    assessor = people["assessor"]
    _assessment(own, assessor, 1, status="moderated", review_due=days(-7))  # past review
    _assessment(led, assessor, 1, status="submitted", submitted_days_ago=5)  # waiting
    edited = _assessment(unled, assessor, 1, status="submitted", submitted_days_ago=9)
    audit.record(AuditAction.UPDATE, edited, user=people["moderator"])  # they changed it
    _assessment(unled, assessor, 2, status="moderated", review_due=days(-3))  # not the LRO's
    _assessment(hidden, people["kent"], 1, status="submitted", submitted_days_ago=30)  # not theirs
    # A moderator never moderates their own work, whatever the region.
    _assessment(led, people["moderator"], 2, status="submitted", submitted_days_ago=20)

    recorder = people["recorder"]
    _disruption(led, recorder, durham, status="returned")  # to the recorder and the LRO
    _disruption(unled, recorder, durham, status="returned")  # to the recorder only
    _disruption(led, recorder, durham, status="submitted", waiting_days=3)
    _disruption(led, recorder, durham, status="approved")
    _disruption(hidden, people["kent"], kent, status="returned")  # hidden from the Durham LRO
    _disruption(led, people["moderator"], durham, status="submitted", waiting_days=8)  # their own
    changed = _disruption(unled, recorder, durham, status="submitted", waiting_days=6)
    audit.record(AuditAction.UPDATE, changed, user=people["moderator"])  # they changed it
    _gateway_requests(people, durham)
    _meeting_actions(people, durham)
    return {"led": led, "own": own, "unled": unled, "hidden": hidden}


def _gateway_requests(people, durham):
    """Synthetic gateway requests, about no threat on the master list (so no LRO's exception):
    at the North East ROCU one waiting past its limit, one just in and one paused to ask the
    recorder; and one at Yorkshire's gateway, which the North East officer may not see."""
    from socmaster.gateway import services as gateway
    from socmaster.gateway.models import Capability, CapabilityOffer, SupportRequest
    from socmaster.organisations.models import Organisation

    rib = Capability.objects.get(code="rib")
    rocus = [
        Organisation.objects.get(key=k)
        for k in ("rocu-north-east", "rocu-yorkshire-and-the-humber")
    ]
    for rocu in rocus:
        CapabilityOffer.objects.create(
            capability=rib, organisation=rocu, team="RIB", monthly_capacity=10
        )

    def ask(rocu):
        return gateway.submit_request(
            people["recorder"],
            capability=rib,
            gateway=rocu,
            requesting_organisation=durham,
            threat_description="A synthetic crew not yet on the master list.",
            asked_for="Synthetic research",
            justification="Synthetic",
            needed_from=days(10),
        )

    late = ask(rocus[0])
    SupportRequest.objects.filter(pk=late.pk).update(submitted_at=NOW - dt.timedelta(days=20))
    ask(rocus[0])
    paused = ask(rocus[0])
    gateway.triage(people["gateway"], paused)
    gateway.pause(people["gateway"], paused, asked="Synthetic: which town?")
    ask(rocus[1])


def _meeting_actions(people, durham):
    """A Durham tasking meeting held ten days ago gave the LRO three actions (synthetic): one
    past its due date, one due later and one past its date but done."""
    from socmaster.tasking.services import meetings

    meeting = meetings.create_meeting(
        people["chief"],
        level="force",
        owner=durham,
        body="Durham tasking and co-ordination group",
        held_on=days(-10),
        chair=people["chief"],
        attendees=[people["lro"]],
    ).meeting
    item = meetings.add_item(people["chief"], meeting, title="Harbour crew")
    for due in (days(-3), days(5), days(-2)):
        action = meetings.add_action(
            people["chief"], item, description=f"Due {due}", owner=people["lro"], due_on=due
        )
    meetings.close_action(people["lro"], action, outcome="Done before its date.")


def figures(user) -> dict[str, registry.AttentionCount]:
    return {item.key: figure for item, figure in registry.attention_for(user)}


#: Per role, the attention figures the home page shows and their counts.
EXPECTED = {
    "lro": {
        "my-actions-overdue": 1,
        "my-actions-due": 1,
        "meeting-actions-overdue": 1,  # the overdue meeting action they own
        "led-actions-overdue": 2,
        "assessments-past-review": 1,
        "reviews-due": 1,
        "returned-disruptions": 1,
        "my-exceptions": None,  # checked against the report below
        "debriefs-due": 0,  # an LRO may come to own debriefs (none is due in this world)
        "linkage-lro-links": 0,  # an LRO: told of new links to their threats' nominals
        "linkage-review": 0,  # and a reviewer of matches
    },
    "chief": {
        "my-actions-overdue": 0,
        "my-actions-due": 0,
        "meeting-actions-overdue": 0,
        "reviews-due": 2,
        "returned-disruptions": 0,
        "organisation-exceptions": None,
    },
    "recorder": {
        "my-actions-overdue": 0,
        "my-actions-due": 0,
        "meeting-actions-overdue": 0,
        "returned-disruptions": 2,
        "linkage-review": 0,  # an analyst reviews matches
        "linkage-access-requests": 0,  # and answers other organisations' access requests
        "gateway-waiting-on-you": 1,  # the gateway asked them a question
    },
    "moderator": {
        "my-actions-overdue": 0,
        "my-actions-due": 0,
        "meeting-actions-overdue": 0,
        "returned-disruptions": 0,
        "assessment-queue": 1,
        "disruption-queue": 1,
    },
    "partner": {
        "my-actions-overdue": 1,
        "my-actions-due": 0,
        "meeting-actions-overdue": 0,
        "returned-disruptions": 0,
    },
    "kent": {
        "my-actions-overdue": 1,  # the action they hold in their force's plan
        "my-actions-due": 0,
        "meeting-actions-overdue": 0,
        "led-actions-overdue": 0,
        "assessments-past-review": 0,
        "reviews-due": 0,
        "returned-disruptions": 1,
        "my-exceptions": None,
        "debriefs-due": 0,
        "linkage-lro-links": 0,
        "linkage-review": 0,
    },
    "inspector": {"my-actions-overdue": 0, "my-actions-due": 0},
    "gateway": {
        "my-actions-overdue": 0,
        "my-actions-due": 0,
        "meeting-actions-overdue": 0,
        "returned-disruptions": 0,
        "gateway-overdue": 1,  # the one submitted 20 days ago (routine: 14 days allowed)
        "gateway-triage": 2,  # it and the one just in; not the paused one, triaged already
        "debriefs-due": 0,  # a gateway officer owns the debriefs of the requests they complete
    },
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_each_role_sees_its_own_figures(world, people, role):
    shown = figures(people[role])
    assert set(shown) == set(EXPECTED[role])
    for key, count in EXPECTED[role].items():
        if count is not None:
            assert shown[key].count == count, key


def test_exceptions_count_only_the_threats_the_lro_may_see_and_leads(world, people):
    # ATT-1's assessment is still waiting for moderation and ATT-2's is past its review date,
    # and ATT-2, an OCG, has no approved disruption; ATT-3 is not theirs, and the Kent threat
    # (no plan, no assessment) is hidden from them.
    assert figures(people["lro"])["my-exceptions"].count == 3
    assert (
        "Active OCGs with no recent disruption: 1" in figures(people["lro"])["my-exceptions"].detail
    )
    assert (
        "Threats without a moderated assessment: 1"
        in figures(people["lro"])["my-exceptions"].detail
    )
    # The Kent LRO may see the Kent threat but does not lead it.
    assert figures(people["kent"])["my-exceptions"].count == 0


def _rows_on(client, url: str) -> int:
    """How many records the linked page lists (every page of it)."""
    body = client.get(url).content.decode()
    total = re.search(r'data-testid="exceptions-total">(\d+)<', body)
    if total:
        rows = body.count('data-testid="exception-row"')
        assert rows == int(total.group(1)), url  # every item fits the first page here
        return rows
    for marker in (
        "action-row",
        "review-row",
        "queue-row",
        "disruption-row",
        "request-row",
        "debrief-row",
    ):
        if f'data-testid="{marker}"' in body:
            return body.count(f'data-testid="{marker}"')
    return 0


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_every_figure_links_to_exactly_the_records_it_counts(world, people, web, role):
    user = people[role]
    client = web(user)
    for key, figure in figures(user).items():
        assert _rows_on(client, figure.url) == figure.count, (key, figure.url)


def test_the_home_page_shows_urgent_figures_first_then_the_rest(world, people, web):
    body = web(people["lro"]).get("/").content.decode()
    # Every figure of theirs is above zero but the matching ones (no SARs in this world).
    needs, nothing = body.split('data-testid="nothing-else"')
    assert re.findall(r'data-testid="count-([^"]+)"', nothing) == [
        "linkage-lro-links",
        "debriefs-due",
        "linkage-review",
    ]
    order = re.findall(r'data-testid="count-([^"]+)"', needs)
    urgent = re.findall(r'data-testid="urgent-([^"]+)"', needs)
    assert urgent == order[: len(urgent)]
    assert set(urgent) == {
        "my-actions-overdue",
        "led-actions-overdue",
        "assessments-past-review",
        "reviews-due",
        "returned-disruptions",
        "meeting-actions-overdue",
    }
    assert "my-actions-due" in order and "my-actions-due" not in urgent
    assert 'data-testid="detail-my-actions-overdue">oldest due' in needs
    assert "(5 days ago)" in needs
    assert 'data-testid="detail-reviews-due">1 overdue<' in needs


def test_zero_figures_are_listed_under_nothing_else(world, people, web):
    body = web(people["recorder"]).get("/").content.decode()
    needs, nothing = body.split('data-testid="nothing-else"')
    assert 'data-testid="count-returned-disruptions">2<' in needs
    assert "count-my-actions-overdue" in nothing and "count-my-actions-overdue" not in needs
    assert "count-my-actions-due" in nothing


def test_moderators_see_the_age_of_the_oldest_item_in_each_queue(world, people, web):
    body = web(people["moderator"]).get("/").content.decode()
    assert 'data-testid="count-assessment-queue">1<' in body
    assert 'data-testid="detail-assessment-queue">oldest waiting 5 days<' in body
    assert 'data-testid="count-disruption-queue">1<' in body
    assert 'data-testid="detail-disruption-queue">oldest waiting 3 days<' in body


def test_the_queues_hold_exactly_what_the_moderator_may_moderate(world, people):
    from socmaster.disruptions import services as disruption_services

    moderator = people["moderator"]
    for queue, may in (
        (assessment_services.moderation_queue(moderator), assessment_services.may_moderate),
        (disruption_services.moderation_queue(moderator), disruption_services.may_moderate),
    ):
        model = queue.model
        submitted = model.objects.filter(status="submitted")
        assert {r.pk for r in queue} == {r.pk for r in submitted if may(moderator, r)}
    # The assessment they changed and the Kent one (another region) are left out.
    assert assessment_services.moderation_queue(moderator).count() == 1
    assert not assessment_services.moderation_queue(people["assessor"]).exists()


def test_partners_see_no_police_only_figures(world, people, web):
    body = web(people["partner"]).get("/").content.decode()
    counts = re.findall(r'data-testid="count-([^"]+)"', body)
    assert not [c for c in counts if "exceptions" in c or "queue" in c or "review" in c]


def test_the_home_page_takes_a_bounded_number_of_queries(
    world, people, web, make_user, org, django_assert_max_num_queries
):
    # Someone in every role that adds figures: LRO, chief officer and moderator at once.
    user = people["lro"]
    from socmaster.organisations.models import Membership

    Membership.objects.create(user=user, organisation=org("force-durham"), role="chief_officer")
    Membership.objects.create(user=user, organisation=org("rocu-north-east"), role="moderator")
    client = web(user)
    client.get("/")
    # The figures, the menu, one query for the user's compartments (core.policy), and the
    # exceptions' intelligence counts: reports past their service level and high-risk reports
    # untriaged among the LRO's threats' reports, and those two and SARs past their service
    # level in the chief officer's organisation (five); 58 with the matching figures (new links
    # to the LRO's threats' nominals, and the review queue: one count each); 64 with the
    # gateway's (the requests waiting on the user's answer, and the exceptions' gateway checks
    # in both scopes: the overdue candidates, their pauses where there are any, and a count of
    # the unassessed); 69 with the debriefs' (the owner's figure in one query, and a count each
    # of the overdue and the cancelled debriefs in both scopes of the exceptions); 70 with the
    # meetings' (the user's overdue meeting actions, in one query).
    with django_assert_max_num_queries(70):
        client.get("/")
    # Ten more threats, plans and overdue actions: still the same bound (a check that finds
    # something may add one query for its rows, never one per record).
    for n in range(10):
        threat = Threat.objects.create(
            reference=f"ATT-X{n}", name="More", owner=org("force-durham"), lro=user
        )
        _action(_plan(threat, user, written_days_ago=120), due=days(-1), user=user)
    with django_assert_max_num_queries(70):
        client.get("/")

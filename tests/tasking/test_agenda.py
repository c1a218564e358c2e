"""The agenda a new meeting is built with: each kind of item from the data (synthetic), the
period since the previous meeting of the same body, the open actions carried from earlier
meetings, the registry other apps add to, and a query count that does not grow with the data."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from socmaster.assessments import services as assessment_services
from socmaster.assessments.models import Assessment
from socmaster.core import registry
from socmaster.core.models import AuditEntry
from socmaster.core.registry import AgendaEntry, AgendaSource
from socmaster.disruptions.models import Disruption, Standard, Tactic
from socmaster.gateway import services as gateway_services
from socmaster.gateway.models import Capability, CapabilityOffer, SupportRequest
from socmaster.plans.models import Plan, PlanReview
from socmaster.tasking.models import AgendaItem, Meeting, MeetingAction
from socmaster.tasking.services import meetings as services
from socmaster.threats.models import Phase, Threat
from tests.tasking import meetings_world
from tests.tasking.meetings_world import BODY, TODAY, days, moment

pytestmark = pytest.mark.django_db
world = meetings_world.world  # the fixture


def _titles(built, kind):
    return [i.title for i in built.meeting.items.filter(kind=kind).order_by("position")]


# --- the period --------------------------------------------------------------------------------


def test_a_first_meeting_covers_the_last_three_months(world):
    meeting = world.regional(dt.date(2026, 5, 31)).meeting
    assert meeting.since == dt.date(2026, 2, 28)  # three months before, the month's last day
    assert meeting.previous is None


def test_the_period_runs_from_the_previous_meeting_of_the_same_body(world):
    earlier = world.regional(days(-40)).meeting
    previous = world.regional(days(-12)).meeting
    # Another body of the same ROCU, and a same-named body of another organisation, meet in
    # between: neither is this body's previous meeting.
    world.regional(days(-5), body="North East serious violence board")
    services.create_meeting(
        world.durham,
        level="force",
        owner=world.org("force-durham"),
        body=BODY,
        held_on=days(-3),
        chair=world.durham,
    )
    meeting = world.regional(TODAY).meeting
    assert meeting.previous == previous and meeting.since == days(-12)
    assert previous.previous == earlier
    # Written differently, it is still the same body.
    again = world.regional(days(7), body=BODY.upper()).meeting
    assert again.previous == meeting


def test_new_threats_are_those_since_the_previous_meeting(world):
    world.regional(days(-10))
    world.threat(name="Opened long ago", opened_on=days(-100))
    world.threat(name="Opened since", opened_on=days(-3))
    recorded = world.threat(name="Recorded since, no opening date")
    old = world.threat(name="Recorded before, no opening date")
    Threat.objects.filter(pk=old.pk).update(created_at=moment(-30))
    world.threat("force-west-yorkshire", name="Opened since in another region", opened_on=days(-1))
    built = world.regional(TODAY)
    titles = _titles(built, "new_threats")
    assert {t.split(" ", 1)[1] for t in titles} == {
        "Opened since",
        "Recorded since, no opening date",
    }
    assert recorded.reference in " ".join(titles)


# --- each kind of item ---------------------------------------------------------------------------


def test_top_threats_by_priority_score_within_the_region_and_what_the_creator_may_see(world):
    world.threat(name="Second", score=700, tier=1)
    world.threat("force-cleveland", name="First", score=900, tier=1)
    world.threat(name="Third", score=500, tier=2)
    world.threat(name="No score")
    world.threat("force-west-yorkshire", name="Other region", score=999, handling="national")
    world.threat(name="Durham only", score=950, handling="owner")  # the ROCU may not see it
    closed = Phase.objects.filter(name__contains="Closed").first()
    world.threat(name="Closed", score=990, phase=closed)
    built = world.regional(top_n=2)
    titles = _titles(built, "top_threats")
    assert [t.split(" ", 1)[1] for t in titles] == ["First", "Second"]
    item = built.meeting.items.get(kind="top_threats", position=1)
    assert item.record_type == "threats.threat" and item.threat.name == "First"
    assert "Tier 1" in item.detail and "score 900.00" in item.detail


def _moderated(threat, tier, moderated_at, version):
    scheme = assessment_services.current_scheme()
    return Assessment.objects.create(
        threat=threat,
        version_number=version,
        scheme=scheme,
        score=Decimal("100"),
        tier=tier,
        evidence_from=days(-300),
        evidence_to=days(-20),
        review_due=days(200),
        status="moderated",
        assessor=threat.lro or threat.owner.memberships.first().user,
        moderated_at=moderated_at,
    )


def test_tier_rises_and_falls_since_the_previous_meeting(world):
    world.regional(days(-10))
    rose = world.threat(name="Rose", lro=world.durham_lro)
    fell = world.threat(name="Fell", lro=world.durham_lro)
    first = world.threat(name="First assessment", lro=world.durham_lro)
    before = world.threat(name="Moved before", lro=world.durham_lro)
    _moderated(rose, 3, moment(-60), 1)
    _moderated(rose, 2, moment(-2), 2)
    _moderated(fell, 2, moment(-60), 1)
    _moderated(fell, 4, moment(-1), 2)
    _moderated(first, 1, moment(-1), 1)  # no earlier tier: neither a rise nor a fall
    _moderated(before, 3, moment(-90), 1)
    _moderated(before, 1, moment(-20), 2)  # before the previous meeting
    built = world.regional(TODAY)
    assert [t.split(" ", 1)[1] for t in _titles(built, "tier_rises")] == ["Rose"]
    assert [t.split(" ", 1)[1] for t in _titles(built, "tier_falls")] == ["Fell"]
    detail = built.meeting.items.get(kind="tier_rises").detail
    assert detail.startswith("Tier 3 to Tier 2, moderated")


def test_threats_without_an_lro_or_a_plan(world):
    led = world.threat(name="Led, with a plan", lro=world.durham_lro)
    Plan.objects.create(threat=led, author=world.durham_lro, aim="Dismantle.")
    world.threat(name="Nobody leads it", score=10)
    planless = world.threat(name="Led, no plan", lro=world.durham_lro)
    closed = world.threat(name="Closed, nobody leads it")
    Threat.objects.filter(pk=closed.pk).update(closed_on=days(-1))
    built = world.regional()
    assert [t.split(" ", 1)[1] for t in _titles(built, "no_lro")] == ["Nobody leads it"]
    assert {t.split(" ", 1)[1] for t in _titles(built, "no_plan")} == {
        "Nobody leads it",
        planless.name,
    }


def test_plan_reviews_overdue(world):
    overdue = world.threat(name="Never reviewed", lro=world.durham_lro)
    plan = Plan.objects.create(threat=overdue, author=world.durham_lro, aim="Dismantle.")
    Plan.objects.filter(pk=plan.pk).update(created_at=moment(-200), review_frequency_days=90)
    fresh = world.threat(name="Reviewed lately", lro=world.durham_lro)
    reviewed = Plan.objects.create(threat=fresh, author=world.durham_lro, aim="Dismantle.")
    Plan.objects.filter(pk=reviewed.pk).update(created_at=moment(-200))
    PlanReview.objects.create(
        plan=reviewed,
        reviewer=world.chair,
        reviewer_role="chief_officer",
        reviewed_on=days(-10),
        outcome="good",
        comments="Synthetic review.",
    )
    built = world.regional()
    items = list(built.meeting.items.filter(kind="plan_reviews_overdue"))
    assert [i.title for i in items] == [
        f"{overdue.reference} Never reviewed: 4P plan review overdue"
    ]
    assert items[0].record_type == "plans.plan" and items[0].record_id == plan.pk
    assert items[0].threat == overdue
    assert "never reviewed since" in items[0].detail


@pytest.fixture
def gateway(world):
    """The ROCU's intelligence bureau offer (no acceptance criteria), and a request maker."""
    rib = Capability.objects.get(code="rib")
    CapabilityOffer.objects.create(
        capability=rib, organisation=world.org("rocu-north-east"), team="RIB", monthly_capacity=10
    )

    def request(threat, **values):
        defaults = {
            "asked_for": "Research into a synthetic group's associates.",
            "justification": "Synthetic justification.",
            "needed_from": days(7),
            "urgency": "routine",
        }
        return gateway_services.submit_request(
            world.durham,
            capability=rib,
            gateway=world.org("rocu-north-east"),
            requesting_organisation=world.org("force-durham"),
            threat=threat,
            **(defaults | values),
        )

    return request


def test_gateway_requests_awaiting_a_decision_the_overdue_first_and_marked(world, gateway):
    threat = world.threat(name="Supported")
    recent = gateway(threat)
    late = gateway(threat)
    SupportRequest.objects.filter(pk=late.pk).update(submitted_at=moment(-20))
    decided = gateway(threat)
    gateway_services.decline(world.officer, decided, reason="criteria", notes="Not met.")
    built = world.regional()
    items = list(built.meeting.items.filter(kind="gateway_awaiting").order_by("position"))
    assert [i.record_id for i in items] == [late.pk, recent.pk]
    assert items[0].detail.startswith("Overdue: waiting 20 days for a decision (limit 14 days")
    assert items[1].detail.startswith("Waiting 0 days")
    assert items[0].record_type == "gateway.supportrequest" and items[0].threat == threat


def test_unmet_demand_since_the_previous_meeting(world, gateway):
    world.regional(days(-10))
    threat = world.threat(name="Asked for")
    for reason in ("capacity", "capacity", "criteria"):
        gateway_services.decline(world.officer, gateway(threat), reason=reason, notes="Synthetic.")
    old = gateway(threat)
    gateway_services.decline(world.officer, old, reason="capacity", notes="Synthetic.")
    SupportRequest.objects.filter(pk=old.pk).update(decided_at=moment(-30))  # before the period
    built = world.regional(TODAY)
    items = list(built.meeting.items.filter(kind="gateway_unmet"))
    assert [i.title for i in items] == [
        "Regional intelligence bureau at NEROCU: 2 requests not met for lack of capacity"
    ]
    assert items[0].figure and items[0].record_type == "" and items[0].threat is None
    assert items[0].detail.startswith("2 declined, 0 referred elsewhere")


def _disruption(threat, recorder, *, category, status="approved", moderated_at=None):
    n = Disruption.objects.count() + 1
    return Disruption.objects.create(
        reference=f"TCG-D{n}",
        threat=threat,
        standard=Standard.objects.get(is_current=True),
        event_date=days(-5),
        recording_organisation=threat.owner,
        four_p="pursue",
        category=category,
        tactic=Tactic.objects.get(code="arrest"),
        status=status,
        recorder=recorder,
        moderated_at=moderated_at or moment(-1),
    )


def test_significant_disruptions_approved_since_the_previous_meeting(world):
    world.regional(days(-10))
    threat = world.threat(name="Disrupted")
    major = _disruption(threat, world.durham, category="major")
    _disruption(threat, world.durham, category="minor")
    _disruption(threat, world.durham, category="major", status="submitted")
    _disruption(threat, world.durham, category="major", moderated_at=moment(-40))
    built = world.regional(TODAY)
    items = list(built.meeting.items.filter(kind="significant_disruptions"))
    assert [i.record_id for i in items] == [major.pk]
    assert items[0].title == f"{major.reference}: Arrest against {threat.reference} Disrupted"
    assert items[0].threat == threat and items[0].record_type == "disruptions.disruption"


def test_exceptions_are_figures_with_their_own_sections_left_out(world):
    world.threat(name="Unmoderated", lro=world.durham_lro)  # no moderated assessment
    world.threat(name="Unled")  # no LRO: its own section, not a figure
    built = world.regional()
    titles = _titles(built, "exceptions")
    assert "Threats without a moderated assessment: 2" in titles
    assert not [t for t in titles if t.startswith("Active threats without an LRO")]
    items = built.meeting.items.filter(kind="exceptions")
    assert all(i.figure and not i.record_type for i in items)


def test_a_kind_with_more_records_than_the_limit_lists_the_limit_and_counts_the_rest(
    world, settings, monkeypatch
):
    monkeypatch.setattr(services, "AGENDA_ITEM_LIMIT", 3)
    for n in range(5):
        world.threat(name=f"Unled {n}", score=n)
    titles = _titles(world.regional(), "no_lro")
    assert len(titles) == 4 and titles[-1] == "And 2 more threats without an LRO"


def test_the_creation_reports_how_many_items_of_each_kind(world):
    world.threat(name="Unled", score=5)
    built = world.regional(complete=False)
    counts = {kind: n for kind, _section, n in built.counts}
    assert counts["no_lro"] == 1 and counts["top_threats"] == 1 and counts["tier_rises"] == 0
    assert built.pending == ["exceptions"] and "exceptions" not in counts
    assert sum(counts.values()) + 1 == built.meeting.items.count()  # and the placeholder


def test_a_background_section_is_a_placeholder_until_its_task_works_it_out(world):
    world.threat(name="Unmoderated", lro=world.durham_lro)
    world.threat(name="Also unmoderated", lro=world.durham_lro)
    built = world.regional(complete=False)
    meeting = built.meeting
    placeholder = meeting.items.get(kind="exceptions")
    assert placeholder.pending and placeholder.figure and placeholder.section == "Exceptions"
    with pytest.raises(ValidationError) as excinfo:  # nothing is recorded on a placeholder
        services.record_decision(world.chair, placeholder, text="Too early")
    assert excinfo.value.message_dict == {"item": ["This section is still being worked out."]}
    last = services.add_item(world.chair, meeting, title="Any other business")
    services.move_item(world.chair, last, "up")  # now just above the placeholder's section end
    position = AgendaItem.objects.get(pk=placeholder.pk).position
    before = AuditEntry.objects.count()
    counts = services.complete_agenda(meeting)
    figures = list(meeting.items.filter(kind="exceptions").order_by("position"))
    titles = [f.title for f in figures]
    # OCGs with no recent disruption too, both of them.
    assert titles == [
        "Threats without a moderated assessment: 2",
        "Active OCGs with no recent disruption: 2",
    ]
    assert counts == {"exceptions": 2}
    assert figures[0].position == position and not any(f.pending for f in figures)
    positions = list(meeting.items.order_by("position").values_list("position", flat=True))
    assert positions == list(range(1, len(positions) + 1))
    entry = AuditEntry.objects.order_by("-seq").first()
    assert AuditEntry.objects.count() == before + 1 and entry.changes["agenda"] == counts
    assert services.complete_agenda(meeting) == {}  # done already: nothing more
    assert AuditEntry.objects.count() == before + 1


def test_the_background_task_completes_the_agenda(world):
    from socmaster.tasking.meeting_tasks import complete_meeting_agenda

    world.threat(name="Unmoderated", lro=world.durham_lro)
    meeting = world.regional(complete=False).meeting
    result = complete_meeting_agenda.enqueue(meeting.pk)  # tests run tasks as they are enqueued
    assert result.return_value == "exceptions: 2"  # unmoderated, and no recent disruption
    assert not meeting.items.filter(pending=True).exists()


# --- carried actions -------------------------------------------------------------------------------


def _action(meeting, owner, description, **values):
    item = services.add_item(world_secretary(meeting), meeting, title=f"Item for {description}")
    return services.add_action(
        world_secretary(meeting),
        item,
        description=description,
        owner=owner,
        due_on=meeting.held_on,
        **values,
    )


def world_secretary(meeting):
    return meeting.created_by


def test_open_actions_carry_to_the_next_meeting_of_the_same_body(world):
    first = world.regional(days(-30)).meeting
    open_one = _action(first, world.durham, "Brief the force")
    done = _action(first, world.durham, "Done already")
    services.close_action(world.durham, done, outcome="Briefed all synthetic teams.")
    second = world.regional(days(-15)).meeting
    later = _action(second, world.durham, "Raised at the second")
    other = world.regional(days(-14), body="Another group").meeting
    _action(other, world.durham, "Another group's")

    third = world.regional(TODAY).meeting
    carrier = third.items.get(kind="carried_actions")
    assert carrier.position == 1 and carrier.section == "Actions carried from earlier meetings"
    # The same rows, not copies: open ones from both earlier meetings of this body only.
    assert set(carrier.carried.all()) == {open_one, later}
    assert MeetingAction.objects.count() == 4
    assert services.carries(third, open_one) and not services.carries(third, done)
    # The second meeting carried the first's open action too; closing it at the third is
    # recorded there, and it is carried no further.
    assert services.carries(second, open_one)
    services.close_action(world.secretary, open_one, outcome="Force briefed.", at=third)
    open_one.refresh_from_db()
    assert open_one.closed_in == third and open_one.status == "done"
    fourth = world.regional(days(14)).meeting
    assert set(fourth.items.get(kind="carried_actions").carried.all()) == {later}


def test_no_carried_item_when_nothing_is_open(world):
    world.regional(days(-30))
    meeting = world.regional(TODAY).meeting
    assert not meeting.items.filter(kind="carried_actions").exists()


# --- the registry -----------------------------------------------------------------------------------


@pytest.fixture
def isolated_sources(monkeypatch):
    monkeypatch.setattr(registry, "_AGENDA_SOURCES", dict(registry._AGENDA_SOURCES))


def test_the_apps_register_their_agenda_sources_in_order():
    assert [s.key for s in registry.agenda_sources()] == [
        "top_threats",
        "new_threats",
        "tier_rises",
        "tier_falls",
        "no_lro",
        "no_plan",
        "plan_reviews_overdue",
        "gateway_awaiting",  # registered by the gateway itself
        "gateway_unmet",
        "significant_disruptions",
        "exceptions",
    ]


def test_a_registered_source_adds_its_section_in_its_order(world, isolated_sources):
    seen = []

    def build(scope):
        seen.append((scope.level, scope.organisation.key, scope.region.key, scope.user))
        threat = Threat.objects.visible_to(scope.user).get(name="Released")
        return [AgendaEntry.about(threat, "Subject due for release", "Synthetic", threat=threat)]

    world.threat(name="Released", score=5)
    registry.register_agenda_source(
        AgendaSource("releases", "Subjects due for release", 150, build, ("threats.threat",))
    )
    meeting = world.regional().meeting
    assert seen == [("regional", "rocu-north-east", "region-north-east", world.secretary)]
    kinds = list(dict.fromkeys(meeting.items.order_by("position").values_list("kind", flat=True)))
    assert kinds.index("releases") == kinds.index("top_threats") + 1  # 100 < 150 < 200
    assert kinds.index("new_threats") == kinds.index("releases") + 1
    assert meeting.items.get(kind="releases").section == "Subjects due for release"


def test_an_entry_about_an_undeclared_model_is_refused_and_nothing_is_written(
    world, isolated_sources
):
    def build(scope):
        threat = Threat.objects.get(name="Any")
        return [AgendaEntry.about(threat, "Undeclared", threat=threat)]

    world.threat(name="Any")
    registry.register_agenda_source(AgendaSource("sloppy", "Sloppy", 50, build))
    with pytest.raises(ImproperlyConfigured):
        world.regional()
    assert not Meeting.objects.exists() and not AgendaItem.objects.exists()


def test_an_item_about_a_restricted_record_carries_only_its_title(world):
    world.threat(name="Named only", score=80, handling="named", shared=("rocu-north-east",))
    item = world.regional().meeting.items.get(kind="top_threats")
    assert item.title.endswith("Named only")
    assert item.detail == registry.RESTRICTED_DETAIL


# --- query counts ------------------------------------------------------------------------------------


def _data(world, gateway, n):
    """``n`` of everything each source reads, all in the period."""
    for i in range(n):
        threat = world.threat(
            name=f"Bulk {i}", score=i, tier=2, lro=world.durham_lro if i % 2 else None
        )
        _moderated(threat, 3, moment(-60), 1)
        _moderated(threat, 2 if i % 2 else 4, moment(-1), 2)
        plan = Plan.objects.create(threat=threat, author=world.durham_lro, aim="Synthetic.")
        Plan.objects.filter(pk=plan.pk).update(created_at=moment(-200))
        _disruption(threat, world.durham, category="major")
        gateway_services.decline(world.officer, gateway(threat), reason="capacity", notes="Full.")
        late = gateway(threat)
        SupportRequest.objects.filter(pk=late.pk).update(submitted_at=moment(-30))


def test_building_the_agenda_takes_the_same_queries_whatever_the_data(world, gateway, monkeypatch):
    # Three records of each kind are listed one by one (and a figure counts the rest), so both
    # agendas hold as many items, however many records there are behind them.
    monkeypatch.setattr(services, "AGENDA_ITEM_LIMIT", 3)
    _data(world, gateway, 8)
    world.regional(body="Warming up", top_n=3, complete=False)  # memberships, read once

    def count(body):  # each body's first meeting: both cover the last three months
        with CaptureQueriesContext(connection) as ctx:
            built = world.regional(body=body, top_n=3, complete=False)
        return len(ctx.captured_queries), built

    small, built_small = count("Small group")
    _data(world, gateway, 18)
    large, built_large = count("Large group")
    assert built_small.counts == built_large.counts  # the same shape of agenda
    more = built_large.meeting.items.filter(title__startswith="And ").values_list(
        "title", flat=True
    )
    assert "And 10 more threats without an LRO" in set(more)  # 13 records behind 3 items
    assert small == large

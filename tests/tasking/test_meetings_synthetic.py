"""Synthetic tasking and co-ordination meetings (``synth.meetings``): the pure plan (the same for
the same seed, drawn from its own random source, a year of meetings for every group, agendas
and actions valid as the tasking app defines them, ground truth that recounts), and once loaded
the product finding exactly what the truth says: meetings per group, open and carried actions,
and each owner's overdue actions as the home page and the actions list count them. All of it
is invented."""

from __future__ import annotations

import copy
import datetime as dt
import json
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from django.utils import timezone

from socmaster import synth
from socmaster.core.registry import RESTRICTED_DETAIL, attention_items
from socmaster.organisations.models import User
from socmaster.synth import meetings as plan_module
from socmaster.synth.meetings import (
    CARRIED,
    CHAIR,
    LISTED,
    MEETINGS_PER_BODY,
    NEW,
    NO_LRO,
    SECTIONS,
    TOP,
    meetings_plan,
)
from socmaster.tasking import agenda as product_agenda
from socmaster.tasking import choices
from socmaster.tasking.models import AgendaItem, Decision, Meeting, MeetingAction
from socmaster.tasking.services import meetings as services
from socmaster.web import synthetic

DATA = (
    Path(__file__).resolve().parents[2]
    / "src"
    / "socmaster"
    / "organisations"
    / "data"
    / "organisations.json"
)
#: The order of the sections on an agenda (the carried actions first, other business last).
ORDER = [CARRIED, TOP, NEW, NO_LRO, CHAIR]


@pytest.fixture(scope="module")
def orgs():
    rows = json.loads(DATA.read_text())["organisations"]
    return [
        synth.OrgSpec(
            o["key"], o["name"], o["type"], o["key"] if o["type"] == "region" else o.get("region")
        )
        for o in rows
    ]


@pytest.fixture(scope="module")
def dataset(orgs):
    """A tenth of the national master list, every organisation staffed: every group meets."""
    return synth.generate("0.1", 11, orgs, disruptions=0)


@pytest.fixture(scope="module")
def plan(dataset):
    return dataset.meetings


@pytest.fixture(scope="module")
def demo(orgs):
    return synth.generate("demo", 3, orgs, disruptions=0)


# --- the pure plan -------------------------------------------------------------------------------


def test_the_plan_is_deterministic_for_a_seed_and_kept_by_generate(dataset, plan, orgs):
    assert plan is not None and dataset.truth["meetings"] == plan.truth
    before = copy.deepcopy((dataset.threats, dataset.users, dataset.truth))
    again = meetings_plan(dataset, orgs)
    assert again == plan
    # It reads the dataset and changes nothing in it.
    assert (dataset.threats, dataset.users, dataset.truth) == before
    other = meetings_plan(synth.generate("0.1", 12, orgs, disruptions=0), orgs)
    assert other.meetings != plan.meetings


def test_the_plan_draws_from_its_own_random_source(dataset, orgs, monkeypatch):
    """Without the meetings the rest of the dataset is exactly what it was."""
    monkeypatch.setattr(
        plan_module, "meetings_plan", lambda *a, **k: plan_module.MeetingPlan([], {})
    )
    without = synth.generate("0.1", 11, orgs, disruptions=0)
    assert without.threats == dataset.threats and without.users == dataset.users
    assert without.gateway == dataset.gateway
    assert {k: v for k, v in without.truth.items() if k != "meetings"} == {
        k: v for k, v in dataset.truth.items() if k != "meetings"
    }


def test_the_plan_imports_no_django():
    code = "import sys, socmaster.synth.meetings; print('django' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_copies_are_the_tasking_apps_own():
    sources = {s.key: s.title for s in product_agenda.SOURCES}
    for kind in (TOP, NEW, NO_LRO):
        assert SECTIONS[kind] == sources[kind]
    assert (CARRIED, SECTIONS[CARRIED]) == (choices.CARRIED_ACTIONS, choices.CARRIED_ACTIONS_TITLE)
    assert (CHAIR, SECTIONS[CHAIR]) == (choices.CHAIR_ITEM, choices.CHAIR_ITEM_TITLE)
    assert plan_module.RESTRICTED_DETAIL == RESTRICTED_DETAIL
    assert plan_module.FIRST_MEETING_MONTHS == choices.FIRST_MEETING_MONTHS
    assert all(1 <= n <= choices.MAX_TOP_THREATS for n in plan_module.TOP_N.values())
    assert plan_module.LISTED <= choices.AGENDA_ITEM_LIMIT


def test_every_group_meets_monthly_for_a_year(dataset, plan, orgs, demo):
    by_key = {o.key: o for o in orgs}
    regions_with_rocu = {o.region_key for o in orgs if o.type == "rocu"}
    forces = {o.key for o in orgs if o.type == "force"}
    bodies = plan.truth["bodies"]
    owners = Counter((b["owner"], b["level"]) for b in bodies.values())
    # A regional group per ROCU (London has none) and a force group per force, each once.
    assert {k for k, level in owners if level == "regional"} == {
        o.key for o in orgs if o.type == "rocu"
    }
    assert {k for k, level in owners if level == "force"} == forces
    assert set(owners.values()) == {1}
    assert len(regions_with_rocu) == 9 and len(bodies) == 9 + len(forces)
    today = dataset.today
    by_body = defaultdict(list)
    for m in plan.meetings:
        by_body[m.body].append(m)
    for name, meetings in by_body.items():
        assert len(meetings) == MEETINGS_PER_BODY == bodies[name]["meetings"]
        days = [m.held_on for m in meetings]
        assert days == sorted(days) and len(set(d.day for d in days)) == 1
        assert all(25 <= (b - a).days <= 31 for a, b in zip(days, days[1:], strict=False))
        assert today - dt.timedelta(days=366) < days[0] and days[-1] < today + dt.timedelta(days=21)
        # Held, but for the latest, a draft agenda when it is still to come.
        assert all(m.status == "held" and m.held_on < today for m in meetings[:-1])
        latest = meetings[-1]
        assert latest.status == ("held" if latest.held_on < today else "draft")
        # Chaired by the owner's chief officer (for a ROCU, its head), the same all year.
        owner = by_key[meetings[0].owner_key]
        assert {m.chair for m in meetings} == {f"syn-{owner.key}-chief_officer-1"}
        if owner.type == "rocu":
            region = by_key[owner.region_key].name
            assert name == f"{region} regional tasking and co-ordination group"
            assert all(m.level == "regional" for m in meetings)
        else:
            assert owner.type == "force" and all(m.level == "force" for m in meetings)
    statuses = Counter(m.status for m in plan.meetings)
    assert statuses["held"] > statuses["draft"] > 0
    # The demo: the demo region's group and its three forces'.
    assert sorted(demo.truth["meetings"]["bodies"]) == [
        "Cleveland Police tasking and co-ordination group",
        "Durham Constabulary tasking and co-ordination group",
        "North East regional tasking and co-ordination group",
        "Northumbria Police tasking and co-ordination group",
    ]
    assert demo.truth["meetings"]["meetings"] == 4 * MEETINGS_PER_BODY


def _open_on(threat, day):
    return threat.opened_on <= day and (threat.closed_on is None or threat.closed_on > day)


def test_every_agenda_is_one_the_product_could_have_built(dataset, plan, orgs):
    by_key = {o.key: o for o in orgs}
    threats = {t.reference: t for t in dataset.threats}
    users = {u.username: u for u in dataset.users}
    previous_of = {}
    for m in plan.meetings:
        owner = by_key[m.owner_key]
        assert m.handling == "region" and m.created_by == f"syn-{owner.key}-analyst-1"
        assert m.chair in users and all(u in users for u in m.attendees)
        if m.previous is None:
            assert m.since == plan_module.months_before(m.held_on, 3)
        else:
            before = previous_of[m.previous]
            assert (before.body, before.held_on) == (m.body, m.since)
        previous_of[m.number] = m
        # Partners attend regional groups only: the meeting is shared with their organisations.
        if m.level == "force":
            assert not m.shared_with
        for key in m.shared_with:
            assert by_key[key].type in ("local_partner", "government_partner")
            assert by_key[key].region_key in (None, owner.region_key)
        positions = [i.position for i in m.items]
        assert positions == list(range(1, len(m.items) + 1))
        kinds = [ORDER.index(i.kind) for i in m.items]
        assert kinds == sorted(kinds)
        day = min(m.held_on, dataset.today)
        for item in m.items:
            assert item.section == SECTIONS[item.kind] and item.title
            if item.figure:  # a figure for the records beyond those listed
                assert item.threat is None and item.title.startswith("And ")
                continue
            if item.kind in (CARRIED, CHAIR):
                assert item.threat is None
                continue
            threat = threats[item.threat]
            assert item.title == f"{threat.reference} {threat.name}"
            # Covered: a force's own threats; a region's, those its ROCU may see.
            if m.level == "force":
                assert threat.owner_key == owner.key
            else:
                assert by_key[threat.owner_key].region_key == owner.region_key
                assert threat.handling != "owner" or threat.owner_key == owner.key
            if threat.handling in ("owner", "named"):
                assert item.detail == RESTRICTED_DETAIL
            if item.kind == NEW:
                assert m.since <= threat.opened_on <= day
            else:
                assert _open_on(threat, day)
            if item.kind == NO_LRO:
                assert threat.lro is None
        top = [threats[i.threat] for i in m.items if i.kind == TOP]
        assert len(top) <= m.top_n
        assert [t.score for t in top] == sorted((t.score for t in top), reverse=True)
        for kind in (NEW, NO_LRO):
            listed = [i for i in m.items if i.kind == kind and not i.figure]
            assert len(listed) <= LISTED
        if m.status == "draft":
            assert not any(i.decisions or i.actions for i in m.items)


def test_every_action_is_valid_and_carried_while_open(dataset, plan):
    threats = {t.reference: t for t in dataset.threats}
    users = {u.username: u for u in dataset.users}
    meetings = {m.number: m for m in plan.meetings}
    today = dataset.today
    by_body = defaultdict(list)
    for m in plan.meetings:
        by_body[m.body].append(m)
    for m in plan.meetings:
        for item in m.items:
            for a in item.actions:
                assert a.description.startswith("Synthetic:")
                assert a.due_on >= m.held_on and a.raised_by == m.created_by
                owner = users[a.owner]
                # Someone who may see the item: the threat's LRO or its owner's chief officer,
                # for other business a member of staff or a partner attending.
                if item.threat:
                    threat = threats[item.threat]
                    assert a.owner == threat.lro or (
                        owner.org_key == threat.owner_key and owner.roles == ["chief_officer"]
                    )
                else:
                    assert owner.org_key == m.owner_key or owner.org_key in m.shared_with
                if a.status == "open":
                    assert a.closed_on is None and a.closed_by is None and not a.outcome
                    continue
                assert a.status in ("done", "dropped") and a.outcome.startswith("Synthetic:")
                assert m.held_on < a.closed_on < today
                if a.closed_in is not None:
                    at = meetings[a.closed_in]
                    assert (at.body, at.status, at.held_on) == (m.body, "held", a.closed_on)
                    assert a.closed_by == at.chair
                else:
                    assert a.closed_by == a.owner
        # The carried item: exactly the actions of the group's earlier meetings still open on
        # its day (open now, or closed on or after it), as the product carried them then.
        earlier = [a for e in by_body[m.body] if e.held_on < m.held_on for a in e.actions()]
        expected = sorted(
            a.number for a in earlier if a.status == "open" or a.closed_on >= m.held_on
        )
        carried = [i for i in m.items if i.kind == CARRIED]
        assert [sorted(i.carried) for i in carried] == ([expected] if expected else [])
        if carried:
            assert carried[0].position == 1
    # Every fate occurs: done and dropped, open and carried, open and overdue.
    actions = plan.actions()
    statuses = Counter(a.status for a in actions)
    assert statuses["done"] > statuses["open"] > 0 and statuses["dropped"] > 0
    assert any(a.closed_in for a in actions) and any(a.closed_by == a.owner for a in actions)
    overdue = [a for a in actions if a.is_overdue(today)]
    assert 0 < len(overdue) < statuses["open"]
    assert sum(plan.truth["carried_latest"].values()) > 0


def test_the_truth_recounts(dataset, plan):
    truth, today = plan.truth, dataset.today
    actions = plan.actions()
    overdue = Counter(a.owner for a in actions if a.status == "open" and a.due_on < today)
    assert truth["overdue_by_owner"] == dict(overdue) and truth["overdue"] == overdue.total()
    assert truth["open_actions"] == sum(a.status == "open" for a in actions)
    assert (
        truth["meetings"]
        == len(plan.meetings)
        == sum(b["meetings"] for b in truth["bodies"].values())
    )
    latest = {}
    for m in plan.meetings:
        latest[m.body] = m
    assert truth["carried_latest"] == {
        body: sum(len(i.carried) for i in m.items) for body, m in latest.items()
    }
    # Modest volumes: about a dozen meetings a group, a few actions a meeting.
    assert len(actions) < 6 * len(plan.meetings)
    assert truth["decisions"] >= len(actions)


# --- loaded --------------------------------------------------------------------------------------


@pytest.fixture
def loaded(db):
    dataset = synth.generate("demo", 3, synthetic.organisation_specs(), disruptions=20)
    counts = synthetic.load_dataset(dataset)
    return dataset, dataset.meetings, counts


def _users(names):
    return {u.username: u for u in User.objects.filter(username__in=names)}


def test_the_product_finds_what_the_truth_says(loaded):
    dataset, plan, counts = loaded
    truth = plan.truth
    assert counts["meetings"] == Meeting.objects.count() == truth["meetings"] == 48
    assert counts["agenda items"] == AgendaItem.objects.count()
    assert counts["meeting decisions"] == Decision.objects.count() == truth["decisions"]
    assert counts["meeting actions"] == MeetingAction.objects.count() == len(plan.actions())
    assert counts["carried actions"] == truth["carried_links"] > 0
    assert dict(Counter(Meeting.objects.values_list("body", flat=True))) == {
        body: b["meetings"] for body, b in truth["bodies"].items()
    }
    assert dict(Counter(Meeting.objects.values_list("status", flat=True))) == truth["by_status"]
    assert (
        dict(Counter(AgendaItem.objects.values_list("kind", flat=True))) == truth["items_by_kind"]
    )
    assert MeetingAction.objects.open().count() == truth["open_actions"]
    # Dates moved to today: the overdue ones are overdue now.
    assert MeetingAction.objects.overdue().count() == truth["overdue"] > 0
    draft = Meeting.objects.filter(status=choices.MeetingStatus.DRAFT)
    assert all(m.held_on >= timezone.localdate() for m in draft)
    held = Meeting.objects.filter(status=choices.MeetingStatus.HELD)
    assert all(m.held_on < timezone.localdate() and m.held_at is not None for m in held)
    # One audit entry records the load with the counts.
    from socmaster.core.models import AuditEntry

    entry = AuditEntry.objects.filter(record_type="synth.dataset").latest("id")
    assert entry.changes["counts"]["meetings"] == truth["meetings"]


def test_each_owners_overdue_actions_are_what_the_home_page_and_the_list_count(loaded):
    _dataset, plan, _counts = loaded
    truth = plan.truth["overdue_by_owner"]
    owners = {a.owner for a in plan.actions()}
    item = next(i for i in attention_items() if i.key == "meeting-actions-overdue")
    users = _users(owners)
    assert len(users) == len(owners)
    for name, user in users.items():
        expected = truth.get(name, 0)
        assert item.count(user).count == expected, name
        assert services.actions_of(user, scope="mine", overdue=True).count() == expected, name
        mine = [a for a in plan.actions() if a.owner == name and a.status == "open"]
        assert services.actions_of(user, scope="mine").count() == len(mine), name
    assert sum(truth.values()) == plan.truth["overdue"] and len(truth) > 1


def test_every_record_is_one_the_services_would_accept(loaded):
    _dataset, plan, _counts = loaded
    meetings = list(Meeting.objects.prefetch_related("attendees", "shared_with"))
    people = _users(
        {m.chair for m in plan.meetings}
        | {u for m in plan.meetings for u in m.attendees}
        | {a.owner for a in plan.actions()}
    )
    by_pk = {u.pk: u for u in people.values()}
    for meeting in meetings:
        # The chair and every attendee may see the meeting (the service refuses it otherwise).
        for user in [by_pk[meeting.chair_id], *meeting.attendees.all()]:
            assert Meeting.objects.visible_to(user).filter(pk=meeting.pk).exists()
        previous = meeting.previous
        if previous is not None:
            assert Meeting.objects.same_body(meeting).filter(pk=previous.pk).exists()
            assert previous.held_on == meeting.since < meeting.held_on
            assert (
                services.previous_meeting(
                    meeting.owner, meeting.level, meeting.body, meeting.held_on
                )
                == previous
            )
    # Every action's owner may see its item (``add_action`` requires it) and the item is on a
    # meeting of the day it was given or before its due date.
    for owner in people.values():
        theirs = MeetingAction.objects.filter(owner=owner).select_related("item__meeting")
        seen = set(AgendaItem.objects.visible_to(owner).values_list("pk", flat=True))
        for action in theirs:
            assert action.item_id in seen, (owner.username, action.pk)
            assert action.due_on >= action.item.meeting.held_on
            if not action.is_open:
                assert action.outcome and action.closed_at and action.closed_by_id
    # Carried: the open actions of the group's earlier meetings, on the latest meeting of each
    # group exactly those the product would carry now when its agenda is still to be held.
    latest = {}
    for meeting in sorted(meetings, key=lambda m: m.held_on):
        latest[meeting.body] = meeting
    for meeting in latest.values():
        item = meeting.items.filter(kind=choices.CARRIED_ACTIONS).first()
        carried = set(item.carried.values_list("pk", flat=True)) if item else set()
        open_now = set(services.open_earlier_actions(meeting).values_list("pk", flat=True))
        assert open_now <= carried
        if meeting.status == choices.MeetingStatus.DRAFT:
            assert carried == open_now
        for action in MeetingAction.objects.filter(pk__in=carried - open_now):
            assert timezone.localdate(action.closed_at) >= meeting.held_on


def test_partners_see_the_meeting_but_only_items_about_no_record(loaded):
    meeting = (
        Meeting.objects.filter(level="regional", status=choices.MeetingStatus.HELD)
        .exclude(shared_with=None)
        .filter(items__kind=choices.CHAIR_ITEM)
        .latest("held_on")
    )
    partner = User.objects.get(
        username=f"syn-{meeting.shared_with.order_by('key').first().key}-partner_user-1"
    )
    assert Meeting.objects.visible_to(partner).filter(pk=meeting.pk).exists()
    seen = [i for section in services.agenda(partner, meeting) for i in section.items]
    assert seen and all(i.record_type == "" and not i.figure for i in seen)
    everything = [i for section in services.agenda(meeting.chair, meeting) for i in section.items]
    assert len(everything) == meeting.items.count() > len(seen)


def test_an_open_action_closes_through_the_service(loaded):
    _dataset, _plan, _counts = loaded
    action = MeetingAction.objects.open().select_related("owner").first()
    closed = services.close_action(action.owner, action, outcome="Synthetic: done.")
    assert closed.status == choices.MeetingActionStatus.DONE


def test_removing_the_synthetic_data_removes_the_meetings(loaded):
    synthetic.remove_synthetic()
    assert not Meeting.objects.exists() and not AgendaItem.objects.exists()
    assert not MeetingAction.objects.exists() and not Decision.objects.exists()
    assert not Meeting.attendees.through.objects.exists()
    assert not AgendaItem.carried.through.objects.exists()

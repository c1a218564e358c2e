"""A synthetic year of tasking and co-ordination meetings, with ground truth.

Pure Python: no Django. Everything here is invented.

:func:`meetings_plan` draws, over a generated :class:`~socmaster.synth.generator.Dataset` and the
organisations it was generated for, the meetings of two kinds of group (each a *body*: its owner,
level and name, as the tasking app has it):

- the **regional** tasking and co-ordination group of each region with a ROCU (London has
  none), owned by the ROCU and chaired by its chief officer (the head of the ROCU), attended by
  ROCU staff, the chief officers of the region's forces and the staff of one to three partner
  organisations (local partners of the region, sometimes HMRC or HMPPS), with which the
  meetings are shared, as the product shares a meeting with the organisations attending;
- the **force** tasking and co-ordination group of each force (at the demo scale, those of the
  demo region), owned and chaired by the force's chief officer, attended by its staff and the
  ROCU's gateway officer.

Each group meets monthly on a day of its own, ``MEETINGS_PER_BODY`` times over the year before
``dataset.today`` (the latest may be a few weeks ahead: still a draft agenda; every earlier
meeting was held). An agenda lists, as the product's agenda builder would have on the day:

- the **actions carried** from earlier meetings of the group (those still open on its day: open
  now, or closed on or after it), first, when there are any;
- the **top threats** the group covers (open on the day, highest priority score first);
- the **new threats** opened since the group's previous meeting (or the three months before its
  first), and the open **threats without an LRO**, each up to ``LISTED`` one by one and a figure
  for the rest;
- at most held meetings, an item of **other business** the chair added.

A group covers, as the agenda's scope does: a force, its own threats; a region, the threats of
its organisations that the ROCU may see (not those a force keeps to itself). An item about a
threat with restricted handling carries only its title, as the product's do.

At a held meeting some items get a **decision** and some an **action** with an owner who may see
the item (the threat's LRO, else its owner's chief officer; for other business an attendee) and
a due date two to eight weeks on. Older actions are mostly done or dropped (some closed by their
owner, some at a later meeting of the group, which then carried them), some left open past their
date (overdue); recent ones mostly open.

Dates are the generator's (``today`` = ``dataset.today``); the loader moves them by (the real
date - ``dataset.today``), as it moves the debriefs', so the overdue actions are overdue now.

The ground truth (``plan.truth``, kept by ``generate`` as ``dataset.truth["meetings"]``):

``today``
    the day the figures hold on;
``bodies``
    ``{body: {"owner", "level", "meetings", "draft"}}``; ``meetings`` and ``by_status``: the
    meetings in all and by state;
``items_by_kind``, ``decisions``, ``actions_by_status``
    the agenda items by kind, the decisions, the actions by state;
``open_actions``, ``overdue``, ``overdue_by_owner``
    the open actions; the open actions past their due date; those by owner (user name);
``carried_latest``, ``carried_links``
    per group, the actions carried to its latest meeting; the actions carried to all meetings,
    one count for each meeting that carries one.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .generator import DEMO_REGION

if TYPE_CHECKING:
    from .generator import Dataset, OrgSpec, SynthThreat

#: Meetings of each group in its year, a month apart; the latest may lie up to
#: ``LOOKAHEAD_DAYS`` after ``today`` (a draft agenda).
MEETINGS_PER_BODY = 12
LOOKAHEAD_DAYS = 21
#: The period the first meeting of a group covers (``tasking.choices.FIRST_MEETING_MONTHS``).
FIRST_MEETING_MONTHS = 3
#: Top threats listed, per level; new threats and threats without an LRO listed one by one (a
#: figure counts the rest).
TOP_N = {"regional": 8, "force": 5}
LISTED = 6
HANDLING = "region"

#: The item kinds and their sections, in agenda order (``tasking.choices`` and the agenda
#: sources of ``tasking.agenda``; the tests keep the copies here in step).
CARRIED = "carried_actions"
TOP = "top_threats"
NEW = "new_threats"
NO_LRO = "no_lro"
CHAIR = "chair"
SECTIONS = {
    CARRIED: "Actions carried from earlier meetings",
    TOP: "Top threats by priority score",
    NEW: "New threats since the last meeting",
    NO_LRO: "Threats without an LRO",
    CHAIR: "Other business",
}
#: What an item about a threat with restricted handling says (``core.registry``).
RESTRICTED_DETAIL = "Restricted handling: open the record, giving your reason, for its details."
RESTRICTED_HANDLING = frozenset({"owner", "named"})
CARRIED_DETAIL = "Report progress; close each action that is done or no longer needed."

#: Chances: a decision on an item of each kind (held meetings), then an action given the
#: decision; for threats without an LRO only the first time the group sees the threat.
DECISION_RATE = {TOP: 0.3, NEW: 0.5, NO_LRO: 0.6, CHAIR: 1.0}
ACTION_RATE = {TOP: 0.6, NEW: 0.7, NO_LRO: 1.0, CHAIR: 0.7}
OTHER_BUSINESS_RATE = 0.6
ATTEND_RATE = 0.85
#: Days from the meeting to an action's due date.
DUE_DAYS = [14, 21, 28, 28, 35, 42, 56]
#: Of actions past their due date: left open (overdue); of those not yet due: closed early.
OVERDUE_RATE = 0.15
EARLY_CLOSE_RATE = 0.25
DROPPED_RATE = 0.12
#: Of closed actions, those closed at a later meeting of the group (the rest by their owner).
CLOSED_AT_MEETING_RATE = 0.5

DECISIONS = {
    TOP: [
        "Synthetic: remains a priority; surveillance support to be sought through the gateway.",
        "Synthetic: the LRO to widen the 4P plan beyond Pursue with the partners present.",
        "Synthetic: financial investigation to run alongside the current operation.",
        "Synthetic: no change to the plan; progress reviewed at the next meeting.",
    ],
    NEW: [
        "Synthetic: adopted for management; MoRiLE assessment to be moderated.",
        "Synthetic: adopted; intelligence development before an LRO is named.",
        "Synthetic: to be merged with an existing threat if the links are confirmed.",
    ],
    NO_LRO: [
        "Synthetic: the owning organisation is to appoint an LRO before the next meeting.",
        "Synthetic: an LRO to be named or closure proposed at the next meeting.",
    ],
    CHAIR: [
        "Synthetic: the update was noted.",
        "Synthetic: partners to bring their data to the local profile refresh.",
        "Synthetic: the group agreed to review its terms of reference.",
    ],
}
ACTIONS = {
    TOP: [
        "Synthetic: bring the plan on a page for {ref} to the next meeting.",
        "Synthetic: submit a gateway request for surveillance support on {ref}.",
        "Synthetic: refresh the MoRiLE assessment of {ref} with the latest intelligence.",
    ],
    NEW: [
        "Synthetic: complete the MoRiLE assessment of {ref} for moderation.",
        "Synthetic: research the principal nominals of {ref} and report back.",
    ],
    NO_LRO: ["Synthetic: appoint an LRO for {ref} and confirm to the group."],
    CHAIR: [
        "Synthetic: circulate the partnership update to the attendees.",
        "Synthetic: share the local authority's licensing data with the analysts.",
        "Synthetic: report on the SOC local profile refresh.",
    ],
}
OTHER_BUSINESS = {
    "regional": [
        ("Partnership update (synthetic)", "Synthetic: partners report on joint work."),
        ("Regional disruption team priorities (synthetic)", "Synthetic: the ROCU's plan."),
        ("Gateway demand this month (synthetic)", "Synthetic: the gateway officer reports."),
    ],
    "force": [
        ("SOC local profile refresh (synthetic)", "Synthetic: the analyst reports progress."),
        ("Force SOC performance (synthetic)", "Synthetic: disruptions and plans this month."),
    ],
}
OUTCOMES = {
    "done": [
        "Synthetic: done and reported to the group.",
        "Synthetic: completed; the record is updated.",
        "Synthetic: done; the product was shared with the LRO.",
    ],
    "dropped": [
        "Synthetic: no longer needed: the operation ended.",
        "Synthetic: overtaken by the threat's merger with another.",
    ],
}


# --- records -----------------------------------------------------------------------------------


@dataclass
class SynthAction:
    """An action given at a meeting. ``closed_in`` is the number of the meeting it was closed at
    (None: closed by its owner between meetings, or open)."""

    number: int
    description: str
    owner: str
    raised_by: str
    due_on: dt.date
    status: str = "open"
    outcome: str = ""
    closed_on: dt.date | None = None
    closed_by: str | None = None
    closed_in: int | None = None

    def is_overdue(self, today: dt.date) -> bool:
        return self.status == "open" and self.due_on < today

    def open_on(self, day: dt.date) -> bool:
        """Still open on ``day`` (carried to a meeting that day)."""
        return self.status == "open" or (self.closed_on is not None and self.closed_on >= day)


@dataclass
class SynthItem:
    """One agenda item: about a threat (``threat``, a reference), a figure over many records
    (``figure``, linking to the exceptions report's ``check`` if any), or about no record."""

    position: int
    kind: str
    title: str
    detail: str = ""
    threat: str | None = None
    figure: bool = False
    check: str = ""
    added_by: str | None = None
    decisions: list[str] = field(default_factory=list)
    actions: list[SynthAction] = field(default_factory=list)
    carried: list[int] = field(default_factory=list)

    @property
    def section(self) -> str:
        return SECTIONS[self.kind]


@dataclass
class SynthMeeting:
    number: int
    body: str
    level: str
    owner_key: str
    held_on: dt.date
    since: dt.date
    previous: int | None
    status: str
    chair: str
    created_by: str
    attendees: list[str]
    shared_with: list[str]
    top_n: int
    items: list[SynthItem] = field(default_factory=list)
    handling: str = HANDLING

    def actions(self) -> list[SynthAction]:
        return [a for item in self.items for a in item.actions]


@dataclass
class MeetingPlan:
    meetings: list[SynthMeeting]
    truth: dict

    def actions(self) -> list[SynthAction]:
        return [a for m in self.meetings for a in m.actions()]


# --- dates ---------------------------------------------------------------------------------------


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` months earlier (the month's last day where it has no such day)."""
    month, year = day.month - months, day.year
    while month < 1:
        month, year = month + 12, year - 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def meeting_days(day_of_month: int, today: dt.date) -> list[dt.date]:
    """The latest ``MEETINGS_PER_BODY`` monthly dates on ``day_of_month`` (at most 28) before
    ``today`` + ``LOOKAHEAD_DAYS``, within the year before ``today``."""
    days = []
    for back in range(MEETINGS_PER_BODY + 1, -1, -1):
        month, year = today.month - back, today.year
        while month < 1:
            month, year = month + 12, year - 1
        day = dt.date(year, month, day_of_month)
        if today - dt.timedelta(days=366) < day < today + dt.timedelta(days=LOOKAHEAD_DAYS):
            days.append(day)
    return days[-MEETINGS_PER_BODY:]


# --- the plan ------------------------------------------------------------------------------------


@dataclass
class _Body:
    name: str
    level: str
    owner: OrgSpec
    threats: list[SynthThreat]
    chair: str
    secretary: str
    attendees: list[tuple[str, bool]]  # (user name, always attends)
    shared_with: list[str]
    partner_users: list[str]
    staff: list[str]  # owners of the other business's actions


class _Planner:
    def __init__(self, dataset: Dataset, organisations: list[OrgSpec]):
        self.dataset = dataset
        self.today = dataset.today
        self.rng = random.Random(f"meetings-{dataset.seed}")
        self.by_key = {o.key: o for o in organisations}
        self.usernames = {u.username for u in dataset.users}
        self.names = {u.username: f"{u.first_name} {u.last_name}" for u in dataset.users}
        self.threat_of = {t.reference: t for t in dataset.threats}
        self.demo = dataset.scale == "demo"
        self.meetings: list[SynthMeeting] = []
        self.action_numbers = 0

    def user(self, org_key: str, role: str) -> str | None:
        name = f"syn-{org_key}-{role}-1"
        return name if name in self.usernames else None

    def users(self, org_key: str, *roles: str) -> list[str]:
        return [u for u in (self.user(org_key, r) for r in roles) if u]

    # -- the groups ---------------------------------------------------------------------------

    def bodies(self) -> list[_Body]:
        orgs = sorted(self.by_key.values(), key=lambda o: o.key)
        in_scope = [o for o in orgs if not self.demo or o.region_key == DEMO_REGION]
        by_owner: dict[str, list] = defaultdict(list)
        for t in self.dataset.threats:
            by_owner[t.owner_key].append(t)
        out = []
        for rocu in (o for o in in_scope if o.type == "rocu"):
            chair, secretary = self.user(rocu.key, "chief_officer"), self.user(rocu.key, "analyst")
            if not (chair and secretary) or rocu.region_key not in self.by_key:
                continue
            region = [o for o in orgs if o.region_key == rocu.region_key]
            forces = [o for o in region if o.type == "force"]
            covered = [
                t
                for o in region
                for t in by_owner.get(o.key, [])
                if t.handling != "owner" or t.owner_key == rocu.key
            ]
            staffed_partners = [
                o.key
                for o in region
                if o.type == "local_partner" and self.user(o.key, "partner_user")
            ]
            national_partners = [
                k for k in ("hmrc", "hmpps") if k in self.by_key and self.user(k, "partner_user")
            ]
            shared = sorted(
                self.rng.sample(
                    staffed_partners, min(len(staffed_partners), self.rng.randint(1, 2))
                )
            )
            if national_partners and self.rng.random() < 0.5:
                shared.append(self.rng.choice(national_partners))
            partner_users = [self.user(k, "partner_user") for k in shared]
            attendees = [(secretary, True)]
            attendees += [
                (u, False) for u in self.users(rocu.key, "gateway_officer", "sio", "rocta_assessor")
            ]
            attendees += [(u, False) for f in forces for u in self.users(f.key, "chief_officer")]
            attendees += [(u, False) for u in partner_users]
            region_name = self.by_key[rocu.region_key].name
            out.append(
                _Body(
                    f"{region_name} regional tasking and co-ordination group",
                    "regional",
                    rocu,
                    covered,
                    chair,
                    secretary,
                    attendees,
                    shared,
                    partner_users,
                    self.users(rocu.key, "analyst", "gateway_officer") + partner_users,
                )
            )
        for force in (o for o in in_scope if o.type == "force"):
            chair, secretary = (
                self.user(force.key, "chief_officer"),
                self.user(force.key, "analyst"),
            )
            if not (chair and secretary):
                continue
            rocu = next(
                (o for o in orgs if o.type == "rocu" and o.region_key == force.region_key), None
            )
            attendees = [(secretary, True)]
            attendees += [
                (u, False)
                for u in self.users(force.key, "sio", "lro", "gateway_officer", "offender_manager")
            ]
            if rocu is not None:
                attendees += [(u, False) for u in self.users(rocu.key, "gateway_officer")]
            out.append(
                _Body(
                    f"{force.name} tasking and co-ordination group",
                    "force",
                    force,
                    list(by_owner.get(force.key, [])),
                    chair,
                    secretary,
                    attendees,
                    [],
                    [],
                    self.users(force.key, "analyst", "sio"),
                )
            )
        return out

    # -- the meetings of one group ---------------------------------------------------------------

    def plan_body(self, body: _Body) -> None:
        rng = self.rng
        days = meeting_days(rng.randint(3, 26), self.today)
        first = len(self.meetings) + 1
        numbers = list(range(first, first + len(days)))
        meetings = []
        for n, day in zip(numbers, days, strict=True):
            previous = n - 1 if n > first else None
            meetings.append(
                SynthMeeting(
                    number=n,
                    body=body.name,
                    level=body.level,
                    owner_key=body.owner.key,
                    held_on=day,
                    since=days[n - first - 1]
                    if previous
                    else months_before(day, FIRST_MEETING_MONTHS),
                    previous=previous,
                    status="held" if day < self.today else "draft",
                    chair=body.chair,
                    created_by=body.secretary,
                    attendees=[
                        u for u, always in body.attendees if always or rng.random() < ATTEND_RATE
                    ],
                    shared_with=list(body.shared_with),
                    top_n=TOP_N[body.level],
                )
            )
        held = [m for m in meetings if m.status == "held"]
        raised: list[SynthAction] = []
        seen_without_lro: set[str] = set()
        for meeting in meetings:
            items = self.agenda(body, meeting, raised)
            if meeting.status == "held":
                for item in items:
                    self.minute(body, meeting, item, held, seen_without_lro)
                raised.extend(a for item in items for a in item.actions)
            meeting.items = items
        self.meetings.extend(meetings)

    def agenda(self, body: _Body, meeting: SynthMeeting, raised: list[SynthAction]):
        day = min(meeting.held_on, self.today)
        open_then = [
            t
            for t in body.threats
            if t.opened_on <= day and (t.closed_on is None or t.closed_on > day)
        ]
        items: list[SynthItem] = []
        carried = [a.number for a in raised if a.open_on(meeting.held_on)]
        if carried:
            items.append(
                SynthItem(
                    0,
                    CARRIED,
                    f"Open actions from earlier meetings ({len(carried)})",
                    CARRIED_DETAIL,
                    carried=carried,
                )
            )
        top = sorted(open_then, key=lambda t: (-t.score, t.tier, t.reference))[: meeting.top_n]
        items += [self.about(TOP, t) for t in top]
        new = sorted(
            (t for t in body.threats if meeting.since <= t.opened_on <= day),
            key=lambda t: (t.opened_on, t.reference),
            reverse=True,
        )
        items += [
            self.about(NEW, t, f"Opened {t.opened_on:%d %b %Y} · {self.detail(t)}")
            for t in new[:LISTED]
        ]
        items += self.more(NEW, len(new), "new threats")
        without = sorted(
            (t for t in open_then if t.lro is None), key=lambda t: (-t.score, t.reference)
        )
        items += [self.about(NO_LRO, t) for t in without[:LISTED]]
        items += self.more(NO_LRO, len(without), "threats without an LRO", check="no_lro")
        if meeting.status == "held" and self.rng.random() < OTHER_BUSINESS_RATE:
            title, detail = self.rng.choice(OTHER_BUSINESS[body.level])
            items.append(SynthItem(0, CHAIR, title, detail, added_by=meeting.chair))
        for position, item in enumerate(items, start=1):
            item.position = position
        return items

    def detail(self, threat: SynthThreat) -> str:
        """As the agenda's items about a threat say (``tasking.agenda._threat_detail``)."""
        parts = [f"Tier {threat.tier}", f"score {threat.score}"]
        parts.append(f"LRO {self.names.get(threat.lro, threat.lro)}" if threat.lro else "no LRO")
        parts += [threat.phase, self.by_key[threat.owner_key].name]
        return " · ".join(parts)

    def about(self, kind: str, threat: SynthThreat, detail: str | None = None) -> SynthItem:
        if threat.handling in RESTRICTED_HANDLING:
            detail = RESTRICTED_DETAIL
        return SynthItem(
            0,
            kind,
            f"{threat.reference} {threat.name}",
            self.detail(threat) if detail is None else detail,
            threat=threat.reference,
        )

    @staticmethod
    def more(kind: str, total: int, noun: str, check: str = "") -> list[SynthItem]:
        if total <= LISTED:
            return []
        return [SynthItem(0, kind, f"And {total - LISTED:,} more {noun}", figure=True, check=check)]

    # -- decisions and actions ---------------------------------------------------------------------

    def owner_for(self, body: _Body, item: SynthItem) -> str | None:
        if item.threat is None:
            return self.rng.choice(body.staff) if body.staff else None
        threat = self.threat_of[item.threat]
        return threat.lro or self.user(threat.owner_key, "chief_officer")

    def minute(self, body, meeting, item: SynthItem, held, seen_without_lro: set[str]) -> None:
        rng = self.rng
        if item.kind not in DECISION_RATE or item.figure:
            return
        if item.kind == NO_LRO:
            if item.threat in seen_without_lro:
                return
            seen_without_lro.add(item.threat)
        if rng.random() >= DECISION_RATE[item.kind]:
            return
        item.decisions.append(rng.choice(DECISIONS[item.kind]))
        if rng.random() >= ACTION_RATE[item.kind]:
            return
        owner = self.owner_for(body, item)
        if owner is None:
            return
        self.action_numbers += 1
        action = SynthAction(
            number=self.action_numbers,
            description=rng.choice(ACTIONS[item.kind]).format(ref=item.threat or ""),
            owner=owner,
            raised_by=meeting.created_by,
            due_on=meeting.held_on + dt.timedelta(days=rng.choice(DUE_DAYS)),
        )
        self.fate(action, meeting, held)
        item.actions.append(action)

    def fate(self, action: SynthAction, meeting: SynthMeeting, held: list[SynthMeeting]) -> None:
        """Open, done or dropped; closed by its owner or at a later held meeting of the group."""
        rng = self.rng
        today = self.today
        if action.due_on < today:
            if rng.random() < OVERDUE_RATE:
                return
        elif rng.random() >= EARLY_CLOSE_RATE:
            return
        earliest = meeting.held_on + dt.timedelta(days=1)
        latest = min(action.due_on + dt.timedelta(days=14), today - dt.timedelta(days=1))
        if latest < earliest:
            return
        closed_on = earliest + dt.timedelta(days=rng.randint(0, (latest - earliest).days))
        later = [m for m in held if m.held_on >= closed_on]
        action.status = "dropped" if rng.random() < DROPPED_RATE else "done"
        action.outcome = rng.choice(OUTCOMES[action.status])
        if later and rng.random() < CLOSED_AT_MEETING_RATE:
            at = later[0]
            action.closed_on, action.closed_by, action.closed_in = at.held_on, at.chair, at.number
        else:
            action.closed_on, action.closed_by = closed_on, action.owner

    def plan(self) -> MeetingPlan:
        for body in self.bodies():
            self.plan_body(body)
        return MeetingPlan(self.meetings, _truth(self.meetings, self.today))


def meetings_plan(dataset: Dataset, organisations: list[OrgSpec]) -> MeetingPlan:
    """A year of regional and force tasking meetings over ``dataset`` (see the module's notes).
    Deterministic for the dataset's seed; draws from its own random source."""
    return _Planner(dataset, organisations).plan()


def _truth(meetings: list[SynthMeeting], today: dt.date) -> dict:
    actions = [a for m in meetings for a in m.actions()]
    bodies: dict[str, dict] = {}
    latest: dict[str, SynthMeeting] = {}
    for m in meetings:
        body = bodies.setdefault(
            m.body, {"owner": m.owner_key, "level": m.level, "meetings": 0, "draft": 0}
        )
        body["meetings"] += 1
        body["draft"] += m.status == "draft"
        if m.body not in latest or m.held_on > latest[m.body].held_on:
            latest[m.body] = m
    overdue = [a for a in actions if a.is_overdue(today)]
    return {
        "today": today.isoformat(),
        "bodies": bodies,
        "meetings": len(meetings),
        "by_status": dict(Counter(m.status for m in meetings)),
        "items_by_kind": dict(Counter(i.kind for m in meetings for i in m.items)),
        "decisions": sum(len(i.decisions) for m in meetings for i in m.items),
        "actions_by_status": dict(Counter(a.status for a in actions)),
        "open_actions": sum(a.status == "open" for a in actions),
        "overdue": len(overdue),
        "overdue_by_owner": dict(sorted(Counter(a.owner for a in overdue).items())),
        "carried_latest": {
            body: sum(len(i.carried) for i in m.items) for body, m in sorted(latest.items())
        },
        "carried_links": sum(len(i.carried) for m in meetings for i in m.items),
    }

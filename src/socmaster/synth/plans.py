"""Synthetic 4P plans with deliberate quality faults at known rates, and their ground truth.

Pure Python: no Django. ``generator.generate`` calls :func:`plan_dataset` for the threats it made.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field

from faker import Faker

from .generator import (
    CRIME_TYPE_COUNTS,
    CRIME_TYPES,
    LRO_RATE,
    OPEN_PHASES,
    THREAT_TYPES,
    TODAY,
    OrgSpec,
    SynthThreat,
    SynthUser,
    _pick,
    _regional_team,
)


@dataclass
class SynthAction:
    """One action of a 4P plan. The owner is a person (username), an organisation (key), both or,
    for the "undated_actions" fault, neither."""

    four_p: str
    description: str
    owner_user: str | None
    owner_org: str | None
    start_date: dt.date | None
    due_date: dt.date | None
    status: str
    result: str
    completed_on: dt.date | None
    created_on: dt.date
    updated_on: dt.date


@dataclass
class SynthView:
    """Someone opening a plan (``action`` None) or one of its actions (its index in the plan's
    actions): the loader records it as the product does, a ``view`` entry in the audit log."""

    viewer: str
    action: int | None = None


@dataclass
class SynthReview:
    reviewer: str
    reviewer_role: str
    reviewed_on: dt.date
    outcome: str
    comments: str


@dataclass
class SynthPlan:
    """The current 4P plan of an active threat. Dates are relative to ``TODAY``: the loader shifts
    them to the real date so that overdue and stale plans stay so on any day.

    The texts are the plan's own; where ``from_template`` is set the loader puts the template's
    aim and objectives lines in front of them, as a plan started from a template would have.
    """

    threat: str
    author: str
    author_role: str
    aim: str
    objectives: dict[str, str]
    intelligence_gaps: str
    review_frequency_days: int
    created_on: dt.date
    updated_on: dt.date
    from_template: bool
    actions: list[SynthAction] = field(default_factory=list)
    reviews: list[SynthReview] = field(default_factory=list)
    safeguarding_plans: str = ""
    investigation_plans: str = ""
    partner_sections: list[str] = field(default_factory=list)
    copied_from: str | None = None
    views: list[SynthView] = field(default_factory=list)


# --- 4P plans ----------------------------------------------------------------------------------
#
# About 85% of active threats have a current 4P plan; the rest are the "no plan" fault. Plans are
# given deliberate faults at the rates below, and ``truth["plan_faults"]`` records, for every
# active threat, the set of plan-quality check keys (``socmaster.plans.quality``) it fails: its
# planted faults, "no_plan" and "no_lro". Everything that is not a planted fault is kept clear of
# every check: dates by at least PLAN_MARGIN_DAYS from the checks' thresholds, so the ground truth
# holds for a week after the data is loaded; completed actions' results say what was achieved;
# plans that must name safeguarding or investigation plans name them; and every open action held
# by an organisation (no named person) has been opened by someone there (``SynthPlan.views``).
# Closed threats have no plan (the checks do not look for one).

PLAN_RATE = 0.85
WRITTEN_BY_SIO_RATE = 0.10  # written by an SIO of the owning organisation, not the LRO
#: Written by another member of the owning organisation though the threat has an LRO (where it
#: has none, another member always writes it: that is "no_lro" alone).
NOT_BY_LRO_RATE = 0.04
PURSUE_ONLY_RATE = 0.15  # every live action is a Pursue action (so three Ps have none)
PURSUE_ONLY_IF_SIO = 0.60  # plans written by the SIO tend to be pursue-only
MISSING_P_RATE = 0.10  # one or two Ps with no live action, without being pursue-only
UNDATED_ACTIONS_RATE = 0.10  # one or two actions without an owner, a start date or a due date
NO_RESULT_RATE = 0.05  # one or two completed actions without a result
EMPTY_RESULT_RATE = 0.05  # one or two completed actions whose result says nothing
#: The threat needs its safeguarding or investigation plans named and one (or both) is not.
PLANS_NOT_LINKED_RATE = 0.06
#: An open action held by an organisation (no named person) that nobody there has opened, or, for
#: PARTNER_NO_USERS_SHARE of them, by the region's local partner with no users.
PARTNER_UNSEEN_RATE = 0.08
PARTNER_NO_USERS_SHARE = 0.3
OVERDUE_ACTIONS_RATE = 0.15  # one or two open actions past their due date
REVIEW_OVERDUE_RATE = 0.20  # last review (or, never reviewed, the writing) older than the period
COPIED_TEXT_RATE = 0.05  # in a pair of plans whose own text is the same (one copied the other)
NOT_UPDATED_RATE = 0.10  # neither the plan nor its actions changed for longer than 60 days
FROM_TEMPLATE_RATE = 0.70  # started from the template: template lines before the plan's own
PLAN_STALE_DAYS = 60  # the default SOCMASTER_PLAN_STALE_DAYS the checks use
PLAN_MARGIN_DAYS = 7
REVIEW_FREQUENCIES = [(30, 10), (60, 20), (90, 60), (120, 10)]
#: The checks' defaults (SOCMASTER_PLAN_SAFEGUARDING_CRIME_TYPES, _INVESTIGATION_PHASES): threats
#: of these crime types, or vulnerability threats, need a safeguarding plan named in their 4P plan;
#: threats in these phases an investigation plan.
SAFEGUARDING_CRIME_TYPES = frozenset({"csa", "msht"})
INVESTIGATION_PHASES = frozenset({"Active investigation"})
#: Results that record no outcome (``empty_result``, with the default
#: SOCMASTER_PLAN_RESULT_MIN_WORDS of 3): stock phrases and too few meaningful words.
EMPTY_RESULT_TEXTS = [
    "Done",
    "Completed.",
    "Action complete",
    "Completed as planned",
    "NFA",
    "See log",
    "As above",
    "Covert action complete",
    "Actioned.",
    "Arrested.",
    "Warrant executed",
    "Referral made.",
    "Letters sent",
]


def needs_link_share() -> float:
    """The share of open threats whose plan must name a safeguarding or an investigation plan,
    from the generator's mix of threat types, crime types and phases."""
    types = dict(THREAT_TYPES)
    vulnerability = types["vulnerability"] / sum(types.values())
    crimes = dict(CRIME_TYPES)
    per_draw = sum(crimes[c] for c in SAFEGUARDING_CRIME_TYPES) / sum(crimes.values())
    none_drawn = sum((1 - per_draw) ** k for k in CRIME_TYPE_COUNTS) / len(CRIME_TYPE_COUNTS)
    safeguarding = 1 - (1 - vulnerability) * none_drawn
    investigation = len(INVESTIGATION_PHASES & set(OPEN_PHASES)) / len(OPEN_PHASES)
    return 1 - (1 - safeguarding) * (1 - investigation)


#: The share of plans expected to fail each check (a P with no actions: pursue-only plans and the rest).
PLAN_FAULT_RATES = {
    "written_by_sio": WRITTEN_BY_SIO_RATE,
    "not_by_lro": NOT_BY_LRO_RATE,
    "pursue_only": PURSUE_ONLY_RATE,
    "missing_p": PURSUE_ONLY_RATE + MISSING_P_RATE,
    "undated_actions": UNDATED_ACTIONS_RATE,
    "no_result": NO_RESULT_RATE,
    "empty_result": EMPTY_RESULT_RATE,
    "plans_not_linked": PLANS_NOT_LINKED_RATE,
    "partner_unseen": PARTNER_UNSEEN_RATE,
    "overdue_actions": OVERDUE_ACTIONS_RATE,
    "review_overdue": REVIEW_OVERDUE_RATE,
    "copied_text": COPIED_TEXT_RATE,
    "not_updated": NOT_UPDATED_RATE,
}
PLAN_FAULTS = frozenset(PLAN_FAULT_RATES)

PS = ["pursue", "prevent", "protect", "prepare"]
OPEN_ACTION_STATUSES = ("not_started", "in_progress")
PARTNER_SECTIONS = [
    "aim",
    "objectives",
    "intelligence_gaps",
    "linked_plans",
    "other_actions",
    "reviews",
]
GOVERNMENT_PARTNERS = {
    "pursue": ["hmrc", "border-force", "home-office-immigration-enforcement", "cps"],
    "prevent": ["hmpps", "dwp"],
    "protect": ["home-office-immigration-enforcement", "dwp"],
    "prepare": ["hmpps"],
}
PLAN_AIMS = [
    "Dismantle {who}",
    "Disrupt {who} until it no longer causes serious harm",
    "Reduce the harm caused by {who}",
    "Bring {who} to justice and stop others taking its place",
]
PLAN_OBJECTIVES = {
    "pursue": [
        "Prosecute the principal members of {who}",
        "Seize the assets of {who}",
        "Disrupt the supply lines of {who}",
    ],
    "prevent": ["Divert young people away from {who}", "Deter the enablers of {who}"],
    "protect": ["Safeguard people exploited by {who}", "Harden the places used by {who}"],
    "prepare": [
        "Reassure communities affected by {who}",
        "Plan the response to violence linked to {who}",
    ],
}
PLAN_ACTIONS = {
    "pursue": [
        "Develop intelligence on {who}",
        "Financial investigation into {who}",
        "Covert activity against {who}",
        "Warrants at addresses linked to {who}",
        "Refer {who} for asset recovery",
    ],
    "prevent": [
        "Diversion referrals for young people linked to {who}",
        "Deterrence letters to enablers of {who}",
        "Schools engagement about {who}",
    ],
    "protect": [
        "Safeguarding visits to people exploited by {who}",
        "Target hardening at premises used by {who}",
        "Licensing review of businesses used by {who}",
    ],
    "prepare": [
        "Community reassurance where {who} operates",
        "Tension monitoring after action against {who}",
        "Partnership exercise on the response to {who}",
    ],
}


def _day(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    """A day from ``first`` to ``last`` inclusive."""
    return first + dt.timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


class _PlanWriter:
    """Writes one plan at a time; holds what every plan needs (random sources, staff, partners).

    Actions are held only by organisations with users, except the planted "partner_unseen"
    actions held by a region's local partner that has none."""

    def __init__(self, seed: int, users: list[SynthUser], by_key: dict[str, OrgSpec]):
        # Their own random sources: plans do not change when the number of disruptions does.
        self.rng = random.Random(f"{seed}:plans")
        self.fake = Faker("en_GB")
        self.fake.seed_instance(f"{seed}:plans")
        self.usernames = {u.username for u in users}
        self.staff: dict[str, list[SynthUser]] = defaultdict(list)
        for u in users:
            self.staff[u.org_key].append(u)
        self.by_key = by_key
        self.local_partners: dict[str, list[str]] = defaultdict(list)
        self.unstaffed_partners: dict[str, list[str]] = defaultdict(list)
        for o in sorted(by_key.values(), key=lambda o: o.key):
            if o.type == "local_partner" and o.region_key:
                staffed = self.local_partners if o.key in self.staff else self.unstaffed_partners
                staffed[o.region_key].append(o.key)
        self.government = {
            p: [k for k in keys if k in by_key and k in self.staff]
            for p, keys in GOVERNMENT_PARTNERS.items()
        }

    # -- text --

    @staticmethod
    def who(threat: SynthThreat) -> str:
        return threat.name if threat.threat_type == "priority_individual" else f"the {threat.name}"

    def line(self, phrases: list[str], threat: SynthThreat, words: int) -> str:
        return f"{self.rng.choice(phrases).format(who=self.who(threat))}. {self.fake.sentence(nb_words=words)}"

    def skeleton(self, threat: SynthThreat, shape: str) -> list[tuple[str, str, bool]]:
        """(P, description, cancelled) of each action: the plan's shape without dates or owners."""
        rng = self.rng
        if shape == "pursue_only":
            missing = {"prevent", "protect", "prepare"}
        elif shape == "missing_p":
            k = rng.choice([1, 1, 2])
            missing = set()
            while len(missing) < k:
                missing.add(rng.choices(PS, weights=[1, 4, 3, 4])[0])
        else:
            missing = set()
        out = []
        for p in PS:
            if p in missing:
                n, extra = 0, rng.random() < 0.25  # sometimes its only action was cancelled
            else:
                n, extra = (
                    (rng.randint(2, 4) if p == "pursue" else rng.randint(1, 2)),
                    rng.random() < 0.08,
                )
            for _ in range(n):
                out.append((p, f"Synthetic action: {self.line(PLAN_ACTIONS[p], threat, 7)}", False))
            if extra:
                out.append((p, f"Synthetic action: {self.line(PLAN_ACTIONS[p], threat, 7)}", True))
        return out

    # -- people --

    def officer(self, threat: SynthThreat) -> str:
        return threat.lro or f"syn-{threat.owner_key}-lro-1"

    def viewer(self, org: str) -> str:
        """Who at ``org`` opens the plans and actions it holds: its partner user or analyst."""
        people = self.staff[org]
        for role in ("partner_user", "analyst"):
            for u in people:
                if role in u.roles:
                    return u.username
        return people[0].username

    def action_owner(self, threat: SynthThreat, p: str) -> tuple[str | None, str | None]:
        rng, owner = self.rng, threat.owner_key
        r = rng.random()
        if p == "pursue":
            if r < 0.7:
                return self.officer(threat), owner
            if r < 0.85 or not self.government[p]:
                team = _regional_team(owner, self.by_key)
                return (None, team) if team in self.staff else (self.officer(threat), owner)
            return None, rng.choice(self.government[p])
        partners = self.local_partners.get(self.by_key[owner].region_key or "", [])
        if partners and r < 0.5:
            partner = rng.choice(partners)
            user = f"syn-{partner}-partner_user-1"
            return (user if user in self.usernames and rng.random() < 0.3 else None), partner
        if r < 0.65 and self.government[p]:
            return None, rng.choice(self.government[p])
        return self.officer(threat), owner

    # -- dates --

    def actions(
        self, threat: SynthThreat, skeleton, created: dt.date, updated: dt.date, faults: set[str]
    ) -> tuple[list[SynthAction], int | None]:
        """The plan's actions, with the faults of ``faults`` that concern them planted, and the
        index of the "partner_unseen" action. A fault that no action is left to carry (in a small
        plan with several) is taken out of ``faults``."""
        rng, fake, margin = self.rng, self.fake, PLAN_MARGIN_DAYS
        live = [i for i, (_, _, cancelled) in enumerate(skeleton) if not cancelled]

        def some(pool: list[int], fault: str) -> set[int]:
            if fault not in faults:
                return set()
            if not pool:
                faults.discard(fault)
                return set()
            return set(rng.sample(pool, min(rng.choice([1, 1, 2]), len(pool))))

        overdue = (  # never every live action
            set(rng.sample(live, min(rng.choice([1, 1, 2]), len(live) - 1)))
            if "overdue_actions" in faults
            else set()
        )
        # One open action held by an organisation (no named person) that nobody there opened:
        # sometimes a non-Pursue action held by the region's local partner with no users.
        unseen, no_users = None, []
        if "partner_unseen" in faults:
            if rng.random() < PARTNER_NO_USERS_SHARE:
                no_users = self.unstaffed_partners.get(
                    self.by_key[threat.owner_key].region_key or "", []
                )
            partner_work = [i for i in live if skeleton[i][0] != "pursue"]
            unseen = rng.choice(partner_work if no_users and partner_work else live)
        rest = [i for i in live if i not in overdue and i != unseen]
        no_result = some(rest, "no_result")
        empty = some([i for i in rest if i not in no_result], "empty_result")
        undated = some(live, "undated_actions")
        out = []
        for i, (p, description, cancelled) in enumerate(skeleton):
            owner_user, owner_org = self.action_owner(threat, p)
            result, completed = "", None
            if cancelled:
                status = "cancelled"
                start = _day(rng, created, updated)
                due = start + _days(rng.randint(14, 180))
                result = f"Synthetic: cancelled. {fake.sentence(nb_words=6)}"
            elif i in overdue:
                status = rng.choice(OPEN_ACTION_STATUSES)
                due = _day(rng, max(created + _days(1), TODAY - _days(240)), TODAY - _days(margin))
                start = _day(rng, created, min(due - _days(1), updated))
            else:
                if i in no_result or i in empty:
                    status = "complete"
                elif i == unseen:
                    status = rng.choices(OPEN_ACTION_STATUSES, weights=[20, 45])[0]
                else:
                    status = rng.choices(
                        ["not_started", "in_progress", "complete"], weights=[20, 45, 35]
                    )[0]
                if status == "complete":
                    start = _day(rng, created, updated)
                    completed = _day(rng, start, updated)
                    due = start + _days(rng.randint(14, 200))
                    if i in empty:
                        result = rng.choice(EMPTY_RESULT_TEXTS)
                    elif i not in no_result:
                        result = f"Synthetic result: {fake.sentence(nb_words=9)}"
                else:
                    start = (
                        _day(rng, created, updated)
                        if status == "in_progress"
                        else _day(rng, created, TODAY + _days(60))
                    )
                    due = max(
                        start + _days(rng.randint(14, 240)),
                        TODAY + _days(margin + rng.randint(0, 90)),
                    )
                    if status == "in_progress" and rng.random() < 0.3:
                        result = f"Synthetic update: {fake.sentence(nb_words=8)}"
            if i == unseen:  # held by its organisation (or a partner with no users), nobody named
                owner_user = None
                if no_users:
                    owner_org = rng.choice(no_users)
            made = _day(rng, created, min(start, updated))
            changed = completed or _day(rng, made, updated)
            if i in undated:  # an overdue action keeps its due date, so it stays overdue
                choices = ["start"] if i in overdue else ["start", "due"]
                if i != unseen:  # the unseen action keeps its holder
                    choices.append("owner")
                missing = rng.choice(choices)
                if missing == "owner":
                    owner_user = owner_org = None
                elif missing == "start":
                    start = None
                else:
                    due = None
            out.append(
                SynthAction(
                    p,
                    description,
                    owner_user,
                    owner_org,
                    start,
                    due,
                    status,
                    result,
                    completed,
                    made,
                    changed,
                )
            )
        return out, unseen

    def views(self, threat: SynthThreat, plan: SynthPlan, unseen_by: str | None) -> list[SynthView]:
        """Who opened the plan or its actions: someone at every organisation holding an open
        action with no named person, except ``unseen_by``; often the author too."""
        rng = self.rng
        held: dict[str, list[int]] = {}
        for i, a in enumerate(plan.actions):
            if a.status in OPEN_ACTION_STATUSES and a.owner_org and not a.owner_user:
                held.setdefault(a.owner_org, []).append(i)
        out = []
        if rng.random() < 0.5 and threat.owner_key != unseen_by:
            out.append(SynthView(plan.author))
        for org, actions in held.items():
            if org == unseen_by:
                continue
            viewer = self.viewer(org)
            if rng.random() < 0.6:
                out.append(SynthView(viewer))  # the plan
            else:
                out += [SynthView(viewer, i) for i in actions]  # each of its actions
        return out

    def reviews(
        self, threat: SynthThreat, created: dt.date, every: int, late: bool
    ) -> list[SynthReview]:
        """Reviews by a chief officer of the owning organisation (the synthetic threats have no SRO),
        the last one recent enough unless the review is to be overdue."""
        rng, margin = self.rng, PLAN_MARGIN_DAYS
        if late:
            bound = TODAY - _days(every + margin)  # a review on or before this is overdue by a week
            if rng.random() < 0.3:
                return []  # never reviewed (the plan was written on or before ``bound``)
            last = _day(rng, max(created, bound - _days(365)), bound)
        elif created + _days(every) >= TODAY + _days(margin):
            if rng.random() < 0.5:
                return []  # not yet due
            last = _day(rng, created, TODAY)
        else:
            last = _day(rng, TODAY + _days(margin - every), TODAY)
        dates = [last]
        while len(dates) < 6:
            earlier = dates[-1] - _days(every + rng.randint(-10, 20))
            if earlier < created:
                break
            dates.append(earlier)
        reviewer = f"syn-{threat.owner_key}-chief_officer-1"
        return [
            SynthReview(
                reviewer,
                "chief_officer",
                d,
                rng.choices(["good", "improve", "inadequate"], weights=[50, 40, 10])[0],
                f"Synthetic review: {self.fake.sentence(nb_words=10)}",
            )
            for d in reversed(dates)
        ]

    # -- the plan --

    def plan(
        self, threat: SynthThreat, n: int, source: SynthPlan | None, source_faults: set[str]
    ) -> tuple[SynthPlan, set[str]]:
        rng, fake, margin = self.rng, self.fake, PLAN_MARGIN_DAYS
        owner = threat.owner_key
        faults: set[str] = set()
        r = rng.random()
        if r < WRITTEN_BY_SIO_RATE:
            author, role = f"syn-{owner}-sio-1", "sio"
            faults.add("written_by_sio")
        elif threat.lro and r >= WRITTEN_BY_SIO_RATE + NOT_BY_LRO_RATE / LRO_RATE:
            author, role = threat.lro, "lro"
        else:  # someone else in the owning organisation (always so where the threat has no LRO)
            author, role = f"syn-{owner}-analyst-1", "other"
            if threat.lro:
                faults.add("not_by_lro")
        pursue_only = (
            PURSUE_ONLY_IF_SIO
            if role == "sio"
            else (PURSUE_ONLY_RATE - WRITTEN_BY_SIO_RATE * PURSUE_ONLY_IF_SIO)
            / (1 - WRITTEN_BY_SIO_RATE)
        )
        r = rng.random()
        shape = (
            "pursue_only"
            if r < pursue_only
            else "missing_p"
            if r < pursue_only + MISSING_P_RATE
            else "full"
        )
        for key, rate in (
            ("undated_actions", UNDATED_ACTIONS_RATE),
            ("no_result", NO_RESULT_RATE),
            ("empty_result", EMPTY_RESULT_RATE),
            ("partner_unseen", PARTNER_UNSEEN_RATE),
            ("overdue_actions", OVERDUE_ACTIONS_RATE),
            ("review_overdue", REVIEW_OVERDUE_RATE),
            ("not_updated", NOT_UPDATED_RATE),
        ):
            if rng.random() < rate:
                faults.add(key)
        # Linked plans: named wherever the checks ask for them, unless that is the fault.
        needs = {
            "safeguarding": threat.threat_type == "vulnerability"
            or bool(SAFEGUARDING_CRIME_TYPES & set(threat.crime_types)),
            "investigation": threat.phase in INVESTIGATION_PHASES,
        }
        needed = [k for k, v in needs.items() if v]
        unlinked: set[str] = set()
        if needed and rng.random() < PLANS_NOT_LINKED_RATE / needs_link_share():
            faults.add("plans_not_linked")
            unlinked = set(needed) if rng.random() < 0.3 else {rng.choice(needed)}
        linked = {
            k: (needs[k] and k not in unlinked) or (not needs[k] and rng.random() < share)
            for k, share in (("safeguarding", 0.3), ("investigation", 0.4))
        }
        every = _pick(rng, REVIEW_FREQUENCIES)

        # Dates: written after the threat was opened, at least ten days ago.
        latest = TODAY - _days(10)
        if "not_updated" in faults:
            if threat.opened_on > TODAY - _days(PLAN_STALE_DAYS + margin):
                faults.discard("not_updated")  # opened too recently to be stale
            else:
                latest = min(latest, TODAY - _days(PLAN_STALE_DAYS + margin))
        if "review_overdue" in faults:
            if threat.opened_on > TODAY - _days(every + margin):
                every = REVIEW_FREQUENCIES[0][0]  # threats are opened at least 60 days ago
            latest = min(latest, TODAY - _days(every + margin))
        created = max(threat.opened_on, min(latest, threat.opened_on + _days(rng.randint(7, 120))))
        if "not_updated" in faults:
            updated = _day(
                rng, max(created, TODAY - _days(400)), TODAY - _days(PLAN_STALE_DAYS + margin)
            )
        else:
            updated = _day(
                rng, max(created, TODAY - _days(PLAN_STALE_DAYS - margin - 3)), TODAY - _days(1)
            )

        if source is not None:  # the copy's own text and actions are the source's
            aim, objectives, gaps = source.aim, dict(source.objectives), source.intelligence_gaps
            skeleton = [(a.four_p, a.description, a.status == "cancelled") for a in source.actions]
            faults |= source_faults & {"pursue_only", "missing_p"}
            faults.add("copied_text")
        else:
            who = self.who(threat)
            aim = f"Synthetic plan. {rng.choice(PLAN_AIMS).format(who=who)}. {fake.sentence(nb_words=12)}"
            objectives = {
                p: "\n".join(
                    self.line(PLAN_OBJECTIVES[p], threat, 8)
                    for _ in range(2 if p == "pursue" else 1)
                )
                for p in PS
            }
            gaps = f"Synthetic intelligence gaps. {fake.sentence(nb_words=10)}\n{fake.sentence(nb_words=10)}"
            skeleton = self.skeleton(threat, shape)
            faults |= {"pursue_only": {"pursue_only", "missing_p"}, "missing_p": {"missing_p"}}.get(
                shape, set()
            )
        actions, unseen = self.actions(threat, skeleton, created, updated, faults)
        plan = SynthPlan(
            threat=threat.reference,
            author=author,
            author_role=role,
            aim=aim,
            objectives=objectives,
            intelligence_gaps=gaps,
            review_frequency_days=every,
            created_on=created,
            updated_on=updated,
            from_template=rng.random() < FROM_TEMPLATE_RATE,
            actions=actions,
            reviews=self.reviews(threat, created, every, "review_overdue" in faults),
            safeguarding_plans=f"SYN-SP-{n:06d}" if linked["safeguarding"] else "",
            investigation_plans=f"SYN-IP-{n:06d}" if linked["investigation"] else "",
            partner_sections=rng.choice([[], ["aim"], ["aim", "objectives"], PARTNER_SECTIONS[:4]]),
            copied_from=source.threat if source is not None else None,
        )
        plan.views = self.views(
            threat, plan, actions[unseen].owner_org if unseen is not None else None
        )
        return plan, faults


def plan_dataset(
    seed: int, threats: list[SynthThreat], users: list[SynthUser], by_key: dict[str, OrgSpec]
):
    """Plans for about 85% of active threats, with planted faults.

    Returns (plans, {threat reference: set of check keys it fails}, {copy: source})."""
    writer = _PlanWriter(seed, users, by_key)
    rng = writer.rng
    plans: list[SynthPlan] = []
    faults: dict[str, set[str]] = {}
    copied_from: dict[str, str] = {}
    # Plans not yet in a copied pair, by owner and by region: a copy's source is a plan of the
    # same organisation where there is one, else of the same region.
    free_by_owner: dict[str, list[SynthPlan]] = defaultdict(list)
    free_by_region: dict[str, list[SynthPlan]] = defaultdict(list)
    placed: dict[str, tuple[str, str]] = {}
    for threat in threats:
        if threat.closed_on is not None or "Closed" in threat.phase:
            continue
        keys = {"no_lro"} if threat.lro is None else set()
        faults[threat.reference] = keys
        if rng.random() >= PLAN_RATE:
            keys.add("no_plan")
            continue
        region = by_key[threat.owner_key].region_key or ""
        source = None
        pool = free_by_owner[threat.owner_key] or free_by_region[region]
        if pool and rng.random() < COPIED_TEXT_RATE / 2:
            source = pool[rng.randrange(len(pool))]
            source_owner, source_region = placed[source.threat]
            free_by_owner[source_owner].remove(source)
            free_by_region[source_region].remove(source)
        plan, planted = writer.plan(
            threat, len(plans) + 1, source, faults[source.threat] if source is not None else set()
        )
        keys |= planted
        plans.append(plan)
        if source is not None:
            copied_from[plan.threat] = source.threat
            faults[source.threat].add("copied_text")
        else:
            placed[plan.threat] = (threat.owner_key, region)
            free_by_owner[threat.owner_key].append(plan)
            free_by_region[region].append(plan)
    return plans, faults, copied_from

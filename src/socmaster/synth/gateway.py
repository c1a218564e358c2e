"""A synthetic year of ROCU gateway demand, with ground truth.

Pure Python: no Django. Everything here is invented.

:func:`gateway_plan` draws, over a generated :class:`~socmaster.synth.generator.Dataset` and the
organisations it was generated for:

- **capability offers**: every ROCU offers most of the capabilities of ``domain.md`` §6 (a few
  of the less common ones are missing here and there), the NCA offers the national ones, each
  with a team and a monthly capacity sized to the demand it meets. Surveillance is sized below
  its demand (about 20-40 team-days a month for a ROCU at the national scale): it is
  oversubscribed; the others are not, or less so;
- **requests** over the twelve months before the dataset's ``today``: per ROCU roughly 600 to
  1,500 at the national scale, in proportion to the size of the region's forces (a handful at
  the demo scale), from the region's forces' single points of contact and some from the ROCU's
  own units, mostly about their open threats on the master list (about one in ten describes a
  threat not listed yet); a few from each ROCU to the NCA. Each is worked through the gateway's
  workflow as the services would: paused to ask for information (about 15%, answered), triaged,
  then accepted (team, dates and capacity committed, within the month's capacity unless there is
  a threat to life), declined (acceptance criteria unmet, no capacity, not enough information,
  not proportionate) or referred (for capacity, or better placed elsewhere, to another ROCU or
  the NCA that offers the capability: the request received there is worked in turn), or
  withdrawn; accepted work starts and completes on its dates. Requests whose decision would
  come after ``today`` still await one, a few of them past the decision limit.

Times are naive UTC, from 07:00 to 21:00 (so a time's date is its date in Europe/London too);
``today`` at midnight is "now". The acceptance criteria and decision limits are those the
gateway starts with (``gateway.choices``; the tests keep the copies here in step).

The ground truth (``plan.truth``, kept by ``generate`` as ``dataset.truth["gateway"]``):

``months``
    the twelve months of requests, ``"YYYY-MM"``;
``offers``
    ``{gateway: {capability: {"capacity": float, "unit": str, "team": str}}}``;
``demand``
    ``{gateway: {capability: {month: cell}}}``, where a cell counts, by the month the request
    was received at that gateway (``submitted_at``): ``received``, ``accepted`` (whatever
    happened after: accepted, in progress or completed), ``declined``, ``referred``, ``unmet``
    (declined or referred for lack of capacity, ``gateway.choices.UNMET_REASONS``),
    ``withdrawn``, ``awaiting`` (still awaiting a decision), ``decision_days`` (the running
    days, pauses taken off, from receipt to each accept, decline or referral, sorted); and
    ``committed``: the capacity committed to accepted work starting that month
    (``committed_from``). Cells with nothing in them are left out. :func:`demand` works the same
    figures out for dates moved by whole days (as the loader moves them to the real today);
``overdue``
    the references of requests awaiting a decision longer than the limit for their urgency
    (running time, pauses taken off), at ``today``'s midnight; none is within a day of its limit,
    so the answer is the same all that day;
``awaiting``, ``by_status``, ``received``, ``referrals``
    the references awaiting a decision; requests by state; requests received per gateway;
    ``[[referred reference, received reference], ...]``.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .generator import DEMO_REGION
from .weights import DEFAULT_FORCE_WEIGHT, FORCE_WEIGHTS

if TYPE_CHECKING:
    from .generator import Dataset, OrgSpec

PREFIX = "GW"
NCA = "national-crime-agency"
#: The team name of every synthetic offer ends so (the loader finds its offers by it).
TEAM_SUFFIX = " (synthetic)"

#: Requests a ROCU receives in a year at the national scale: a base plus a share of the size of
#: the region's forces (``weights.FORCE_WEIGHTS``), so from about 700 (the North East, Wales) to
#: about 1,500 (the North West).
BASE_REQUESTS = 350
REQUESTS_PER_WEIGHT = 0.053
#: Requests the demo scale's ROCU receives in its year; no ROCU receives fewer than
#: ``MIN_REQUESTS`` at a multiplier scale.
DEMO_REQUESTS = 48
MIN_REQUESTS = 6
#: The share of a ROCU's requests from its own units, and the requests it sends the NCA (in
#: proportion to its own).
OWN_UNIT_SHARE = 0.12
NCA_SHARE = 0.04

#: Per capability: its share of requests, the unit of capacity, the capacity one request asks
#: for (range, in units), the days of work (range), and the pressure on it (expected demand met
#: within the criteria over capacity: above 1, oversubscribed).
CAPABILITIES = {
    "rocta": (2, "cases", (1, 1), (5, 20), 0.4),
    "rib": (10, "officer_days", (1, 4), (1, 10), 0.7),
    "siu": (4, "officer_days", (1, 5), (3, 30), 0.6),
    "surveillance": (18, "team_days", (2, 7), (2, 21), 1.8),
    "technical_surveillance": (8, "deployments", (1, 2), (7, 60), 1.0),
    "undercover": (3, "deployments", (1, 1), (14, 90), 0.7),
    "undercover_online": (3, "officer_days", (2, 8), (7, 60), 0.6),
    "asset_recovery": (9, "cases", (1, 1), (30, 120), 0.7),
    "economic_crime": (7, "cases", (1, 1), (30, 120), 0.8),
    "cyber_crime": (7, "cases", (1, 1), (14, 90), 0.7),
    "gain": (6, "cases", (1, 1), (3, 21), 0.5),
    "prison_intelligence": (5, "cases", (1, 1), (7, 60), 0.6),
    "disruption_team": (4, "officer_days", (2, 10), (3, 30), 0.7),
    "marsoc": (2, "cases", (1, 1), (30, 180), 0.4),
    "organised_exploitation": (4, "cases", (1, 1), (14, 90), 0.5),
    "digital_forensics": (8, "examinations", (1, 4), (3, 30), 0.85),
    "covert_authorities": (3, "cases", (1, 1), (1, 7), 0.5),
}
TEAMS = {
    "rocta": "Threat assessment team",
    "rib": "Regional intelligence bureau",
    "siu": "Sensitive intelligence unit",
    "surveillance": "Surveillance team",
    "technical_surveillance": "Technical surveillance unit",
    "undercover": "Undercover unit",
    "undercover_online": "Online undercover unit",
    "asset_recovery": "Regional asset recovery team",
    "economic_crime": "Economic crime unit",
    "cyber_crime": "Cyber crime unit",
    "gain": "GAIN co-ordinator",
    "prison_intelligence": "Prison intelligence unit",
    "disruption_team": "Regional disruption team",
    "marsoc": "MARSOC team",
    "organised_exploitation": "Organised exploitation team",
    "digital_forensics": "Digital forensics unit",
    "covert_authorities": "Covert authorities bureau",
}
#: Capabilities some ROCUs do not offer (each missing from a ROCU with this chance).
OPTIONAL = ("undercover_online", "marsoc", "organised_exploitation", "covert_authorities")
OPTIONAL_MISSING = 0.25
#: The national capabilities the NCA offers, and the pressure on them.
NCA_CAPABILITIES = (
    "siu",
    "surveillance",
    "technical_surveillance",
    "undercover",
    "undercover_online",
    "asset_recovery",
    "economic_crime",
    "cyber_crime",
    "gain",
    "digital_forensics",
    "covert_authorities",
)
NCA_PRESSURE = 0.8
#: Surveillance capacity of a ROCU at the national scale, team-days a month.
SURVEILLANCE_CAPACITY = (20, 40)
#: How far over a month's capacity a team stretches before it refuses work (surveillance only).
STRETCH = {"surveillance": 0.1}

#: The acceptance criteria each capability starts with (``gateway.choices.DEFAULT_CRITERIA``).
CRITERIA = {
    "surveillance": [
        {"kind": "threat_required"},
        {"kind": "tiers", "tiers": [1, 2, 3]},
        {"kind": "notice_days", "days": 5},
        {"kind": "authorities"},
    ],
    "technical_surveillance": [
        {"kind": "threat_required"},
        {"kind": "tiers", "tiers": [1, 2, 3]},
        {"kind": "notice_days", "days": 10},
        {"kind": "authorities"},
    ],
    "undercover": [
        {"kind": "threat_required"},
        {"kind": "tiers", "tiers": [1, 2]},
        {"kind": "authorities"},
    ],
    "undercover_online": [{"kind": "threat_required"}, {"kind": "authorities"}],
    "asset_recovery": [{"kind": "threat_required"}],
    "covert_authorities": [{"kind": "authorities"}],
    "rocta": [{"kind": "threat_required"}],
    "marsoc": [{"kind": "threat_required"}],
}
#: Days a request may wait for a decision (``gateway.choices.DEFAULT_DECISION_DAYS``).
DECISION_DAYS = {"immediate": 1, "urgent": 3, "routine": 14}
#: The states awaiting a decision, and those a decision to accept leads to.
AWAITING = ("submitted", "triaged")
ACCEPTED = ("accepted", "in_progress", "completed")
UNMET_REASONS = frozenset({"capacity"})

THREAT_TO_LIFE_RATE = 0.05
URGENCY_WITH_THREAT_TO_LIFE = [("immediate", 50), ("urgent", 45), ("routine", 5)]
URGENCY = [("immediate", 2), ("urgent", 17), ("routine", 81)]
#: Requests describing a threat not on the master list (or about no listed threat at all).
DESCRIBED_RATE = 0.10
#: How likely a threat of each tier is to be the subject of a request (higher tiers get more
#: support), and more so for the covert capabilities.
TIER_WEIGHTS = {1: 8, 2: 6, 3: 4, 4: 1.2, 5: 0.5}
COVERT_TIER_WEIGHTS = {1: 8, 2: 6, 3: 4, 4: 0.5, 5: 0.2}
COVERT = ("surveillance", "technical_surveillance", "undercover", "undercover_online")
#: The authorities a request for each capability names (when it names them); others name
#: communications data now and then.
AUTHORITIES = {
    "surveillance": [
        ["directed_surveillance"],
        ["directed_surveillance", "intrusive_surveillance"],
    ],
    "technical_surveillance": [
        ["property_interference"],
        ["intrusive_surveillance", "property_interference"],
        ["equipment_interference"],
    ],
    "undercover": [["chis"]],
    "undercover_online": [["chis"], ["chis", "communications_data"]],
    "covert_authorities": [["communications_data"], ["directed_surveillance"], ["chis"]],
}
AUTHORITIES_NAMED_RATE = 0.94
#: Requests for a capability that asks for notice giving less than it asks.
SHORT_NOTICE_RATE = 0.05
PAUSE_RATE = 0.15
WITHDRAW_RATE = 0.04
TRIAGE_RATE = 0.75
#: Other outcomes drawn before capacity is looked at: not enough information (the question
#: put to the requester went unanswered), not proportionate, other; better placed elsewhere.
INFORMATION_RATE = 0.03
PROPORTIONALITY_RATE = 0.02
OTHER_RATE = 0.007
JURISDICTION_RATE = 0.02
#: Of the requests there is no capacity for, those referred elsewhere rather than declined.
CAPACITY_REFERRAL_RATE = 0.25
#: Decisions that take much longer than they should (the backlog the flag finds).
SLOW_DECISION_RATE = {"immediate": 0.05, "urgent": 0.1, "routine": 0.07}
OVERRIDE_RATE = 0.1
#: Requests of the last month each gateway has not got round to (at least two): still waiting
#: for a decision, most of them past the limit.
BACKLOG_RATE = 0.005
BACKLOG_MIN = 2
BACKLOG_DAYS = 30
HANDLING = [("region", 92), ("national", 5), ("named", 3)]
#: Working hours (UTC) every time falls in.
DAY_START, DAY_END = 7, 21

OPERATIONS = [
    "Anvil",
    "Beacon",
    "Bramble",
    "Cobalt",
    "Delta Fern",
    "Ember",
    "Falcon Ridge",
    "Granite",
    "Harbour",
    "Ironwood",
    "Juniper",
    "Kestrel",
    "Lantern",
    "Meridian",
    "Nettle",
    "Orchard",
    "Pennant",
    "Quarry",
    "Rowan",
    "Sable",
    "Thistle",
    "Umber",
    "Vantage",
    "Willow",
]
ASKED = {
    "rocta": "A MoRiLE assessment of the whole group before the tasking meeting.",
    "rib": "Research and a profile of the principal nominals and their associates.",
    "siu": "Sensitive intelligence development on the group's supply route.",
    "surveillance": "Mobile surveillance of the principal nominals on planned deployment days.",
    "technical_surveillance": "A technical deployment on a vehicle used by the group.",
    "undercover": "An undercover test purchase operation against the supply line.",
    "undercover_online": "Online undercover engagement with accounts used by the group.",
    "asset_recovery": "Financial investigation and restraint of the principals' assets.",
    "economic_crime": "Investigation of the fraud and identification of victims.",
    "cyber_crime": "Investigation of the compromise and Protect advice to victims.",
    "gain": "Partner agency checks and tactical options from the GAIN network.",
    "prison_intelligence": "Prison intelligence on a nominal directing the group from custody.",
    "disruption_team": "Disruption tactics against the group's premises and vehicles.",
    "marsoc": "Joint management of a principal due for release.",
    "organised_exploitation": "Support to identify and safeguard exploited victims.",
    "digital_forensics": "Examination of seized phones and devices.",
    "covert_authorities": "Authority applications for the covert tactics planned.",
}
WHY = [
    "The group is supplying class A drugs across the force area and recent intelligence "
    "shows an escalation.",
    "Vulnerable people are being exploited and the investigation needs to move quickly.",
    "The principals are surveillance-aware and local resources cannot meet the need.",
    "A firearm is believed to be held by the group.",
    "The investigation has reached the point where the evidence is needed for a charging decision.",
    "Partners have raised concerns and the threat is rising on the master list.",
]
DESCRIBED = [
    "An emerging group supplying drugs in the town centre, not yet mapped.",
    "A network of nail bars where workers appear to be controlled.",
    "An unknown group committing burglaries for high-value vehicles.",
    "A fraud targeting older residents by telephone, offenders not yet identified.",
    "Suspected money laundering through a chain of car washes.",
]
OUTCOMES = [
    "Evidence gathered supported arrests and charges.",
    "Intelligence gaps closed; the plan's pursue actions were updated.",
    "Assets identified and restrained.",
    "Victims identified and safeguarded with partners.",
    "Deployment completed; no further activity seen.",
    "Product handed to the investigation team for the file.",
]
CRITERION_TEXT = {
    "threat_required": "it names no threat on the master list",
    "tiers": "the threat is not of a tier this capability takes",
    "notice_days": "not enough notice was given",
    "authorities": "the authorities it needs are not named",
    "assessed": "the threat has no current moderated MoRiLE assessment",
}


# --- records -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SynthOffer:
    """A capability as one gateway offers it."""

    gateway: str
    capability: str
    team: str
    monthly_capacity: float
    unit: str
    owner: str | None


@dataclass(slots=True)
class SynthPause:
    """A wait on the requester for information; ``ended_at`` None while it lasts."""

    started_at: dt.datetime
    ended_at: dt.datetime | None
    asked: str
    answer: str
    started_by: str
    ended_by: str | None


@dataclass(slots=True)
class SynthRequest:
    """A request to ``gateway`` (an organisation key), in the state the workflow left it."""

    number: int
    gateway: str
    capability: str
    requesting_org: str
    requested_by: str
    threat: str | None
    threat_description: str
    operation: str
    asked_for: str
    justification: str
    needed_from: dt.date
    needed_to: dt.date | None
    urgency: str
    threat_to_life: bool
    authorities: list[str]
    handling: str
    submitted_at: dt.datetime
    status: str = "submitted"
    #: Organisations it is shared with: the requester, and for a referral received, the
    #: gateway that referred it.
    shared_with: list[str] = field(default_factory=list)
    assigned_to: str | None = None
    triaged_at: dt.datetime | None = None
    decided_at: dt.datetime | None = None
    decided_by: str | None = None
    decline_reason: str = ""
    referral_reason: str = ""
    decision_notes: str = ""
    #: Accepted: the gateway's offer of the capability is the team committed.
    committed_from: dt.date | None = None
    committed_to: dt.date | None = None
    committed_capacity: float | None = None
    #: The number of the request received where this one was referred; the one it came from.
    referred_to: int | None = None
    referred_from: int | None = None
    started_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    outcome: str = ""
    pauses: list[SynthPause] = field(default_factory=list)
    override_score: int | None = None
    override_reason: str = ""
    override_by: str | None = None

    @property
    def reference(self) -> str:
        return reference(self.number)

    @property
    def accepted(self) -> bool:
        return self.status in ACCEPTED

    @property
    def updated_at(self) -> dt.datetime:
        """The time of its last event."""
        times = [self.submitted_at, self.triaged_at, self.decided_at]
        times += [self.started_at, self.completed_at]
        for p in self.pauses:
            times += [p.started_at, p.ended_at]
        return max(t for t in times if t is not None)


@dataclass
class GatewayPlan:
    offers: list[SynthOffer] = field(default_factory=list)
    #: In reference order (the order they were received).
    requests: list[SynthRequest] = field(default_factory=list)
    now: dt.datetime | None = None
    truth: dict = field(default_factory=dict)


def reference(number: int, offset: int = 0) -> str:
    """``GW-000123``: the gateway's automatic reference (``core.references``)."""
    return f"{PREFIX}-{number + offset:06d}"


# --- clocks and figures --------------------------------------------------------------------------


def running_days(
    start: dt.datetime,
    end: dt.datetime | None,
    now: dt.datetime,
    pauses: list[SynthPause],
) -> float:
    """Days from ``start`` to ``end`` (or ``now``) less the time paused within them, as
    ``gateway.clock.clock`` counts them."""
    stop = max(end if end is not None else now, start)
    paused = dt.timedelta(0)
    covered = start
    for s, e in sorted((p.started_at, p.ended_at or now) for p in pauses):
        s, e = max(s, covered), min(e, stop)
        if e > s:
            paused += e - s
            covered = e
    return ((stop - start) - paused).total_seconds() / 86400


def is_overdue(r: SynthRequest, now: dt.datetime) -> bool:
    if r.status not in AWAITING:
        return False
    return running_days(r.submitted_at, None, now, r.pauses) > DECISION_DAYS[r.urgency]


def month(d: dt.date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def _cell() -> dict:
    return {
        "received": 0,
        "accepted": 0,
        "declined": 0,
        "referred": 0,
        "unmet": 0,
        "withdrawn": 0,
        "awaiting": 0,
        "committed": 0.0,
        "decision_days": [],
    }


def demand(requests: list[SynthRequest], shift_days: int = 0) -> dict:
    """``{gateway: {capability: {month: cell}}}`` (see the module's notes) with every date moved
    by ``shift_days`` whole days, as the loader moves them."""
    shift = dt.timedelta(days=shift_days)
    out: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(_cell)))
    for r in requests:
        cells = out[r.gateway][r.capability]
        cell = cells[month(r.submitted_at.date() + shift)]
        cell["received"] += 1
        if r.accepted:
            cell["accepted"] += 1
            cells[month(r.committed_from + shift)]["committed"] += r.committed_capacity
        elif r.status == "declined":
            cell["declined"] += 1
            cell["unmet"] += r.decline_reason in UNMET_REASONS
        elif r.status == "referred":
            cell["referred"] += 1
            cell["unmet"] += r.referral_reason in UNMET_REASONS
        elif r.status == "withdrawn":
            cell["withdrawn"] += 1
        else:
            cell["awaiting"] += 1
        if r.status in (*ACCEPTED, "declined", "referred"):
            days = running_days(r.submitted_at, r.decided_at, r.decided_at, r.pauses)
            cell["decision_days"].append(round(days, 4))
    result: dict = {}
    for gateway, capabilities in sorted(out.items()):
        result[gateway] = {}
        for capability, months in sorted(capabilities.items()):
            result[gateway][capability] = {}
            for m, cell in sorted(months.items()):
                cell["committed"] = round(cell["committed"], 1)
                cell["decision_days"].sort()
                result[gateway][capability][m] = cell
    return result


# --- drawing -------------------------------------------------------------------------------------

_CUMULATIVE: dict[tuple, tuple[tuple, list[float]]] = {}


def _pick(rng: random.Random, weighted):
    key = tuple(weighted)
    if key not in _CUMULATIVE:
        values, weights = zip(*key, strict=True)
        _CUMULATIVE[key] = (values, list(itertools.accumulate(weights)))
    values, cumulative = _CUMULATIVE[key]
    return values[bisect.bisect(cumulative, rng.random() * cumulative[-1], 0, len(values) - 1)]


def _scale_factor(scale: str, national: dict[str, int], demo_rocu: str | None) -> float:
    """How the year's requests (and the capacity that meets them) compare with the national
    scale's."""
    if scale == "demo":
        return DEMO_REQUESTS / national[demo_rocu] if demo_rocu in national else 1.0
    if scale == "national":
        return 1.0
    return float(scale)


class _Planner:
    def __init__(self, dataset: Dataset, organisations: list[OrgSpec]):
        self.rng = random.Random(f"{dataset.seed}:gateway")
        self.today = dataset.today
        self.now = dt.datetime.combine(dataset.today, dt.time(0))
        self.start = self.now - dt.timedelta(days=365)
        orgs = sorted(organisations, key=lambda o: o.key)
        self.by_key = {o.key: o for o in orgs}
        self.rocus = [o for o in orgs if o.type == "rocu"]
        self.forces: dict[str, list[OrgSpec]] = defaultdict(list)
        for o in orgs:
            if o.type == "force" and o.region_key:
                self.forces[o.region_key].append(o)
        users: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for u in dataset.users:
            for role in u.roles:
                users[u.org_key][role].append(u.username)
        self.users = users
        self.threats: dict[str, list] = defaultdict(list)
        for t in dataset.threats:
            if t.closed_on is None:
                self.threats[t.owner_key].append(t)
        self.tier = {t.reference: t.tier for t in dataset.threats}
        self.pools: dict[tuple[str, bool], tuple[list, list, list]] = {}
        self.requests: list[SynthRequest] = []
        #: (gateway, capability, month) -> capacity committed
        self.committed: dict[tuple[str, str, str], float] = defaultdict(float)
        self.offers: dict[tuple[str, str], SynthOffer] = {}
        #: Requests left waiting (by id).
        self.backlog: set[int] = set()

    # --- who -----------------------------------------------------------------------------------

    def officer(self, gateway: str) -> str | None:
        names = self.users[gateway]["gateway_officer"]
        return names[0] if names else None

    def requester(self, org: str) -> str | None:
        people = self.users[org]
        sio, analyst = people["sio"], people["analyst"]
        if sio and (not analyst or self.rng.random() < 0.7):
            return sio[0]
        return analyst[0] if analyst else None

    def gateways(self, capability: str, *, besides: str) -> list[str]:
        """Gateways with somebody to decide that offer ``capability``, other than ``besides``."""
        return [
            g
            for (g, c) in self.offers
            if c == capability and g != besides and self.officer(g) is not None
        ]

    # --- offers --------------------------------------------------------------------------------

    def plan_offers(self, scale: str) -> dict[str, int]:
        """The offers, and the requests each ROCU receives in the year (0 where nobody works
        its gateway: outside the demo's region)."""
        rng = self.rng
        national = {}
        for rocu in self.rocus:
            weight = sum(
                FORCE_WEIGHTS.get(f.key, DEFAULT_FORCE_WEIGHT)
                for f in self.forces.get(rocu.region_key, [])
            )
            national[rocu.key] = round(BASE_REQUESTS + REQUESTS_PER_WEIGHT * weight)
        demo_rocu = next((r.key for r in self.rocus if r.region_key == DEMO_REGION), None)
        factor = _scale_factor(scale, national, demo_rocu)
        volumes = {}
        for rocu in self.rocus:
            staffed = self.officer(rocu.key) is not None and any(
                self.requester(f.key) for f in self.forces.get(rocu.region_key, [])
            )
            volumes[rocu.key] = (
                max(MIN_REQUESTS, round(national[rocu.key] * factor)) if staffed else 0
            )
            offered = [
                c for c in CAPABILITIES if c not in OPTIONAL or rng.random() > OPTIONAL_MISSING
            ]
            self._offer(rocu.key, offered, national[rocu.key], factor, None)
        if NCA in self.by_key:
            to_nca = sum(national.values()) * NCA_SHARE * 2  # direct, and as much again referred
            self._offer(NCA, list(NCA_CAPABILITIES), to_nca, factor, NCA_PRESSURE)
        return volumes

    def _offer(self, gateway, offered, volume, factor, pressure) -> None:
        shares = sum(CAPABILITIES[c][0] for c in offered)
        owner = self.users[gateway]["chief_officer"]
        for c in offered:
            share, unit, (low, high), _, own_pressure = CAPABILITIES[c]
            eligible = 0.8 if c in CRITERIA else 0.95
            monthly = volume / 12 * share / shares * (low + high) / 2 * eligible
            capacity = monthly / (pressure or own_pressure)
            if c == "surveillance" and gateway != NCA:
                capacity = min(max(capacity, SURVEILLANCE_CAPACITY[0]), SURVEILLANCE_CAPACITY[1])
            capacity = max(float(high), round(capacity * factor, 1))
            self.offers[(gateway, c)] = SynthOffer(
                gateway, c, TEAMS[c] + TEAM_SUFFIX, capacity, unit, owner[0] if owner else None
            )

    # --- times ---------------------------------------------------------------------------------

    def in_hours(self, t: dt.datetime) -> dt.datetime:
        """``t``, or the next time in working hours after it."""
        if t.hour < DAY_START:
            return t.replace(hour=DAY_START, minute=self.rng.randint(0, 59))
        if t.hour >= DAY_END:
            nxt = t + dt.timedelta(days=1)
            return nxt.replace(hour=DAY_START, minute=self.rng.randint(0, 59))
        return t

    def submission_time(self) -> dt.datetime:
        rng = self.rng
        while True:
            day = self.start + dt.timedelta(days=rng.randrange(365))
            if day.weekday() < 5 or rng.random() < 0.25:
                break
        minutes = rng.randint(DAY_START * 60 + 30, (DAY_END - 2) * 60)
        return day + dt.timedelta(minutes=minutes)

    # --- requests ------------------------------------------------------------------------------

    def draw_request(self, gateway: str, org: str, capabilities: list[str]) -> SynthRequest | None:
        rng = self.rng
        requester = self.requester(org)
        if requester is None:
            return None
        capability = _pick(rng, [(c, CAPABILITIES[c][0]) for c in capabilities])
        submitted = self.submission_time()
        ttl = rng.random() < THREAT_TO_LIFE_RATE
        urgency = _pick(rng, URGENCY_WITH_THREAT_TO_LIFE if ttl else URGENCY)
        threat = None
        if rng.random() >= DESCRIBED_RATE * (0.5 if capability in COVERT else 1):
            threat = self.pick_threat(org, capability, submitted.date())
        description = "" if threat else f"Synthetic description. {rng.choice(DESCRIBED)}"
        notice = self.notice(capability, urgency)
        needed_from = submitted.date() + dt.timedelta(days=notice)
        low, high = CAPABILITIES[capability][3]
        needed_to = (
            needed_from + dt.timedelta(days=rng.randint(low, high)) if rng.random() < 0.8 else None
        )
        if capability in AUTHORITIES:
            authorities = (
                list(rng.choice(AUTHORITIES[capability]))
                if rng.random() < AUTHORITIES_NAMED_RATE
                else []
            )
        else:
            authorities = ["communications_data"] if rng.random() < 0.1 else []
        return SynthRequest(
            number=0,
            gateway=gateway,
            capability=capability,
            requesting_org=org,
            requested_by=requester,
            threat=threat,
            threat_description=description,
            operation=f"Operation {rng.choice(OPERATIONS)}" if rng.random() < 0.8 else "",
            asked_for=f"Synthetic request. {ASKED[capability]}",
            justification=f"Synthetic justification. {rng.choice(WHY)}",
            needed_from=needed_from,
            needed_to=needed_to,
            urgency=urgency,
            threat_to_life=ttl,
            authorities=sorted(set(authorities)),
            handling=_pick(rng, HANDLING),
            submitted_at=submitted,
            shared_with=[org],
        )

    def notice(self, capability: str, urgency: str) -> int:
        """Days between asking and needing: requesters mostly give the notice a capability asks
        for, now and then less."""
        rng = self.rng
        if urgency == "immediate":
            return rng.randint(0, 1)
        required = next(
            (s["days"] for s in CRITERIA.get(capability, []) if s["kind"] == "notice_days"), 0
        )
        if required and rng.random() < SHORT_NOTICE_RATE:
            return rng.randint(1, required - 1)
        if urgency == "urgent":
            return rng.randint(max(1, required), max(7, required + 3))
        return rng.randint(max(5, required), 45)

    def pick_threat(self, org: str, capability: str, on: dt.date) -> str | None:
        """One of ``org``'s open threats opened by ``on``, by tier (None: it has none)."""
        weights = COVERT_TIER_WEIGHTS if capability in COVERT else TIER_WEIGHTS
        key = (org, weights is COVERT_TIER_WEIGHTS)
        if key not in self.pools:  # by opening date, with the running total of their weights
            listed = sorted(self.threats.get(org, []), key=lambda t: (t.opened_on, t.reference))
            self.pools[key] = (
                [t.opened_on for t in listed],
                list(itertools.accumulate(weights.get(t.tier, 1) for t in listed)),
                [t.reference for t in listed],
            )
        opened, cumulative, references = self.pools[key]
        n = bisect.bisect_right(opened, on)
        if not n:
            return None
        return references[
            bisect.bisect(cumulative, self.rng.random() * cumulative[n - 1], 0, n - 1)
        ]

    def unmet_criteria(self, r: SynthRequest) -> list[str]:
        """The acceptance criteria ``r`` does not meet (``gateway.services.acceptance``)."""
        unmet = []
        for spec in CRITERIA.get(r.capability, []):
            kind = spec["kind"]
            if kind == "threat_required":
                ok = r.threat is not None
            elif kind == "tiers":
                ok = r.threat_to_life or (
                    r.threat is not None and self.tier[r.threat] in spec["tiers"]
                )
            elif kind == "notice_days":
                notice = (r.needed_from - r.submitted_at.date()).days
                ok = r.threat_to_life or r.urgency == "immediate" or notice >= spec["days"]
            elif kind == "authorities":
                ok = bool(r.authorities)
            else:  # "assessed" is not among the starting criteria
                ok = True
            if not ok:
                unmet.append(kind)
        return unmet

    def decision_delay(self, urgency: str) -> float:
        """Running days to the decision."""
        rng = self.rng
        slow = rng.random() < SLOW_DECISION_RATE[urgency]
        if urgency == "immediate":
            return rng.uniform(1.5, 4) if slow else rng.uniform(1 / 24, 10 / 24)
        if urgency == "urgent":
            return rng.uniform(3.5, 8) if slow else rng.uniform(4 / 24, 2.8)
        return rng.uniform(15, 30) if slow else rng.uniform(0.3, 12)

    def work(self, r: SynthRequest, *, may_refer: bool = True) -> None:
        """Take ``r`` through the gateway's workflow up to ``now``."""
        rng = self.rng
        officer = self.officer(r.gateway)
        running = dt.timedelta(days=self.decision_delay(r.urgency))
        withdraw = rng.random() < WITHDRAW_RATE
        draw = rng.random()
        information = not withdraw and draw < INFORMATION_RATE
        pause = None
        if information or rng.random() < PAUSE_RATE:
            begin = self.in_hours(r.submitted_at + running * rng.uniform(0.1, 0.6))
            asked = "Synthetic question: please send the latest intelligence picture and the "
            asked += "authorities sought."
            if information:  # never answered: declined for want of it
                pause = SynthPause(begin, None, asked, "", officer, None)
                decided = self.in_hours(begin + dt.timedelta(days=rng.uniform(7, 15)))
            else:
                answered = self.in_hours(begin + dt.timedelta(days=rng.uniform(0.5, 10)))
                answer = "Synthetic answer: the intelligence picture and authorities are attached."
                pause = SynthPause(begin, answered, asked, answer, officer, r.requested_by)
                decided = self.in_hours(answered + running * rng.uniform(0.4, 0.9))
        else:
            decided = self.in_hours(r.submitted_at + running)
        if id(r) in self.backlog:
            decided = self.now + dt.timedelta(days=1)
        if pause is not None:
            r.pauses.append(pause)
        if rng.random() < TRIAGE_RATE:
            # Before the question is put, or before the decision; otherwise not triaged.
            before = pause.started_at if pause is not None else decided
            triaged = self.in_hours(r.submitted_at + (before - r.submitted_at) * 0.3)
            r.triaged_at = triaged if triaged < before else None
        if decided >= self.now:
            self.still_waiting(r, officer)
            return
        r.assigned_to = officer
        if withdraw:
            self.close_pause(r, decided, r.requested_by, "(withdrawn)")
            r.status, r.decided_at, r.decided_by = "withdrawn", decided, r.requested_by
            return
        r.decided_at, r.decided_by = decided, officer
        unmet = self.unmet_criteria(r)
        if information:
            self.close_pause(r, decided, officer, "(closed by the decision)")
            self.decline(
                r, "information", "Synthetic decision: the information asked for was not sent."
            )
        elif unmet:
            why = "; ".join(CRITERION_TEXT[k] for k in unmet)
            self.decline(r, "criteria", f"Synthetic decision: declined because {why}.")
        elif draw < INFORMATION_RATE + PROPORTIONALITY_RATE:
            self.decline(
                r,
                "proportionality",
                "Synthetic decision: the tactic is not necessary or proportionate here.",
            )
        elif draw < INFORMATION_RATE + PROPORTIONALITY_RATE + OTHER_RATE:
            self.decline(r, "other", "Synthetic decision: already covered by another operation.")
        elif (
            may_refer
            and draw < INFORMATION_RATE + PROPORTIONALITY_RATE + OTHER_RATE + JURISDICTION_RATE
            and self.refer(r, "jurisdiction")
        ):
            pass
        else:
            self.accept_or_not(r, may_refer=may_refer)

    def still_waiting(self, r: SynthRequest, officer: str | None) -> None:
        """Not decided by ``now``: awaiting a decision, an unanswered question still open."""
        if r.triaged_at is not None and r.triaged_at >= self.now:
            r.triaged_at = None
        r.status = "triaged" if r.triaged_at else "submitted"
        if r.triaged_at:
            r.assigned_to = officer
        kept = []
        for p in r.pauses:
            if p.started_at >= self.now:
                continue
            if p.ended_at is None or p.ended_at >= self.now:
                p.ended_at, p.ended_by, p.answer = None, None, ""
            kept.append(p)
        r.pauses = kept
        if r.triaged_at and self.rng.random() < OVERRIDE_RATE:
            r.override_score = self.rng.randint(60, 150)
            r.override_reason = "Synthetic override: linked to a threat-to-life operation nearby."
            r.override_by = officer
        # Never within a day below its limit: the flag then reads the same all day.
        limit = DECISION_DAYS[r.urgency]
        open_pause = any(p.ended_at is None for p in r.pauses)
        age = running_days(r.submitted_at, None, self.now, r.pauses)
        if not open_pause and limit - 1.05 <= age <= limit + 0.05:
            r.submitted_at -= dt.timedelta(days=2)

    def close_pause(self, r: SynthRequest, at: dt.datetime, by: str | None, answer: str) -> None:
        for p in r.pauses:
            if p.ended_at is None:
                p.ended_at, p.ended_by, p.answer = at, by, answer

    def decline(self, r: SynthRequest, reason: str, notes: str) -> None:
        r.status, r.decline_reason, r.decision_notes = "declined", reason, notes

    def refer(self, r: SynthRequest, reason: str) -> bool:
        """Refer ``r`` to another gateway that offers its capability (the NCA first when it is
        better placed elsewhere); the request received there is worked in turn."""
        targets = self.gateways(r.capability, besides=r.gateway)
        if not targets:
            return False
        rng = self.rng
        if reason == "jurisdiction" and NCA in targets and rng.random() < 0.6:
            target = NCA
        else:
            target = rng.choice(targets)
        name = self.by_key[target].name
        r.status, r.referral_reason = "referred", reason
        r.decision_notes = f"Synthetic decision: referred to {name}, " + (
            "which has capacity." if reason == "capacity" else "which is better placed."
        )
        received = SynthRequest(
            number=0,
            gateway=target,
            capability=r.capability,
            requesting_org=r.requesting_org,
            requested_by=r.requested_by,
            threat=r.threat,
            threat_description=r.threat_description,
            operation=r.operation,
            asked_for=r.asked_for,
            justification=r.justification,
            needed_from=r.needed_from,
            needed_to=r.needed_to,
            urgency=r.urgency,
            threat_to_life=r.threat_to_life,
            authorities=list(r.authorities),
            handling=r.handling,
            submitted_at=r.decided_at,
            shared_with=list(dict.fromkeys([r.requesting_org, r.gateway])),
            referred_from=id(r),
        )
        self.add(received)
        r.referred_to = id(received)
        self.work(received, may_refer=False)
        return True

    def accept_or_not(self, r: SynthRequest, *, may_refer: bool) -> None:
        rng = self.rng
        _, _, (low, high), (short, long), _ = CAPABILITIES[r.capability]
        asked = float(rng.randint(low, high))
        offer = self.offers[(r.gateway, r.capability)]
        start = max(r.needed_from, r.decided_at.date())
        key = (r.gateway, r.capability, month(start))
        limit = offer.monthly_capacity * (1 + STRETCH.get(r.capability, 0))
        if not r.threat_to_life and self.committed[key] + asked > limit:
            if not (
                may_refer and rng.random() < CAPACITY_REFERRAL_RATE and self.refer(r, "capacity")
            ):
                self.decline(
                    r, "capacity", "Synthetic decision: the team is fully committed that month."
                )
            return
        self.committed[key] += asked
        r.committed_from = start
        if r.needed_to and r.needed_to >= start:
            r.committed_to = r.needed_to
        else:  # open-ended, or decided after the dates asked for: the team's own estimate
            r.committed_to = start + dt.timedelta(days=rng.randint(short, long))
        r.committed_capacity = asked
        r.status = "accepted"
        if rng.random() < 0.3:
            r.decision_notes = "Synthetic decision: accepted; deployment dates agreed."
        began = dt.datetime.combine(start, dt.time(9, rng.randint(0, 59)))
        began = max(began, self.in_hours(r.decided_at + dt.timedelta(hours=1)))
        if began >= self.now:
            return
        r.status, r.started_at = "in_progress", began
        finished = dt.datetime.combine(
            r.committed_to + dt.timedelta(days=rng.randint(0, 10)), dt.time(16, rng.randint(0, 59))
        )
        finished = max(finished, self.in_hours(began + dt.timedelta(hours=2)))
        if finished >= self.now:
            return
        r.status, r.completed_at = "completed", finished
        r.outcome = f"Synthetic outcome. {rng.choice(OUTCOMES)}"

    def add(self, r: SynthRequest) -> None:
        self.requests.append(r)

    # --- the year ------------------------------------------------------------------------------

    def plan(self, scale: str) -> GatewayPlan:
        rng = self.rng
        volumes = self.plan_offers(scale)
        drawn: list[SynthRequest] = []
        for rocu in self.rocus:
            volume = volumes[rocu.key]
            if not volume:
                continue
            capabilities = [c for (g, c) in self.offers if g == rocu.key]
            forces = self.forces.get(rocu.region_key, [])
            senders = [(f.key, FORCE_WEIGHTS.get(f.key, DEFAULT_FORCE_WEIGHT)) for f in forces]
            own = sum(w for _, w in senders) * OWN_UNIT_SHARE / (1 - OWN_UNIT_SHARE)
            senders.append((rocu.key, own))
            for _ in range(volume):
                r = self.draw_request(rocu.key, _pick(rng, senders), capabilities)
                if r is not None:
                    drawn.append(r)
            if self.officer(NCA) is not None:
                national = [c for (g, c) in self.offers if g == NCA]
                for _ in range(max(1, round(volume * NCA_SHARE))):
                    r = self.draw_request(NCA, rocu.key, national)
                    if r is not None:
                        drawn.append(r)
        # Each gateway's backlog: requests of the last month it has not decided yet.
        for gateway in sorted({r.gateway for r in drawn}):
            mine = [r for r in drawn if r.gateway == gateway]
            size = min(len(mine), max(BACKLOG_MIN, round(len(mine) * BACKLOG_RATE)))
            for r in rng.sample(mine, size):
                moved = self.now - dt.timedelta(days=rng.uniform(0.5, BACKLOG_DAYS))
                moved = moved.replace(hour=rng.randint(DAY_START, DAY_END - 1))
                by = dt.timedelta(days=(moved.date() - r.submitted_at.date()).days)
                r.submitted_at = min(moved, self.now - dt.timedelta(hours=4))
                r.needed_from += by
                r.needed_to = r.needed_to + by if r.needed_to else None
                self.backlog.add(id(r))
        drawn.sort(key=lambda r: r.submitted_at)
        for r in drawn:
            self.add(r)
            self.work(r)
        # References in the order the requests were received (a referral's when it was made).
        order = sorted(range(len(self.requests)), key=lambda i: (self.requests[i].submitted_at, i))
        ordered = [self.requests[i] for i in order]
        numbers = {id(r): n for n, r in enumerate(ordered, start=1)}
        for r in ordered:
            r.number = numbers[id(r)]
            if r.referred_to is not None:
                r.referred_to = numbers[r.referred_to]
            if r.referred_from is not None:
                r.referred_from = numbers[r.referred_from]
        offers = sorted(self.offers.values(), key=lambda o: (o.gateway, o.capability))
        plan = GatewayPlan(offers=offers, requests=ordered, now=self.now)
        plan.truth = self.truth(plan)
        return plan

    def truth(self, plan: GatewayPlan) -> dict:
        first = self.start.date()
        months = sorted({month(first + dt.timedelta(days=d)) for d in range(365)})
        by_number = {r.number: r for r in plan.requests}
        return {
            "months": months,
            "offers": {
                g: {
                    o.capability: {"capacity": o.monthly_capacity, "unit": o.unit, "team": o.team}
                    for o in plan.offers
                    if o.gateway == g
                }
                for g in sorted({o.gateway for o in plan.offers})
            },
            "demand": demand(plan.requests),
            "overdue": [r.reference for r in plan.requests if is_overdue(r, self.now)],
            "awaiting": [r.reference for r in plan.requests if r.status in AWAITING],
            "by_status": dict(sorted(Counter(r.status for r in plan.requests).items())),
            "received": dict(sorted(Counter(r.gateway for r in plan.requests).items())),
            "referrals": [
                [r.reference, by_number[r.referred_to].reference]
                for r in plan.requests
                if r.referred_to is not None
            ],
        }


def gateway_plan(dataset: Dataset, organisations: list[OrgSpec]) -> GatewayPlan:
    """The offers and a year of requests over ``dataset``'s threats and users (see the module's
    notes). Deterministic for the dataset's seed; draws from its own random source."""
    return _Planner(dataset, organisations).plan(dataset.scale)

"""Synthetic association structure, with ground truth, for network analysis.

Pure Python (and numpy/pandas for the stress graph): no Django. Everything here is invented.

- :func:`association_plan` draws, over a generated :class:`~socmaster.synth.generator.Dataset`,
  the ties an analyst would find among the nominals: recorded associations (of the kinds of
  ``network.choices.AssociationKind``, dated) and identifiers two or three nominals share
  (phones, addresses, vehicles), dense within each threat's current members so that community
  detection recovers the group; with **hidden members** (nominals tied to a threat's members
  but not recorded as members), **brokers** (members of one threat tied into others) and **split
  threats** (recorded as one threat, tied as two groups with no ties between them) recorded in
  the ground truth. People already in two threats are tied into both. It draws from its own
  random source, so :func:`~socmaster.synth.generator.generate`'s other outputs stay as they
  were; ``generate`` keeps the plan's truth under ``dataset.truth["network"]`` and
  ``socmaster.web.synthetic`` loads the plan.
- :func:`stress_graph` makes a plain edge table of about a million edges with the same kind of
  structure (heavy-tailed dense groups, people in several groups, brokers, hidden members,
  shared phone and address nodes, a sparse random background), vectorised with numpy, for the
  network benchmark (``bench/network.py``).
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from .generator import Dataset, SynthMember

# --- the association plan ---------------------------------------------------------------------

#: Kinds of recorded association within a group (``network.choices.AssociationKind`` values).
GROUP_KINDS = [
    ("associate", 34),
    ("co_offender", 26),
    ("communication", 20),
    ("family", 9),
    ("business", 6),
    ("partner", 5),
]
#: Kinds of tie a hidden member or a broker has into a group: mostly contact and business.
OUTSIDE_KINDS = [("communication", 40), ("associate", 30), ("co_offender", 15), ("business", 15)]
#: Kinds of identifier two or three members share.
SHARED_KINDS = [("phone", 50), ("address", 32), ("vehicle", 18)]
#: Ties in a group each member has (drawn per member), the principals' more.
TIES_PER_MEMBER = (3, 6)
PRINCIPAL_EXTRA_TIES = 2
#: Ties in a group that is not the member's main one (a second current membership).
SECOND_GROUP_TIES = (2, 3)
#: The share of a group's ties that are a shared identifier rather than a recorded association,
#: and of those, how often a third member (tied to both) holds it too.
SHARED_TIE_RATE = 0.22
THIRD_HOLDER_RATE = 0.35
#: The share of recorded associations recorded again under a second kind.
SECOND_KIND_RATE = 0.06
#: The share of associations between current members that have since ended.
ENDED_TIE_RATE = 0.08
HIDDEN_THREAT_RATE = 0.08
BROKER_RATE = 0.01
SPLIT_THREAT_RATE = 0.03
SPLIT_MIN_MEMBERS = 6
HIDDEN_MIN_MEMBERS = 4


@dataclass(frozen=True)
class SynthAssociation:
    """Two nominals (by reference, ``nominal`` < ``other``) an analyst recorded as associates."""

    nominal: str
    other: str
    kind: str
    from_date: dt.date | None
    to_date: dt.date | None


@dataclass
class AssociationPlan:
    associations: list[SynthAssociation] = field(default_factory=list)
    #: (nominal reference, identifier kind, value): identifiers added to the nominals' own; each
    #: value is new (held by no nominal before) and held by two or three nominals.
    shared_identifiers: list[tuple[str, str, str]] = field(default_factory=list)
    #: ``{"hidden_members": [[threat, nominal], ...], "brokers": [nominal, ...],
    #: "split_threats": [{"threat": ref, "parts": [[nominal, ...], [nominal, ...]]}, ...]}``
    truth: dict = field(default_factory=dict)


def _fold(kind: str, value: str) -> str:
    """``threats.models.normalise_identifier`` (kept in step with it; this module has no Django)."""
    value = (value or "").strip().upper()
    if kind in {"address", "other"}:
        return " ".join(value.split())
    return "".join(ch for ch in value if ch.isalnum())


_CUMULATIVE: dict[tuple, tuple[tuple, list[float]]] = {}


def _pick(rng: random.Random, weighted):
    """One value of ``weighted`` ((value, weight) pairs), by weight; the cumulative weights of
    each list are worked out once."""
    key = tuple(weighted)
    if key not in _CUMULATIVE:
        values, weights = zip(*key, strict=True)
        _CUMULATIVE[key] = (values, list(itertools.accumulate(weights)))
    values, cumulative = _CUMULATIVE[key]
    return values[bisect.bisect(cumulative, rng.random() * cumulative[-1], 0, len(values) - 1)]


_PLATE_LETTERS = "ABCDEFGHJKLMNOPRSTUVWXY"
_POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


class _Planner:
    """Builds one plan; ``ties`` (every tie drawn so far, of either sort) keeps it consistent."""

    def __init__(self, dataset: Dataset):
        self.rng = random.Random(f"{dataset.seed}:network")
        self.today = dataset.today
        #: nominal -> the threat of its first current membership (its main group)
        self.main: dict[str, str] = {}
        for m in dataset.members:
            if m.to_date is None:
                self.main.setdefault(m.nominal, m.threat)
        self.ties: dict[str, set[str]] = defaultdict(set)
        self.kinds: set[tuple[str, str, str]] = set()
        self.associations: list[SynthAssociation] = []
        self.shared: list[tuple[str, str, str]] = []
        #: nominal -> {split threat: part}: two nominals in different parts of one split threat
        #: are never tied.
        self.part_of: dict[str, dict[str, int]] = defaultdict(dict)
        self.used = {
            (kind, _fold(kind, value))
            for n in dataset.nominals
            for kind, value in n.identifiers
            if kind in ("phone", "vehicle", "address")
        }

    # --- ties ----------------------------------------------------------------------------------

    def allowed(self, a: str, b: str) -> bool:
        if a == b:
            return False
        parts_a, parts_b = self.part_of.get(a), self.part_of.get(b)
        if parts_a and parts_b:
            return all(parts_b.get(t, p) == p for t, p in parts_a.items())
        return True

    def _tie(self, a: str, b: str) -> None:
        self.ties[a].add(b)
        self.ties[b].add(a)

    def associate(self, a: str, b: str, kind: str, start: dt.date, end: dt.date | None) -> bool:
        a, b = (a, b) if a < b else (b, a)
        if (a, b, kind) in self.kinds or not self.allowed(a, b):
            return False
        self.kinds.add((a, b, kind))
        self.associations.append(SynthAssociation(a, b, kind, start, end))
        self._tie(a, b)
        return True

    def share(self, holders: list[str], kind: str | None = None) -> None:
        kind = kind or _pick(self.rng, SHARED_KINDS)
        value = self._new_value(kind)
        for h in holders:
            self.shared.append((h, kind, value))
        for i, a in enumerate(holders):
            for b in holders[i + 1 :]:
                self._tie(a, b)

    def _new_value(self, kind: str) -> str:
        rng = self.rng
        while True:
            if kind == "phone":
                value = f"07{rng.randint(100, 999)} {rng.randint(100000, 999999)}"
            elif kind == "vehicle":
                letters = "".join(rng.choice(_PLATE_LETTERS) for _ in range(5))
                value = f"{letters[:2]}{rng.randint(51, 75):02d} {letters[2:]}"
            else:
                town, area = rng.choice(_TOWN_AREAS)
                letters = rng.choice(_POSTCODE_LETTERS) + rng.choice(_POSTCODE_LETTERS)
                flat = f"Flat {rng.randint(1, 40)}, " if rng.random() < 0.2 else ""
                value = (
                    f"{flat}{rng.randint(1, 250)} {rng.choice(_STREETS)} "
                    f"{rng.choice(_SUFFIXES)}, {town} "
                    f"{area}{rng.randint(1, 28)} {rng.randint(1, 9)}{letters}"
                )
            key = (kind, _fold(kind, value))
            if key not in self.used:
                self.used.add(key)
                return value

    def dates(self, a: SynthMember | None, b: SynthMember | None) -> tuple[dt.date, dt.date | None]:
        """When a tie between two members began and ended: after both joined; ended when either
        left (or, now and then, on its own)."""
        rng, today = self.rng, self.today
        starts = [m.from_date for m in (a, b) if m is not None and m.from_date is not None]
        ends = [m.to_date for m in (a, b) if m is not None and m.to_date is not None]
        start = max(starts) if starts else today - dt.timedelta(days=rng.randint(60, 900))
        end = min(ends) if ends else None
        if end is not None and end < start:
            start = end - dt.timedelta(days=rng.randint(0, 90))
        limit = end or today
        start = start + dt.timedelta(days=rng.randint(0, min(365, max(0, (limit - start).days))))
        if end is None and rng.random() < ENDED_TIE_RATE:
            candidate = start + dt.timedelta(days=rng.randint(30, 500))
            end = candidate if candidate < today else None
        return start, end

    # --- groups --------------------------------------------------------------------------------

    def group(self, threat: str, current: list[SynthMember], ended: list[SynthMember]) -> None:
        """Tie one group: a random tree (so it hangs together) topped up to each member's
        number of ties; some ties are shared identifiers; the ended members keep a tie or two.
        Someone whose main group is another (their first current membership) has two or three
        ties here: a bridge between the groups, not a second core."""
        rng = self.rng
        people = [m.nominal for m in current]
        membership = {m.nominal: m for m in current}
        n = len(people)
        adj: dict[str, set[str]] = {p: set() for p in people}
        want: dict[str, int] = {}
        for p in people:
            if self.main.get(p, threat) != threat:
                want[p] = rng.randint(*SECOND_GROUP_TIES)
            elif membership[p].role == "principal":
                want[p] = rng.randint(*TIES_PER_MEMBER) + PRINCIPAL_EXTRA_TIES
            else:
                want[p] = rng.randint(*TIES_PER_MEMBER)
            want[p] = min(n - 1, want[p])

        def add(p: str, q: str) -> bool:
            if q in adj[p] or not self.allowed(p, q):
                return False
            adj[p].add(q)
            adj[q].add(p)
            return True

        order = sorted(people, key=lambda p: membership[p].role != "principal")
        head = [p for p in order if membership[p].role == "principal"]
        rest = order[len(head) :]
        rng.shuffle(rest)
        order = head + rest
        for i in range(1, n):
            for _ in range(5):
                if add(order[i], order[rng.randrange(i)]):
                    break
        for p in order:
            for _ in range(4 * want[p]):
                if len(adj[p]) >= want[p]:
                    break
                q = people[rng.randrange(n)]
                if len(adj[q]) < want[q] + 2:
                    add(p, q)

        for a, b in sorted((p, q) for p in people for q in adj[p] if p < q):
            if rng.random() < SHARED_TIE_RATE:
                holders = [a, b]
                common = sorted(adj[a] & adj[b])
                if common and rng.random() < THIRD_HOLDER_RATE:
                    holders.append(rng.choice(common))
                self.share(holders)
                continue
            start, end = self.dates(membership[a], membership[b])
            kind = _pick(rng, GROUP_KINDS)
            self.associate(a, b, kind, start, end)
            if rng.random() < SECOND_KIND_RATE:
                self.associate(a, b, _pick(rng, GROUP_KINDS), start, end)

        for m in ended:
            if not people:
                break
            for q in rng.sample(people, min(n, rng.randint(1, 2))):
                start, end = self.dates(m, membership[q])
                self.associate(m.nominal, q, _pick(rng, GROUP_KINDS), start, end)

    def outside_ties(self, person: str, targets: list[str], share_rate: float = 0.2) -> int:
        """Tie ``person`` (not a member) to each of ``targets``; how many ties were made."""
        made = 0
        for q in targets:
            if not self.allowed(person, q):
                continue
            if self.rng.random() < share_rate:
                self.share([person, q], self.rng.choice(["phone", "phone", "vehicle"]))
                made += 1
                continue
            start = self.today - dt.timedelta(days=self.rng.randint(30, 540))
            if self.associate(person, q, _pick(self.rng, OUTSIDE_KINDS), start, None):
                made += 1
            elif q in self.ties[person]:
                made += 1
        return made


def association_plan(dataset: Dataset) -> AssociationPlan:
    """The association structure over ``dataset``'s nominals, with its ground truth.

    Deterministic for the dataset (its own random source, seeded from ``dataset.seed``). Works on
    whatever threats, nominals and memberships the dataset holds, so a dataset cut to some of its
    threats gets a plan over those."""
    planner = _Planner(dataset)
    rng = planner.rng
    by_threat: dict[str, list[SynthMember]] = defaultdict(list)
    threats_of: dict[str, list[str]] = defaultdict(list)
    for m in dataset.members:
        by_threat[m.threat].append(m)
        threats_of[m.nominal].append(m.threat)
    refs = [t.reference for t in dataset.threats if t.reference in by_threat]
    current = {t: [m for m in by_threat[t] if m.to_date is None] for t in refs}
    ended = {t: [m for m in by_threat[t] if m.to_date is not None] for t in refs}

    # Split threats: recorded as one, tied as two groups.
    candidates = [t for t in refs if len(current[t]) >= SPLIT_MIN_MEMBERS]
    wanted = min(len(candidates), round(SPLIT_THREAT_RATE * len(dataset.threats)))
    split = sorted(rng.sample(candidates, wanted))
    split_set = set(split)
    parts: dict[str, tuple[list[SynthMember], list[SynthMember]]] = {}
    for t in split:
        members = list(current[t])
        rng.shuffle(members)
        n = len(members)
        cut = max(3, min(n - 3, round(n * rng.uniform(0.4, 0.6))))
        first, second = members[:cut], members[cut:]
        for m in ended[t]:
            (first if rng.random() < 0.5 else second).append(m)
        parts[t] = (first, second)
        for i, part in enumerate((first, second)):
            for m in part:
                planner.part_of[m.nominal][t] = i

    # Every threat's members, each split threat's two parts apart.
    for t in refs:
        if t in split_set:
            for part in parts[t]:
                planner.group(
                    t, [m for m in part if m.to_date is None], [m for m in part if m.to_date]
                )
        else:
            planner.group(t, current[t], ended[t])

    # Hidden members: tied to three or more of a threat's members, recorded in none of its.
    # Mostly people whose own memberships have all ended (their old ties are few).
    whole = [t for t in refs if t not in split_set and len(current[t]) >= HIDDEN_MIN_MEMBERS]
    hidden_threats = sorted(
        rng.sample(whole, min(len(whole), round(HIDDEN_THREAT_RATE * len(dataset.threats))))
    )
    current_nominals = {m.nominal for ms in current.values() for m in ms}
    everyone = [n.reference for n in dataset.nominals]
    former = [n for n in everyone if n in threats_of and n not in current_nominals]
    taken: set[str] = set()
    hidden: list[list[str]] = []
    for t in hidden_threats:
        members_here = {m.nominal for m in by_threat[t]}
        targets_pool = [m.nominal for m in current[t]]
        for _ in range(1 if rng.random() < 0.7 else 2):
            for _attempt in range(20):
                pool = former if former and rng.random() < 0.85 else everyone
                person = rng.choice(pool)
                if person in members_here or person in taken:
                    continue
                k = min(len(targets_pool), rng.randint(3, 5))
                targets = [q for q in rng.sample(targets_pool, k) if planner.allowed(person, q)]
                if len(targets) < 3:
                    continue
                planner.outside_ties(person, targets)
                taken.add(person)
                hidden.append([t, person])
                break

    # Brokers: members of one threat only, tied into one or two others' groups as well.
    eligible = [t for t in refs if t not in split_set and len(current[t]) >= 2]
    sole = [
        m.nominal
        for t in refs
        if t not in split_set and len(current[t]) >= 4
        for m in current[t]
        if len(threats_of[m.nominal]) == 1 and m.nominal not in taken
    ]
    brokers: list[str] = []
    wanted = min(len(sole), round(BROKER_RATE * len(dataset.nominals)))
    if len(eligible) > 1:
        for person in rng.sample(sole, wanted):
            own = threats_of[person][0]
            into = [own]
            for _attempt in range(20):
                if len(into) == (2 if rng.random() < 0.6 else 3):
                    break
                t = rng.choice(eligible)
                if t in into:
                    continue
                pool = [m.nominal for m in current[t] if planner.allowed(person, m.nominal)]
                if len(pool) < 2:
                    continue
                targets = rng.sample(pool, min(len(pool), rng.randint(2, 3)))
                if planner.outside_ties(person, targets, share_rate=0.15) >= 2:
                    into.append(t)
            # At least two ties into the broker's own group as well.
            own_members = [m.nominal for m in current[own] if m.nominal != person]
            tied = [q for q in own_members if q in planner.ties[person]]
            spare = [q for q in own_members if q not in planner.ties[person]]
            rng.shuffle(spare)
            while len(tied) < 2 and spare:
                q = spare.pop()
                if planner.outside_ties(person, [q], share_rate=0.0):
                    tied.append(q)
            if len(into) >= 2 and len(tied) >= 2:
                brokers.append(person)
                taken.add(person)

    truth = {
        "hidden_members": hidden,
        "brokers": sorted(brokers),
        "split_threats": [
            {
                "threat": t,
                "parts": [sorted(m.nominal for m in part) for part in parts[t]],
            }
            for t in split
        ],
    }
    associations = sorted(planner.associations, key=lambda a: (a.nominal, a.other, a.kind))
    return AssociationPlan(associations, planner.shared, truth)


# --- the stress graph ---------------------------------------------------------------------------

STRESS_MIN_GROUP = 5
STRESS_MAX_GROUP = 200
#: The groups' sizes follow a power law of this exponent between the two bounds above.
STRESS_SIZE_EXPONENT = 2.5
#: Slots in groups (a person in two groups fills two) per edge asked for.
STRESS_SLOTS_PER_EDGE = 1 / 3.75
#: The share of group slots filled by someone already in another group.
STRESS_MULTI_RATE = 0.10
STRESS_BROKER_RATE = 0.01
STRESS_HIDDEN_RATE = 0.08
STRESS_PERSONAL_PHONE_RATE = 0.15
#: Edge types of the ties in a group, and of the background (co-mentions), as
#: ``network.choices.EdgeType`` names them.
STRESS_GROUP_TYPES = (("associate", 0.6), ("disruption", 0.15), ("report", 0.17), ("sar", 0.08))
STRESS_BACKGROUND_TYPES = (("report", 0.7), ("sar", 0.3))
_REFS = {
    "associate": "network.association",
    "identifier": "threats.identifier",
    "disruption": "disruptions.disruption",
    "report": "intelligence.intelligencereport",
    "sar": "intelligence.suspiciousactivityreport",
}
_TYPES = ("associate", "identifier", "disruption", "report", "sar")
_STREETS = (
    "High",
    "Church",
    "Station",
    "Victoria",
    "Park",
    "Mill",
    "Queen",
    "King",
    "North",
    "Green",
    "Manor",
    "School",
    "Chapel",
    "Albert",
    "York",
    "Market",
    "Bridge",
    "Grange",
    "Windsor",
    "Elm",
    "Oak",
    "Cedar",
    "Forest",
    "Springfield",
    "Westfield",
    "Cromwell",
    "Nelson",
    "Cambridge",
    "Richmond",
    "Meadow",
)
_SUFFIXES = ("Street", "Road", "Lane", "Avenue", "Close", "Drive", "Way", "Crescent", "Terrace")
_TOWNS = (
    "Leeds",
    "Bradford",
    "Sheffield",
    "Liverpool",
    "Manchester",
    "Salford",
    "Bolton",
    "Birmingham",
    "Wolverhampton",
    "Coventry",
    "Nottingham",
    "Leicester",
    "Derby",
    "Newcastle",
    "Sunderland",
    "Middlesbrough",
    "Hull",
    "Bristol",
    "Cardiff",
    "Swansea",
    "Plymouth",
    "Southampton",
    "Portsmouth",
    "Luton",
    "Croydon",
    "Ilford",
    "Reading",
    "Norwich",
    "Stoke-on-Trent",
    "Preston",
)
#: Towns of the addresses in an association plan, with their postcode areas.
_TOWN_AREAS = (
    ("Leeds", "LS"),
    ("Bradford", "BD"),
    ("Sheffield", "S"),
    ("Liverpool", "L"),
    ("Manchester", "M"),
    ("Bolton", "BL"),
    ("Birmingham", "B"),
    ("Wolverhampton", "WV"),
    ("Coventry", "CV"),
    ("Nottingham", "NG"),
    ("Leicester", "LE"),
    ("Newcastle upon Tyne", "NE"),
    ("Sunderland", "SR"),
    ("Middlesbrough", "TS"),
    ("Durham", "DH"),
    ("Hull", "HU"),
    ("Bristol", "BS"),
    ("Cardiff", "CF"),
    ("Swansea", "SA"),
    ("Plymouth", "PL"),
    ("Southampton", "SO"),
    ("Luton", "LU"),
    ("Croydon", "CR"),
    ("Ilford", "IG"),
    ("Norwich", "NR"),
    ("Preston", "PR"),
)
_FIRST_DAY = dt.date(2020, 1, 1)
_DAYS = 7 * 365


@dataclass
class StressGraph:
    """A synthetic edge table for the benchmark: ``edges`` (source, target, type, weight,
    date_from, date_to, ref: the columns of ``network.build.EDGE_COLUMNS``, dates ISO or
    ""), ``nodes`` (id, type, label) and ``truth``: ``brokers`` (person ids tied into two or
    more groups), ``hidden`` (group id -> ids of people tied into it but in no group),
    ``groups`` (person id -> the ids of the groups the person is in)."""

    edges: pd.DataFrame
    nodes: pd.DataFrame
    truth: dict


def _distinct_positions(np_rng, size, count, most: int):
    """For each row, ``count`` (≤ ``most``, < its ``size``) distinct positions in [0, size):
    a random start and positive steps whose sum stays below the size. Returns (row, position)."""
    import numpy as np

    rows = len(size)
    step_max = np.maximum(1, (size - 1) // np.maximum(count, 1))
    steps = np_rng.integers(0, 1 << 30, size=(rows, most)) % step_max[:, None] + 1
    start = np_rng.integers(0, 1 << 30, size=rows) % size
    pos = (start[:, None] + np.cumsum(steps, axis=1)) % size[:, None]
    keep = np.arange(most)[None, :] < count[:, None]
    row = np.broadcast_to(np.arange(rows)[:, None], (rows, most))
    return row[keep], pos[keep]


def _choose(np_rng, weighted, n):
    import numpy as np

    values, weights = zip(*weighted, strict=True)
    codes = np.array([_TYPES.index(v) for v in values], dtype=np.int8)
    return codes[np_rng.choice(len(values), size=n, p=np.array(weights) / sum(weights))]


def stress_graph(seed: int, edges: int = 1_000_000) -> StressGraph:
    """A synthetic association graph of ``edges`` edges (exactly, from about 1,000 up) for the
    benchmark, deterministic for ``seed``. People (``p0``, ``p1`` …, nodes of type "nominal")
    are in groups of 5 to 200 (heavy-tailed: most small, a few large), each member tied to
    about 3–6 others in the group; about 10% of group places are filled by someone in another
    group too; 1% of people are brokers, tied into one or two other groups besides their own;
    8% of groups have one or two hidden members (tied to 3–5 of its members, in no group);
    groups share phones and addresses (``phone:07…``, ``address:…`` nodes, two or three holders
    each; some people have a phone of their own); and a sparse random background of
    co-mentions joins people at random. Every person, phone and address is invented."""
    import numpy as np
    import pandas as pd

    if edges < 1:
        raise ValueError("a stress graph needs at least one edge")
    g = np.random.default_rng([seed, 0x50C, 0x6E7])

    # Groups: a truncated power law of sizes until there are enough places.
    slots_wanted = max(STRESS_MIN_GROUP * 2, round(edges * STRESS_SLOTS_PER_EDGE))
    a = STRESS_SIZE_EXPONENT - 1
    tail = (STRESS_MIN_GROUP / STRESS_MAX_GROUP) ** a
    draws = np.floor(
        STRESS_MIN_GROUP
        * (1 - g.random(slots_wanted // STRESS_MIN_GROUP + 2) * (1 - tail)) ** (-1 / a)
    ).astype(np.int64)
    draws = np.clip(draws, STRESS_MIN_GROUP, STRESS_MAX_GROUP)
    n_groups = int(np.searchsorted(np.cumsum(draws), slots_wanted) + 1)
    sizes = draws[: max(2, n_groups)]
    n_groups = len(sizes)
    offsets = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    n_slots = int(sizes.sum())
    slot_group = np.repeat(np.arange(n_groups), sizes)
    slot_pos = np.arange(n_slots) - offsets[slot_group]

    # People: one a place, but some places go to someone already in another group.
    person = np.arange(n_slots)
    again = np.flatnonzero(g.random(n_slots) < STRESS_MULTI_RATE)
    donor = g.integers(0, n_slots, size=len(again))
    elsewhere = slot_group[donor] != slot_group[again]  # a donor of the same group: no change
    again, donor = again[elsewhere], donor[elsewhere]
    person[again] = person[donor]
    _, person = np.unique(person, return_inverse=True)
    n_members = int(person.max()) + 1

    # Ties in each group: a random tree (each place to an earlier one), then 1–2 more a place.
    later = np.flatnonzero(slot_pos > 0)
    tree_to = offsets[slot_group[later]] + (g.random(len(later)) * slot_pos[later]).astype(np.int64)
    extra = np.repeat(np.arange(n_slots), g.integers(1, 3, size=n_slots))
    size_of = sizes[slot_group[extra]]
    partner = (
        offsets[slot_group[extra]]
        + (slot_pos[extra] + 1 + g.integers(0, 1 << 30, size=len(extra)) % (size_of - 1)) % size_of
    )
    group_src = person[np.concatenate((later, extra))]
    group_dst = person[np.concatenate((tree_to, partner))]
    group_of_tie = slot_group[np.concatenate((later, extra))]

    # Brokers: 1% of people, 2–3 ties into each of one or two groups not their own.
    first_group = np.full(n_members, -1)
    first_group[person[::-1]] = slot_group[::-1]
    n_brokers = max(1, round(STRESS_BROKER_RATE * n_members))
    brokers = np.sort(g.choice(n_members, size=n_brokers, replace=False))
    into = np.repeat(brokers, g.integers(1, 3, size=n_brokers))
    other = g.integers(0, n_groups - 1, size=len(into))
    other = other + (other >= first_group[into])  # any group but the broker's first
    ties = g.integers(2, 4, size=len(into))
    row, pos = _distinct_positions(g, sizes[other], ties, 3)
    broker_src = into[row]
    broker_dst = person[offsets[other[row]] + pos]
    broker_group = other[row]

    # Hidden members: 8% of groups, one or two people each (new people, in no group), 3–5 ties.
    n_hidden_groups = max(1, round(STRESS_HIDDEN_RATE * n_groups))
    hidden_groups = np.sort(g.choice(n_groups, size=n_hidden_groups, replace=False))
    per_group = np.where(g.random(n_hidden_groups) < 0.7, 1, 2)
    hidden_group = np.repeat(hidden_groups, per_group)
    hidden_people = n_members + np.arange(len(hidden_group))
    n_people = n_members + len(hidden_group)
    ties = np.minimum(g.integers(3, 6, size=len(hidden_group)), sizes[hidden_group] - 1)
    row, pos = _distinct_positions(g, sizes[hidden_group], ties, 5)
    hidden_src = hidden_people[row]
    hidden_dst = person[offsets[hidden_group[row]] + pos]

    # Person-to-person ties so far, once each (ordered pairs, no self-ties).
    src = np.concatenate((group_src, broker_src, hidden_src))
    dst = np.concatenate((group_dst, broker_dst, hidden_dst))
    tie_group = np.concatenate((group_of_tie, broker_group, hidden_group[row]))
    kind = np.concatenate(
        (
            np.zeros(len(group_src), dtype=np.int8),
            np.ones(len(broker_src) + len(hidden_src), dtype=np.int8),
        )
    )
    lo, hi = np.minimum(src, dst), np.maximum(src, dst)
    keep = lo != hi
    key = lo[keep] * n_people + hi[keep]
    key, first = np.unique(key, return_index=True)
    tie_group, kind = tie_group[keep][first], kind[keep][first]

    # Shared identifiers: phones (one per five places) and addresses (one per eight) held by two
    # or three members of a group, and a phone of their own for some people.
    def shared(per_place: float):
        count = g.poisson(sizes * per_place)
        groups = np.repeat(np.arange(n_groups), count)
        holders = np.where(g.random(len(groups)) < 0.7, 2, 3)
        row, pos = _distinct_positions(g, sizes[groups], holders, 3)
        return row, person[offsets[groups[row]] + pos], groups

    phone_row, phone_holder, phone_groups = shared(1 / 5)
    own_phone = np.flatnonzero(g.random(n_people) < STRESS_PERSONAL_PHONE_RATE)
    n_phones = len(phone_groups) + len(own_phone)
    address_row, address_holder, address_groups = shared(1 / 8)
    n_addresses = len(address_groups)
    phone_base = n_people
    address_base = n_people + n_phones
    ident_src = np.concatenate((phone_holder, own_phone, address_holder))
    ident_dst = np.concatenate(
        (
            phone_base + phone_row,
            phone_base + len(phone_groups) + np.arange(len(own_phone)),
            address_base + address_row,
        )
    )
    ident_key = np.unique(ident_src * (address_base + n_addresses) + ident_dst)
    ident_src, ident_dst = np.divmod(ident_key, address_base + n_addresses)

    # The background: random co-mentions, as many as the edges still wanted. If the structure
    # alone is over (tiny asks), the surplus comes off group ties outside the tree.
    wanted = edges - len(key) - len(ident_src)
    if wanted < 0:
        drop = g.choice(
            np.flatnonzero(kind == 0), size=min(-wanted, int((kind == 0).sum())), replace=False
        )
        mask = np.ones(len(key), dtype=bool)
        mask[drop] = False
        key, tie_group, kind = key[mask], tie_group[mask], kind[mask]
        wanted = max(0, edges - len(key) - len(ident_src))
    background = np.empty(0, dtype=np.int64)
    while len(background) < wanted:
        need = wanted - len(background)
        a_ = g.integers(0, n_people, size=int(need * 1.05) + 16)
        b_ = g.integers(0, n_people, size=len(a_))
        cand = np.minimum(a_, b_) * n_people + np.maximum(a_, b_)
        cand = cand[(a_ != b_) & ~np.isin(cand, key)]
        cand = cand[~np.isin(cand, background)]
        cand, first = np.unique(cand, return_index=True)
        cand = cand[np.argsort(first)][:need]
        background = np.concatenate((background, cand))

    # The edge table.
    n_ties, n_background, n_ident = len(key), len(background), len(ident_src)
    source = np.concatenate((key // n_people, background // n_people, ident_src))
    target = np.concatenate((key % n_people, background % n_people, ident_dst))
    types = np.concatenate(
        (
            np.where(
                kind == 0, _choose(g, STRESS_GROUP_TYPES, n_ties), _TYPES.index("associate")
            ).astype(np.int8),
            _choose(g, STRESS_BACKGROUND_TYPES, n_background),
            np.full(n_ident, _TYPES.index("identifier"), dtype=np.int8),
        )
    )
    # Dates: a group's ties start after it formed; some have ended; a co-mention is one day;
    # identifiers are undated (as the loader's are).
    group_start = g.integers(0, _DAYS - 900, size=n_groups)
    tie_from = np.minimum(group_start[tie_group] + g.integers(0, 700, size=n_ties), _DAYS - 1)
    ended = g.random(n_ties) < 0.1
    tie_to = np.where(ended, np.minimum(tie_from + g.integers(30, 600, size=n_ties), _DAYS - 1), -1)
    day = g.integers(0, _DAYS, size=n_background)
    date_from = np.concatenate((tie_from, day, np.full(n_ident, -1)))
    date_to = np.concatenate((tie_to, day, np.full(n_ident, -1)))

    order = g.permutation(len(source))
    source, target, types = source[order], target[order], types[order]
    date_from, date_to = date_from[order], date_to[order]

    # Node ids and labels, each made once; the edge columns refer to them.
    phone_numbers = g.choice(1_000_000_000, size=n_phones, replace=False)
    phones = [f"07{v:09d}" for v in phone_numbers.tolist()]
    places = g.choice(
        len(_STREETS) * len(_SUFFIXES) * len(_TOWNS) * 300, n_addresses, replace=False
    )
    addresses = []
    for v in places.tolist():
        v, number = divmod(v, 300)
        v, street = divmod(v, len(_STREETS))
        town, suffix = divmod(v, len(_SUFFIXES))
        addresses.append(f"{number + 1} {_STREETS[street]} {_SUFFIXES[suffix]}, {_TOWNS[town]}")
    ids = np.array(
        [f"p{i}" for i in range(n_people)]
        + [f"phone:{p}" for p in phones]
        + [f"address:{a.upper()}" for a in addresses],
        dtype=object,
    )
    labels = np.array(
        [f"Synthetic person {i}" for i in range(n_people)]
        + [f"{p[:5]} {p[5:]}" for p in phones]
        + addresses,
        dtype=object,
    )
    node_types = np.array(
        ["nominal"] * n_people + ["phone"] * n_phones + ["address"] * n_addresses, dtype=object
    )
    iso = np.array(
        [(_FIRST_DAY + dt.timedelta(days=d)).isoformat() for d in range(_DAYS)] + [""], dtype=object
    )
    type_names = np.array(_TYPES, dtype=object)
    ref_prefix = [_REFS[t] + ":" for t in _TYPES]
    refs = [ref_prefix[t] + str(i) for i, t in enumerate(types.tolist())]
    edge_table = pd.DataFrame(
        {
            "source": ids[source],
            "target": ids[target],
            "type": type_names[types],
            "weight": np.ones(len(source)),
            "date_from": iso[date_from],
            "date_to": iso[date_to],
            "ref": refs,
        }
    )
    node_table = pd.DataFrame({"id": ids, "type": node_types, "label": labels})

    # The truth.
    group_ids = [f"g{i}" for i in range(n_groups)]
    pairs = np.unique(person * n_groups + slot_group)
    groups: dict[str, list[str]] = defaultdict(list)
    for p, grp in zip((pairs // n_groups).tolist(), (pairs % n_groups).tolist(), strict=True):
        groups[ids[p]].append(group_ids[grp])
    hidden: dict[str, list[str]] = defaultdict(list)
    for grp, p in zip(hidden_group.tolist(), hidden_people.tolist(), strict=True):
        hidden[group_ids[grp]].append(ids[p])
    # A broker is tied into a group not its own by two or more distinct people (places can
    # coincide where a member fills two places in one group; then that broker is left out).
    real = broker_src != broker_dst
    b_key = np.unique((broker_src * n_people + broker_dst)[real] * n_groups + broker_group[real])
    b_person, b_group = (b_key // n_groups) // n_people, b_key % n_groups
    b_pair = b_person * n_groups + b_group
    per = np.unique(b_pair[~np.isin(b_pair, pairs)], return_counts=True)  # groups not theirs
    ok = np.unique((per[0] // n_groups)[per[1] >= 2])
    truth = {
        "brokers": [ids[p] for p in ok.tolist()],
        "hidden": dict(hidden),
        "groups": dict(groups),
    }
    return StressGraph(edge_table, node_table, truth)

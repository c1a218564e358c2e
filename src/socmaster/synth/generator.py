"""A seeded, deterministic synthetic picture of SOC in England and Wales, with ground truth.

Pure Python: no Django. The caller passes the organisations (``OrgSpec``) and gets plain
dataclasses back; ``socmaster.web.synthetic`` writes them into the database. Every person, group and
event is invented (Faker ``en_GB``); descriptions say so. 4P plans, with deliberate quality faults
and their ground truth, come from ``plans.py``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from faker import Faker

from socmaster.morile import Scheme, default_scheme
from socmaster.morile import score as score_answers

from .weights import DEFAULT_FORCE_WEIGHT, FORCE_WEIGHTS

if TYPE_CHECKING:
    from .gateway import GatewayPlan
    from .meetings import MeetingPlan
    from .plans import SynthPlan

NATIONAL_THREATS = 4600
NATIONAL_NOMINALS = 40000
DEMO_REGION = "region-north-east"
DEMO_THREATS = 120
DEMO_NOMINALS = 1000
TODAY = dt.date(2026, 11, 1)  # fixed so the same seed gives the same data on any day

ROLES = [
    "analyst",
    "rocta_assessor",
    "moderator",
    "lro",
    "sio",
    "gateway_officer",
    "offender_manager",
    "chief_officer",
    "administrator",
]
PARTNER_ROLES = ["partner_user", "administrator"]
THREAT_TYPES = [("ocg", 80), ("priority_individual", 12), ("vulnerability", 8)]
STATUSES = [("moderated", 75), ("submitted", 10), ("draft", 8), ("returned", 7)]
OPEN_PHASES = [
    "Identified",
    "Developing intelligence",
    "Active investigation",
    "Managed – disruption",
    "Managed – prosecution",
]
CLOSED_PHASES = ["Closed – dismantled", "Closed – no longer SOC", "Closed – merged"]
#: How many crime types a threat is drawn with (one of these, at random).
CRIME_TYPE_COUNTS = [1, 1, 1, 2, 2, 3]
#: The share of threats given an LRO (where their owner has one).
LRO_RATE = 0.88
CRIME_TYPES = [
    ("drugs", 45),
    ("money_laundering", 12),
    ("firearms", 8),
    ("oac", 9),
    ("fraud", 8),
    ("msht", 6),
    ("oic", 4),
    ("cyber", 3),
    ("csa", 3),
    ("bribery", 2),
]
MEMBER_ROLES = [
    ("principal", 8),
    ("significant", 30),
    ("peripheral", 40),
    ("facilitator", 12),
    ("enabler", 4),
    ("associate", 6),
]
NICKNAMES = {
    "Robert": "Bob",
    "William": "Bill",
    "Richard": "Rick",
    "James": "Jim",
    "Thomas": "Tom",
    "Michael": "Mick",
    "Anthony": "Tony",
    "Christopher": "Chris",
    "Daniel": "Danny",
    "Joseph": "Joe",
    "Margaret": "Maggie",
    "Elizabeth": "Liz",
    "Katherine": "Kate",
    "Jennifer": "Jen",
    "Rebecca": "Becky",
    "Samantha": "Sam",
    "Alexander": "Alex",
    "Matthew": "Matt",
    "Stephen": "Steve",
    "Andrew": "Andy",
}
VULNERABILITY_PLACES = [
    "car washes",
    "nail bars",
    "night-time economy",
    "port",
    "student housing",
    "care homes",
    "takeaways",
    "holiday parks",
]


@dataclass(frozen=True)
class OrgSpec:
    key: str
    name: str
    type: str
    region_key: str | None


@dataclass
class SynthUser:
    username: str
    first_name: str
    last_name: str
    org_key: str
    roles: list[str]


@dataclass
class SynthThreat:
    reference: str
    name: str
    threat_type: str
    category: str
    soc: str
    tier: int
    phase: str
    moderation_status: str
    score: float
    assessed_on: dt.date
    owner_key: str
    lro: str | None
    crime_types: list[str]
    opened_on: dt.date
    closed_on: dt.date | None
    handling: str
    description: str


@dataclass
class SynthNominal:
    reference: str
    person_id: int
    family_name: str
    given_names: str
    date_of_birth: dt.date | None
    gender: str
    nationality: str
    owner_key: str
    aliases: list[tuple[str, str, str]] = field(default_factory=list)
    identifiers: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class SynthMember:
    threat: str
    nominal: str
    role: str
    from_date: dt.date | None
    to_date: dt.date | None


@dataclass
class SynthAssessment:
    threat: str
    answers: dict[str, str]
    result: dict
    score: float
    tier: int
    status: str
    whole_threat: bool
    evidence_from: dt.date
    evidence_to: dt.date
    review_due: dt.date
    assessor: str
    moderator: str | None


@dataclass
class SynthDisruption:
    reference: str
    threat: str
    recording_org: str
    disruption_type: str
    lead: str | None
    four_p: str
    category: str
    tactic: str
    event_date: dt.date
    record_date: dt.date
    status: str
    recorder: str
    moderator: str | None


@dataclass
class Dataset:
    seed: int
    scale: str
    users: list[SynthUser]
    threats: list[SynthThreat]
    nominals: list[SynthNominal]
    members: list[SynthMember]
    truth: dict
    assessments: list[SynthAssessment] = field(default_factory=list)
    disruptions: list[SynthDisruption] = field(default_factory=list)
    plans: list[SynthPlan] = field(default_factory=list)
    today: dt.date = TODAY
    #: The intelligence's own scale when it differs from the master list's: "stress" (the demo
    #: master list with 1,000,000 SAR subjects, ``socmaster generate --scale stress``).
    intelligence_scale: str | None = None
    #: A year of ROCU gateway demand (``gateway.gateway_plan``): capability offers and requests.
    gateway: GatewayPlan | None = None
    #: A year of tasking and co-ordination meetings (``meetings.meetings_plan``).
    meetings: MeetingPlan | None = None


#: How likely each answer is (by position in the factor's list), per factor role: most threats do
#: moderate harm, locally or force-wide, with possible-to-likely likelihood.
ANSWER_WEIGHTS = {
    "impact_main": [0, 5, 30, 45, 20],
    "impact_other": [55, 30, 12, 3, 0],
    "scope": [20, 30, 30, 15, 5],
    "vulnerability": [45, 40, 15],
    "likelihood": [2, 10, 30, 38, 20],
    "confidence": [20, 50, 30],
    "position": [5, 20, 45, 25, 5],
}


def morile_answers(rng: random.Random, scheme: Scheme) -> dict[str, str]:
    impacts = [f for f in scheme.factors if f.role == "impact"]
    main = rng.choice(impacts).key
    answers = {}
    for f in scheme.factors:
        key = ("impact_main" if f.key == main else "impact_other") if f.role == "impact" else f.role
        weights = ANSWER_WEIGHTS[key][: len(f.answers)]
        answers[f.key] = rng.choices([a.key for a in f.answers], weights=weights)[0]
    return answers


def _pick(rng: random.Random, weighted):
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights=weights)[0]


def _size(scale: str | float) -> tuple[int, int, bool]:
    if scale == "demo":
        return DEMO_THREATS, DEMO_NOMINALS, True
    if scale == "national":
        return NATIONAL_THREATS, NATIONAL_NOMINALS, False
    factor = float(scale)
    if factor <= 0:
        raise ValueError("the scale multiplier must be greater than 0")
    return (
        max(1, round(NATIONAL_THREATS * factor)),
        max(1, round(NATIONAL_NOMINALS * factor)),
        False,
    )


def owner_weights(organisations: list[OrgSpec], demo: bool) -> dict[str, float]:
    """Forces in proportion to size; each ROCU about 1.7% of the total; the NCA about 4%."""
    forces = [
        o for o in organisations if o.type == "force" and (not demo or o.region_key == DEMO_REGION)
    ]
    weights = {o.key: float(FORCE_WEIGHTS.get(o.key, DEFAULT_FORCE_WEIGHT)) for o in forces}
    total = sum(weights.values())
    for o in organisations:
        if o.type == "rocu" and (not demo or o.region_key == DEMO_REGION):
            weights[o.key] = total * (0.12 if demo else 0.017)
        if o.type == "national_agency" and o.key == "national-crime-agency" and not demo:
            weights[o.key] = total * 0.04
    return weights


def _dob(rng: random.Random) -> dt.date:
    return dt.date(1960, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 45))


def _typo(rng: random.Random, name: str) -> str:
    if len(name) < 4:
        return name + name[-1]
    i = rng.randint(1, len(name) - 2)
    kind = rng.random()
    if kind < 0.4:
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]  # transposed letters
    if kind < 0.7:
        return name[:i] + name[i + 1 :]  # dropped letter
    return name[:i] + name[i] + name[i:]  # doubled letter


def _variant(rng: random.Random, fake: Faker, given: str, family: str, dob: dt.date | None):
    """Another record of the same person: nickname, double-barrelled name, typo, or swapped DOB parts."""
    kind = rng.choice(["nickname", "typo", "double", "dob"])
    first = given.split()[0]
    if kind == "nickname" and first in NICKNAMES:
        given = NICKNAMES[first]
    elif kind == "double":
        family = f"{family}-{fake.last_name()}"
    elif kind == "dob" and dob and dob.day <= 12 and dob.day != dob.month:
        dob = dob.replace(day=dob.month, month=dob.day)
    else:
        family = _typo(rng, family)
    return given, family, dob, kind


#: Tactic codes by 4P (the same codes as the disruptions app's reference list).
TACTICS = {
    "pursue": [
        "arrest",
        "charge",
        "conviction",
        "seizure_drugs",
        "seizure_cash",
        "seizure_firearms",
        "restraint_confiscation",
        "scpo",
        "closure_order",
    ],
    "prevent": ["diversion_referral", "education"],
    "protect": ["victims_safeguarded", "target_hardening", "cyber_protect", "licence_review"],
    "prepare": ["community_resilience", "exercise"],
}
FOUR_P = [("pursue", 65), ("prevent", 12), ("protect", 15), ("prepare", 8)]
CATEGORIES = [("major", 15), ("moderate", 40), ("minor", 45)]
DISRUPTION_STATUSES = [
    ("approved", 80),
    ("submitted", 8),
    ("draft", 4),
    ("returned", 4),
    ("rejected", 4),
]
DISRUPTIONS_PER_THREAT = 15  # over three years, OCGs only (the default standard allows only OCGs)


def generate(
    scale: str | float, seed: int, organisations: list[OrgSpec], disruptions: int | None = None
) -> Dataset:
    n_threats, n_nominals, demo = _size(scale)
    rng = random.Random(seed)
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    weights = owner_weights(organisations, demo)
    if not weights:
        raise ValueError("no organisations to own threats: load the reference organisations first")
    by_key = {o.key: o for o in organisations}

    # Threats, owners first so each owner gets enough LROs.
    owner_keys = rng.choices(list(weights), weights=list(weights.values()), k=n_threats)
    per_owner = Counter(owner_keys)

    users: list[SynthUser] = []
    lros: dict[str, list[str]] = defaultdict(list)
    staffed = [
        o
        for o in organisations
        if not demo
        or o.region_key == DEMO_REGION
        or o.type in ("national_agency", "inspectorate", "government_partner")
    ]
    for org in staffed:
        roles = (
            PARTNER_ROLES
            if org.type in ("government_partner", "local_partner")
            else (["inspector", "administrator"] if org.type == "inspectorate" else ROLES)
        )
        if org.type == "region":
            continue
        for role in roles:
            users.append(
                SynthUser(
                    f"syn-{org.key}-{role}-1", fake.first_name(), fake.last_name(), org.key, [role]
                )
            )
        # Enough LROs that most hold about 2–3 threats; a few hold more (the exceptions report finds them).
        for n in range(1, max(1, round(per_owner.get(org.key, 0) / 2.6)) + 1):
            username = f"syn-{org.key}-lro-{n}" if n > 1 else f"syn-{org.key}-lro-1"
            if n > 1:
                users.append(
                    SynthUser(username, fake.first_name(), fake.last_name(), org.key, ["lro"])
                )
            lros[org.key].append(username)
    # One local partner in each region has nobody on socmaster (never set up): its users are left
    # out once every name is drawn, so that the other names stay as they are. The plans use it for
    # actions held by an organisation with no active users (the "partner_unseen" check).
    unstaffed = unstaffed_partners(seed, staffed)
    users = [u for u in users if u.org_key not in unstaffed]

    threats: list[SynthThreat] = []
    for i, owner in enumerate(owner_keys, start=1):
        threat_type = _pick(rng, THREAT_TYPES)
        surname = fake.last_name()
        if threat_type == "ocg":
            name = f"{surname} {rng.choice(['network', 'family', 'crew', 'organisation', 'group'])}"
        elif threat_type == "priority_individual":
            name = f"{fake.first_name()} {surname}"
        else:
            name = f"{fake.city()} {rng.choice(VULNERABILITY_PLACES)}"
        closed = rng.random() < 0.15
        phase = rng.choice(CLOSED_PHASES if closed else OPEN_PHASES)
        opened = TODAY - dt.timedelta(days=rng.randint(60, 365 * 5))
        tier, score = 5, 0.0  # set from the MoRiLE assessment below
        crimes = {_pick(rng, CRIME_TYPES) for _ in range(rng.choice(CRIME_TYPE_COUNTS))}
        handling = rng.choices(["region", "national", "owner", "named"], weights=[70, 20, 7, 3])[0]
        org_lros = lros.get(owner) or []
        threats.append(
            SynthThreat(
                reference=f"SYN-T-{i:06d}",
                name=name,
                threat_type=threat_type,
                category="tactical" if rng.random() < 0.9 else "strategic",
                soc="soc" if rng.random() < 0.95 else "non_soc",
                tier=tier,
                phase=phase,
                moderation_status=_pick(rng, STATUSES),
                score=score,
                assessed_on=TODAY - dt.timedelta(days=rng.randint(0, 700)),
                owner_key=owner,
                lro=rng.choice(org_lros) if org_lros and rng.random() < LRO_RATE else None,
                crime_types=sorted(crimes),
                opened_on=opened,
                closed_on=min(TODAY, opened + dt.timedelta(days=rng.randint(30, 900)))
                if closed
                else None,
                handling=handling,
                description=f"Synthetic record. {fake.sentence(nb_words=10)}",
            )
        )

    # MoRiLE: each threat's tier and score come from scoring synthetic answers with the default scheme.
    scheme = default_scheme()
    assessments: list[SynthAssessment] = []
    for threat in threats:
        answers = morile_answers(rng, scheme)
        result = score_answers(scheme, answers)
        threat.tier, threat.score = result.tier, round(result.priority, 2)
        age = rng.choices([rng.randint(10, 300), rng.randint(366, 900)], weights=[88, 12])[
            0
        ]  # some stale
        evidence_to = TODAY - dt.timedelta(days=age)
        team = _assessment_team(threat.owner_key, by_key)
        assessments.append(
            SynthAssessment(
                threat=threat.reference,
                answers=answers,
                result=result.to_dict(),
                score=threat.score,
                tier=threat.tier,
                status=threat.moderation_status,
                whole_threat=rng.random() > 0.06,
                evidence_from=evidence_to - dt.timedelta(days=rng.randint(60, 400)),
                evidence_to=evidence_to,
                review_due=evidence_to + dt.timedelta(days=rng.choice([180, 365])),
                assessor=team[0],
                moderator=team[1]
                if threat.moderation_status in ("moderated", "returned")
                else None,
            )
        )
        threat.assessed_on = evidence_to

    # Nominals: about 8% are second records of someone already listed (the ground truth says whom).
    nominals: list[SynthNominal] = []
    same_person: dict[str, int] = {}
    variants: dict[str, str] = {}
    originals: list[SynthNominal] = []
    for i in range(1, n_nominals + 1):
        ref = f"SYN-N-{i:06d}"
        if originals and rng.random() < 0.08:
            base = rng.choice(originals)
            given, family, dob, kind = _variant(
                rng, fake, base.given_names, base.family_name, base.date_of_birth
            )
            nominal = SynthNominal(
                ref,
                base.person_id,
                family,
                given,
                dob,
                base.gender,
                base.nationality,
                base.owner_key,
            )
            variants[ref] = kind
        else:
            gender = rng.choices(["male", "female"], weights=[82, 18])[0]
            given = fake.first_name_male() if gender == "male" else fake.first_name_female()
            if rng.random() < 0.2:
                given += " " + (
                    fake.first_name_male() if gender == "male" else fake.first_name_female()
                )
            family = fake.last_name()
            if rng.random() < 0.04:
                family = f"{family}-{fake.last_name()}"
            nominal = SynthNominal(
                ref,
                i,
                family,
                given,
                _dob(rng) if rng.random() < 0.92 else None,
                gender,
                rng.choices(
                    [
                        "British",
                        "Irish",
                        "Albanian",
                        "Romanian",
                        "Polish",
                        "Vietnamese",
                        "Jamaican",
                        "Pakistani",
                    ],
                    weights=[80, 2, 4, 3, 3, 3, 2, 3],
                )[0],
                owner_key="",
            )
            if rng.random() < 0.25 and given.split()[0] in NICKNAMES:
                nominal.aliases.append((NICKNAMES[given.split()[0]], family, "nickname"))
            if rng.random() < 0.1:
                nominal.aliases.append((fake.first_name(), fake.last_name(), "alias"))
            nominal.identifiers.append(
                (
                    "pnc_id",
                    f"{rng.randint(0, 25):02d}/{rng.randint(0, 999999):06d}"
                    f"{rng.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')}",
                )
            )
            if rng.random() < 0.6:
                nominal.identifiers.append(
                    ("phone", f"07{rng.randint(100, 999)} {rng.randint(100000, 999999)}")
                )
            if rng.random() < 0.4:
                nominal.identifiers.append(("postcode", fake.postcode()))
            if rng.random() < 0.3:
                nominal.identifiers.append(("vehicle", fake.license_plate()))
            originals.append(nominal)
        same_person[ref] = nominal.person_id
        nominals.append(nominal)

    # Memberships: every nominal in one threat, about 15% in a second; owners follow the first threat.
    members: list[SynthMember] = []
    for nominal in nominals:
        picks = [rng.randrange(n_threats)]
        if rng.random() < 0.15:
            picks.append(rng.randrange(n_threats))
        for j, t_index in enumerate(dict.fromkeys(picks)):
            threat = threats[t_index]
            if j == 0:
                nominal.owner_key = threat.owner_key
            start = threat.opened_on + dt.timedelta(days=rng.randint(0, 200))
            ended = rng.random() < 0.12
            members.append(
                SynthMember(
                    threat.reference,
                    nominal.reference,
                    _pick(rng, MEMBER_ROLES),
                    min(start, TODAY),
                    min(TODAY, start + dt.timedelta(days=rng.randint(30, 600))) if ended else None,
                )
            )

    truth = {
        "same_person": same_person,
        "variant_kind": variants,
        "threats_by_owner": dict(Counter(t.owner_key for t in threats)),
        "threats_by_type": dict(Counter(t.threat_type for t in threats)),
        "threats_by_tier": dict(Counter(t.tier for t in threats)),
        "owner_weights": weights,
        "regions": sorted({by_key[k].region_key for k in weights if by_key[k].region_key}),
    }
    truth["threats_by_tier"] = dict(Counter(t.tier for t in threats))
    total = disruptions if disruptions is not None else DISRUPTIONS_PER_THREAT * len(threats)
    synth_disruptions = _disruptions(rng, threats, by_key, total)
    truth["disruptions_by_status"] = dict(Counter(d.status for d in synth_disruptions))
    from .plans import plan_dataset

    plans, plan_faults, copied_from = plan_dataset(seed, threats, users, by_key)
    truth["plan_faults"] = plan_faults
    truth["plan_copied_from"] = copied_from
    truth["unstaffed_partners"] = sorted(unstaffed)
    dataset = Dataset(
        seed,
        str(scale),
        users,
        threats,
        nominals,
        members,
        truth,
        assessments,
        synth_disruptions,
        plans,
    )
    # The association structure draws from its own random source (nothing above changes); the
    # loader loads the plan itself (``network.association_plan(dataset)``).
    from .network import association_plan

    truth["network"] = association_plan(dataset).truth
    # The gateway's year draws from its own random source too; the loader loads the plan kept.
    from .gateway import gateway_plan

    dataset.gateway = gateway_plan(dataset, organisations)
    truth["gateway"] = dataset.gateway.truth
    # So do the tasking meetings; the loader loads the plan kept.
    from .meetings import meetings_plan

    dataset.meetings = meetings_plan(dataset, organisations)
    truth["meetings"] = dataset.meetings.truth
    return dataset


def unstaffed_partners(seed: int, organisations: list[OrgSpec]) -> set[str]:
    """One local partner of each region (of those given), chosen by its own random source."""
    rng = random.Random(f"{seed}:partners")
    by_region: dict[str, list[str]] = defaultdict(list)
    for o in sorted(organisations, key=lambda o: o.key):
        if o.type == "local_partner" and o.region_key:
            by_region[o.region_key].append(o.key)
    return {rng.choice(keys) for _, keys in sorted(by_region.items())}


def _disruptions(
    rng: random.Random, threats: list[SynthThreat], by_key: dict[str, OrgSpec], total: int
):
    """Three years of disruptions against OCGs: mostly Pursue, some support records from the ROCU."""
    ocgs = [t for t in threats if t.threat_type == "ocg"]
    if not ocgs or total <= 0:
        return []
    out: list[SynthDisruption] = []
    start = TODAY - dt.timedelta(days=3 * 365)
    leads_by_threat: dict[str, list[SynthDisruption]] = defaultdict(list)
    for i in range(1, total + 1):
        threat = rng.choice(ocgs)
        earlier = leads_by_threat[threat.reference]
        support = bool(earlier) and rng.random() < 0.15
        if support:
            lead = rng.choice(earlier)
            event, four_p = lead.event_date, lead.four_p
            recording = _regional_team(threat.owner_key, by_key)
        else:
            lead = None
            first = max(start, threat.opened_on)
            event = first + dt.timedelta(days=rng.randint(0, max(0, (TODAY - first).days)))
            four_p = _pick(rng, FOUR_P)
            recording = threat.owner_key
        delay = rng.choices(
            [rng.randint(0, 14), rng.randint(15, 30), rng.randint(31, 90)], weights=[75, 20, 5]
        )[0]
        status = _pick(rng, DISRUPTION_STATUSES)
        moderator_team = _assessment_team(threat.owner_key, by_key)[1]
        d = SynthDisruption(
            reference=f"SYN-D-{i:07d}",
            threat=threat.reference,
            recording_org=recording,
            disruption_type="support" if support else "lead",
            lead=lead.reference if lead else None,
            four_p=four_p,
            category=_pick(rng, CATEGORIES),
            tactic=rng.choice(TACTICS[four_p]),
            event_date=event,
            record_date=min(TODAY, event + dt.timedelta(days=delay)),
            status=status,
            recorder=f"syn-{recording}-analyst-1",
            moderator=moderator_team if status in ("approved", "returned", "rejected") else None,
        )
        if not support:
            earlier.append(d)
        out.append(d)
    return out


def _regional_team(owner_key: str, by_key: dict[str, OrgSpec]) -> str:
    """The ROCU of the owner's region, or the owner itself where there is none (London, the NCA)."""
    owner = by_key[owner_key]
    rocu = next(
        (
            o
            for o in by_key.values()
            if o.type == "rocu" and owner.region_key and o.region_key == owner.region_key
        ),
        None,
    )
    return rocu.key if rocu else owner_key


def _assessment_team(owner_key: str, by_key: dict[str, OrgSpec]) -> tuple[str, str]:
    """The ROCTA assessor and moderator of the owner's region, or the owner's own staff."""
    team = _regional_team(owner_key, by_key)
    return f"syn-{team}-rocta_assessor-1", f"syn-{team}-moderator-1"

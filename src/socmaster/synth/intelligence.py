"""Synthetic intelligence reports and suspicious activity reports (SARs), with ground truth.

Pure Python: no Django. From a generated :class:`~socmaster.synth.generator.Dataset` (its
organisations' weights, threats and nominals) this draws three years of graded intelligence
reports up to the dataset's ``today`` and a year of SARs at the national rate, each in a
realistic processing state. Some report subjects are master-list nominals (linked to them);
some SAR subjects are master-list nominals written with the noise the nominal generator makes
(typos, nicknames, hyphenated surnames, day and month of birth transposed) and swapped given and
family names. The ground truth is kept on each subject (``nominal``, ``variants``) so that it
streams with the SARs: nothing national-sized is held in memory unless the caller lists it.

Every person, account and event is invented; every text says it is synthetic.
``socmaster.web.synthetic`` loads the records; :func:`write_sars_csv` writes SARs in the bulk
format of docs (shared sarformat), one row per subject.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import itertools
import random
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from faker import Faker

from .generator import DEMO_REGION, NICKNAMES, Dataset, OrgSpec, _typo, owner_weights
from .weights import DEFAULT_FORCE_WEIGHT, FORCE_WEIGHTS

#: SARs a year for England and Wales (the UKFIU receives about 900,000 a year).
NATIONAL_SARS_PER_YEAR = 900_000
#: Intelligence reports over three years at the national scale (the queue benchmark's size).
NATIONAL_REPORTS = 200_000
DEMO_REPORTS = 400
DEMO_SARS = 300
#: The stress scale: exactly this many SAR subjects.
STRESS_SUBJECTS = 1_000_000
REPORT_YEARS = 3

SOURCE_WEIGHTS = [("1", 15), ("2", 75), ("3", 10)]
ASSESSMENT_WEIGHTS = [("A", 10), ("B", 40), ("C", 38), ("D", 9), ("E", 3)]
C_CODE_RATE = 0.15
FLAG_RATES = {
    "threat_to_life": 0.015,
    "child_at_risk": 0.03,
    "vulnerable_victim": 0.05,
    "time_critical": 0.04,
}
#: Reports mentioning master-list nominals (as linked subjects) and/or their threats.
NOMINAL_MENTION_RATE = 0.10
SAR_TYPES = [("standard", 90), ("daml", 4), ("vulnerability", 2), ("other", 4)]
SECTORS = [
    ("credit_institution", 74),
    ("money_service", 6),
    ("electronic_money", 6),
    ("accountant", 3),
    ("legal", 2),
    ("estate_agent", 1.5),
    ("gambling", 2),
    ("high_value_dealer", 0.5),
    ("cryptoasset", 3),
    ("other", 2),
]
#: Subjects per SAR (mean 2.5).
SUBJECT_COUNTS = [(1, 20), (2, 30), (3, 30), (4, 20)]
#: The share of SAR subjects who are master-list nominals, and of those, written with noise.
SAR_NOMINAL_RATE = 0.04
SAR_NOISE_RATE = 0.75
VARIANT_KINDS = ("typo", "nickname", "double", "dob", "swapped")
CONDITIONS = [
    "Synthetic condition: not to be used in court without the originator's consent.",
    "Synthetic condition: no action on this report without consulting the source handler.",
    "Synthetic condition: not to be shared outside policing.",
    "Synthetic condition: the originating unit must be told before any dissemination.",
]
REPORT_TEXTS = [
    "{a} is said to be storing controlled drugs at an address on {p}.",
    "{a} has been seen collecting cash from a takeaway on {p} each week.",
    "{a} and {b} are using a phone line to sell class A drugs around {p}.",
    "A vehicle linked to {a} was seen leaving {p} late at night with several passengers.",
    "{a} is believed to be exploiting a young person to run drugs from {p}.",
    "{a} is said to have access to a firearm kept near {p}.",
    "{b} is thought to be laundering money for {a} through a car wash on {p}.",
    "Workers at a nail bar on {p} are said to be controlled by {a}.",
]
SAR_TEXTS = [
    "Cash deposits inconsistent with the customer's declared income.",
    "Rapid movement of funds through newly opened accounts.",
    "Third-party payments with no apparent business purpose.",
    "Customer unable to explain the source of funds for a property purchase.",
    "Structured deposits kept under reporting thresholds.",
    "Account activity consistent with money mule behaviour.",
    "Gambling spend far above the customer's known means.",
    "Purchase of high-value goods in cash.",
    "Transfers to cryptoasset exchanges after large cash deposits.",
    "Concern that the customer is being financially exploited.",
]
REASONS = [f"Synthetic SAR (invented for testing). {text}" for text in SAR_TEXTS]
PRIORITY_OF_TYPE = {"daml": "urgent", "vulnerability": "high"}
INSTITUTIONS = [
    "Synthetic Bank plc",
    "Example Building Society",
    "Test Savings Bank",
    "Fictional Mutual",
    "Sample Payments Ltd",
]


@dataclass(slots=True)
class SynthPerson:
    """A person a report or SAR names. ``nominal`` is the master-list nominal it really is (the
    ground truth, or for a report the link the researcher made); ``variants`` the kinds of noise
    applied to that nominal's details (empty: written exactly as listed)."""

    family_name: str
    given_names: str
    date_of_birth: dt.date | None
    gender: str
    address: str = ""
    postcode: str = ""
    phones: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    nominal: str | None = None
    variants: tuple[str, ...] = ()


@dataclass(slots=True)
class SynthReport:
    reference: str
    owner_key: str
    officer_name: str
    submitted_on: dt.date
    original_text: str
    sanitised_text: str
    source_evaluation: str
    intelligence_assessment: str
    handling_code: str
    handling_conditions: str
    handling: str
    flags: dict[str, bool]
    subjects: list[SynthPerson]
    mentions: list[tuple[str, str]]
    threats: list[str]
    status: str
    priority: str
    processed_on: dt.date | None
    researcher: str | None

    @property
    def mentions_nominals(self) -> bool:
        return bool(self.threats) or any(s.nominal for s in self.subjects)


@dataclass(slots=True)
class SynthSar:
    reference: str
    owner_key: str
    reporter_sector: str
    submitted_on: dt.date
    sar_type: str
    reason_text: str
    amount: str | None  # a decimal as text, e.g. "12500.00"
    currency: str
    subjects: list[SynthPerson]
    linked_accounts: list[tuple[str, str, str, str]]
    status: str
    priority: str
    processed_on: dt.date | None
    screening_status: str
    consent_decision: str = ""
    consent_decided_on: dt.date | None = None


@dataclass
class IntelligencePlan:
    """What to draw for a dataset: reports (listed), SARs (streamed from :meth:`sars`)."""

    dataset: Dataset
    reports: list[SynthReport]
    sar_counts: dict[str, int]
    researchers: list[tuple[str, str, str, str]]  # username, first name, last name, org key
    subject_limit: int | None = None
    truth: dict = field(default_factory=dict)

    @property
    def total_sars(self) -> int:
        return sum(self.sar_counts.values())

    def sars(self) -> Iterator[SynthSar]:
        """The SARs, drawn afresh (the same ones) each time this is called."""
        return iter_sars(self.dataset, self.sar_counts, subject_limit=self.subject_limit)


def _cum(weighted) -> tuple[list, list[float]]:
    values = [v for v, _ in weighted]
    return values, list(itertools.accumulate(w for _, w in weighted))


class _Pools:
    """Names, places and numbers drawn once from Faker, then picked by index (fast and seeded)."""

    def __init__(self, seed, n: int = 1500):
        fake = Faker("en_GB")
        fake.seed_instance(seed)
        self.male = [fake.first_name_male() for _ in range(n // 3)]
        self.female = [fake.first_name_female() for _ in range(n // 3)]
        self.family = [fake.last_name() for _ in range(n)]
        self.streets = [fake.street_name() for _ in range(n)]
        self.towns = [fake.city() for _ in range(n // 5)]
        self.postcodes = [fake.postcode() for _ in range(n)]
        self.plates = [fake.license_plate() for _ in range(n)]


def _scale_kind(scale: str) -> str:
    return scale if scale in ("demo", "national", "stress") else "multiplier"


def report_count(scale: str) -> int:
    kind = _scale_kind(scale)
    if kind == "demo":
        return DEMO_REPORTS
    if kind in ("national", "stress"):
        return NATIONAL_REPORTS if kind == "national" else 0
    return max(1, round(NATIONAL_REPORTS * float(scale)))


def sar_owner_weights(organisations: Iterable[OrgSpec], demo: bool) -> dict[str, float]:
    """SARs go to the forces in proportion to their size (the UKFIU sends each to the force
    where its subject lives); in the demo, to the demo region's forces."""
    return {
        o.key: float(FORCE_WEIGHTS.get(o.key, DEFAULT_FORCE_WEIGHT))
        for o in organisations
        if o.type == "force" and (not demo or o.region_key == DEMO_REGION)
    }


def sar_counts(organisations: Iterable[OrgSpec], scale: str, total: int | None = None) -> dict:
    """SARs per force for a year at ``scale``: the national rate split by force size (largest
    remainder, so the counts add up exactly), or ``total`` split the same way."""
    kind = _scale_kind(scale)
    weights = sar_owner_weights(organisations, kind == "demo")
    if total is None:
        total = {
            "demo": DEMO_SARS,
            "national": NATIONAL_SARS_PER_YEAR,
            # Enough SARs for the stress scale's subjects; the stream stops at the limit.
            "stress": STRESS_SUBJECTS,
        }.get(kind) or max(1, round(NATIONAL_SARS_PER_YEAR * float(scale)))
    whole = sum(weights.values()) or 1.0
    shares = {k: total * w / whole for k, w in sorted(weights.items())}
    counts = {k: int(v) for k, v in shares.items()}
    left = total - sum(counts.values())
    for k in sorted(shares, key=lambda k: (counts[k] - shares[k], k))[:left]:
        counts[k] += 1
    return counts


def intelligence_for(
    dataset: Dataset,
    organisations: Iterable[OrgSpec],
    scale: str | None = None,
    *,
    reports: bool = True,
):
    """The intelligence for ``dataset``: its reports, and how many SARs each force receives.

    ``scale`` defaults to the dataset's (its ``intelligence_scale`` if set); ``"stress"`` gives no
    reports and SARs up to exactly
    :data:`STRESS_SUBJECTS` subjects. ``reports=False`` leaves the reports out (for the SARs
    alone)."""
    organisations = list(organisations)
    scale = str(scale or dataset.intelligence_scale or dataset.scale)
    kind = _scale_kind(scale)
    demo = kind == "demo"
    report_owners = owner_weights(organisations, demo)
    researchers = _researchers(
        dataset.seed, organisations, report_owners, sar_owner_weights(organisations, demo)
    )
    reports = (
        generate_reports(dataset, report_owners, report_count(scale), researchers)
        if reports
        else []
    )
    counts = sar_counts(organisations, scale)
    limit = STRESS_SUBJECTS if kind == "stress" else None
    return IntelligencePlan(
        dataset,
        reports,
        counts,
        researchers,
        subject_limit=limit,
        truth={"sars_by_owner": counts, "reports": len(reports)},
    )


def _researchers(seed, organisations, *weights) -> list[tuple[str, str, str, str]]:
    """One synthetic intelligence researcher for every organisation that receives reports or
    SARs (drawn from their own seeded source, so the rest of the dataset stays as it was)."""
    fake = Faker("en_GB")
    fake.seed_instance(f"{seed}:researchers")
    keys = sorted({k for w in weights for k in w})
    return [(f"syn-{k}-researcher-1", fake.first_name(), fake.last_name(), k) for k in keys]


def _processing(rng: random.Random, age: int, recent_backlog: float) -> str:
    """Older reports are mostly processed; a backlog waits; some are in research."""
    r = rng.random()
    if age > 180:
        waiting, research = 0.06, 0.02
    elif age > 30:
        waiting, research = 0.25, 0.08
    else:
        waiting, research = recent_backlog, 0.2
    if r < waiting:
        return "awaiting"
    if r < waiting + research:
        return "in_research"
    return rng.choices(["actioned", "disseminated", "filed"], weights=[25, 30, 45])[0]


def _default_priority(flags: dict[str, bool]) -> str:
    # As intelligence.risk.default_priority (that module is the app's; this package imports no app).
    if flags.get("threat_to_life"):
        return "urgent"
    if flags.get("child_at_risk") or flags.get("vulnerable_victim") or flags.get("time_critical"):
        return "high"
    return "normal"


def _name(rng, pools: _Pools) -> tuple[str, str, str]:
    gender = "male" if rng.random() < 0.75 else "female"
    given = rng.choice(pools.male if gender == "male" else pools.female)
    return given, rng.choice(pools.family), gender


def _dob(rng) -> dt.date:
    return dt.date(1955, 1, 1) + dt.timedelta(days=rng.randrange(365 * 50))


def _phone(rng) -> str:
    return f"07{rng.randrange(100, 1000)} {rng.randrange(100000, 1000000)}"


def generate_reports(
    dataset: Dataset, owners: dict[str, float], count: int, researchers=()
) -> list[SynthReport]:
    """``count`` reports over the three years up to ``dataset.today``, owned in proportion to
    ``owners``' weights."""
    if count <= 0 or not owners:
        return []
    rng = random.Random(f"{dataset.seed}:reports")
    pools = _Pools(f"{dataset.seed}:report-pools", min(1200, max(300, count // 4)))
    today = dataset.today
    days = 365 * REPORT_YEARS
    owner_keys, owner_cum = _cum(sorted(owners.items()))
    sources, source_cum = _cum(SOURCE_WEIGHTS)
    grades, grade_cum = _cum(ASSESSMENT_WEIGHTS)
    researcher_of = {org: username for username, _f, _l, org in researchers}
    threats_of: dict[str, list[str]] = defaultdict(list)
    for m in dataset.members:
        threats_of[m.nominal].append(m.threat)
    nominals = dataset.nominals
    out = []
    for i in range(1, count + 1):
        owner = rng.choices(owner_keys, cum_weights=owner_cum)[0]
        submitted = today - dt.timedelta(days=rng.randrange(days))
        source = rng.choices(sources, cum_weights=source_cum)[0]
        assessment = rng.choices(grades, cum_weights=grade_cum)[0]
        c_coded = rng.random() < C_CODE_RATE
        flags = {name: rng.random() < rate for name, rate in FLAG_RATES.items()}
        subjects: list[SynthPerson] = []
        threats: list[str] = []
        if nominals and rng.random() < NOMINAL_MENTION_RATE:
            kind = rng.random()
            nominal = rng.choice(nominals)
            if kind < 0.8:  # the nominal as a linked subject (and sometimes their threat)
                subjects.append(
                    SynthPerson(
                        nominal.family_name,
                        nominal.given_names,
                        nominal.date_of_birth,
                        nominal.gender,
                        nominal=nominal.reference,
                    )
                )
            if kind >= 0.5 and threats_of.get(nominal.reference):
                threats.append(rng.choice(threats_of[nominal.reference]))
            elif kind >= 0.8:  # the threat alone, for a nominal without one: link the nominal
                subjects.append(
                    SynthPerson(
                        nominal.family_name,
                        nominal.given_names,
                        nominal.date_of_birth,
                        nominal.gender,
                        nominal=nominal.reference,
                    )
                )
        for _ in range(rng.choice((0, 1, 1, 1, 2, 2, 3))):
            given, family, gender = _name(rng, pools)
            subjects.append(
                SynthPerson(family, given, _dob(rng) if rng.random() < 0.6 else None, gender)
            )
        street = f"{rng.choice(pools.streets)}, {rng.choice(pools.towns)}"
        mentions = [("place", street)]
        if rng.random() < 0.3:
            mentions.append(("place", f"{rng.choice(pools.streets)}, {rng.choice(pools.towns)}"))
        mentions += [("phone", _phone(rng)) for _ in range(rng.choice((0, 0, 1, 1, 2)))]
        if rng.random() < 0.3:
            mentions.append(("vehicle", rng.choice(pools.plates)))
        names = [f"{s.given_names} {s.family_name}" for s in subjects] or ["an unknown male"]
        story = rng.choice(REPORT_TEXTS).format(
            a=names[0], b=names[1] if len(names) > 1 else "an associate", p=street
        )
        original = (
            f"SYNTHETIC INTELLIGENCE REPORT (invented for testing; no real person or event). "
            f"Source known to the submitting officer for {rng.randrange(1, 10)} years. {story}"
        )
        age = (today - submitted).days
        status = _processing(rng, age, 0.55)
        processed_on = None
        if status in ("actioned", "disseminated", "filed"):
            processed_on = min(today, submitted + dt.timedelta(days=rng.randrange(1, 40)))
        sanitised = (
            f"SYNTHETIC sanitised copy. {story.replace(street, 'the area')}"
            if status in ("actioned", "disseminated")
            else ""
        )
        officer = _name(rng, pools)
        out.append(
            SynthReport(
                reference=f"SYN-IR-{i:07d}",
                owner_key=owner,
                officer_name=f"PC {officer[0]} {officer[1]} (synthetic)",
                submitted_on=submitted,
                original_text=original,
                sanitised_text=sanitised,
                source_evaluation=source,
                intelligence_assessment=assessment,
                handling_code="C" if c_coded else "P",
                handling_conditions=rng.choice(CONDITIONS) if c_coded else "",
                handling=rng.choices(["region", "owner", "national"], weights=[80, 15, 5])[0],
                flags=flags,
                subjects=subjects,
                mentions=mentions,
                threats=threats,
                status=status,
                priority=_default_priority(flags),
                processed_on=processed_on,
                researcher=researcher_of.get(owner) if status != "awaiting" else None,
            )
        )
    return out


def noisy(rng: random.Random, pools, family: str, given: str, dob: dt.date | None, kinds):
    """A nominal's details with the noise ``kinds`` applied; returns them and the kinds that
    really changed something (a nickname needs a known name, a transposed date a day <= 12)."""
    applied = []
    for kind in kinds:
        first = given.split()[0] if given else ""
        if kind == "nickname":
            if first in NICKNAMES:
                given = NICKNAMES[first] + given[len(first) :]
                applied.append(kind)
        elif kind == "typo":
            changed = _typo(rng, family)
            if changed != family:
                family = changed
                applied.append(kind)
        elif kind == "double":
            family = f"{family}-{rng.choice(pools.family)}"
            applied.append(kind)
        elif kind == "dob":
            if dob and dob.day <= 12 and dob.day != dob.month:
                dob = dob.replace(day=dob.month, month=dob.day)
                applied.append(kind)
        elif kind == "swapped":
            if family and given:
                given, family = family, given
                applied.append(kind)
    return family, given, dob, tuple(applied)


def iter_sars(
    dataset: Dataset, counts: dict[str, int], *, subject_limit: int | None = None
) -> Iterator[SynthSar]:
    """A year of SARs up to ``dataset.today``: ``counts[force]`` for each force (in reference
    order, forces interleaved), stopping at exactly ``subject_limit`` subjects if given.
    Deterministic for the dataset's seed; drawn lazily, so national sizes stream."""
    rng = random.Random(f"{dataset.seed}:sars")
    owners = sorted(k for k, n in counts.items() if n > 0)
    if not owners:
        return
    owner_cum = list(itertools.accumulate(counts[k] for k in owners))
    total = owner_cum[-1]
    # Enough names and places that national sizes repeat them no more than real data does.
    pools = _Pools(f"{dataset.seed}:sar-pools", min(3000, max(300, total // 50)))
    today = dataset.today
    types, type_cum = _cum(SAR_TYPES)
    sectors, sector_cum = _cum(SECTORS)
    sizes, size_cum = _cum(SUBJECT_COUNTS)
    nominals = dataset.nominals
    n_nominals = len(nominals)
    male, female, family_pool = pools.male, pools.female, pools.family
    streets, towns, postcodes = pools.streets, pools.towns, pools.postcodes
    n_male, n_female, n_family = len(male), len(female), len(family_pool)
    n_streets, n_towns, n_postcodes = len(streets), len(towns), len(postcodes)
    n_institutions = len(INSTITUTIONS)
    n_reasons = len(REASONS)
    r = rng.random  # int(r() * n) rather than randrange/choice: several times faster
    subjects_left = subject_limit if subject_limit is not None else -1
    n = 0
    remaining = dict(counts)
    epoch = dt.date(1955, 1, 1).toordinal()
    today_ordinal = today.toordinal()
    fromordinal = dt.date.fromordinal

    def sort_code() -> str:
        return f"{int(r() * 90) + 10}-{int(r() * 90) + 10}-{int(r() * 90) + 10}"

    while (subject_limit is None and n < total) or subjects_left > 0:
        n += 1
        if subject_limit is None:
            # Each force's share exactly: draw an owner among what is left to send.
            owner = owners[bisect.bisect_right(owner_cum, int(r() * total))]
            while remaining[owner] <= 0:
                owner = owners[bisect.bisect_right(owner_cum, int(r() * total))]
            remaining[owner] -= 1
        else:
            owner = owners[bisect.bisect_right(owner_cum, int(r() * total))]
        submitted = fromordinal(today_ordinal - int(r() * 365))
        sar_type = types[bisect.bisect_right(type_cum, r() * type_cum[-1])]
        sector = sectors[bisect.bisect_right(sector_cum, r() * sector_cum[-1])]
        size = sizes[bisect.bisect_right(size_cum, r() * size_cum[-1])]
        if subjects_left >= 0:
            size = min(size, subjects_left)
            subjects_left -= size
        subjects = []
        for _ in range(size):
            if n_nominals and r() < SAR_NOMINAL_RATE:
                nominal = nominals[int(r() * n_nominals)]
                family, given, dob = nominal.family_name, nominal.given_names, nominal.date_of_birth
                kinds: tuple[str, ...] = ()
                if r() < SAR_NOISE_RATE:
                    wanted = rng.sample(VARIANT_KINDS, 2 if r() < 0.25 else 1)
                    family, given, dob, kinds = noisy(rng, pools, family, given, dob, wanted)
                person = SynthPerson(family, given, dob, nominal.gender, nominal=nominal.reference)
                person.variants = kinds
            else:
                is_female = r() < 0.4
                person = SynthPerson(
                    family_pool[int(r() * n_family)],
                    female[int(r() * n_female)] if is_female else male[int(r() * n_male)],
                    fromordinal(epoch + int(r() * 18250)) if r() < 0.9 else None,
                    "female" if is_female else "male",
                )
            person.address = (
                f"{int(r() * 199) + 1} {streets[int(r() * n_streets)]}, {towns[int(r() * n_towns)]}"
            )
            person.postcode = postcodes[int(r() * n_postcodes)]
            if r() < 0.6:
                person.phones = (f"07{int(r() * 900) + 100} {int(r() * 900_000) + 100_000}",)
            if r() < 0.7:
                person.accounts = (f"{sort_code()} {int(r() * 90_000_000) + 10_000_000}",)
            subjects.append(person)
        holder = f"{subjects[0].given_names} {subjects[0].family_name}" if subjects else ""
        linked = [
            (
                INSTITUTIONS[int(r() * n_institutions)],
                sort_code(),
                str(int(r() * 90_000_000) + 10_000_000),
                holder,
            )
            for _ in range(1 if r() < 0.6 else (2 if r() < 0.67 else 3))
        ]
        amount = None
        if r() < 0.9:
            scale = 6 if sar_type == "daml" else 1
            amount = f"{min(50_000_000, rng.lognormvariate(8.5, 1.4) * scale):.2f}"
        age = today_ordinal - submitted.toordinal()
        status, processed_on, screening = "awaiting", None, "not_screened"
        priority = PRIORITY_OF_TYPE.get(sar_type, "normal")
        decision, decided_on = "", None
        # Forces read DAML and vulnerability SARs first; most standard SARs wait unscreened.
        read_rate = 0.92 if sar_type in ("daml", "vulnerability") else (0.4 if age > 60 else 0.1)
        if r() < read_rate:
            matched = any(s.nominal for s in subjects)
            screening = "matches" if matched else "no_match"
            if age < 10 and r() < 0.5:
                status = "in_research"
            else:
                status = "actioned" if matched or r() < 0.33 else "filed"
                processed_on = min(today, fromordinal(submitted.toordinal() + 1 + int(r() * 29)))
        if sar_type == "daml":
            if age <= 10:
                decision = "pending"
            else:
                decision = rng.choices(["granted", "refused", "deemed"], weights=[55, 10, 35])[0]
                decided_on = fromordinal(submitted.toordinal() + 3 + int(r() * 7))
        yield SynthSar(
            reference=f"SYN-SAR-{n:07d}",
            owner_key=owner,
            reporter_sector=sector,
            submitted_on=submitted,
            sar_type=sar_type,
            reason_text=REASONS[int(r() * n_reasons)],
            amount=amount,
            currency="GBP",
            subjects=subjects,
            linked_accounts=linked,
            status=status,
            priority=priority,
            processed_on=processed_on,
            screening_status=screening,
            consent_decision=decision,
            consent_decided_on=decided_on,
        )


# --- The SAR bulk file (sarformat) --------------------------------------------------------------

SAR_COLUMNS = [
    "SAR reference",
    "Reporter sector",
    "Date",
    "Type",
    "Reason for suspicion",
    "Amount",
    "Currency",
    "Subject family name",
    "Subject given names",
    "Subject date of birth",
    "Subject gender",
    "Subject address",
    "Subject postcode",
    "Subject phones",
    "Subject accounts",
    "Linked accounts",
]


TRUTH_COLUMNS = ["SAR reference", "Subject", "Nominal reference", "Variants"]


def sar_rows(
    sars: Iterable[SynthSar], shift: dt.timedelta = dt.timedelta(0)
) -> Iterator[list[str]]:
    """One row per SAR subject (one with blank subject columns for a SAR without subjects);
    the SAR's dates moved by ``shift`` (as the loader moves them to end on the real date)."""
    for sar in sars:
        head = [
            sar.reference,
            sar.reporter_sector,
            (sar.submitted_on + shift).isoformat(),
            sar.sar_type,
            sar.reason_text,
            sar.amount or "",
            sar.currency,
        ]
        linked = ";".join("|".join(a) for a in sar.linked_accounts)
        if not sar.subjects:
            yield [*head, "", "", "", "", "", "", "", "", linked]
        for s in sar.subjects:
            yield [
                *head,
                s.family_name,
                s.given_names,
                s.date_of_birth.isoformat() if s.date_of_birth else "",
                s.gender,
                s.address,
                s.postcode,
                ";".join(s.phones),
                ";".join(s.accounts),
                linked,
            ]


def truth_rows(sars: Iterable[SynthSar]) -> Iterator[list[str]]:
    """The ground truth: for each SAR subject who is a master-list nominal, the SAR, the
    subject's place in it (from 1, the order of the SAR's rows), the nominal, and the kinds of
    noise applied (";"-separated; blank where written exactly as listed)."""
    for sar in sars:
        for n, person in enumerate(sar.subjects, start=1):
            if person.nominal:
                yield [sar.reference, str(n), person.nominal, ";".join(person.variants)]


def _write(rows: Iterable[list[str]], columns: list[str], out: str | Path | IO[str]) -> int:
    if isinstance(out, (str, Path)):
        with open(out, "w", encoding="utf-8", newline="") as handle:
            return _write(rows, columns, handle)
    writer = csv.writer(out)
    writer.writerow(columns)
    counter = itertools.count()
    writer.writerows(row for row, _ in zip(rows, counter, strict=False))
    return next(counter)


def write_sars_csv(
    sars: Iterable[SynthSar], out: str | Path | IO[str], *, shift: dt.timedelta = dt.timedelta(0)
) -> int:
    """Write ``sars`` in the SAR bulk format, streaming; returns the rows written (not the
    header). ``out`` is a path or a text handle opened with ``newline=""``."""
    return _write(sar_rows(sars, shift), SAR_COLUMNS, out)


def write_truth_csv(sars: Iterable[SynthSar], out: str | Path | IO[str]) -> int:
    """Write the SARs' ground truth (:func:`truth_rows`), streaming; returns the rows written."""
    return _write(truth_rows(sars), TRUTH_COLUMNS, out)

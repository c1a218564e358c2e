"""Synthetic debriefs of closed threats, with lessons and ground truth.

Pure Python: no Django. From a generated :class:`~socmaster.synth.generator.Dataset` this makes
one debrief for every closed threat (the product makes one due when a threat enters a closed
phase), due ``DUE_DAYS`` after the threat closed, owned by its LRO: recent ones still due, most
older ones held with one to three lessons (tagged with a tactic, a capability and crime types),
some cancelled with a reason and some never held (overdue), at the rates below; the seeds say
units cancelled debriefs or never held them. ``truth`` holds what the product should find on
``dataset.today``; ``socmaster.web.synthetic`` loads the debriefs, moving every date by (the
real date - ``dataset.today``) so that the product, which runs on the real date, finds the same.

Every text is invented and says it is synthetic.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field

from .generator import TACTICS, Dataset

#: The default days from the end of an operation to its debrief's due date.
DUE_DAYS = 28
#: The product's default: cancelled debriefs of operations that ended within this many days
#: are flagged on the exceptions report.
CANCELLED_FLAG_DAYS = 365
#: Of the debriefs past their due date: held, cancelled, and never held (overdue).
PAST_DUE = [("held", 70), ("cancelled", 12), ("due", 18)]
#: Of those not yet due: already held (early), or still due.
NOT_YET_DUE = [("held", 15), ("due", 85)]
#: Share of due debriefs with a lesson drafted already.
DRAFT_LESSON_RATE = 0.3
#: Capability codes lessons are tagged with (the gateway's reference codes, shared/domain.md §6).
CAPABILITIES = [
    "surveillance",
    "technical_surveillance",
    "undercover",
    "undercover_online",
    "asset_recovery",
    "economic_crime",
    "cyber_crime",
    "digital_forensics",
    "rib",
    "prison_intelligence",
    "disruption_team",
    "covert_authorities",
]
CAPABILITY_RATE = 0.6
TACTIC_RATE = 0.8
CANCEL_REASONS = [
    "Synthetic: the team was redeployed to another operation.",
    "Synthetic: the SIO retired and nobody took it on.",
    "Synthetic: merged into the regional debrief, which did not happen.",
    "Synthetic: not seen as needed after the charges.",
]
WORKED = [
    "Synthetic: early tasking of the surveillance team found the storage address.",
    "Synthetic: the joint briefing with partners meant safeguarding was ready on the day.",
    "Synthetic: financial enquiries ran beside the drugs investigation from the start.",
    "Synthetic: one single point of contact for the ROCU kept requests moving.",
]
DID_NOT = [
    "Synthetic: the warrant was applied for a day late.",
    "Synthetic: radios did not work inside the industrial estate.",
    "Synthetic: the council was told of the closure order too late to help.",
    "Synthetic: exhibits were bagged without a common numbering.",
]
FEEDBACK = [
    "Synthetic: the council asked to be in the planning meeting next time.",
    "Synthetic: HMRC would have shared its records earlier if asked.",
    "",
]
LESSONS = [
    "Synthetic: book covert authorities a week before the capability is needed.",
    "Synthetic: stage the arrest teams away from the address the night before.",
    "Synthetic: brief partners on safeguarding before the day of action, not after.",
    "Synthetic: start financial enquiries when the threat is adopted, not at charge.",
    "Synthetic: keep one exhibits officer for every search team.",
    "Synthetic: ask the prison intelligence unit early: principals keep phones inside.",
    "Synthetic: test the radios inside the premises during the reconnaissance.",
    "Synthetic: plan the interviews before the arrests so that custody clocks are used well.",
    "Synthetic: share the phone analysis with the region: the same numbers recur.",
    "Synthetic: a closure order needs the council's evidence of nuisance gathered early.",
]


@dataclass
class SynthLesson:
    text: str
    tactic: str | None
    capability: str | None
    crime_types: list[str]


@dataclass
class SynthDebrief:
    reference: str
    threat: str
    owner_key: str
    owner_user: str | None
    operation: str
    ended_on: dt.date
    due_on: dt.date
    status: str
    held_on: dt.date | None = None
    what_worked: str = ""
    what_did_not: str = ""
    partner_feedback: str = ""
    cancel_reason: str = ""
    lessons: list[SynthLesson] = field(default_factory=list)

    def is_overdue(self, today: dt.date) -> bool:
        return self.status == "due" and self.due_on < today


@dataclass
class DebriefSet:
    debriefs: list[SynthDebrief]
    truth: dict


def _pick(rng: random.Random, weighted) -> str:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights=weights)[0]


def _lesson(rng: random.Random, crime_types: list[str]) -> SynthLesson:
    tactics = [t for codes in TACTICS.values() for t in codes]
    crimes = rng.sample(crime_types, rng.randint(1, len(crime_types))) if crime_types else []
    return SynthLesson(
        text=rng.choice(LESSONS),
        tactic=rng.choice(tactics) if rng.random() < TACTIC_RATE else None,
        capability=rng.choice(CAPABILITIES) if rng.random() < CAPABILITY_RATE else None,
        crime_types=sorted(crimes),
    )


def debriefs_for(dataset: Dataset, *, due_days: int = DUE_DAYS) -> DebriefSet:
    """One debrief per closed threat of ``dataset``, drawn from its seed, with ground truth."""
    rng = random.Random(f"debriefs-{dataset.seed}")
    today = dataset.today
    debriefs = []
    closed = [t for t in dataset.threats if t.closed_on is not None]
    for n, threat in enumerate(sorted(closed, key=lambda t: t.reference), start=1):
        ended = threat.closed_on
        due_on = ended + dt.timedelta(days=due_days)
        status = _pick(rng, PAST_DUE if due_on < today else NOT_YET_DUE)
        debrief = SynthDebrief(
            reference=f"SYN-DB-{n:06d}",
            threat=threat.reference,
            owner_key=threat.owner_key,
            owner_user=threat.lro,
            operation=f"Op {threat.name.split()[0]} (synthetic)",
            ended_on=ended,
            due_on=due_on,
            status=status,
        )
        if status == "held":
            debrief.held_on = min(today, ended + dt.timedelta(days=rng.randint(3, 45)))
            debrief.what_worked = rng.choice(WORKED)
            debrief.what_did_not = rng.choice(DID_NOT)
            debrief.partner_feedback = rng.choice(FEEDBACK)
            debrief.lessons = [_lesson(rng, threat.crime_types) for _ in range(rng.randint(1, 3))]
        elif status == "cancelled":
            debrief.cancel_reason = rng.choice(CANCEL_REASONS)
        elif rng.random() < DRAFT_LESSON_RATE:
            debrief.what_worked = rng.choice(WORKED)
            debrief.lessons = [_lesson(rng, threat.crime_types)]
        debriefs.append(debrief)
    return DebriefSet(debriefs, _truth(debriefs, today, due_days))


def _truth(debriefs: list[SynthDebrief], today: dt.date, due_days: int) -> dict:
    """What the product should find on ``today``: debriefs by state, the overdue and cancelled
    ones, and the library's lessons (of held debriefs) by tag."""
    held_lessons = [lesson for d in debriefs if d.status == "held" for lesson in d.lessons]
    by_crime = Counter(c for lesson in held_lessons for c in lesson.crime_types)
    return {
        "today": today.isoformat(),
        "due_days": due_days,
        "by_status": dict(Counter(d.status for d in debriefs)),
        "overdue": sorted(d.reference for d in debriefs if d.is_overdue(today)),
        "cancelled": sorted(d.reference for d in debriefs if d.status == "cancelled"),
        "cancelled_flagged": sorted(
            d.reference
            for d in debriefs
            if d.status == "cancelled"
            and d.ended_on >= today - dt.timedelta(days=CANCELLED_FLAG_DAYS)
        ),
        "library_lessons": len(held_lessons),
        "library_by_tactic": dict(Counter(x.tactic for x in held_lessons if x.tactic)),
        "library_by_capability": dict(Counter(x.capability for x in held_lessons if x.capability)),
        "library_by_crime_type": dict(by_crime),
    }

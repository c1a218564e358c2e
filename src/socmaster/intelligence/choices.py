"""Intelligence and SAR vocabulary (shared/domain.md §8): the 3x5x2 grading, processing states,
priorities, SAR types and screening."""

from django.db import models


class SourceEvaluation(models.TextChoices):
    RELIABLE = "1", "1 Reliable"
    UNTESTED = "2", "2 Untested"
    NOT_RELIABLE = "3", "3 Not reliable"


class IntelAssessment(models.TextChoices):
    A = "A", "A Known directly"
    B = "B", "B Known indirectly, corroborated"
    C = "C", "C Known indirectly"
    D = "D", "D Not known"
    E = "E", "E Suspected false"


class HandlingCode(models.TextChoices):
    P = "P", "P May be shared for a policing purpose"
    C = "C", "C Shared with conditions"


class ProcessingStatus(models.TextChoices):
    AWAITING = "awaiting", "Awaiting processing"
    IN_RESEARCH = "in_research", "In research"
    ACTIONED = "actioned", "Actioned"
    DISSEMINATED = "disseminated", "Disseminated"
    FILED = "filed", "Filed"


#: States in which a report or SAR is still waiting to be worked (the backlog).
WAITING = frozenset({ProcessingStatus.AWAITING, ProcessingStatus.IN_RESEARCH})
#: The same, in a fixed order, for queries and the queue's partial index (whose condition a
#: query must repeat exactly for the database to use it).
QUEUED = ["awaiting", "in_research"]
#: States in which it has been processed.
PROCESSED = frozenset(
    {ProcessingStatus.ACTIONED, ProcessingStatus.DISSEMINATED, ProcessingStatus.FILED}
)

#: Allowed transitions: name -> (states it may start from, state it ends in).
TRANSITIONS = {
    "start_research": ({ProcessingStatus.AWAITING}, ProcessingStatus.IN_RESEARCH),
    "return_to_queue": ({ProcessingStatus.IN_RESEARCH}, ProcessingStatus.AWAITING),
    "action": ({ProcessingStatus.IN_RESEARCH}, ProcessingStatus.ACTIONED),
    "disseminate": (
        {ProcessingStatus.IN_RESEARCH, ProcessingStatus.ACTIONED},
        ProcessingStatus.DISSEMINATED,
    ),
    "file": (
        {ProcessingStatus.AWAITING, ProcessingStatus.IN_RESEARCH, ProcessingStatus.ACTIONED},
        ProcessingStatus.FILED,
    ),
}

#: What each transition is called on a button.
TRANSITION_LABELS = {
    "start_research": "Start research",
    "return_to_queue": "Return to the queue",
    "action": "Mark as actioned",
    "disseminate": "Disseminate",
    "file": "File",
}


class Priority(models.TextChoices):
    URGENT = "urgent", "Urgent"
    HIGH = "high", "High"
    NORMAL = "normal", "Normal"
    LOW = "low", "Low"


#: Priorities in queue order.
PRIORITY_ORDER = [Priority.URGENT, Priority.HIGH, Priority.NORMAL, Priority.LOW]

#: Default service levels: the days a report may wait at each priority before it is overdue
#: (settings ``SOCMASTER["INTEL_SERVICE_LEVEL_DAYS"]`` overrides them).
DEFAULT_SERVICE_LEVEL_DAYS = {
    Priority.URGENT: 1,
    Priority.HIGH: 3,
    Priority.NORMAL: 14,
    Priority.LOW: 28,
}


class Flag(models.TextChoices):
    THREAT_TO_LIFE = "threat_to_life", "Threat to life"
    CHILD_AT_RISK = "child_at_risk", "Child at risk"
    VULNERABLE_VICTIM = "vulnerable_victim", "Vulnerable victim"
    TIME_CRITICAL = "time_critical", "Time-critical"


class MentionKind(models.TextChoices):
    PLACE = "place", "Place"
    PHONE = "phone", "Phone"
    VEHICLE = "vehicle", "Vehicle"


class SarType(models.TextChoices):
    STANDARD = "standard", "Standard"
    DAML = "daml", "Defence against money laundering (DAML)"
    VULNERABILITY = "vulnerability", "Vulnerability"
    OTHER = "other", "Other"


class ReporterSector(models.TextChoices):
    CREDIT_INSTITUTION = "credit_institution", "Bank or building society"
    MONEY_SERVICE = "money_service", "Money service business"
    ELECTRONIC_MONEY = "electronic_money", "Electronic money or payments"
    ACCOUNTANT = "accountant", "Accountant or tax adviser"
    LEGAL = "legal", "Legal professional"
    ESTATE_AGENT = "estate_agent", "Estate agent"
    GAMBLING = "gambling", "Gambling"
    HIGH_VALUE_DEALER = "high_value_dealer", "High value dealer"
    CRYPTOASSET = "cryptoasset", "Cryptoasset business"
    OTHER = "other", "Other"


class ScreeningStatus(models.TextChoices):
    NOT_SCREENED = "not_screened", "Not screened"
    NO_MATCH = "no_match", "Screened – no match"
    MATCHES = "matches", "Screened – matches found"


class ConsentDecision(models.TextChoices):
    """A DAML SAR's consent (defence) request: open, granted, refused (the moratorium runs), or
    deemed granted when the notice period ended without a refusal."""

    PENDING = "pending", "Awaiting decision"
    GRANTED = "granted", "Consent granted"
    REFUSED = "refused", "Consent refused"
    DEEMED = "deemed", "Deemed granted (notice period ended)"

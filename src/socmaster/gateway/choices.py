"""ROCU gateway vocabulary (shared/domain.md §6): capabilities, request states and transitions,
urgency, decline reasons and capacity units."""

from django.db import models

#: The ROCU and national specialist capabilities named in the seeds (domain.md §6): code, name.
#: Kept as reference data (``Capability``), loaded by migration; administrators add others.
CAPABILITIES = [
    ("rocta", "Regional organised crime threat assessment (ROCTA)"),
    ("rib", "Regional intelligence bureau"),
    ("siu", "Sensitive intelligence unit"),
    ("surveillance", "Surveillance"),
    ("technical_surveillance", "Technical surveillance"),
    ("undercover", "Undercover"),
    ("undercover_online", "Undercover online"),
    ("asset_recovery", "Regional asset recovery team"),
    ("economic_crime", "Economic crime and fraud"),
    ("cyber_crime", "Cyber crime (Pursue, Protect, Prevent)"),
    ("gain", "Government Agency Intelligence Network (GAIN)"),
    ("prison_intelligence", "Regional prison intelligence unit"),
    ("disruption_team", "Regional disruption team"),
    ("marsoc", "MARSOC"),
    ("organised_exploitation", "Tackling organised exploitation"),
    ("digital_forensics", "Digital forensics"),
    ("covert_authorities", "Covert authorities"),
]


#: Acceptance criteria each capability starts with (``services.CRITERIA`` says what each kind
#: checks); administrators change them as data.
DEFAULT_CRITERIA = {
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


class CapacityUnit(models.TextChoices):
    TEAM_DAYS = "team_days", "team-days"
    OFFICER_DAYS = "officer_days", "officer-days"
    DEPLOYMENTS = "deployments", "deployments"
    EXAMINATIONS = "examinations", "examinations"
    CASES = "cases", "cases"


class Urgency(models.TextChoices):
    IMMEDIATE = "immediate", "Immediate (within 24 hours)"
    URGENT = "urgent", "Urgent (within 7 days)"
    ROUTINE = "routine", "Routine"


#: Urgencies in queue order.
URGENCY_ORDER = [Urgency.IMMEDIATE, Urgency.URGENT, Urgency.ROUTINE]

#: Default days a request may wait for a decision at each urgency before it is flagged
#: (``SOCMASTER["GATEWAY_DECISION_DAYS"]`` overrides them).
DEFAULT_DECISION_DAYS = {Urgency.IMMEDIATE: 1, Urgency.URGENT: 3, Urgency.ROUTINE: 14}


class Authority(models.TextChoices):
    """Authorities a request says it needs (Investigatory Powers Act 2016, RIPA 2000, Police
    Act 1997)."""

    DIRECTED_SURVEILLANCE = "directed_surveillance", "Directed surveillance (RIPA Part II)"
    INTRUSIVE_SURVEILLANCE = "intrusive_surveillance", "Intrusive surveillance (RIPA Part II)"
    CHIS = "chis", "Covert human intelligence source (RIPA Part II)"
    PROPERTY_INTERFERENCE = "property_interference", "Property interference (Police Act 1997)"
    EQUIPMENT_INTERFERENCE = "equipment_interference", "Equipment interference (IPA 2016)"
    COMMUNICATIONS_DATA = "communications_data", "Communications data (IPA 2016)"


#: Who else may see a request, as its requester chooses (``services.HANDLING_CHOICES``): the
#: receiving ROCU's region (the default), named organisations only, or national.
REQUEST_HANDLING = [
    ("region", "Owner's region"),
    ("named", "Named organisations"),
    ("national", "National"),
]


class RequestStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    TRIAGED = "triaged", "Triaged"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    REFERRED = "referred", "Referred"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    WITHDRAWN = "withdrawn", "Withdrawn"


#: Waiting for the gateway's decision (the decision clock runs, unless paused).
AWAITING_DECISION = ["submitted", "triaged"]
#: Finished one way or another: no clock runs.
CLOSED = frozenset(
    {
        RequestStatus.DECLINED,
        RequestStatus.REFERRED,
        RequestStatus.COMPLETED,
        RequestStatus.WITHDRAWN,
    }
)

#: Allowed transitions: name -> (states it may start from, state it ends in).
TRANSITIONS = {
    "triage": ({RequestStatus.SUBMITTED}, RequestStatus.TRIAGED),
    "accept": ({RequestStatus.SUBMITTED, RequestStatus.TRIAGED}, RequestStatus.ACCEPTED),
    "decline": ({RequestStatus.SUBMITTED, RequestStatus.TRIAGED}, RequestStatus.DECLINED),
    "refer": ({RequestStatus.SUBMITTED, RequestStatus.TRIAGED}, RequestStatus.REFERRED),
    "start": ({RequestStatus.ACCEPTED}, RequestStatus.IN_PROGRESS),
    "complete": ({RequestStatus.IN_PROGRESS}, RequestStatus.COMPLETED),
    "withdraw": (
        {RequestStatus.SUBMITTED, RequestStatus.TRIAGED, RequestStatus.ACCEPTED},
        RequestStatus.WITHDRAWN,
    ),
}

#: What each transition is called on a button.
TRANSITION_LABELS = {
    "triage": "Mark as triaged",
    "accept": "Accept",
    "decline": "Decline",
    "refer": "Refer",
    "start": "Start work",
    "complete": "Record completion",
    "withdraw": "Withdraw the request",
}


class DeclineReason(models.TextChoices):
    CAPACITY = "capacity", "No capacity"
    CRITERIA = "criteria", "Acceptance criteria not met"
    INFORMATION = "information", "Not enough information"
    PROPORTIONALITY = "proportionality", "Not necessary or proportionate"
    OTHER = "other", "Other"


class ReferralReason(models.TextChoices):
    CAPACITY = "capacity", "No capacity here"
    CAPABILITY = "capability", "Capability not offered here"
    JURISDICTION = "jurisdiction", "Better placed elsewhere"


#: Decline and referral reasons that count as unmet demand: the request could have been taken,
#: but there was no capacity for it.
UNMET_REASONS = frozenset({"capacity"})

"""4P plan vocabulary (shared/domain.md §5). The four Ps are the disruption app's."""

from django.db import models

from socmaster.disruptions.choices import FourP

__all__ = [
    "FourP",
    "ActionStatus",
    "OPEN_STATUSES",
    "PlanStatus",
    "ReviewOutcome",
    "ReviewerRole",
    "PartnerSection",
    "AuthorRole",
]


class ActionStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETE = "complete", "Complete"
    CANCELLED = "cancelled", "Cancelled"


#: Actions still to be done (an overdue action is one of these past its due date).
OPEN_STATUSES = frozenset({ActionStatus.NOT_STARTED, ActionStatus.IN_PROGRESS})


class PlanStatus(models.TextChoices):
    CURRENT = "current", "Current"
    SUPERSEDED = "superseded", "Superseded"


class ReviewOutcome(models.TextChoices):
    GOOD = "good", "Good: no changes needed"
    IMPROVE = "improve", "Requires improvement"
    INADEQUATE = "inadequate", "Inadequate: rewrite needed"


class ReviewerRole(models.TextChoices):
    SRO = "sro", "Senior responsible officer (supervisor)"
    CHIEF_OFFICER = "chief_officer", "Chief officer"


class AuthorRole(models.TextChoices):
    """In what capacity the author wrote the plan (the LRO should; the SIO should not)."""

    LRO = "lro", "Lead responsible officer"
    SIO = "sio", "Senior investigating officer"
    OTHER = "other", "Other member of the owning organisation"


class PartnerSection(models.TextChoices):
    """Parts of a plan the LRO may show to partners who hold actions in it (beyond their own actions)."""

    AIM = "aim", "Aim"
    OBJECTIVES = "objectives", "Objectives under each P"
    INTELLIGENCE_GAPS = "intelligence_gaps", "Intelligence gaps"
    LINKED_PLANS = "linked_plans", "Linked safeguarding and investigation plans"
    OTHER_ACTIONS = "other_actions", "Other organisations' actions"
    REVIEWS = "reviews", "Quality-assurance reviews"


#: Results that say only that an action was done (compared as lower-case words): kept as data,
#: so a force can add the stock phrases its officers write.
EMPTY_RESULTS = frozenset(
    {
        "done",
        "complete",
        "completed",
        "action complete",
        "action completed",
        "completed as planned",
        "done as planned",
        "finished",
        "carried out",
        "actioned",
        "ok",
        "yes",
        "n a",
        "na",
        "see log",
        "see notes",
        "see file",
        "as above",
        "no further action",
        "nfa",
        "closed",
        "covert",
        "covert action complete",
        "covert action completed",
        "tasking complete",
    }
)
#: Words that carry no outcome on their own, not counted as meaningful words in a result.
FILLER_WORDS = frozenset(
    "a an the and or of to in on at by for with was were is are be been has have had it this "
    "that as done complete completed action actions task tasks ok yes see log notes".split()
)

"""Tasking and debrief vocabulary (shared/domain.md §6)."""

from django.db import models

# --- Tasking and co-ordination meetings -------------------------------------------------------


class MeetingLevel(models.TextChoices):
    """The level a tasking and co-ordination group sits at, and so what its agenda covers."""

    FORCE = "force", "Force"
    AREA = "area", "Area"
    REGIONAL = "regional", "Regional"
    NATIONAL = "national", "National"


class MeetingStatus(models.TextChoices):
    DRAFT = "draft", "Draft agenda"
    HELD = "held", "Held"
    APPROVED = "approved", "Minutes approved"


#: Allowed meeting transitions: name -> (states it may start from, state it ends in).
MEETING_TRANSITIONS = {
    "hold": ({MeetingStatus.DRAFT}, MeetingStatus.HELD),
    "approve": ({MeetingStatus.HELD}, MeetingStatus.APPROVED),
}

#: What each meeting transition is called on a button.
MEETING_TRANSITION_LABELS = {
    "hold": "Record that the meeting was held",
    "approve": "Approve the minutes",
}


class MeetingActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    DROPPED = "dropped", "No longer needed"


#: Allowed meeting-action transitions: name -> (states it may start from, state it ends in).
MEETING_ACTION_TRANSITIONS = {
    "complete": ({MeetingActionStatus.OPEN}, MeetingActionStatus.DONE),
    "drop": ({MeetingActionStatus.OPEN}, MeetingActionStatus.DROPPED),
}

#: Agenda item kinds made by the tasking app itself (the others are the keys of the agenda
#: sources in ``core.registry``).
CARRIED_ACTIONS = "carried_actions"
CHAIR_ITEM = "chair"
#: The sections those kinds are shown under.
CARRIED_ACTIONS_TITLE = "Actions carried from earlier meetings"
CHAIR_ITEM_TITLE = "Other business"

#: How many top threats an agenda lists unless the meeting says otherwise, and the most it may.
DEFAULT_TOP_THREATS = 10
MAX_TOP_THREATS = 50
#: At most this many items of one kind are listed one by one; a figure counts the rest.
AGENDA_ITEM_LIMIT = 25
#: The period an agenda covers when its body has not met before.
FIRST_MEETING_MONTHS = 3


# --- Debriefs --------------------------------------------------------------------------------


class DebriefTrigger(models.TextChoices):
    """What made a debrief due: the end of an operation, or someone adding one by hand."""

    THREAT_CLOSED = "threat_closed", "Threat closed"
    REQUEST_COMPLETED = "request_completed", "Gateway request completed"
    BY_HAND = "by_hand", "Added by hand"


class DebriefStatus(models.TextChoices):
    DUE = "due", "Due"
    HELD = "held", "Held"
    CANCELLED = "cancelled", "Cancelled"


#: Default days from the end of an operation to the date its debrief is due
#: (``SOCMASTER["DEBRIEF_DUE_DAYS"]`` overrides it).
DEFAULT_DEBRIEF_DUE_DAYS = 28
#: Operations that ended longer ago than this when the product first learns of it (a history
#: import, say) make no debrief due (``SOCMASTER["DEBRIEF_LOOKBACK_DAYS"]``); add one by hand.
DEFAULT_DEBRIEF_LOOKBACK_DAYS = 365
#: Cancelled debriefs of operations that ended within this many days are flagged
#: (``SOCMASTER["DEBRIEF_CANCELLED_DAYS"]``).
DEFAULT_DEBRIEF_CANCELLED_DAYS = 365

#: Allowed debrief transitions: name -> (states it may start from, state it ends in).
DEBRIEF_TRANSITIONS = {
    "hold": ({DebriefStatus.DUE}, DebriefStatus.HELD),
    "cancel": ({DebriefStatus.DUE}, DebriefStatus.CANCELLED),
    "reinstate": ({DebriefStatus.CANCELLED}, DebriefStatus.DUE),
}

#: What each debrief transition is called on a button.
DEBRIEF_TRANSITION_LABELS = {
    "hold": "Record that the debrief was held",
    "cancel": "Cancel the debrief",
    "reinstate": "Reinstate the debrief",
}

from django.db import models


class ModelStatus(models.TextChoices):
    CANDIDATE = "candidate", "Trained, waiting for review"
    IN_USE = "in_use", "In use"
    RETIRED = "retired", "Retired"
    REJECTED = "rejected", "Not put into use"


class SubjectKind(models.TextChoices):
    SAR_SUBJECT = "sar_subject", "SAR subject"
    REPORT_SUBJECT = "report_subject", "Intelligence report subject"
    NOMINAL = "nominal", "Another nominal (possible duplicate)"
    LIST = "list", "A list of people uploaded (prison releases, a partner's list)"


class MatchStatus(models.TextChoices):
    """Where a candidate match stands. ``linked``: the same person (proposed above the upper
    threshold and not vetoed, or decided by a reviewer); ``review``: waiting for a reviewer;
    ``not_same``: a reviewer decided they are different people (never proposed again);
    ``unsure``: a reviewer could not tell; ``conflict``: linking would join people a reviewer
    kept apart; ``unlinked``: a link taken back."""

    LINKED = "linked", "Linked: the same person"
    REVIEW = "review", "Waiting for review"
    NOT_SAME = "not_same", "Not the same person"
    UNSURE = "unsure", "Unsure"
    CONFLICT = "conflict", "Conflict: would join people kept apart"
    UNLINKED = "unlinked", "Link taken back"


OPEN = (MatchStatus.REVIEW, MatchStatus.CONFLICT, MatchStatus.UNSURE)


class Decision(models.TextChoices):
    SAME = "same", "Same person"
    NOT_SAME = "not_same", "Not the same person"
    UNSURE = "unsure", "Unsure"


DECISION_STATUS = {
    Decision.SAME: MatchStatus.LINKED,
    Decision.NOT_SAME: MatchStatus.NOT_SAME,
    Decision.UNSURE: MatchStatus.UNSURE,
}


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Finished"
    FAILED = "failed", "Failed"


class AccessRequestStatus(models.TextChoices):
    OPEN = "open", "Waiting for the owner"
    APPROVED = "approved", "Approved: shared"
    DECLINED = "declined", "Declined"

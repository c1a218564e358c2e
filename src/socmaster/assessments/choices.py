from django.db import models


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    MODERATED = "moderated", "Moderated"
    RETURNED = "returned", "Returned"


#: Which transitions are allowed from which state (checked before every transition).
TRANSITIONS = {
    "submit": ({AssessmentStatus.DRAFT, AssessmentStatus.RETURNED}, AssessmentStatus.SUBMITTED),
    "moderate": ({AssessmentStatus.SUBMITTED}, AssessmentStatus.MODERATED),
    "return": ({AssessmentStatus.SUBMITTED}, AssessmentStatus.RETURNED),
}

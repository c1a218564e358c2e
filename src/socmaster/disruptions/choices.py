"""Disruption vocabulary (shared/domain.md §4)."""

from django.db import models


class DisruptionType(models.TextChoices):
    LEAD = "lead", "Lead"
    SUPPORT = "support", "Support"


class FourP(models.TextChoices):
    PURSUE = "pursue", "Pursue"
    PREVENT = "prevent", "Prevent"
    PROTECT = "protect", "Protect"
    PREPARE = "prepare", "Prepare"


class Category(models.TextChoices):
    MAJOR = "major", "Major"
    MODERATE = "moderate", "Moderate"
    MINOR = "minor", "Minor"


class DisruptionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    RETURNED = "returned", "Returned"
    REJECTED = "rejected", "Rejected"


#: Allowed transitions: name -> (states it may start from, state it ends in).
TRANSITIONS = {
    "submit": ({DisruptionStatus.DRAFT, DisruptionStatus.RETURNED}, DisruptionStatus.SUBMITTED),
    "approve": ({DisruptionStatus.SUBMITTED}, DisruptionStatus.APPROVED),
    "return": ({DisruptionStatus.SUBMITTED}, DisruptionStatus.RETURNED),
    "reject": ({DisruptionStatus.SUBMITTED}, DisruptionStatus.REJECTED),
}

#: The default tactics, grouped by 4P (reference data; administrators may add more).
DEFAULT_TACTICS = [
    ("arrest", "Arrest", FourP.PURSUE),
    ("charge", "Charge", FourP.PURSUE),
    ("conviction", "Conviction", FourP.PURSUE),
    ("seizure_drugs", "Seizure of drugs", FourP.PURSUE),
    ("seizure_cash", "Seizure of cash", FourP.PURSUE),
    ("seizure_firearms", "Seizure of firearms", FourP.PURSUE),
    ("restraint_confiscation", "Restraint or confiscation of assets", FourP.PURSUE),
    ("scpo", "Serious crime prevention order obtained", FourP.PURSUE),
    ("closure_order", "Closure order", FourP.PURSUE),
    ("diversion_referral", "Referral to a diversion scheme", FourP.PREVENT),
    ("education", "Education or awareness for those at risk of involvement", FourP.PREVENT),
    ("victims_safeguarded", "Victims safeguarded", FourP.PROTECT),
    ("target_hardening", "Target hardening", FourP.PROTECT),
    ("cyber_protect", "Cyber protect engagement", FourP.PROTECT),
    ("licence_review", "Licensing review or premises action", FourP.PROTECT),
    ("community_resilience", "Community resilience work", FourP.PREPARE),
    ("exercise", "Multi-agency exercise or contingency plan", FourP.PREPARE),
]

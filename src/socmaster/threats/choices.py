"""Enumerations of the SOC master list (shared/domain.md §2)."""

from django.db import models


class ThreatType(models.TextChoices):
    OCG = "ocg", "Organised crime group"
    PRIORITY_INDIVIDUAL = "priority_individual", "SOC priority individual"
    VULNERABILITY = "vulnerability", "SOC vulnerability"


class Category(models.TextChoices):
    TACTICAL = "tactical", "Tactical"
    STRATEGIC = "strategic", "Strategic"


class Soc(models.TextChoices):
    SOC = "soc", "SOC"
    NON_SOC = "non_soc", "Non-SOC"


class Tier(models.IntegerChoices):
    TIER_1 = 1, "Tier 1"
    TIER_2 = 2, "Tier 2"
    TIER_3 = 3, "Tier 3"
    TIER_4 = 4, "Tier 4"
    TIER_5 = 5, "Tier 5"


class ModerationStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    MODERATED = "moderated", "Moderated"
    RETURNED = "returned", "Returned"


#: The 2018 Serious and Organised Crime Strategy's crime types (code, label).
CRIME_TYPES = [
    ("csa", "Child sexual abuse"),
    ("cyber", "Cyber crime"),
    ("fraud", "Fraud"),
    ("drugs", "Illegal drugs (including county lines)"),
    ("firearms", "Illegal firearms"),
    ("msht", "Modern slavery and human trafficking"),
    ("money_laundering", "Money laundering"),
    ("oic", "Organised immigration crime"),
    ("oac", "Organised acquisitive crime"),
    ("bribery", "Bribery, corruption and sanctions evasion"),
]

#: The default lifecycle phases (reference data; administrators may add more).
DEFAULT_PHASES = [
    "Identified",
    "Developing intelligence",
    "Active investigation",
    "Managed – disruption",
    "Managed – prosecution",
    "Closed – dismantled",
    "Closed – no longer SOC",
    "Closed – merged",
]

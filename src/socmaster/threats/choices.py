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


class Gender(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Not known"


class AliasType(models.TextChoices):
    ALIAS = "alias", "Alias"
    NICKNAME = "nickname", "Nickname"
    FORMER_NAME = "former_name", "Former or maiden name"
    SPELLING = "spelling", "Spelling variant"


class IdentifierType(models.TextChoices):
    PNC_ID = "pnc_id", "PNC ID"
    CRO = "cro", "CRO number"
    PHONE = "phone", "Phone number"
    EMAIL = "email", "Email address"
    ADDRESS = "address", "Address"
    POSTCODE = "postcode", "Postcode"
    VEHICLE = "vehicle", "Vehicle registration"
    PASSPORT = "passport", "Passport number"
    NI_NUMBER = "ni_number", "National Insurance number"
    OTHER = "other", "Other"


class MemberRole(models.TextChoices):
    PRINCIPAL = "principal", "Principal"
    SIGNIFICANT = "significant", "Significant"
    PERIPHERAL = "peripheral", "Peripheral"
    FACILITATOR = "facilitator", "Facilitator"
    ENABLER = "enabler", "Professional enabler"
    ASSOCIATE = "associate", "Associate"


class LinkType(models.TextChoices):
    BUSINESS = "business", "Business"
    PLACE = "place", "Place or premises"
    VEHICLE = "vehicle", "Vehicle"
    PHONE = "phone", "Phone"
    ACCOUNT = "account", "Financial account"
    ONLINE = "online", "Online identity"


class ImportKind(models.TextChoices):
    MASTERLIST = "masterlist", "Master list"
    DISRUPTIONS = "disruptions", "Disruptions"
    PLANS = "plans", "4P plans"
    PLAN_ACTIONS = "plan_actions", "Plan actions"
    PLAN_REVIEWS = "plan_reviews", "Plan reviews"
    ASSESSMENTS = "assessments", "Assessments"
    MEMBERS = "members", "Threat members"
    SYNTHETIC = "synthetic", "Synthetic data (invented)"
    SARS = "sars", "Suspicious activity reports (SARs)"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"

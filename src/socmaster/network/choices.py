from django.db import models


class AssociationKind(models.TextChoices):
    ASSOCIATE = "associate", "Associate"
    FAMILY = "family", "Family member"
    PARTNER = "partner", "Partner"
    CO_OFFENDER = "co_offender", "Co-offender"
    BUSINESS = "business", "Business associate"
    COMMUNICATION = "communication", "In contact (communications data)"


class EdgeType(models.TextChoices):
    """Why two nodes of the association graph are joined: each kind comes from one kind of
    source record, whose access the edge inherits."""

    MEMBER = "member", "Member of the threat"
    IDENTIFIER = "identifier", "Holds the identifier"
    LINKED = "linked", "Linked to the threat"
    DISRUPTION = "disruption", "Co-recorded in a disruption"
    REPORT = "report", "Co-mentioned in an intelligence report"
    SAR = "sar", "Co-mentioned in a SAR"
    RESOLVED = "resolved", "Linked by a reviewed match"
    ASSOCIATE = "associate", "Associate recorded by an analyst"


class NodeType(models.TextChoices):
    NOMINAL = "nominal", "Nominal"
    THREAT = "threat", "Threat"
    BUSINESS = "business", "Business"
    PLACE = "place", "Place or premises"
    PHONE = "phone", "Phone"
    VEHICLE = "vehicle", "Vehicle"
    ADDRESS = "address", "Address"
    ACCOUNT = "account", "Financial account"
    ONLINE = "online", "Online identity"
    EMAIL = "email", "Email address"


class RunKind(models.TextChoices):
    NETWORK = "network", "Visible network"
    EDGE_LIST = "edge_list", "Uploaded edge list"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"

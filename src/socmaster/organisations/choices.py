"""Enumerations for organisations, people and roles (vocabulary from shared/domain.md §1)."""

from django.db import models


class OrganisationType(models.TextChoices):
    REGION = "region", "Region"
    ROCU = "rocu", "Regional organised crime unit"
    FORCE = "force", "Police force"
    NATIONAL_AGENCY = "national_agency", "National agency"
    GOVERNMENT_PARTNER = "government_partner", "Government partner"
    LOCAL_PARTNER = "local_partner", "Local partner"
    INSPECTORATE = "inspectorate", "Inspectorate"


#: Organisation types whose staff are partners: they see only what is shared with them.
PARTNER_TYPES = frozenset({OrganisationType.GOVERNMENT_PARTNER, OrganisationType.LOCAL_PARTNER})


class Role(models.TextChoices):
    ANALYST = "analyst", "Analyst"
    #: A member of the organisation's intelligence unit: processes its reports and reads their
    #: originals.
    RESEARCHER = "researcher", "Intelligence researcher"
    ROCTA_ASSESSOR = "rocta_assessor", "ROCTA assessor"
    MODERATOR = "moderator", "Moderator"
    LRO = "lro", "Lead responsible officer"
    SIO = "sio", "Senior investigating officer"
    GATEWAY_OFFICER = "gateway_officer", "Gateway officer"
    OFFENDER_MANAGER = "offender_manager", "Offender manager"
    PARTNER_USER = "partner_user", "Partner user"
    CHIEF_OFFICER = "chief_officer", "Chief officer"
    INSPECTOR = "inspector", "Inspector"
    ADMINISTRATOR = "administrator", "Administrator"


class ChangeKind(models.TextChoices):
    CREATED = "created", "Created"
    RENAMED = "renamed", "Renamed"
    MOVED = "moved", "Moved region or ROCU"
    CLOSED = "closed", "Closed"


class AliasKind(models.TextChoices):
    ALIAS = "alias", "Also known as"
    FORMER_NAME = "former_name", "Former name"
    FORMER_SHORT_NAME = "former_short_name", "Former short name"

"""Enumerations shared by every app: handling levels and audit actions."""

from django.db import models


class Handling(models.TextChoices):
    """Who may see a protected record, beyond its owning organisation."""

    OWNER = "owner", "Owner only"
    NAMED = "named", "Named organisations"
    REGION = "region", "Owner's region"
    NATIONAL = "national", "National"


#: Handling levels narrow enough that opening the record needs a stated reason.
RESTRICTED_HANDLING = frozenset({Handling.OWNER, Handling.NAMED})


class AuditAction(models.TextChoices):
    """The only action names the audit log accepts."""

    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"
    VIEW = "view", "View"
    SEARCH = "search", "List or search"
    EXPORT = "export", "Export"
    DISCLOSE = "disclose", "Disclose"
    COMBINE = "combine", "Combine"
    TRANSITION = "transition", "Workflow transition"
    LOGIN = "login", "Log-in"
    LOGOUT = "logout", "Log-out"
    LOGIN_FAILED = "login_failed", "Failed log-in"


class Action:
    """Actions the access policy answers for."""

    VIEW = "view"
    CHANGE = "change"
    DELETE = "delete"
    EXPORT = "export"
    ALL = (VIEW, CHANGE, DELETE, EXPORT)

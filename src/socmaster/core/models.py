"""Base model for protected records, and the append-only, hash-chained audit log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from .choices import RESTRICTED_HANDLING, AuditAction, Handling


@dataclass(frozen=True)
class Protection:
    """How a model is protected, declared on the model as ``protection = ...``.

    ``kind`` is one of:

    * ``owns`` – the record carries its own owner, handling level and shared-with list
      (:class:`ProtectedModel`), and optionally a compartment field;
    * ``inherits`` – the record is protected exactly as the record at ``parent`` (a ``__`` path
      of foreign keys ending at a model that owns its protection) is;
    * ``reference`` – reference data every signed-in user may read (organisations, crime types…);
    * ``people`` – users and memberships (``policy.visible_users``);
    * ``audit`` – the audit log (``policy.audit_scope``).

    ``core.policy`` answers every question (visible, change, delete, export, is restricted) from
    this declaration alone, so a new model gets the right access by declaring it.
    """

    kind: str
    parent: str = ""
    compartment: str = ""

    KINDS: ClassVar[frozenset[str]] = frozenset(
        {"owns", "inherits", "reference", "people", "audit"}
    )

    def __post_init__(self):
        if self.kind not in self.KINDS:
            raise ValueError(f"Unknown protection kind {self.kind!r}")
        if (self.kind == "inherits") != bool(self.parent):
            raise ValueError("Inherited protection names its parent, and only it does.")


OWNS = Protection("owns")
REFERENCE_DATA = Protection("reference")
PEOPLE = Protection("people")
AUDIT_LOG = Protection("audit")


def inherits(parent: str) -> Protection:
    """Protection taken from the record at ``parent`` (e.g. ``"threat"`` or ``"plan__threat"``)."""
    return Protection("inherits", parent=parent)


class ProtectedQuerySet(models.QuerySet):
    """The queryset of every protected model, owning or inheriting its protection."""

    def visible_to(self, user):
        from . import policy

        return policy.restrict(self, user)


class InheritedProtection(models.Model):
    """Mixin for records that take their protection from a parent (declare ``protection``)."""

    class Meta:
        abstract = True

    @property
    def is_restricted(self) -> bool:
        from . import policy

        return policy.is_restricted(self)


class ProtectedModel(models.Model):
    """Every protected record has an owning organisation and a handling level."""

    protection = OWNS

    owner = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The organisation that owns this record.",
    )
    handling = models.CharField(
        max_length=16,
        choices=Handling.choices,
        default=Handling.REGION,
        db_index=True,
        help_text="Who may see this record beyond its owner.",
    )
    shared_with = models.ManyToManyField(
        "organisations.Organisation",
        blank=True,
        related_name="+",
        help_text="Organisations that may see this record whatever its handling level.",
    )
    compartment = models.ForeignKey(
        "core.Compartment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="A named unit whose members alone may see this record, whatever its handling.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ProtectedQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_restricted(self) -> bool:
        return self.handling in RESTRICTED_HANDLING or self.compartment_id is not None


class Compartment(models.Model):
    """A named unit (a sensitive intelligence unit, covert tactics, counter-corruption) whose
    members alone may see the records put in it, whatever their handling level: everyone else,
    inspectors and superusers included, gets the answer for a missing record. Membership is
    granted and ended through ``core.compartments`` (audited)."""

    protection = REFERENCE_DATA

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200, unique=True)
    owner = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The organisation whose administrators manage the compartment's members.",
    )
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CompartmentMember(models.Model):
    """A person given a compartment, from a date and until a date (open-ended when blank)."""

    protection = PEOPLE

    compartment = models.ForeignKey(Compartment, on_delete=models.PROTECT, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="compartment_memberships"
    )
    valid_from = models.DateField(default=timezone.localdate)
    valid_to = models.DateField(null=True, blank=True)
    granted_by = models.CharField(max_length=150, blank=True)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["compartment", "user"]
        indexes = [models.Index(fields=["user", "valid_from"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.compartment}"


class Versioned(models.Model):
    """A changeable record's version: every audited update adds one, and an update that started
    from an older version is refused (``core.services.check_version``), so nobody silently
    overwrites someone else's change. The API sends it as the ETag and honours If-Match."""

    lock_version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True


class Imported(models.Model):
    """A record that may have been brought in from a force's own systems (a history import).

    Its own dates (written, recorded, reviewed, moderated) are the source system's; the time of
    the import is kept apart in ``imported_at``, and ``import_source`` names the file and row.
    Both are blank for a record entered in the product."""

    import_source = models.CharField(max_length=300, blank=True)
    imported_at = models.DateTimeField(null=True, blank=True)
    #: The record's key in the source system (where it has no reference of its own here), so
    #: that importing the same file again finds it instead of writing it twice.
    source_key = models.CharField(max_length=120, blank=True, db_index=True)

    class Meta:
        abstract = True

    @property
    def is_imported(self) -> bool:
        return bool(self.import_source)


class DecidedOutside(models.Model):
    """An imported record whose decision (approval, moderation) was made in the source system:
    who made it there (a name, not a user of this product) and when. Shown as "approved outside
    the product"."""

    outside_decision_by = models.CharField(max_length=200, blank=True)
    outside_decision_on = models.DateField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def decided_outside(self) -> bool:
        return bool(self.outside_decision_by or self.outside_decision_on)


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("The audit log is append-only.")

    def delete(self):
        raise PermissionError("The audit log is append-only.")


class AuditEntry(models.Model):
    """One append-only entry. ``entry_hash`` chains it to the entry before."""

    protection = AUDIT_LOG

    seq = models.BigIntegerField(unique=True)
    timestamp = models.DateTimeField(db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    username = models.CharField(max_length=150, blank=True)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    organisation_name = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=16, choices=AuditAction.choices, db_index=True)
    record_type = models.CharField(max_length=100, blank=True, db_index=True)
    record_id = models.CharField(max_length=64, blank=True, db_index=True)
    record_repr = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    ip_address = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)
    # Fingerprint of the HMAC key the entry was signed with; blank on entries written before the
    # chain was keyed (plain SHA-256, see core.audit).
    key_id = models.CharField(max_length=16, blank=True, default="", db_default="")
    #: The organisation owning the record (its own, or its parent's): its administrators see who
    #: opened or changed it, whoever they were.
    record_owner = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    #: The membership in force at the time that gave the access (its organisation is
    #: ``organisation``): entries are scoped by it, not by memberships held before or since.
    membership_id = models.BigIntegerField(null=True, blank=True)
    #: The compartment of the record (its own, or its parent's): only the compartment's members
    #: see entries about it, whatever else they may read.
    record_compartment_id = models.BigIntegerField(null=True, blank=True, db_index=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["record_type", "record_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.username or 'system'} {self.action} {self.record_type} {self.record_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit entries cannot be deleted.")


class AuditHead(models.Model):
    """A single row holding the last sequence number and hash; writers lock it in turn."""

    protection = AUDIT_LOG

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit head #{self.last_seq}"


class ReferenceCounter(models.Model):
    """The last automatic number given for a reference prefix (``SOC``, ``NOM``, ``DIS``).

    Writers lock the row (``select_for_update``) inside the creating transaction, so two
    simultaneous creations never get the same number; a reference a user chose never moves it.
    """

    protection = REFERENCE_DATA

    prefix = models.CharField(max_length=16, unique=True)
    last = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.prefix}-{self.last:06d}"

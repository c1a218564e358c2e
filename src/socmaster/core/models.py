"""Base model for protected records, and the append-only, hash-chained audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from .choices import RESTRICTED_HANDLING, AuditAction, Handling


class ProtectedQuerySet(models.QuerySet):
    def visible_to(self, user):
        from . import policy

        return policy.restrict(self, user)


class ProtectedModel(models.Model):
    """Every protected record has an owning organisation and a handling level."""

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
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ProtectedQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_restricted(self) -> bool:
        return self.handling in RESTRICTED_HANDLING


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("The audit log is append-only.")

    def delete(self):
        raise PermissionError("The audit log is append-only.")


class AuditEntry(models.Model):
    """One append-only entry. ``entry_hash`` chains it to the entry before."""

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

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit head #{self.last_seq}"

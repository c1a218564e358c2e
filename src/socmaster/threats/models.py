"""The SOC master list: threats and their reference data."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from socmaster.core.models import (
    PEOPLE,
    REFERENCE_DATA,
    Imported,
    InheritedProtection,
    ProtectedModel,
    ProtectedQuerySet,
    Versioned,
    inherits,
)

from .choices import (
    AliasType,
    Category,
    Gender,
    IdentifierType,
    ImportKind,
    ImportStatus,
    LinkType,
    MemberRole,
    ModerationStatus,
    Soc,
    ThreatType,
    Tier,
)


class CrimeType(models.Model):
    protection = REFERENCE_DATA

    code = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=120, unique=True)
    #: Other names a file may use for it ("drugs", "county lines"), matched like the label.
    aliases = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class Phase(models.Model):
    """A lifecycle phase. A phase whose name contains "Closed" is a closed phase."""

    protection = REFERENCE_DATA

    name = models.CharField(max_length=80, unique=True)
    order = models.PositiveSmallIntegerField(default=0)
    #: Other names a file may use for it, matched like the name.
    aliases = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return "Closed" in self.name


class ThreatQuerySet(ProtectedQuerySet):
    def with_related(self):
        return self.select_related(
            "owner", "owner__region", "lro", "sro", "phase"
        ).prefetch_related("crime_types")


class Threat(Versioned, ProtectedModel):
    reference = models.CharField(
        max_length=40, unique=True, help_text="Unique master-list reference."
    )
    name = models.CharField(max_length=200)
    operation_names = models.CharField(
        max_length=300, blank=True, help_text="Operation names, comma separated."
    )
    threat_type = models.CharField(
        max_length=24, choices=ThreatType.choices, default=ThreatType.OCG, db_index=True
    )
    category = models.CharField(
        "type", max_length=12, choices=Category.choices, default=Category.TACTICAL, db_index=True
    )
    soc = models.CharField("SOC", max_length=8, choices=Soc.choices, default=Soc.SOC, db_index=True)
    tier = models.PositiveSmallIntegerField(
        choices=Tier.choices, null=True, blank=True, db_index=True
    )
    phase = models.ForeignKey(
        Phase, null=True, blank=True, on_delete=models.PROTECT, related_name="threats"
    )
    moderation_status = models.CharField(
        max_length=12,
        choices=ModerationStatus.choices,
        default=ModerationStatus.DRAFT,
        db_index=True,
    )
    score = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    assessed_on = models.DateField(null=True, blank=True)
    assessment_source = models.CharField(
        max_length=300,
        blank=True,
        editable=False,
        help_text="Where imported assessment figures came from; empty once a moderated "
        "assessment sets them.",
    )
    crime_types = models.ManyToManyField(CrimeType, blank=True, related_name="threats")
    lro = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lro_threats",
        verbose_name="LRO",
    )
    sro = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sro_threats",
        verbose_name="SRO",
    )
    description = models.TextField(blank=True)
    areas = models.ManyToManyField(
        "organisations.Organisation",
        blank=True,
        related_name="threats_affecting",
        verbose_name="areas affected",
        help_text="Forces and local authority areas where the threat operates.",
    )
    opened_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    closed_reason = models.CharField(max_length=300, blank=True)

    objects = ThreatQuerySet.as_manager()

    class Meta:
        ordering = ["reference"]

    def __str__(self) -> str:
        return f"{self.reference} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("threats:detail", args=[self.reference])


def normalise_identifier(kind: str, value: str) -> str:
    """Fold an identifier for matching: case and spacing (and punctuation for codes)."""
    value = (value or "").strip().upper()
    if kind in {"address", "other"}:
        return " ".join(value.split())
    return "".join(ch for ch in value if ch.isalnum())


class PersonRecord(models.Model):
    """The fields that describe a person, as a nominal has them: a subject of an intelligence
    report or a SAR is a person record, so that entity resolution compares like with like."""

    family_name = models.CharField(max_length=120, blank=True)
    given_names = models.CharField(max_length=200, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    gender = models.CharField(max_length=8, choices=Gender.choices, default=Gender.UNKNOWN)
    nationality = models.CharField(max_length=80, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.family_name.upper()}, {self.given_names}".strip(", ") or "(no name)"

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.family_name}".strip()


class Nominal(Versioned, ProtectedModel):
    """A person of interest. May be a member of several threats."""

    reference = models.CharField(max_length=40, unique=True)
    family_name = models.CharField(max_length=120, db_index=True)
    given_names = models.CharField(max_length=200, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    gender = models.CharField(max_length=8, choices=Gender.choices, default=Gender.UNKNOWN)
    nationality = models.CharField(max_length=80, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["family_name", "given_names"]

    def __str__(self) -> str:
        return f"{self.family_name.upper()}, {self.given_names}".strip(", ")

    def get_absolute_url(self) -> str:
        return reverse("threats:nominal", args=[self.reference])

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.family_name}".strip()


class NominalAlias(InheritedProtection, models.Model):
    protection = inherits("nominal")

    nominal = models.ForeignKey(Nominal, on_delete=models.CASCADE, related_name="aliases")
    family_name = models.CharField(max_length=120, blank=True)
    given_names = models.CharField(max_length=200, blank=True)
    alias_type = models.CharField(max_length=16, choices=AliasType.choices, default=AliasType.ALIAS)

    objects = ProtectedQuerySet.as_manager()

    class Meta:
        ordering = ["family_name", "given_names"]
        verbose_name_plural = "nominal aliases"

    def __str__(self) -> str:
        return f"{self.given_names} {self.family_name}".strip()


class Identifier(InheritedProtection, models.Model):
    protection = inherits("nominal")

    nominal = models.ForeignKey(Nominal, on_delete=models.CASCADE, related_name="identifiers")
    kind = models.CharField(max_length=16, choices=IdentifierType.choices)
    value = models.CharField(max_length=300)
    normalised = models.CharField(max_length=300, editable=False, db_index=True)

    objects = ProtectedQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "value"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"

    def save(self, *args, **kwargs):
        self.normalised = normalise_identifier(self.kind, self.value)
        super().save(*args, **kwargs)


class ThreatMemberQuerySet(ProtectedQuerySet):
    def visible_to(self, user):
        """Memberships of threats the user may see, of nominals they may see too.

        The nominal is tested with a correlated EXISTS, not ``nominal__in``: with both ends as
        IN lists, SQLite walks the (threat, nominal) unique index once per *pair* of listed
        values — every visible threat times every visible nominal — which at national scale
        takes seconds."""
        visible = Nominal.objects.visible_to(user).filter(pk=models.OuterRef("nominal_id"))
        return super().visible_to(user).filter(models.Exists(visible))


class ThreatMember(InheritedProtection, Imported, models.Model):
    """A nominal's membership of a threat, with a role and dates (possibly imported from a
    force's own records: ``Imported``)."""

    protection = inherits("threat")

    threat = models.ForeignKey(Threat, on_delete=models.CASCADE, related_name="members")
    nominal = models.ForeignKey(Nominal, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(
        max_length=16, choices=MemberRole.choices, default=MemberRole.SIGNIFICANT
    )
    from_date = models.DateField(null=True, blank=True)
    to_date = models.DateField(null=True, blank=True)
    notes = models.CharField(max_length=300, blank=True)

    objects = ThreatMemberQuerySet.as_manager()

    class Meta:
        ordering = ["role", "nominal__family_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["threat", "nominal", "from_date"], name="unique_member_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.nominal} – {self.get_role_display()} of {self.threat.reference}"

    @property
    def is_current(self) -> bool:
        return self.to_date is None


class LinkedEntity(InheritedProtection, models.Model):
    """A business, place, vehicle, phone or account linked to a threat."""

    protection = inherits("threat")

    threat = models.ForeignKey(Threat, on_delete=models.CASCADE, related_name="links")
    kind = models.CharField(max_length=12, choices=LinkType.choices)
    name = models.CharField(max_length=200)
    detail = models.CharField(max_length=300, blank=True)

    objects = ProtectedQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "name"]
        verbose_name_plural = "linked entities"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"


# --- Master-list imports run in the background -------------------------------------------------


class ImportJob(models.Model):
    """One import (of the master list, or of disruption records): who ran it, on what file, how
    far it has got and how it ended.

    Protected like people's own records: visible to the person who started it and to the
    administrators of the organisation it was started in (``policy.import_jobs_scope``).
    """

    protection = PEOPLE
    FINISHED = (ImportStatus.DONE, ImportStatus.FAILED, ImportStatus.CANCELLED)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "organisations.Organisation", null=True, blank=True, on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    #: Updated as the import goes: a running import whose heartbeat has stopped has lost its
    #: worker, and ``socmaster recover-imports`` undoes what it wrote.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    kind = models.CharField(
        max_length=20, choices=ImportKind.choices, default=ImportKind.MASTERLIST
    )
    source_name = models.CharField(max_length=255)
    stored_file = models.CharField(max_length=500, blank=True)
    skip_bad = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    cancel_requested = models.BooleanField(default=False)
    total_rows = models.PositiveIntegerField(default=0)
    rows_checked = models.PositiveIntegerField(default=0)
    rows_written = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    #: The first problems found (row, field, message), at most a few hundred.
    errors = models.JSONField(default=list, blank=True)
    rejects_file = models.CharField(max_length=500, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Import {self.pk} of {self.source_name}"

    def get_absolute_url(self) -> str:
        return reverse("threats_import:status", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED


class ImportUndo(models.Model):
    """The before-image of one record an import created or changed, written in the same
    transaction as the change, so a failed or cancelled import can be undone exactly (by the
    handler registered for its record type: ``core.importing.register_undo``)."""

    protection = PEOPLE

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="undo")
    record_type = models.CharField(max_length=100, default="threats.threat")
    record_id = models.BigIntegerField()
    #: None when the import created the record; else its fields (and many-to-many ids) before.
    before = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"Undo of {self.record_type} {self.record_id} for import {self.job_id}"

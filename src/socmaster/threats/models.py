"""The SOC master list: threats and their reference data."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from socmaster.core.models import (
    REFERENCE_DATA,
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

    class Meta:
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class Phase(models.Model):
    """A lifecycle phase. A phase whose name contains "Closed" is a closed phase."""

    protection = REFERENCE_DATA

    name = models.CharField(max_length=80, unique=True)
    order = models.PositiveSmallIntegerField(default=0)

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
        """Memberships of threats the user may see, of nominals they may see too."""
        return super().visible_to(user).filter(nominal__in=Nominal.objects.visible_to(user))


class ThreatMember(InheritedProtection, models.Model):
    """A nominal's membership of a threat, with a role and dates."""

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

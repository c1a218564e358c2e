"""The SOC master list: threats and their reference data."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from socmaster.core.models import ProtectedModel, ProtectedQuerySet

from .choices import Category, ModerationStatus, Soc, ThreatType, Tier


class CrimeType(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=120, unique=True)

    class Meta:
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class Phase(models.Model):
    """A lifecycle phase. A phase whose name contains "Closed" is a closed phase."""

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
        return self.select_related("owner", "owner__region", "lro", "phase").prefetch_related("crime_types")


class Threat(ProtectedModel):
    reference = models.CharField(max_length=40, unique=True, help_text="Unique master-list reference.")
    name = models.CharField(max_length=200)
    operation_names = models.CharField(max_length=300, blank=True, help_text="Operation names, comma separated.")
    threat_type = models.CharField(max_length=24, choices=ThreatType.choices, default=ThreatType.OCG, db_index=True)
    category = models.CharField("type", max_length=12, choices=Category.choices, default=Category.TACTICAL, db_index=True)
    soc = models.CharField("SOC", max_length=8, choices=Soc.choices, default=Soc.SOC, db_index=True)
    tier = models.PositiveSmallIntegerField(choices=Tier.choices, null=True, blank=True, db_index=True)
    phase = models.ForeignKey(Phase, null=True, blank=True, on_delete=models.PROTECT, related_name="threats")
    moderation_status = models.CharField(
        max_length=12, choices=ModerationStatus.choices, default=ModerationStatus.DRAFT, db_index=True
    )
    score = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    assessed_on = models.DateField(null=True, blank=True)
    crime_types = models.ManyToManyField(CrimeType, blank=True, related_name="threats")
    lro = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="lro_threats", verbose_name="LRO",
    )
    sro = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="sro_threats", verbose_name="SRO",
    )
    description = models.TextField(blank=True)
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

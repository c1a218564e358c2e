"""Organisations, their names over time, users and their memberships with roles."""

from __future__ import annotations

import re
import unicodedata

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property

from socmaster.core.models import PEOPLE, REFERENCE_DATA

from .choices import PARTNER_TYPES, AliasKind, ChangeKind, OrganisationType, Role


def normalise_name(value: str) -> str:
    """Fold an organisation name for matching: case, accents, '&', punctuation, spaces."""
    value = unicodedata.normalize("NFKD", value or "").encode("ascii", "ignore").decode()
    value = value.casefold().replace("&", " and ")
    value = re.sub(r"[^a-z0-9]+", " ", value)
    return " ".join(value.split())


class OrganisationQuerySet(models.QuerySet):
    def resolve(self, name: str) -> Organisation:
        """Find the organisation called ``name`` by name, short name, alias or former name.

        Raises ``Organisation.DoesNotExist`` with a message naming close matches.
        """
        key = normalise_name(name)
        if not key:
            raise Organisation.DoesNotExist("No organisation name was given.")
        found = (
            self.filter(models.Q(normalised_name=key) | models.Q(normalised_short_name=key)).first()
            or self.filter(aliases__normalised=key).first()
        )
        if found is None:
            hints = list(
                self.filter(normalised_name__contains=key.split(" ")[0]).values_list(
                    "name", flat=True
                )[:3]
            )
            hint = f" Did you mean: {', '.join(hints)}?" if hints else ""
            raise Organisation.DoesNotExist(f"Unknown organisation '{name}'.{hint}")
        return found


class Organisation(models.Model):
    protection = REFERENCE_DATA

    key = models.SlugField(
        max_length=80, unique=True, help_text="Stable identifier used in URLs and imports."
    )
    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=80)
    type = models.CharField(max_length=32, choices=OrganisationType.choices, db_index=True)
    region = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="region_members",
        limit_choices_to={"type": OrganisationType.REGION},
        help_text="The region this organisation belongs to (a region belongs to itself).",
    )
    rocu = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="collaborating_forces",
        limit_choices_to={"type": OrganisationType.ROCU},
    )
    normalised_name = models.CharField(max_length=200, unique=True, editable=False)
    normalised_short_name = models.CharField(max_length=80, db_index=True, editable=False)
    active = models.BooleanField(default=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.normalised_name = normalise_name(self.name)
        self.normalised_short_name = normalise_name(self.short_name)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("organisations:detail", args=[self.key])

    @property
    def is_partner(self) -> bool:
        return self.type in PARTNER_TYPES


class OrganisationAlias(models.Model):
    protection = REFERENCE_DATA

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField(max_length=200)
    kind = models.CharField(max_length=24, choices=AliasKind.choices, default=AliasKind.ALIAS)
    normalised = models.CharField(max_length=200, unique=True, editable=False)
    valid_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["alias"]
        verbose_name_plural = "organisation aliases"

    def __str__(self) -> str:
        return self.alias

    def save(self, *args, **kwargs):
        self.normalised = normalise_name(self.alias)
        super().save(*args, **kwargs)


class OrganisationChange(models.Model):
    """One dated change in an organisation's history: a rename or a move between regions."""

    protection = REFERENCE_DATA

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=16, choices=ChangeKind.choices)
    effective = models.DateField()
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    note = models.CharField(max_length=300, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-effective", "-id"]

    def __str__(self) -> str:
        return f"{self.organisation} {self.get_kind_display().lower()} {self.effective:%d %b %Y}"


class User(AbstractUser):
    """A person who signs in. Organisations and roles come from :class:`Membership`."""

    protection = PEOPLE

    home_organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="home_users",
        help_text="The organisation shown in the header; must be one of the user's memberships.",
    )
    job_title = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def get_absolute_url(self) -> str:
        return reverse("organisations:user", args=[self.username])

    @cached_property
    def active_memberships(self) -> list[Membership]:
        today = timezone.localdate()
        return [
            m
            for m in self.memberships.select_related("organisation", "organisation__region")
            if m.valid_from <= today and (m.valid_to is None or m.valid_to >= today)
        ]

    @cached_property
    def organisation_ids(self) -> frozenset[int]:
        return frozenset(m.organisation_id for m in self.active_memberships)

    @cached_property
    def roles(self) -> frozenset[str]:
        return frozenset(m.role for m in self.active_memberships)

    def roles_in(self, organisation_id: int) -> frozenset[str]:
        return frozenset(
            m.role for m in self.active_memberships if m.organisation_id == organisation_id
        )

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def primary_organisation(self) -> Organisation | None:
        if self.home_organisation_id and self.home_organisation_id in self.organisation_ids:
            return self.home_organisation
        return self.active_memberships[0].organisation if self.active_memberships else None


class Membership(models.Model):
    """A user holds a role in an organisation, for a period."""

    protection = PEOPLE

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(max_length=32, choices=Role.choices)
    valid_from = models.DateField(default=timezone.localdate)
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["organisation__name", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="unique_membership_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()}, {self.organisation}"

"""One filter definition for the master-list page and the API."""

import django_filters
from django.db.models import Q
from django_filters.constants import EMPTY_VALUES

from socmaster.organisations.models import Organisation

from .choices import Category, ModerationStatus, Soc, ThreatType, Tier
from .models import CrimeType, Identifier, Nominal, NominalAlias, Phase, Threat, ThreatMember


def organisation_named(value):
    """The organisation with this key, or this name, short name or alias; None if there is none."""
    org = Organisation.objects.filter(key=value).first()
    if org is None:
        try:
            org = Organisation.objects.resolve(value)
        except Organisation.DoesNotExist:
            return None
    return org


class VisibleThreatFilter(django_filters.CharFilter):
    """A threat reference, resolved only among the threats the requesting user may see: a hidden
    threat gives the same empty result as a missing one. ``field_name`` is the path to the threat
    (``threat``, ``plan__threat``)."""

    def __init__(self, field_name="threat", **kwargs):
        kwargs.setdefault("label", "Threat reference")
        super().__init__(field_name=field_name, **kwargs)

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        user = getattr(self.parent.request, "user", None) if self.parent else None
        threats = Threat.objects.visible_to(user).filter(reference=value.strip())
        return qs.filter(**{f"{self.field_name}__in": threats.values("pk")})


THREAT_STATES = [("open", "Open"), ("closed", "Closed")]


class ThreatFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search names, references and operations")
    threat_type = django_filters.ChoiceFilter(choices=ThreatType.choices, label="Threat type")
    category = django_filters.ChoiceFilter(choices=Category.choices, label="Type")
    soc = django_filters.ChoiceFilter(choices=Soc.choices, label="SOC")
    tier = django_filters.ChoiceFilter(choices=Tier.choices)
    # Phases and crime types are reference data every signed-in user may read.
    phase = django_filters.ModelChoiceFilter(queryset=Phase.objects.all(), to_field_name="name")
    moderation_status = django_filters.ChoiceFilter(
        choices=ModerationStatus.choices, label="Moderation status"
    )
    owner = django_filters.CharFilter(
        method="by_owner", label="Owner", help_text="For example Durham Constabulary or Durham"
    )
    region = django_filters.CharFilter(
        method="by_region", label="Region", help_text="For example North East"
    )
    crime_type = django_filters.ModelChoiceFilter(
        field_name="crime_types",
        queryset=CrimeType.objects.all(),
        to_field_name="code",
        label="Crime type",
    )
    lro = django_filters.CharFilter(
        method="by_lro",
        label="LRO",
        help_text="“me” for your own threats, “none” for threats without an LRO",
    )
    state = django_filters.ChoiceFilter(
        choices=THREAT_STATES, method="by_state", label="Open or closed", empty_label="Either"
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            ("reference", "reference"),
            ("name", "name"),
            ("tier", "tier"),
            ("owner__name", "owner"),
            ("updated_at", "updated"),
            ("score", "score"),
        ),
    )

    class Meta:
        model = Threat
        fields = []

    def search(self, queryset, name, value):
        """Threat names, references and operations, and the names and aliases of current members.

        The matching people are found first (one pass over nominals and aliases), then the threats
        they belong to, so the search stays fast on a national master list.
        """
        value = value.strip()
        if not value:
            return queryset
        name_q, alias_q = Q(), Q()
        for term in value.split():
            name_q &= Q(family_name__icontains=term) | Q(given_names__icontains=term)
            alias_q &= Q(family_name__icontains=term) | Q(given_names__icontains=term)
        people = Nominal.objects.filter(name_q).values("pk")
        aliases = NominalAlias.objects.filter(alias_q).values("nominal_id")
        members = ThreatMember.objects.filter(Q(nominal_id__in=people) | Q(nominal_id__in=aliases))
        if self.request is not None:  # only nominals the user may see can make a threat match
            members = members.filter(
                nominal_id__in=Nominal.objects.visible_to(self.request.user).values("pk")
            )
        return queryset.filter(
            Q(name__icontains=value)
            | Q(reference__icontains=value)
            | Q(operation_names__icontains=value)
            | Q(pk__in=members.values("threat_id"))
        )

    def by_state(self, queryset, name, value):
        """``open``: no closing date and not in a closed phase (as the exceptions report counts
        active threats); ``closed``: the others."""
        from .exceptions import active

        open_threats = active(queryset)
        if value == "open":
            return open_threats
        return queryset.exclude(pk__in=open_threats.values("pk"))

    def _org(self, value):
        return organisation_named(value)

    def by_owner(self, queryset, name, value):
        org = self._org(value)
        return queryset.filter(owner=org) if org else queryset.none()

    def by_region(self, queryset, name, value):
        org = self._org(value)
        return (
            queryset.filter(owner__region=org.region_id)
            if org and org.region_id
            else queryset.none()
        )

    def by_lro(self, queryset, name, value):
        if value == "none":
            return queryset.filter(lro__isnull=True)
        if value == "me":
            return queryset.filter(lro=self.request.user) if self.request else queryset.none()
        return queryset.filter(lro__username=value)


class NominalFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Name, alias, reference or identifier")
    threat = django_filters.CharFilter(method="by_threat", label="Threat reference")

    class Meta:
        model = Nominal
        fields = ["gender", "nationality"]

    def by_threat(self, queryset, name, value):
        """Members of a threat the user may see; a hidden threat has no members, like a missing one."""
        threats = Threat.objects.visible_to(getattr(self.request, "user", None))
        members = ThreatMember.objects.filter(
            threat__in=threats.filter(reference=value.strip())
        ).values("nominal_id")
        return queryset.filter(pk__in=members)

    def search(self, queryset, name, value):
        from .models import normalise_identifier

        value = value.strip()
        if not value:
            return queryset
        q = Q(reference__iexact=value)
        names, alias_names = Q(), Q()
        for term in value.split():
            names &= Q(family_name__icontains=term) | Q(given_names__icontains=term)
            alias_names &= Q(family_name__icontains=term) | Q(given_names__icontains=term)
        q |= names | Q(pk__in=NominalAlias.objects.filter(alias_names).values("nominal_id"))
        ident = normalise_identifier("phone", value)
        if ident:
            q |= Q(pk__in=Identifier.objects.filter(normalised=ident).values("nominal_id"))
        return queryset.filter(q)

"""The exceptions report: threats, LROs and other records that need attention.

Each check is a named function over the threats a user may see. Other apps (assessments, plans)
add their own checks with :func:`register`, so the report grows without this module knowing them.
A check over records that are not threats (intelligence reports, SARs) declares ``over`` and is
given the report's :class:`Scope` instead, from which it takes the records the asker may see.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from .choices import ModerationStatus


@dataclass(frozen=True)
class ExceptionCheck:
    key: str
    title: str
    explanation: str
    #: Over threats: ``run(threats)``; over other records: ``run(scope)`` (see :class:`Scope`).
    run: Callable[[Any], Sequence[dict]]
    #: What the check's rows are: "threats" (and LROs), or another kind of record.
    over: str = "threats"


@dataclass(frozen=True)
class Scope:
    """What a report covers, for checks over records other than threats.

    ``user`` is who asks (None on the command line: every record); ``organisation_ids`` narrows
    to the records those organisations own (None: any owner); ``lro`` narrows to records about
    the threats in ``threats`` (the "threats you lead" scope)."""

    threats: QuerySet
    user: Any = None
    organisation_ids: frozenset | None = None
    lro: bool = False

    def records(self, model, threats_path: str | None = "threats") -> QuerySet:
        """The ``model`` records this scope covers that the asker may see; ``threats_path``
        leads from a record to the threats it is about (None: it is about none, so the LRO
        scope holds none of them)."""
        qs = model.objects.visible_to(self.user) if self.user is not None else model.objects.all()
        if self.organisation_ids is not None:
            qs = qs.filter(owner_id__in=self.organisation_ids)
        if self.lro and threats_path is None:
            return qs.none()
        if self.lro:
            linked = model.objects.filter(**{f"{threats_path}__in": self.threats.values("pk")})
            qs = qs.filter(pk__in=linked.values("pk"))
        return qs


class RecordRows(Sequence):
    """A check's rows over a queryset, built a page at a time: the report counts them in the
    database and pages them, so a backlog of 100,000 records does not become 100,000 rows."""

    def __init__(self, queryset: QuerySet, row: Callable[[Any], dict]):
        self.queryset, self.row = queryset, row
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            self._count = self.queryset.count()
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self.row(r) for r in self.queryset[index]]
        return self.row(self.queryset[index])

    def __iter__(self):
        return (self.row(r) for r in self.queryset.iterator(chunk_size=2000))


_CHECKS: dict[str, ExceptionCheck] = {}


def register(check: ExceptionCheck) -> None:
    _CHECKS[check.key] = check


def checks() -> list[ExceptionCheck]:
    return list(_CHECKS.values())


def active(queryset: QuerySet) -> QuerySet:
    """Threats that are open: no closing date and not in a closed phase."""
    return queryset.filter(closed_on__isnull=True).exclude(phase__name__contains="Closed")


def lro_limit() -> int:
    return int(settings.SOCMASTER.get("LRO_THREAT_LIMIT", 3))


def _threat_rows(qs: QuerySet, detail: Callable | None = None) -> list[dict]:
    return [
        {"threat": t, "detail": detail(t) if detail else ""}
        for t in qs.select_related("owner", "lro").order_by("owner__name", "reference")
    ]


def _no_lro(qs):
    return _threat_rows(active(qs).filter(lro__isnull=True))


def _lro_overloaded(qs):
    limit = lro_limit()
    loads = (
        active(qs)
        .exclude(lro__isnull=True)
        .values("lro", "lro__username", "lro__first_name", "lro__last_name")
        .annotate(n=Count("id"))
        .filter(n__gt=limit)
        .order_by("-n")
    )
    loads = list(loads)
    held: dict[int, list] = {}
    for threat in (
        active(qs).filter(lro_id__in=[load["lro"] for load in loads]).order_by("reference")
    ):
        held.setdefault(threat.lro_id, []).append(threat)
    rows = []
    for load in loads:
        name = (
            f"{load['lro__first_name']} {load['lro__last_name']}".strip() or load["lro__username"]
        )
        rows.append(
            {
                "lro": name,
                "username": load["lro__username"],
                "count": load["n"],
                "threats": held.get(load["lro"], []),
                "detail": f"{load['n']} active threats (limit {limit})",
            }
        )
    return rows


def _not_moderated(qs):
    return _threat_rows(
        active(qs).filter(~Q(moderation_status=ModerationStatus.MODERATED)),
        lambda t: f"Moderation status: {t.get_moderation_status_display()}",
    )


register(
    ExceptionCheck(
        "no_lro",
        "Active threats without an LRO",
        "Every managed threat needs a lead responsible officer who owns its 4P plan.",
        _no_lro,
    )
)
register(
    ExceptionCheck(
        "lro_overloaded",
        "LROs holding too many threats",
        "An LRO with more active threats than the limit cannot manage them all well.",
        _lro_overloaded,
    )
)
register(
    ExceptionCheck(
        "not_moderated",
        "Threats without a moderated assessment",
        "Only a moderated MoRiLE assessment gives a threat an agreed score and tier.",
        _not_moderated,
    )
)


def run_all(
    queryset: QuerySet, only: str | None = None, scope: Scope | None = None
) -> list[tuple[ExceptionCheck, Sequence[dict]]]:
    """Each check (or only the check keyed ``only``) with its rows over ``queryset``; checks
    over other records run over ``scope`` (by default every record: the command line)."""
    scope = scope or Scope(queryset)
    return [
        (check, check.run(queryset if check.over == "threats" else scope))
        for check in checks()
        if only in (None, check.key)
    ]


#: Whose threats the report covers: every threat the user may see, or only some of them.
SCOPES = [
    ("", "Every threat you may see"),
    ("lro", "Threats you lead (LRO)"),
    ("organisation", "Threats your organisations own"),
]


def scoped(queryset: QuerySet, user, scope: str) -> QuerySet:
    """The threats of ``queryset`` in ``scope`` (see :data:`SCOPES`) for ``user``."""
    if scope == "lro":
        return queryset.filter(lro_id=user.pk)
    if scope == "organisation":
        return queryset.filter(owner_id__in=user.organisation_ids)
    return queryset


def scope_for(threats: QuerySet, user, scope: str, owner: str = "") -> Scope:
    """The :class:`Scope` of a report for ``user`` over ``threats`` (already :func:`scoped`),
    in ``scope``, narrowed to the organisation named ``owner`` if one is given (an unknown name
    narrows to nothing, as it does for threats)."""
    from .filters import organisation_named

    ids = frozenset(user.organisation_ids) if scope == "organisation" else None
    if owner:
        org = organisation_named(owner)
        named = frozenset({org.pk}) if org else frozenset()
        ids = named & ids if ids is not None else named
    return Scope(threats, user=user, organisation_ids=ids, lro=scope == "lro")


def total(results: list[tuple[ExceptionCheck, Sequence[dict]]]) -> int:
    return sum(len(rows) for _, rows in results)

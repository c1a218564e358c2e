"""The master-list exceptions report: threats and LROs that need attention.

Each check is a named function over the threats a user may see. Other apps (assessments) add
their own checks with :func:`register`, so the report grows without this module knowing them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from .choices import ModerationStatus


@dataclass(frozen=True)
class ExceptionCheck:
    key: str
    title: str
    explanation: str
    run: Callable[[QuerySet], list[dict]]


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


def run_all(queryset: QuerySet, only: str | None = None) -> list[tuple[ExceptionCheck, list[dict]]]:
    """Each check (or only the check keyed ``only``) with its rows over ``queryset``."""
    return [(check, check.run(queryset)) for check in checks() if only in (None, check.key)]


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


def total(results: list[tuple[ExceptionCheck, list[dict]]]) -> int:
    return sum(len(rows) for _, rows in results)

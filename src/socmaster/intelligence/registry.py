"""What the intelligence app adds to the shared registries (from ``IntelligenceConfig.ready()``)."""

from __future__ import annotations

from django.urls import reverse

from socmaster.core import policy
from socmaster.core.registry import (
    AttentionCount,
    AttentionItem,
    NavItem,
    register_attention,
    register_nav_item,
)
from socmaster.organisations.choices import Role

from . import services
from .choices import WAITING, SarType
from .models import IntelligenceReport, SuspiciousActivityReport


def _unit_records(user, model):
    """Waiting records owned by the organisations where ``user`` is in the intelligence unit."""
    units = [m.organisation_id for m in user.active_memberships if m.role == Role.RESEARCHER]
    return model.objects.visible_to(user).filter(owner_id__in=units, status__in=WAITING)


def _is_researcher(user) -> bool:
    return user.has_role(Role.RESEARCHER) and not policy.is_read_only(user)


def _overdue(user) -> AttentionCount | None:
    if not _is_researcher(user):
        return None
    n = _unit_records(user, IntelligenceReport).filter(services.overdue_q()).count()
    sars = _unit_records(user, SuspiciousActivityReport).filter(services.overdue_q()).count()
    return AttentionCount(
        n + sars,
        "intelligence reports and SARs in your unit waiting past their service level",
        f"{reverse('intelligence:queue')}?overdue=yes",
        links=((f"{sars} SARs", f"{reverse('intelligence:sar-queue')}?overdue=yes"),)
        if sars
        else (),
        urgent=bool(n + sars),
    )


def _untriaged(user) -> AttentionCount | None:
    if not _is_researcher(user):
        return None
    n = _unit_records(user, IntelligenceReport).filter(services.untriaged_high_risk_q()).count()
    return AttentionCount(
        n,
        f"high-risk reports (score {services.high_risk()} or more) nobody has triaged yet",
        f"{reverse('intelligence:queue')}?assigned=nobody",
        urgent=bool(n),
    )


def _assigned(user) -> AttentionCount | None:
    if not _is_researcher(user):
        return None
    n = (
        IntelligenceReport.objects.visible_to(user)
        .filter(assigned_to=user, status__in=WAITING)
        .count()
    )
    sars = (
        SuspiciousActivityReport.objects.visible_to(user)
        .filter(assigned_to=user, status__in=WAITING)
        .count()
    )
    return AttentionCount(
        n + sars,
        "intelligence reports and SARs assigned to you",
        f"{reverse('intelligence:queue')}?assigned=me",
        links=((f"{sars} SARs", f"{reverse('intelligence:sar-queue')}?assigned=me"),)
        if sars
        else (),
    )


def _daml(user) -> AttentionCount | None:
    """DAML SARs whose consent is still open, in the unit (each has a statutory deadline)."""
    if not _is_researcher(user):
        return None
    n = (
        _unit_records(user, SuspiciousActivityReport)
        .filter(sar_type=SarType.DAML, consent_decision__in=("", "pending"))
        .count()
    )
    return AttentionCount(
        n,
        "DAML SARs awaiting a consent decision (seven working days from receipt)",
        f"{reverse('intelligence:sar-queue')}?type=daml",
        urgent=bool(n),
    )


def _sees_intelligence(user) -> bool:
    return policy.is_police_user(user)


def register() -> None:
    register_nav_item(
        NavItem(
            "intelligence",
            "Intelligence",
            "intelligence:queue",
            650,
            visible=_sees_intelligence,
            active_prefix="/intelligence/",
        )
    )
    register_attention(AttentionItem("intelligence-overdue", 320, _overdue))
    register_attention(AttentionItem("intelligence-untriaged", 330, _untriaged))
    register_attention(AttentionItem("daml-open", 315, _daml))
    register_attention(AttentionItem("intelligence-assigned", 420, _assigned))
    from .checks import register_checks
    from .importer import register_importers

    register_importers()
    register_checks()

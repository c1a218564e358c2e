"""Disruption checks contributed to the master-list exceptions report: faults the inspections
found in how disruptions are recorded, and support records that no longer count."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from socmaster.threats.choices import ThreatType
from socmaster.threats.exceptions import ExceptionCheck, active, register

from .choices import DisruptionStatus
from .models import Disruption


def backdated_days() -> int:
    return int(settings.SOCMASTER.get("BACKDATED_DAYS", 1))


def gap_days() -> int:
    return int(settings.SOCMASTER.get("OCG_DISRUPTION_GAP_DAYS", 183))


def _by_threat(rows: list[tuple[object, str]]) -> list[dict]:
    grouped: dict[int, dict] = {}
    for threat, detail in rows:
        entry = grouped.setdefault(threat.pk, {"threat": threat, "details": []})
        entry["details"].append(detail)
    return [
        {"threat": e["threat"], "detail": "; ".join(e["details"])}
        for e in sorted(
            grouped.values(), key=lambda e: (e["threat"].owner.name, e["threat"].reference)
        )
    ]


def _backdated(qs):
    """Records whose typed record date is earlier than the day they were entered: in the product,
    or, for imported history, in the source system (its "Entered on"). An imported record whose
    file did not say when it was entered (``created_at`` is then the time of the import) is not
    judged."""
    allowed = backdated_days()
    rows = []
    entry_known = Q(import_source="") | (
        Q(imported_at__isnull=False) & ~Q(created_at=F("imported_at"))
    )
    candidates = (
        Disruption.objects.filter(threat__in=qs)
        .filter(entry_known)
        .select_related("threat__owner", "threat__lro", "standard")
        .order_by("threat__reference", "reference")
    )
    for d in candidates:
        entered = timezone.localdate(d.created_at)
        gap = (entered - d.record_date).days
        if gap <= allowed:
            continue
        late = (entered - d.event_date).days
        where = " in the source system" if d.import_source else ""
        detail = (
            f"{d.reference}: record date {d.record_date:%d %b %Y}, entered{where} "
            f"{entered:%d %b %Y} ({gap} days later)"
        )
        if late > d.standard.max_days_to_record:
            detail += (
                f"; entered {late} days after the event, beyond the "
                f"{d.standard.max_days_to_record} the standard allows"
            )
        rows.append((d.threat, detail))
    return _by_threat(rows)


def _support_lead_not_approved(qs):
    """Approved support records whose lead record is not approved (returned, rejected or not yet
    moderated, including after the support was approved): they are not counted in any figure
    until the lead is approved, and should be re-checked."""
    rows = []
    supports = (
        Disruption.objects.filter(threat__in=qs)
        .support_lead_not_approved()
        .select_related("threat__owner", "threat__lro", "lead")
        .order_by("threat__reference", "reference")
    )
    for d in supports:
        lead = d.lead
        if lead is None:
            detail = f"{d.reference}: a support record with no lead record; not counted"
        else:
            detail = (
                f"{d.reference}: its lead {lead.reference} is {lead.get_status_display().lower()}"
            )
            decided = lead.outside_decision_on or (
                timezone.localdate(lead.moderated_at) if lead.moderated_at else None
            )
            if lead.status != DisruptionStatus.SUBMITTED and decided:
                detail += f" (since {decided:%d %b %Y})"
            if lead.status != DisruptionStatus.SUBMITTED and lead.decision_reason.strip():
                detail += f": {lead.decision_reason.strip()}"
            detail += "; not counted until its lead is approved"
        rows.append((d.threat, detail))
    return _by_threat(rows)


def _ocg_without_disruption(qs):
    """Active OCGs opened before the period began (or with no opening date), with no counted
    disruption (approved; a support record only with an approved lead) whose event falls within
    it."""
    days = gap_days()
    since = timezone.localdate() - dt.timedelta(days=days)
    recent = Disruption.objects.counted().filter(threat=OuterRef("pk"), event_date__gte=since)
    latest = Disruption.objects.counted().filter(threat=OuterRef("pk")).order_by("-event_date")
    threats = (
        active(qs)
        .filter(threat_type=ThreatType.OCG)
        .filter(Q(opened_on__lt=since) | Q(opened_on__isnull=True))
        .filter(~Exists(recent))
        .annotate(last_event=latest.values("event_date")[:1])
        .select_related("owner", "lro")
        .order_by("owner__name", "reference")
    )
    return [
        {
            "threat": t,
            "detail": (
                f"Last approved disruption {t.last_event:%d %b %Y}"
                if t.last_event
                else "No approved disruption recorded"
            )
            + f" (period {days} days)",
        }
        for t in threats
    ]


def register_checks() -> None:
    register(
        ExceptionCheck(
            "backdated_disruptions",
            "Backdated disruptions",
            "The record date typed is earlier than the day the record was entered (by more than "
            f"{backdated_days()} day(s)): the time allowed to record is measured from entry.",
            _backdated,
        )
    )
    register(
        ExceptionCheck(
            "support_lead_not_approved",
            "Support disruptions whose lead is not approved",
            "An approved support record counts only while its lead record is approved: it is left "
            "out of every figure while its lead is returned, rejected or waiting, and counts again "
            "once the lead is approved. Re-check it.",
            _support_lead_not_approved,
        )
    )
    register(
        ExceptionCheck(
            "ocg_no_disruption",
            "Active OCGs with no recent disruption",
            f"No approved disruption against the group in the last {gap_days()} days.",
            _ocg_without_disruption,
        )
    )

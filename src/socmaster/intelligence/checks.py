"""The intelligence checks of the exceptions report: reports and SARs waiting past their service
level, and high-risk reports nobody has triaged (registered from ``registry.register()``).

They run over the records the asker may see (a compartmented or owner-only report stays out of
everyone else's report), narrowed like the threats to an owner, an organisation or an LRO's
threats, and page in the database (:class:`~socmaster.threats.exceptions.RecordRows`)."""

from __future__ import annotations

from django.utils import timezone

from socmaster.threats.exceptions import ExceptionCheck, RecordRows, Scope, register

from . import services
from .models import IntelligenceReport, SuspiciousActivityReport

OVERDUE_REPORTS = "intel_overdue"
OVERDUE_SARS = "sar_overdue"
UNTRIAGED = "intel_untriaged"


def _row(record, kind: str, detail: str) -> dict:
    return {
        "record": record,
        "kind": kind,
        "reference": record.reference,
        "label": record.get_sar_type_display()
        if isinstance(record, SuspiciousActivityReport)
        else record.grading,
        "url": record.get_absolute_url(),
        "owner": record.owner,
        "detail": detail,
    }


def _assignee(record) -> str:
    who = record.assigned_to
    return f"assigned to {who.get_full_name() or who.username}" if who else "not assigned"


def _overdue(scope: Scope, model, kind: str, threats_path: str | None) -> RecordRows:
    today = timezone.localdate()
    levels = services.service_levels()
    qs = (
        scope.records(model, threats_path)
        .filter(services.overdue_q(today))
        .select_related("owner__region", "assigned_to")
        .order_by("submitted_on", "id")
    )

    def row(record):
        days = services.waiting_days(record, today)
        return _row(
            record,
            kind,
            f"Waiting {days} days at {record.get_priority_display().lower()} priority "
            f"(service level {levels.get(record.priority, 14)} days); {_assignee(record)}",
        )

    return RecordRows(qs, row)


def _overdue_reports(scope: Scope) -> RecordRows:
    return _overdue(scope, IntelligenceReport, "intelligence report", "threats")


def _overdue_sars(scope: Scope) -> RecordRows:
    return _overdue(scope, SuspiciousActivityReport, "SAR", None)  # SARs name no threats


def _untriaged(scope: Scope) -> RecordRows:
    today = timezone.localdate()
    qs = (
        scope.records(IntelligenceReport)
        .filter(services.untriaged_high_risk_q(today))
        .select_related("owner__region", "assigned_to")
        .order_by("-risk_base", "submitted_on", "id")
    )

    def row(record):
        flags = ", ".join(record.flags) or "no flags"
        return _row(
            record,
            "intelligence report",
            f"Risk {record.risk_base} ({flags}); waiting "
            f"{services.waiting_days(record, today)} days, not triaged",
        )

    return RecordRows(qs, row)


def register_checks() -> None:
    register(
        ExceptionCheck(
            OVERDUE_REPORTS,
            "Intelligence reports waiting past their service level",
            "A report not processed within its priority's service level is a backlog that "
            "nobody is working; the service levels are set per priority.",
            _overdue_reports,
            over="intelligence",
        )
    )
    register(
        ExceptionCheck(
            UNTRIAGED,
            "High-risk intelligence reports nobody has triaged",
            "A report whose flags, grading or nominals score it high risk should be triaged "
            "the day it arrives.",
            _untriaged,
            over="intelligence",
        )
    )
    register(
        ExceptionCheck(
            OVERDUE_SARS,
            "SARs waiting past their service level",
            "An unscreened SAR backlog hides the money of organised crime; DAML and "
            "vulnerability SARs come first.",
            _overdue_sars,
            over="intelligence",
        )
    )

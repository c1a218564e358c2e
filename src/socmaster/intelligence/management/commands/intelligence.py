"""``socmaster intelligence``: the processing queues at the command line, and rescoring.

``queue`` prints the waiting intelligence reports (or, with ``--sars``, SARs) in queue order as CSV
or JSON, an audited export that needs ``--reason``. ``rescore`` recomputes every waiting record's
risk score (after threats' tiers have changed, say). Records in a compartment are never listed
here: they are seen only by the compartment's members, in the product.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from socmaster.core import audit
from socmaster.core.choices import AuditAction
from socmaster.core.exports import write_table
from socmaster.core.services import audit_cli_export, cli_reason
from socmaster.intelligence import services
from socmaster.intelligence.choices import WAITING
from socmaster.intelligence.models import IntelligenceReport, SuspiciousActivityReport
from socmaster.organisations.models import Organisation

REPORT_COLUMNS = [
    "reference",
    "organisation",
    "received",
    "days_waiting",
    "service_level_days",
    "overdue",
    "priority",
    "risk",
    "status",
    "assigned_to",
    "grading",
    "flags",
    "handling_conditions",
]
SAR_COLUMNS = [
    "reference",
    "organisation",
    "received",
    "days_waiting",
    "service_level_days",
    "overdue",
    "priority",
    "risk",
    "status",
    "assigned_to",
    "type",
    "amount",
    "screening",
    "notice_period_ends",
    "moratorium_ends",
]


def _organisation(name: str) -> Organisation:
    try:
        return Organisation.objects.resolve(name)
    except Organisation.DoesNotExist as exc:
        raise CommandError(str(exc)) from exc


def _base(model, options):
    queryset = model.objects.filter(compartment__isnull=True)
    if options.get("organisation"):
        queryset = queryset.filter(owner=_organisation(options["organisation"]))
    return queryset


def _common(record, today, levels) -> dict:
    waiting = services.waiting_days(record, today)
    return {
        "reference": record.reference,
        "organisation": record.owner.name,
        "received": record.submitted_on.isoformat(),
        "days_waiting": waiting,
        "service_level_days": levels.get(record.priority),
        "overdue": "yes" if services.is_overdue(record, today) else "",
        "priority": record.get_priority_display(),
        "risk": record.risk,
        "status": record.get_status_display(),
        "assigned_to": getattr(record.assigned_to, "username", ""),
    }


def queue_rows(options) -> tuple[list[str], list[dict]]:
    today = timezone.localdate()
    levels = services.service_levels()
    limit = options["limit"]
    if options["sars"]:
        records = services.ordered_queue(_base(SuspiciousActivityReport, options), today=today)
        rows = []
        for sar in records.select_related("owner", "assigned_to").prefetch_related("extensions")[
            :limit
        ]:
            state = services.sar_clock(sar, today)
            rows.append(
                _common(sar, today, levels)
                | {
                    "type": sar.get_sar_type_display(),
                    "amount": "" if sar.amount is None else str(sar.amount),
                    "screening": sar.get_screening_status_display(),
                    "notice_period_ends": state.notice_ends.isoformat() if state else "",
                    "moratorium_ends": state.moratorium_ends.isoformat()
                    if state and state.moratorium_ends
                    else "",
                }
            )
        return SAR_COLUMNS, rows
    records = services.ordered_queue(_base(IntelligenceReport, options), today=today)
    rows = [
        _common(report, today, levels)
        | {
            "grading": report.grading,
            "flags": "; ".join(report.flags),
            "handling_conditions": report.handling_conditions,
        }
        for report in records.select_related("owner", "assigned_to")[:limit]
    ]
    return REPORT_COLUMNS, rows


def rescore(options) -> dict[str, int]:
    changed = {}
    for model in (IntelligenceReport, SuspiciousActivityReport):
        records = _base(model, options).filter(status__in=WAITING)
        n = 0
        for record in records.iterator(chunk_size=2000):
            before = record.risk_base
            services._rescore(record)
            n += record.risk_base != before
        changed[model._meta.verbose_name_plural] = n
    with transaction.atomic():
        audit.record(
            AuditAction.UPDATE,
            record_type="intelligence.rescore",
            record_repr="risk scores of waiting records",
            changes={"changed": changed, "organisation": options.get("organisation") or ""},
        )
    return changed


class Command(BaseCommand):
    help = (
        "The intelligence and SAR processing queues. queue: the waiting records in queue order "
        "(riskiest first, then oldest; DAML and vulnerability SARs first) as CSV or JSON, an "
        "audited export (--reason). rescore: recompute the risk score of every waiting record."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["queue", "rescore"])
        parser.add_argument("--sars", action="store_true", help="The SAR queue.")
        parser.add_argument(
            "--organisation", help="Only this organisation's (name, short name or alias)."
        )
        parser.add_argument("--limit", type=int, default=100, help="At most this many rows.")
        parser.add_argument("--format", choices=["csv", "json"], default="csv")
        parser.add_argument("--reason", help="queue: why you are exporting (recorded).")

    def handle(self, *args, **options):
        if options["action"] == "rescore":
            changed = rescore(options)
            for what, n in changed.items():
                self.stdout.write(f"{what}: {n} rescored")
            return
        if options["limit"] < 1:
            raise CommandError("--limit must be at least 1.")
        cli_reason(options)
        columns, rows = queue_rows(options)
        write_table(self.stdout, columns, rows, options["format"])
        audit_cli_export(
            f"intelligence queue{' sars' if options['sars'] else ''}", options, len(rows)
        )

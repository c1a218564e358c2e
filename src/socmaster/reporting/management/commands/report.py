from django.core.management.base import BaseCommand, CommandError

from socmaster.core.exports import write_table
from socmaster.core.services import audit_cli_export, cli_reason
from socmaster.organisations.choices import OrganisationType
from socmaster.organisations.models import Organisation
from socmaster.plans import quality
from socmaster.plans.models import Plan
from socmaster.threats.models import Threat


def _resolve(name: str, *, region: bool) -> Organisation:
    try:
        found = Organisation.objects.resolve(name)
    except Organisation.DoesNotExist as exc:
        raise CommandError(str(exc)) from exc
    if region and found.type != OrganisationType.REGION:
        raise CommandError(f"'{name}' is {found.name}, which is not a region.")
    return found


def plan_quality(options) -> tuple[list[str], list[dict]]:
    threats, plans = Threat.objects.all(), Plan.objects.all()
    if options["organisation"]:
        org = _resolve(options["organisation"], region=False)
        threats, plans = threats.filter(owner=org), plans.filter(threat__owner=org)
    if options["region"]:
        region = _resolve(options["region"], region=True)
        threats, plans = (
            threats.filter(owner__region=region),
            plans.filter(threat__owner__region=region),
        )
    rows = [r.as_row() for r in quality.report(threats, plans)]
    return quality.REPORT_COLUMNS, rows


def exceptions(options) -> tuple[list[str], list[dict]]:
    from socmaster.threats import exception_rows
    from socmaster.threats.exceptions import Scope

    threats = _scoped(Threat.objects.all(), options, "owner")
    ids = None  # other records (intelligence) are narrowed to the same owners as the threats
    if options["organisation"] or options["region"]:
        owners = Organisation.objects.all()
        if options["organisation"]:
            owners = owners.filter(pk=_resolve(options["organisation"], region=False).pk)
        if options["region"]:
            owners = owners.filter(region=_resolve(options["region"], region=True))
        ids = frozenset(owners.values_list("pk", flat=True))
    return exception_rows.COLUMNS, exception_rows.rows(
        threats, Scope(threats, organisation_ids=ids)
    )


def recording_audit(options) -> tuple[list[str], list[dict]]:
    import datetime as dt

    from socmaster.disruptions import reports
    from socmaster.disruptions.models import Disruption

    try:
        start = dt.date.fromisoformat(options.get("date_from") or "")
        end = dt.date.fromisoformat(options.get("date_to") or "")
    except ValueError as exc:
        raise CommandError("recording-audit needs --from and --to as dates (YYYY-MM-DD).") from exc
    if end < start:
        raise CommandError("--to is before --from.")
    disruptions = _scoped(Disruption.objects.all(), options, "threat__owner")
    data = reports.recording_audit(disruptions, start, end)
    return reports.AUDIT_COLUMNS, reports.recording_audit_rows(data)


def _scoped(queryset, options, owner_path: str):
    if options["organisation"]:
        queryset = queryset.filter(**{owner_path: _resolve(options["organisation"], region=False)})
    if options["region"]:
        region = _resolve(options["region"], region=True)
        queryset = queryset.filter(**{f"{owner_path}__region": region})
    return queryset


def gateway_demand(options) -> tuple[list[str], list[dict]]:
    import datetime as dt

    from socmaster.gateway import reports
    from socmaster.gateway.models import SupportRequest
    from socmaster.gateway.services import GATEWAY_TYPES

    def month(value: str | None, name: str) -> dt.date | None:
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value if len(value) > 7 else f"{value}-01")
        except ValueError as exc:
            raise CommandError(f"{name} is a month (YYYY-MM) or a date (YYYY-MM-DD).") from exc

    first, last = month(options.get("date_from"), "--from"), month(options.get("date_to"), "--to")
    months = None
    if first or last:
        last = last or reports.last_months(1)[0]
        first = first or reports.last_months(12, today=last)[0]
        if last < first:
            raise CommandError("--to is before --from.")
        months = reports.months_between(first, last)
    gateways = Organisation.objects.filter(type__in=GATEWAY_TYPES)
    if options["organisation"]:
        org = _resolve(options["organisation"], region=False)
        if org.type not in GATEWAY_TYPES:
            raise CommandError(f"{org.name} does not run a gateway (a ROCU or the NCA does).")
        gateways = gateways.filter(pk=org.pk)
    if options["region"]:
        gateways = gateways.filter(region=_resolve(options["region"], region=True))
    data = reports.demand(SupportRequest.objects.all(), months=months, gateways=gateways)
    return reports.COLUMNS, reports.rows(data)


REPORTS = {
    "plan-quality": plan_quality,
    "exceptions": exceptions,
    "recording-audit": recording_audit,
    "gateway-demand": gateway_demand,
}


class Command(BaseCommand):
    help = (
        "Print a report over all records as CSV or JSON. plan-quality: one row per current 4P plan "
        "and per managed threat without one: threat,organisation,lro,checks_failed. exceptions: "
        "one row per flagged threat per check. recording-audit (with --from and --to): one row "
        "per disruption record and rule of its standard that it fails. gateway-demand (months from "
        "--from to --to, the last 12 by default): one row per gateway organisation, capability "
        "and month: the requests received in the month and what became of them (accepted, "
        "declined, referred, withdrawn, awaiting, unmet, days to decision), and the capacity "
        "committed to work starting in the month against the capacity offered."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(REPORTS))
        parser.add_argument(
            "--organisation",
            help="Only threats owned by this organisation (name, short name or alias).",
        )
        parser.add_argument(
            "--region", help="Only threats owned in this region (name, short name or alias)."
        )
        parser.add_argument("--format", choices=["csv", "json"], default="csv")
        parser.add_argument(
            "--from",
            dest="date_from",
            help="recording-audit: first record date; gateway-demand: first month (YYYY-MM).",
        )
        parser.add_argument(
            "--to",
            dest="date_to",
            help="recording-audit: last record date; gateway-demand: last month (YYYY-MM).",
        )
        parser.add_argument(
            "--reason",
            required=True,
            help="Why you are exporting (recorded in the audit log with the filters and count).",
        )

    def handle(self, *args, **options):
        cli_reason(options)
        columns, rows = REPORTS[options["kind"]](options)
        write_table(self.stdout, columns, rows, options["format"])
        audit_cli_export(f"report {options['kind']}", options, len(rows))

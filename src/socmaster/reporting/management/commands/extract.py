from django.core.management.base import BaseCommand, CommandError

from socmaster.core.exports import write_table
from socmaster.core.services import audit_cli_export, cli_reason
from socmaster.disruptions.models import Disruption
from socmaster.disruptions.reports import EXTRACT_COLUMNS, disruption_extract
from socmaster.organisations.choices import OrganisationType
from socmaster.organisations.models import Organisation
from socmaster.reporting.extracts import masterlist_extract
from socmaster.threats.models import Threat

EXTRACTS = {
    "masterlist": (
        ["region", "organisation", "threats"],
        lambda region, options: masterlist_extract(Threat.objects.all(), region=region),
    ),
    "disruptions": (
        EXTRACT_COLUMNS,
        lambda region, options: disruption_extract(
            Disruption.objects.all(), options["date_from"], options["date_to"], region=region
        ),
    ),
}


def _date(value: str):
    import argparse
    import datetime as dt

    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"'{value}' is not a date (YYYY-MM-DD)") from exc


class Command(BaseCommand):
    help = "Print one of the inspectorate's standard extracts as CSV or JSON (over all records)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(EXTRACTS))
        parser.add_argument("--region", help="Only this region (name, short name or alias).")
        parser.add_argument("--format", choices=["csv", "json"], default="csv")
        parser.add_argument(
            "--reason",
            required=True,
            help="Why you are exporting (recorded in the audit log with the filters and count).",
        )
        parser.add_argument(
            "--from",
            dest="date_from",
            type=_date,
            help="disruptions: first record date (YYYY-MM-DD)",
        )
        parser.add_argument(
            "--to", dest="date_to", type=_date, help="disruptions: last record date (YYYY-MM-DD)"
        )

    def handle(self, *args, **options):
        cli_reason(options)
        region = None
        if options["region"]:
            try:
                region = Organisation.objects.resolve(options["region"])
            except Organisation.DoesNotExist as exc:
                raise CommandError(str(exc)) from exc
            if region.type != OrganisationType.REGION:
                raise CommandError(
                    f"'{options['region']}' is {region.name}, which is not a region."
                )
        if options["kind"] == "disruptions":
            if not options["date_from"] or not options["date_to"]:
                raise CommandError("The disruption extract needs --from and --to (YYYY-MM-DD).")
            if options["date_to"] < options["date_from"]:
                raise CommandError("--to cannot be before --from.")
        columns, build = EXTRACTS[options["kind"]]
        rows = list(build(region, options))
        write_table(self.stdout, columns, rows, options["format"])
        audit_cli_export(f"extract {options['kind']}", options, len(rows))

import csv
import io
import json

from django.core.management.base import BaseCommand, CommandError

from socmaster.organisations.choices import OrganisationType
from socmaster.organisations.models import Organisation
from socmaster.reporting.extracts import masterlist_extract
from socmaster.threats.models import Threat

EXTRACTS = {
    "masterlist": (["region", "organisation", "threats"],
                   lambda region, options: masterlist_extract(Threat.objects.all(), region=region)),
}


class Command(BaseCommand):
    help = "Print one of the inspectorate's standard extracts as CSV or JSON (over all records)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(EXTRACTS))
        parser.add_argument("--region", help="Only this region (name, short name or alias).")
        parser.add_argument("--format", choices=["csv", "json"], default="csv")

    def handle(self, *args, **options):
        region = None
        if options["region"]:
            try:
                region = Organisation.objects.resolve(options["region"])
            except Organisation.DoesNotExist as exc:
                raise CommandError(str(exc)) from exc
            if region.type != OrganisationType.REGION:
                raise CommandError(f"'{options['region']}' is {region.name}, which is not a region.")
        columns, build = EXTRACTS[options["kind"]]
        rows = [{c: r[c] for c in columns} for r in build(region, options)]
        if options["format"] == "json":
            self.stdout.write(json.dumps(rows, indent=2))
            return
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        self.stdout.write(buffer.getvalue(), ending="")

from django.core.management.base import BaseCommand
from django.db import transaction

from socmaster.core import audit
from socmaster.core.choices import AuditAction
from socmaster.organisations.models import Organisation, OrganisationAlias, OrganisationChange
from socmaster.organisations.reference import load_reference


def _picture() -> dict:
    """Every organisation's names, type, region, ROCU, status and aliases, by key."""
    aliases: dict[int, list[str]] = {}
    for org_id, alias in OrganisationAlias.objects.values_list("organisation_id", "alias"):
        aliases.setdefault(org_id, []).append(alias)
    return {
        o.key: {
            "name": o.name,
            "short_name": o.short_name,
            "type": o.type,
            "region": o.region_id,
            "rocu": o.rocu_id,
            "active": o.active,
            "aliases": sorted(aliases.get(o.pk, [])),
        }
        for o in Organisation.objects.all()
    }


class Command(BaseCommand):
    help = "Load or refresh the reference organisations (idempotent)."

    def handle(self, *args, **options):
        with transaction.atomic():
            before = _picture()
            n = load_reference(Organisation, OrganisationAlias, OrganisationChange)
            changes = audit.diff(before, _picture())
            if changes:
                audit.record(
                    AuditAction.UPDATE,
                    record_type="organisations.organisation",
                    record_repr=f"reference organisations loaded ({len(changes)} changed)",
                    reason="load-organisations at the command line",
                    changes=changes,
                )
        self.stdout.write(self.style.SUCCESS(f"{n} reference organisations loaded."))

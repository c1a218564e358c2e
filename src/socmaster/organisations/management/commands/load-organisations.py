from django.core.management.base import BaseCommand
from django.db import transaction

from socmaster.organisations.models import Organisation, OrganisationAlias, OrganisationChange
from socmaster.organisations.reference import load_reference


class Command(BaseCommand):
    help = "Load or refresh the reference organisations (idempotent)."

    def handle(self, *args, **options):
        with transaction.atomic():
            n = load_reference(Organisation, OrganisationAlias, OrganisationChange)
        self.stdout.write(self.style.SUCCESS(f"{n} reference organisations loaded."))

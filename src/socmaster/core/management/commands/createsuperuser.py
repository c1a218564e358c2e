from django.contrib.auth import get_user_model
from django.contrib.auth.management.commands.createsuperuser import Command as DjangoCommand

from socmaster.core.management.auditing import record_new_users


class Command(DjangoCommand):
    help = DjangoCommand.help + " The new superuser is recorded in the audit log."

    def handle(self, *args, **options):
        before = set(get_user_model().objects.values_list("pk", flat=True))
        super().handle(*args, **options)
        record_new_users("createsuperuser", before)

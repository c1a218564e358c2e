"""Start the automatic-reference counters at the highest existing automatic reference.

Only references of the exact automatic shape (PREFIX-dddddd) count; a reference someone chose
(SOC-9, SOC-ABC) is left out.
"""

import re

from django.db import migrations

COUNTERS = [("DIS", "Disruption")]


def start_counters(apps, schema_editor):
    counter_model = apps.get_model("core", "ReferenceCounter")
    for prefix, model_name in COUNTERS:
        model = apps.get_model("disruptions", model_name)
        pattern = re.compile(rf"^{re.escape(prefix)}-\d{{6}}$")
        highest = max(
            (
                int(ref.rsplit("-", 1)[1])
                for ref in model.objects.filter(reference__startswith=f"{prefix}-")
                .values_list("reference", flat=True)
                .iterator()
                if pattern.match(ref)
            ),
            default=0,
        )
        counter, created = counter_model.objects.get_or_create(
            prefix=prefix, defaults={"last": highest}
        )
        if not created and counter.last < highest:
            counter.last = highest
            counter.save(update_fields=["last"])


class Migration(migrations.Migration):
    dependencies = [("core", "0004_reference_counter"), ("disruptions", "0002_reference_data")]

    operations = [migrations.RunPython(start_counters, migrations.RunPython.noop)]

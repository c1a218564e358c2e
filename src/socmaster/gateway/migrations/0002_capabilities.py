"""The capabilities of shared/domain.md §6, as reference data, with their starting criteria."""

from django.db import migrations


def load(apps, schema_editor):
    from socmaster.gateway.choices import CAPABILITIES, DEFAULT_CRITERIA

    Capability = apps.get_model("gateway", "Capability")
    for code, name in CAPABILITIES:
        Capability.objects.get_or_create(
            code=code,
            defaults={"name": name, "acceptance_criteria": DEFAULT_CRITERIA.get(code, [])},
        )


def unload(apps, schema_editor):
    from socmaster.gateway.choices import CAPABILITIES

    apps.get_model("gateway", "Capability").objects.filter(
        code__in=[code for code, _ in CAPABILITIES], requests__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("gateway", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]

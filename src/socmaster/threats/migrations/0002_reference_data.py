from django.db import migrations


def load(apps, schema_editor):
    from socmaster.threats.choices import CRIME_TYPES, DEFAULT_PHASES

    CrimeType = apps.get_model("threats", "CrimeType")
    Phase = apps.get_model("threats", "Phase")
    for code, label in CRIME_TYPES:
        CrimeType.objects.update_or_create(code=code, defaults={"label": label})
    for order, name in enumerate(DEFAULT_PHASES):
        Phase.objects.update_or_create(name=name, defaults={"order": order})


class Migration(migrations.Migration):
    dependencies = [("threats", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

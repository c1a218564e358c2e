import importlib

from django.db import migrations


def add(apps, schema_editor):
    data = importlib.import_module("socmaster.disruptions.migrations.0002_reference_data")
    Standard = apps.get_model("disruptions", "Standard")
    for standard in Standard.objects.filter(version=data.DEFAULT_STANDARD["version"]):
        data.add_terms(standard)


class Migration(migrations.Migration):
    dependencies = [("disruptions", "0004_record_versions")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]

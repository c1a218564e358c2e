from django.db import migrations


def load(apps, schema_editor):
    from socmaster.morile import default_scheme

    SchemeVersion = apps.get_model("assessments", "SchemeVersion")
    scheme = default_scheme()
    if not SchemeVersion.objects.filter(name=scheme.name, version=scheme.version).exists():
        SchemeVersion.objects.create(name=scheme.name, version=scheme.version, label=scheme.label,
                                     definition=scheme.to_dict(), is_current=True)


class Migration(migrations.Migration):
    dependencies = [("assessments", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

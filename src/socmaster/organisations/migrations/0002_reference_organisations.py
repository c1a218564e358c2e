from django.db import migrations


def load(apps, schema_editor):
    from socmaster.organisations.reference import load_reference

    load_reference(
        apps.get_model("organisations", "Organisation"),
        apps.get_model("organisations", "OrganisationAlias"),
        apps.get_model("organisations", "OrganisationChange"),
    )


class Migration(migrations.Migration):
    dependencies = [("organisations", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

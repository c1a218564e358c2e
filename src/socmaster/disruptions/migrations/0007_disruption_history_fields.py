"""Imported disruption records keep the source system's dates, recorder and decision.

Records imported before this migration kept the time of their import in ``created_at``: that
time becomes their ``imported_at`` too (so they stay unjudged for backdating, as before)."""

from django.db import migrations, models
from django.db.models import F


def keep_import_times(apps, schema_editor):
    Disruption = apps.get_model("disruptions", "Disruption")
    Disruption.objects.exclude(import_source="").filter(imported_at__isnull=True).update(
        imported_at=F("created_at")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("disruptions", "0006_disruption_import_source"),
    ]

    operations = [
        migrations.AddField(
            model_name="disruption",
            name="imported_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="disruption",
            name="source_key",
            field=models.CharField(blank=True, db_index=True, max_length=120),
        ),
        migrations.AddField(
            model_name="disruption",
            name="outside_decision_by",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="disruption",
            name="outside_decision_on",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="disruption",
            name="recorder_name",
            field=models.CharField(
                blank=True, max_length=200, verbose_name="recorded by (source system)"
            ),
        ),
        migrations.RunPython(keep_import_times, migrations.RunPython.noop),
    ]

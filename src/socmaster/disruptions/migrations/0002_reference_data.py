import datetime

from django.db import migrations

#: A documented default, not an official national standard: administrators load their own versions.
DEFAULT_STANDARD = {
    "version": "default-1",
    "label": "socmaster default minimum standard (editable, not an official national standard)",
    "effective_from": datetime.date(2020, 1, 1),
    "is_current": True,
    "allowed_threat_types": ["ocg"],
    "required_fields": ["tactic", "narrative", "evidence", "team"],
    "excluded_activities": [
        {"phrase": "registered sex offender",
         "message": "Managing registered sex offenders is offender management, not a SOC disruption."},
        {"phrase": "routine patrol",
         "message": "Routine patrol is not a SOC disruption: record the outcome it achieved against the threat."},
        {"phrase": "intelligence submitted",
         "message": "Submitting intelligence is not a disruption on its own: record what it led to."},
    ],
    "max_days_to_record": 30,
}


def load(apps, schema_editor):
    from socmaster.disruptions.choices import DEFAULT_TACTICS

    Tactic = apps.get_model("disruptions", "Tactic")
    Standard = apps.get_model("disruptions", "Standard")
    for code, label, four_p in DEFAULT_TACTICS:
        Tactic.objects.update_or_create(code=code, defaults={"label": label, "four_p": four_p})
    if not Standard.objects.filter(version=DEFAULT_STANDARD["version"]).exists():
        Standard.objects.create(**DEFAULT_STANDARD)


class Migration(migrations.Migration):
    dependencies = [("disruptions", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

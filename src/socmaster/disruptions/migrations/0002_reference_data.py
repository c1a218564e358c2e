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
         "terms": ['RSO', 'ViSOR', 'MOSOVO', 'MAPPA', 'sex offender management', 'management of sexual offenders', 'SOM visit'],
         "message": "Managing registered sex offenders is offender management, not a SOC disruption."},
        {"phrase": "routine patrol",
         "terms": ['high visibility patrol', 'hi-vis patrol', 'foot patrol'],
         "message": "Routine patrol is not a SOC disruption: record the outcome it achieved against the threat."},
        {"phrase": "intelligence submitted",
         "terms": ['intel submitted', 'submitted intelligence', 'intelligence report submitted', 'intel log submitted'],
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
    existing = Standard.objects.filter(version=DEFAULT_STANDARD["version"]).first()
    if existing is None:
        Standard.objects.create(**DEFAULT_STANDARD)
    else:
        add_terms(existing)


def add_terms(standard):
    """Give the shipped default's never-SOC activities the other wordings police write for them
    (abbreviations and system names), on rules whose phrase is still the shipped one."""
    terms = {r["phrase"]: r["terms"] for r in DEFAULT_STANDARD["excluded_activities"]}
    rules = [
        {**rule, "terms": rule.get("terms") or terms[rule["phrase"]]}
        if rule.get("phrase") in terms
        else rule
        for rule in standard.excluded_activities
    ]
    if rules != standard.excluded_activities:
        standard.excluded_activities = rules
        standard.save(update_fields=["excluded_activities"])


class Migration(migrations.Migration):
    dependencies = [("disruptions", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

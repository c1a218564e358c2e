"""National 4P plan templates, one per threat type: an editable starting point, not official guidance."""

from django.db import migrations

COMMON_PROTECT = "Identify and safeguard victims and people exploited by the threat.\nHarden the places, businesses and systems it exploits."
COMMON_PREPARE = "Reduce the harm the threat causes to communities.\nAgree how partners will respond to a rise in violence or exploitation."

TEMPLATES = {
    "ocg": dict(
        name="National template: organised crime group",
        aim="Dismantle the group, or disrupt it until it no longer causes serious harm, and stop others taking its place.",
        pursue_objectives="Bring the principal members to justice.\nSeize the group's assets, drugs, weapons and cash.",
        prevent_objectives="Divert young and vulnerable people away from the group.\nDeter peripheral members and enablers from further involvement.",
        protect_objectives=COMMON_PROTECT,
        prepare_objectives=COMMON_PREPARE,
        suggested_actions=[
            {"four_p": "pursue", "description": "Develop intelligence on the principal members and their roles."},
            {"four_p": "pursue", "description": "Refer the group's assets to the regional asset recovery team."},
            {"four_p": "prevent", "description": "Refer young people linked to the group to a diversion scheme."},
            {"four_p": "protect", "description": "Agree safeguarding for people exploited by the group with children's and adult services."},
            {"four_p": "prepare", "description": "Brief partners on community tension and the response to any retaliation."},
        ],
    ),
    "priority_individual": dict(
        name="National template: SOC priority individual",
        aim="Reduce the harm the individual causes, prevent their further offending and protect those they exploit.",
        pursue_objectives="Prosecute the individual for their most serious offending.\nSeek ancillary orders (serious crime prevention order, confiscation).",
        prevent_objectives="Manage the individual's risk of re-offending on release or under an order.",
        protect_objectives=COMMON_PROTECT,
        prepare_objectives=COMMON_PREPARE,
        suggested_actions=[
            {"four_p": "pursue", "description": "Review the evidence available for a prosecution or an ancillary order."},
            {"four_p": "prevent", "description": "Agree offender management arrangements with HMPPS."},
            {"four_p": "protect", "description": "Identify and safeguard people the individual exploits."},
            {"four_p": "prepare", "description": "Plan the partnership response to the individual's release."},
        ],
    ),
    "vulnerability": dict(
        name="National template: SOC vulnerability",
        aim="Close the vulnerability that serious and organised crime exploits, so that offenders can no longer use it.",
        pursue_objectives="Disrupt the offenders exploiting the vulnerability.",
        prevent_objectives="Raise awareness among those at risk of being drawn in.",
        protect_objectives="Work with the businesses, sector or community concerned to harden them against exploitation.\nIdentify and safeguard victims.",
        prepare_objectives="Build community resilience so the vulnerability does not return (Clear, Hold, Build).",
        suggested_actions=[
            {"four_p": "pursue", "description": "Identify the offenders exploiting the vulnerability."},
            {"four_p": "prevent", "description": "Run awareness sessions with those at risk."},
            {"four_p": "protect", "description": "Carry out joint licensing and trading standards visits."},
            {"four_p": "prepare", "description": "Agree the Hold and Build phase with the community safety partnership."},
        ],
    ),
}


def load(apps, schema_editor):
    PlanTemplate = apps.get_model("plans", "PlanTemplate")
    for threat_type, fields in TEMPLATES.items():
        PlanTemplate.objects.update_or_create(organisation=None, threat_type=threat_type, defaults=fields)


class Migration(migrations.Migration):
    dependencies = [("plans", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

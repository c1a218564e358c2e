"""Reference organisations, name resolution and history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from socmaster.organisations import services
from socmaster.organisations.models import Organisation

pytestmark = pytest.mark.django_db

# From the table in shared/domain.md §1.
FORCES_BY_REGION = {
    "North East": 3,
    "Yorkshire and the Humber": 4,
    "North West": 6,
    "Wales": 3,
    "West Midlands": 4,
    "East Midlands": 5,
    "Eastern": 7,
    "South West": 5,
    "London": 3,
    "South East": 4,
}


def test_reference_counts():
    assert Organisation.objects.filter(type="region").count() == 10
    assert Organisation.objects.filter(type="rocu").count() == 9
    assert Organisation.objects.filter(type="force").count() == 44
    assert Organisation.objects.filter(short_name="NCA", type="national_agency").exists()
    assert Organisation.objects.filter(type="local_partner").count() >= 10
    assert Organisation.objects.filter(type="government_partner").count() >= 5


def test_forces_per_region_and_rocu():
    for region in Organisation.objects.filter(type="region"):
        forces = Organisation.objects.filter(type="force", region=region)
        assert forces.count() == FORCES_BY_REGION[region.name], region.name
        if region.name == "London":
            assert all(f.rocu_id is None for f in forces)
        else:
            rocu = Organisation.objects.get(type="rocu", region=region)
            assert all(f.rocu_id == rocu.pk for f in forces)
    assert Organisation.objects.get(key="force-kent").region.name == "Eastern"
    assert Organisation.objects.get(key="force-north-wales").region.name == "North West"


@pytest.mark.parametrize(
    ("given", "key"),
    [
        ("NERSOU", "rocu-north-east"),
        ("North East ROCU", "rocu-north-east"),
        ("nerocu", "rocu-north-east"),
        ("Durham Constabulary", "force-durham"),
        ("Durham Police", "force-durham"),
        ("  durham  police ", "force-durham"),
        ("Avon & Somerset Police", "force-avon-and-somerset"),
        ("Hampshire Constabulary", "force-hampshire-and-isle-of-wight"),
    ],
)
def test_names_short_names_and_aliases_resolve(given, key):
    assert Organisation.objects.resolve(given).key == key


def test_unknown_organisation_gives_a_clear_error():
    with pytest.raises(
        Organisation.DoesNotExist, match="Unknown organisation 'Gotham City Police'"
    ):
        Organisation.objects.resolve("Gotham City Police")
    with pytest.raises(ValidationError) as exc:
        services.resolve_organisation("Gotham City Police", field="owner")
    assert "owner" in exc.value.message_dict


def test_rename_keeps_history_and_old_names_resolve():
    gwent = Organisation.objects.get(key="force-gwent")
    services.rename_organisation(
        None, gwent, name="Gwent Constabulary", short_name="Gwent", effective=dt.date(2026, 4, 1)
    )
    assert Organisation.objects.resolve("Gwent Police").key == "force-gwent"
    assert Organisation.objects.resolve("Gwent Constabulary").key == "force-gwent"
    change = gwent.changes.get(kind="renamed", effective=dt.date(2026, 4, 1))
    assert change.before["name"] == "Gwent Police" and change.after["name"] == "Gwent Constabulary"


def test_rename_refuses_a_name_in_use():
    with pytest.raises(ValidationError):
        services.rename_organisation(
            None,
            Organisation.objects.get(key="force-gwent"),
            name="Durham Constabulary",
            effective=dt.date(2026, 1, 1),
        )


def test_move_keeps_history():
    force = Organisation.objects.get(key="force-kent")
    se = Organisation.objects.get(key="region-south-east")
    services.move_organisation(
        None,
        force,
        region=se,
        rocu=Organisation.objects.get(key="rocu-south-east"),
        effective=dt.date(2026, 6, 1),
    )
    force.refresh_from_db()
    assert force.region == se
    change = force.changes.get(kind="moved")
    assert change.before["region"] == "Eastern" and change.after["region"] == "South East"


def test_reference_load_is_idempotent():
    from django.core.management import call_command

    before = Organisation.objects.count()
    call_command("load-organisations")
    assert Organisation.objects.count() == before

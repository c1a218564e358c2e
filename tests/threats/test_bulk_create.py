"""``services.create_threats``, the imports' bulk path: the same rules and the same audit entries
as ``create_threat``, in a number of queries that does not grow with the rows."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from socmaster.core import audit
from socmaster.core.models import AuditEntry
from socmaster.threats import services
from socmaster.threats.models import CrimeType, Threat

pytestmark = pytest.mark.django_db

FIELDS = {"name": "Harbour network", "threat_type": "ocg", "category": "tactical", "soc": "soc"}


def _item(user, org, reference, **extra):
    return {"user": user, "owner": org, "reference": reference, **FIELDS, **extra}


def _after(threat):
    entry = AuditEntry.objects.get(record_type="threats.threat", record_id=str(threat.pk))
    after = dict(entry.changes["after"])
    for volatile in ("id", "reference", "created_at", "updated_at"):
        after.pop(volatile, None)
    return entry, after


def test_a_bulk_created_threat_is_recorded_as_one_created_alone(make_user, org):
    durham = org("force-durham")
    user = make_user("force-durham", "analyst")
    drugs = list(CrimeType.objects.all()[:2])
    alone = services.create_threat(
        user, owner=durham, reference="ONE-1", crime_types=drugs, **FIELDS
    )
    [bulk] = services.create_threats([_item(user, durham, "ONE-2", crime_types=drugs)])
    assert isinstance(bulk, Threat) and bulk.pk
    assert set(bulk.crime_types.all()) == set(drugs)
    (entry_alone, after_alone), (entry_bulk, after_bulk) = _after(alone), _after(bulk)
    assert after_bulk == after_alone
    assert (entry_bulk.user_id, entry_bulk.organisation_id, entry_bulk.record_owner_id) == (
        entry_alone.user_id,
        entry_alone.organisation_id,
        entry_alone.record_owner_id,
    )
    assert entry_bulk.membership_id == entry_alone.membership_id is not None
    assert audit.verify_chain().ok


def test_each_refused_item_gets_its_own_error_and_nothing_is_written_for_it(make_user, org):
    durham = org("force-durham")
    user = make_user("force-durham", "analyst")
    other = make_user("force-cleveland", "analyst")
    far = make_user("force-cheshire", "lro")
    services.create_threat(user, owner=durham, reference="TAKEN-1", **FIELDS)
    results = services.create_threats(
        [
            _item(user, durham, "GOOD-1"),
            _item(user, durham, "TAKEN-1"),  # already used
            _item(user, durham, "GOOD-1"),  # used twice here
            _item(user, durham, "BAD/1"),  # not a reference a person may choose
            _item(user, durham, "GOOD-2", colour="red"),  # unknown field
            _item(other, durham, "GOOD-3"),  # no right to create for Durham
            _item(user, durham, "GOOD-4", name="Bell\x07"),  # control character
            _item(user, durham, "GOOD-5", lro=far, handling="owner"),  # an LRO who cannot see it
            _item(user, durham, ""),  # imports key on references
        ]
    )
    assert isinstance(results[0], Threat)
    refused = results[1:]
    assert all(isinstance(r, ValidationError) for r in refused), refused
    assert "cannot be used" in str(refused[0]) and "cannot be used" in str(refused[1])
    assert "owner" in refused[4].message_dict and "lro" in refused[6].message_dict
    assert set(Threat.objects.values_list("reference", flat=True)) == {"TAKEN-1", "GOOD-1"}
    assert AuditEntry.objects.filter(action="create", record_type="threats.threat").count() == 2


def test_the_queries_do_not_grow_with_the_rows(make_user, org, django_assert_max_num_queries):
    durham = org("force-durham")
    user = make_user("force-durham", "analyst")
    lro = make_user("force-durham", "lro")
    drugs = list(CrimeType.objects.all()[:1])

    def batch(prefix, n):
        return [_item(user, durham, f"{prefix}-{i}", crime_types=drugs, lro=lro) for i in range(n)]

    services.create_threats(batch("WARM", 1))  # memberships and roles loaded once
    with django_assert_max_num_queries(30):  # row by row: over 400
        made = services.create_threats(batch("BULK", 200))
    assert sum(isinstance(t, Threat) for t in made) == 200
    assert AuditEntry.objects.filter(action="create").count() == 201
    assert audit.verify_chain().ok

"""Automatic references come from a locked counter, never from references people chose."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections

from socmaster.core.models import ReferenceCounter
from socmaster.disruptions.models import Disruption
from socmaster.threats import services
from socmaster.threats.models import Threat


@pytest.fixture
def analyst(make_user):
    return make_user("force-durham", "analyst", username="refs")


def _threat(user, org, **kw):
    return services.create_threat(user, owner=org("force-durham"), name="Network", **kw)


@pytest.mark.django_db
@pytest.mark.parametrize("chosen", ["SOC-999999", "SOC-9", "SOC-ABC", "SOC-0000002"])
def test_chosen_threat_references_do_not_move_numbering(analyst, org, chosen):
    first = _threat(analyst, org)
    _threat(analyst, org, reference=chosen)
    second = _threat(analyst, org)
    assert int(second.reference.split("-")[1]) == int(first.reference.split("-")[1]) + 1
    assert len(second.reference) == len("SOC-000000")


@pytest.mark.django_db
def test_chosen_nominal_reference_does_not_move_numbering(analyst, org):
    make = lambda **kw: services.create_nominal(  # noqa: E731
        analyst, owner=org("force-durham"), family_name="Ash", **kw
    )
    first = make()
    make(reference="NOM-999999")
    second = make()
    assert int(second.reference[4:]) == int(first.reference[4:]) + 1


@pytest.mark.django_db
def test_a_number_someone_chose_is_skipped(analyst, org):
    first = _threat(analyst, org)
    n = int(first.reference[4:])
    _threat(analyst, org, reference=f"SOC-{n + 1:06d}")
    assert _threat(analyst, org).reference == f"SOC-{n + 2:06d}"
    assert ReferenceCounter.objects.get(prefix="SOC").last == n + 2


@pytest.mark.django_db
def test_a_missing_counter_starts_after_the_highest_automatic_reference(analyst, org):
    _threat(analyst, org, reference="SOC-000041")
    _threat(analyst, org, reference="SOC-9")
    ReferenceCounter.objects.filter(prefix="SOC").delete()
    assert _threat(analyst, org).reference == "SOC-000042"


@pytest.mark.django_db
def test_the_migration_starts_each_counter_from_automatic_references_only():
    from importlib import import_module

    from django.apps import apps

    threats_migration = import_module("socmaster.threats.migrations.0006_reference_counters")
    disruptions_migration = import_module(
        "socmaster.disruptions.migrations.0003_reference_counters"
    )
    from socmaster.organisations.models import Organisation

    owner = Organisation.objects.get(key="force-durham")
    ReferenceCounter.objects.all().delete()
    for ref in ("SOC-000007", "SOC-999", "SOC-9999999", "SOC-00001X"):
        Threat.objects.create(reference=ref, name="x", owner=owner)
    threats_migration.start_counters(apps, None)
    disruptions_migration.start_counters(apps, None)
    assert ReferenceCounter.objects.get(prefix="SOC").last == 7
    assert ReferenceCounter.objects.get(prefix="NOM").last == 0
    assert ReferenceCounter.objects.get(prefix="DIS").last == Disruption.objects.count()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_creations_all_succeed_with_distinct_references(analyst, org):
    owner = org("force-durham")
    workers, each = 12, 3
    barrier = threading.Barrier(workers)
    made, failures = [], []

    def work():
        try:
            barrier.wait(timeout=5)
            for _ in range(each):
                made.append(services.create_threat(analyst, owner=owner, name="Race").reference)
        except Exception as exc:  # noqa: BLE001 - every failure is reported below
            failures.append(repr(exc))
        finally:
            connections.close_all()

    started = time.monotonic()
    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not failures, failures
    assert len(made) == workers * each and len(set(made)) == len(made)
    assert time.monotonic() - started < 10

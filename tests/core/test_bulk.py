"""Bulk inserts for imports (core.bulk): what they store is what the ORM would store."""

from __future__ import annotations

import datetime as dt
import gc
from decimal import Decimal

import pytest
from django.utils import timezone

from socmaster.core.bulk import bulk_work, insert_rows, insert_values
from socmaster.intelligence.models import SarSubject, SuspiciousActivityReport
from socmaster.organisations.models import Organisation

pytestmark = pytest.mark.django_db


@pytest.fixture
def sar():
    return SuspiciousActivityReport.objects.create(
        reference="UKFIU-BULK-0",
        owner=Organisation.objects.get(key="force-durham"),
        reporter_sector="credit_institution",
        submitted_on=dt.date(2026, 3, 1),
        sar_type="standard",
        reason_text="Synthetic.",
    )


COLUMNS = ("sar_id", "family_name", "given_names", "date_of_birth", "phones", "postcode")


def _stored(sar):
    return [
        (s.family_name, s.given_names, s.date_of_birth, s.phones, s.accounts, s.gender, s.postcode)
        for s in SarSubject.objects.filter(sar=sar).order_by("family_name")
    ]


def test_insert_values_stores_what_the_orm_stores(sar):
    born = dt.date(1990, 2, 28)
    insert_values(
        SarSubject,
        COLUMNS,
        [
            (sar.pk, "ADAMS", "Ann", born, ["07700 900001", "07700 900002"], "DH1 1AA"),
            (sar.pk, "BROWN", "Bo", born, [], ""),  # the same date again; an empty list
            (sar.pk, "CROSS", "Cy", None, [], ""),
        ],
    )
    SarSubject.objects.create(sar=sar, family_name="DAWES", given_names="Di", date_of_birth=born)
    stored = _stored(sar)
    # Fields not given take their defaults, as the ORM gives them.
    assert stored[-1][3:] == ([], [], SarSubject._meta.get_field("gender").get_default(), "")
    assert stored[:3] == [
        ("ADAMS", "Ann", born, ["07700 900001", "07700 900002"], *stored[-1][4:6], "DH1 1AA"),
        ("BROWN", "Bo", born, [], *stored[-1][4:6], ""),
        ("CROSS", "Cy", None, [], *stored[-1][4:6], ""),
    ]


def test_insert_values_converts_decimals_and_times(sar):
    now = timezone.now()
    columns = ("reference", "owner_id", "reporter_sector", "submitted_on", "sar_type")
    columns += ("reason_text", "amount", "imported_at")
    insert_values(
        SuspiciousActivityReport,
        columns,
        [
            (f"UKFIU-BULK-{n}", sar.owner_id, "credit_institution", dt.date(2026, 3, n))
            + ("standard", "Synthetic.", Decimal("1250.50") if n % 2 else None, now)
            for n in (1, 2, 3)
        ],
    )
    rows = SuspiciousActivityReport.objects.filter(reference__startswith="UKFIU-BULK-")
    got = {r.reference: (r.submitted_on, r.amount, r.imported_at, r.status) for r in rows}
    assert got["UKFIU-BULK-1"] == (dt.date(2026, 3, 1), Decimal("1250.50"), now, sar.status)
    assert got["UKFIU-BULK-2"] == (dt.date(2026, 3, 2), None, now, sar.status)


def test_insert_values_refuses_what_it_cannot_send(sar):
    with pytest.raises(TypeError, match="family_name"):
        insert_values(SarSubject, COLUMNS, [(sar.pk, Decimal("1"), "A", None, [], "")])
    with pytest.raises(ValueError, match="sar_id"):
        insert_values(SarSubject, ("family_name",), [("ADAMS",)])
    assert not SarSubject.objects.exists()


def test_insert_rows_of_dicts_matches_insert_values(sar):
    born = dt.date(1985, 7, 4)
    insert_rows(
        SarSubject,
        [
            {"sar_id": sar.pk, "family_name": "EVANS", "date_of_birth": born, "phones": ["1"]},
            {"sar_id": sar.pk, "family_name": "FOX", "date_of_birth": born, "phones": []},
        ],
    )
    insert_values(
        SarSubject,
        ("sar_id", "family_name", "date_of_birth", "phones"),
        [(sar.pk, "GRAY", born, ["1"])],
    )
    stored = _stored(sar)
    assert stored[0][1:] == stored[2][1:]
    assert stored[1][2:4] == (born, [])


def _pragmas() -> tuple[int, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        cache = cursor.fetchone()[0]
        cursor.execute("PRAGMA wal_autocheckpoint")
        return cache, cursor.fetchone()[0]


def test_bulk_work_is_undone_even_on_failure():
    from django.db import connection

    before = gc.get_threshold()
    sqlite = connection.vendor == "sqlite"
    pragmas = _pragmas() if sqlite else None
    with pytest.raises(RuntimeError), bulk_work(threshold=123_456, cache_mb=7, checkpoint_pages=99):
        assert gc.get_threshold()[0] == 123_456
        if sqlite:
            assert _pragmas() == (-7 * 1024, 99)
        raise RuntimeError
    assert gc.get_threshold() == before
    if sqlite:
        assert _pragmas() == pragmas

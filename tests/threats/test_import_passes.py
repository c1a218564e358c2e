"""The master-list import parses a file once when its checked rows fit the memory limit, and reads
it again when they do not: both write the same records. Also the audit's one-pass cleaning."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest
from django.core.exceptions import ValidationError

from socmaster.core import audit
from socmaster.core.importing import check_cells
from socmaster.threats import importer, services
from socmaster.threats.importer import import_masterlist
from socmaster.threats.models import Threat
from tests.threats.test_import import GOOD, make_csv

pytestmark = pytest.mark.django_db


def _rows(n):
    rows = []
    for i in range(n):
        row = list(GOOD[i % len(GOOD)])
        row[0], row[1] = f"PASS-{i}", f"Network {i}"
        rows.append(row)
    return rows


def _stored():
    return sorted(
        (t.reference, t.name, t.tier, t.owner_id, t.phase_id, tuple(t.crime_types.all()))
        for t in Threat.objects.all()
    )


@pytest.mark.parametrize("keep", [0, 2, 100_000])
def test_kept_or_read_again_the_same_records_are_written(settings, keep):
    settings.SOCMASTER = {**settings.SOCMASTER, "IMPORT_KEEP_CHECKED_ROWS": keep}
    result = import_masterlist(make_csv(_rows(7)), batch_size=3)
    assert result.written and result.created == 7
    stored = _stored()
    assert [s[0] for s in stored] == sorted(f"PASS-{i}" for i in range(7))
    assert all(s[5] for s in stored if s[0] in ("PASS-0", "PASS-3", "PASS-6"))  # crime types


@pytest.mark.parametrize("keep", [0, 100_000])
def test_a_row_refused_at_write_time_goes_to_the_rejects_with_its_cells(
    settings, monkeypatch, keep
):
    settings.SOCMASTER = {**settings.SOCMASTER, "IMPORT_KEEP_CHECKED_ROWS": keep}
    real = services.create_threats

    def refuse_second(items, **kwargs):
        out = real([i for i in items if i["reference"] != "PASS-1"], **kwargs)
        refused = ValidationError({"reference": ["taken meanwhile"]})
        return [out.pop(0) if i["reference"] != "PASS-1" else refused for i in items]

    monkeypatch.setattr(services, "create_threats", refuse_second)
    result = import_masterlist(make_csv(_rows(3)), skip_bad=True)
    assert result.written and result.created == 2
    [rejected] = result.rejected
    assert rejected["Reference"] == "PASS-1" and rejected["Name"] == "Network 1"
    assert "taken meanwhile" in rejected["Error"]


def test_the_kept_row_reads_like_the_row_it_keeps():
    raw = dict(zip(importer.COLUMNS, _rows(1)[0], strict=False))
    kept = importer._Row(list(raw), raw)
    assert dict(kept) == raw and {**kept, "Error": "x"}["Reference"] == "PASS-0"
    with pytest.raises(KeyError):
        kept["Nope"]


def test_a_control_character_anywhere_in_a_row_is_found_in_its_column():
    errors = []
    check_cells({"A": "fine", "B": "bad\x07", "C": "ok"}, ["A", "B", "C"], 5, errors)
    assert [(e.row, e.field) for e in errors] == [(5, "B")]
    errors = []
    check_cells({"A": "fine", "B": "also fine"}, ["A", "B"], 5, errors)
    assert errors == []


def test_one_pass_cleaning_equals_the_two_it_replaces(org):
    owner = org("force-durham")
    value = {
        "after": {"when": dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC), "on": dt.date(2026, 1, 2)},
        "Password": "hash",
        "nested": [{"token": "t", "keep": {decimal.Decimal("1.5"), decimal.Decimal("0.5")}}],
        "owner": owner,
        3: ("b", "a"),
    }
    assert audit._clean(value) == audit._scrub(audit._jsonable(value))
    assert "Password" not in audit._clean(value)
    assert audit._clean(value)["nested"] == [{"keep": ["0.5", "1.5"]}]


def test_snapshots_of_a_model_with_json_fields_are_still_scrubbed(org):
    from socmaster.core.models import AuditEntry
    from socmaster.threats.models import ImportJob

    job = ImportJob.objects.create(source_name="x")
    audit.record_many(
        "update", [(job, {"after": {"errors": [{"password": "p", "row": 1}]}})], snapshots=True
    )
    entry = AuditEntry.objects.get(record_type="threats.importjob")
    assert entry.changes == {"after": {"errors": [{"row": 1}]}}

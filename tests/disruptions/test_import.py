"""Importing disruption records: row-numbered errors, all or nothing, --skip-bad, idempotency."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from socmaster.core.models import AuditEntry
from socmaster.disruptions.importer import COLUMNS, import_disruptions
from socmaster.disruptions.models import Disruption
from socmaster.threats.models import Threat

pytestmark = pytest.mark.django_db
D = (dt.date.today() - dt.timedelta(days=5)).isoformat()
R = dt.date.today().isoformat()


@pytest.fixture(autouse=True)
def threats(org):
    Threat.objects.create(
        reference="IMP-OCG", name="n", owner=org("force-durham"), threat_type="ocg"
    )
    Threat.objects.create(
        reference="IMP-PI", name="p", owner=org("force-durham"), threat_type="priority_individual"
    )


GOOD = [
    [
        "D-1",
        "IMP-OCG",
        "Durham Police",
        "Op Lantern",
        "Lead",
        "Pursue",
        "Major",
        D,
        R,
        "Arrest",
        "Approved",
    ],
    [
        "D-2",
        "IMP-OCG",
        "NERSOU",
        "RDT",
        "Support",
        "Pursue",
        "Major",
        D,
        R,
        "seizure_cash",
        "Approved",
    ],
    [
        "D-3",
        "IMP-OCG",
        "Durham Police",
        "Op Lantern",
        "Lead",
        "Protect",
        "Minor",
        D,
        R,
        "Victims safeguarded",
        "Submitted",
    ],
]


def make_csv(rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return buffer.getvalue()


def test_valid_import_links_support_and_keeps_status():
    result = import_disruptions(make_csv(GOOD))
    assert result.written and result.created == 3
    support = Disruption.objects.get(reference="D-2")
    assert support.lead.reference == "D-1" and support.status == "approved"
    assert Disruption.objects.get(reference="D-3").status == "submitted"
    assert (
        AuditEntry.objects.filter(record_type="disruptions.disruption", action="create").count()
        == 3
    )
    again = import_disruptions(make_csv(GOOD))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("Threat reference", "NOPE", "no threat NOPE"),
        ("Threat reference", "IMP-PI", "only against organised crime groups"),
        ("Recording organisation", "Atlantis", "unknown organisation"),
        ("Disruption type", "Primary", "is not one of Lead, Support"),
        ("4P", "Punish", "is not one of Pursue"),
        ("Assessment category", "Huge", "is not one of Major"),
        ("Event date", "yesterday", "is not a date"),
        ("Tactic", "Arrest", "is a Pursue tactic"),
        ("Moderation status", "Maybe", "is not one of Approved"),
        ("Record date", "2020-01-01", "cannot be before the event"),
    ],
)
def test_bad_values_are_row_numbered_and_nothing_is_written(column, value, message):
    rows = [row[:] for row in GOOD]
    rows[2][COLUMNS.index(column)] = value
    result = import_disruptions(make_csv(rows))
    assert not result.written and Disruption.objects.count() == 0
    assert result.errors[0].row == 4 and message in result.errors[0].message


def test_a_late_record_is_history_imported_and_reported_late_not_refused():
    """Recorded more days after the event than the standard allows: refused when typed in the
    product, but history as it happened when imported, so it is kept and the recording audit
    lists it as late (refusing it would hide the very fault the audit looks for)."""
    from socmaster.disruptions import services
    from socmaster.disruptions.reports import recording_audit

    rows = [row[:] for row in GOOD[:1]]
    rows[0][COLUMNS.index("Event date")] = (dt.date.today() - dt.timedelta(days=90)).isoformat()
    result = import_disruptions(make_csv(rows))
    assert result.written and result.created == 1, result.errors
    stored = Disruption.objects.get(reference="D-1")
    audit = recording_audit(Disruption.objects.all(), stored.record_date, stored.record_date)
    late = [f for f in audit["failures"] if f["field"] == "record_date"]
    assert [f["disruption"] for f in late] == [stored]
    assert "the standard allows 30" in late[0]["message"]
    # Typed in the product, the same record is refused.
    with pytest.raises(ValidationError) as refused:
        services._validate(
            {"event_date": stored.event_date, "record_date": stored.record_date},
            stored.threat,
            stored.standard,
            not_carried=("narrative", "evidence"),
        )
    assert "the standard allows 30" in " ".join(refused.value.message_dict["record_date"])


def test_skip_bad_and_cli(tmp_path, capsys):
    rows = [row[:] for row in GOOD] + [
        [
            "D-9",
            "IMP-OCG",
            "Durham Police",
            "Op X",
            "Support",
            "Prevent",
            "Minor",
            R,
            R,
            "Referral to a diversion scheme",
            "Draft",
        ]
    ]
    path = tmp_path / "disruptions.csv"
    path.write_text(make_csv(rows))
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import-disruptions", str(path))
    assert "row 5, Disruption type: a support record needs a lead" in capsys.readouterr().err
    call_command("import-disruptions", str(path), "--skip-bad")
    assert "3 created" in capsys.readouterr().out
    assert "D-9" in (tmp_path / "disruptions.rejects.csv").read_text()


def _stored():
    return sorted(tuple(sorted(d.items())) for d in Disruption.objects.values())


def test_an_import_is_recorded_written_in_batches_and_undone_whole_if_it_fails(monkeypatch):
    from socmaster.core import audit
    from socmaster.disruptions import services
    from socmaster.threats.models import ImportJob, ImportUndo

    assert import_disruptions(make_csv(GOOD[:1])).written
    job = ImportJob.objects.get()
    assert (job.kind, job.status, job.created) == ("disruptions", "done", 1)
    assert AuditEntry.objects.filter(record_type="threats.importjob", action="create").count() == 1
    assert not ImportUndo.objects.exists()
    before = _stored()
    real, calls = services.import_disruption, {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk on fire")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "import_disruption", failing)
    changed = [list(r) for r in GOOD]
    changed[0][3] = "A renamed team"  # the stored row changes in the first batch
    with pytest.raises(RuntimeError, match="disk on fire"):
        import_disruptions(make_csv(changed), batch_size=1)  # rows 1 and 2 were committed
    assert _stored() == before
    failed = ImportJob.objects.order_by("-pk").first()
    assert failed.status == "failed" and not failed.undo.exists()
    assert audit.verify_chain().ok

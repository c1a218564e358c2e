"""Imports in the background: batches that leave nothing half-written, the import record and its
page, cancelling, other users' writes during an import, and lenient reference values."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from socmaster.core.models import AuditEntry
from socmaster.organisations.models import Organisation
from socmaster.threats import importer, services
from socmaster.threats.choices import ImportStatus
from socmaster.threats.importer import import_masterlist
from socmaster.threats.models import CrimeType, ImportJob, ImportUndo, Phase, Threat
from tests.threats.test_import import GOOD, make_csv

pytestmark = pytest.mark.django_db


def _state():
    """Every threat as stored, with its crime types: what 'as before' means."""
    return sorted(
        (
            tuple(sorted(t.items())),
            tuple(
                sorted(Threat.objects.get(pk=t["id"]).crime_types.values_list("code", flat=True))
            ),
        )
        for t in Threat.objects.values()
    )


def _more_rows(n, start=10):
    rows = []
    for i in range(start, start + n):
        row = list(GOOD[1])
        row[0], row[1] = f"IMP-{i}", f"Network {i}"
        rows.append(row)
    return rows


def _failing_after(monkeypatch, calls: int, effect=None):
    """Make the writing fail (or ``effect()`` happen) in the batch holding row ``calls + 1``."""
    real = importer._apply_many
    count = {"n": 0}

    def apply_many(user, batch, *rest):
        count["n"] += len(batch)
        if count["n"] > calls:
            if effect is None:
                raise RuntimeError("disk on fire")
            effect()
        return real(user, batch, *rest)

    monkeypatch.setattr(importer, "_apply_many", apply_many)


def test_a_failure_in_the_middle_leaves_the_database_as_before(monkeypatch):
    assert import_masterlist(make_csv(GOOD)).written
    before = _state()
    changed = [list(r) for r in GOOD]
    changed[0][1], changed[1][8], changed[2][9] = (
        "Renamed network",
        "Developing intelligence",
        "fraud",
    )
    _failing_after(monkeypatch, 5)  # batches 1-2 and 3-4 committed; row 6 fails in the third
    with pytest.raises(RuntimeError, match="disk on fire"):
        import_masterlist(make_csv(changed + _more_rows(6)), batch_size=2)
    assert _state() == before
    job = ImportJob.objects.latest("pk")
    assert job.status == ImportStatus.FAILED and "Nothing was written" in job.message
    assert not ImportUndo.objects.exists()
    # Each undone change is in the audit log, with the reason.
    undone = AuditEntry.objects.filter(reason__contains=f"Import {job.pk}")
    assert (
        undone.filter(action="update").count() == 3 and undone.filter(action="delete").count() == 1
    )


def test_a_bad_row_found_only_at_writing_undoes_the_earlier_batches(monkeypatch):
    before = _state()
    real = importer.services.create_threats

    def create_threats(items, **kwargs):
        from django.core.exceptions import ValidationError

        refused = [i for i, item in enumerate(items) if item["reference"] == "IMP-14"]
        made = real([item for item in items if item["reference"] != "IMP-14"], **kwargs)
        for i in refused:
            made.insert(i, ValidationError({"reference": ["taken meanwhile"]}))
        return made

    monkeypatch.setattr(importer.services, "create_threats", create_threats)
    result = import_masterlist(make_csv(_more_rows(8)), batch_size=2)
    assert not result.written and "taken meanwhile" in str(result.errors[0])
    assert _state() == before


def test_cancelling_a_running_import_undoes_what_it_wrote(monkeypatch):
    def cancel():
        ImportJob.objects.update(cancel_requested=True)

    _failing_after(monkeypatch, 3, effect=cancel)
    result = import_masterlist(make_csv(_more_rows(10)), batch_size=2)
    assert not result.written
    assert Threat.objects.count() == 0
    assert ImportJob.objects.get().status == ImportStatus.CANCELLED


def test_a_successful_import_is_written_in_batches_and_keeps_no_undo(monkeypatch):
    result = import_masterlist(make_csv(_more_rows(7)), batch_size=3)
    assert result.written and result.created == 7
    job = ImportJob.objects.get()
    assert (job.status, job.rows_checked, job.rows_written, job.created) == ("done", 7, 7, 7)
    assert not ImportUndo.objects.exists()


BATCH = "5"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="measures SQLite's single writer lock")
@pytest.mark.django_db(transaction=True)
def test_another_users_write_succeeds_while_an_import_runs(reference_data, make_user, tmp_path):
    """On a SQLite file in WAL mode, as the product runs: a slowed import in one thread, another
    user creating threats in another, each write waiting at most for one short batch (written in
    one transaction, as before, a write would wait for the whole 3 s import or fail)."""
    import json
    import os
    import sqlite3
    import subprocess
    import sys
    from pathlib import Path

    make_user("force-durham", "analyst", username="meanwhile")
    database = tmp_path / "concurrent.sqlite3"
    target = sqlite3.connect(database)
    connection.ensure_connection()
    connection.connection.backup(target)  # the migrated test database, to a real file
    target.close()
    upload = tmp_path / "m.csv"
    upload.write_text(make_csv(_more_rows(60)))
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "SOCMASTER_VAR_DIR": str(tmp_path),
        "PYTHONPATH": f"{root / 'src'}{os.pathsep}{root}",
    }
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.threats.concurrent_import",
            str(upload),
            "meanwhile",
            "0.05",
            BATCH,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=root,
    )
    assert run.returncode == 0, run.stderr
    outcome = json.loads(run.stdout.strip().splitlines()[-1])
    assert outcome["written"] and outcome["created"] == 60, outcome
    assert outcome["writer_ok"] >= 3 and outcome["writer_failed"] == 0, outcome
    assert outcome["writer_wait_max"] < 1.5, outcome


# --- The upload page, the import record and its page ---------------------------------------


def test_upload_runs_in_the_background_and_the_status_page_shows_the_result(web, make_user):
    user = make_user("force-durham", "analyst")
    client = web(user)
    response = client.post(
        "/threats-import/",
        {
            "file": SimpleUploadedFile("m.csv", make_csv(GOOD[:1] + [["", *GOOD[1][1:]]]).encode()),
            "skip_bad": "on",
        },
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/threats-import/{job.pk}/"
    assert (job.created_by, job.source_name, job.status, job.created) == (user, "m.csv", "done", 1)
    page = client.get(job.get_absolute_url()).content.decode()
    assert "1 created" in page and "Download the rejected rows" in page
    partial = client.get(job.get_absolute_url(), HTTP_HX_REQUEST="true").content.decode()
    assert partial.startswith('<div id="import-status"') and "<html" not in partial
    rejects = client.get(f"/threats-import/{job.pk}/rejects.csv")
    assert b"Reference: is required" in b"".join(rejects.streaming_content)
    assert AuditEntry.objects.filter(action="export", record_type="threats.importjob").exists()
    assert AuditEntry.objects.filter(action="create", record_type="threats.importjob").exists()
    assert not list(
        (
            job.stored_file
            and __import__("pathlib").Path(job.stored_file).parent
            or __import__("pathlib").Path("/nonexistent")
        ).glob("upload-*")
    )


def test_a_running_import_page_polls_and_offers_to_cancel(web, make_user):
    user = make_user("force-durham", "analyst")
    job = ImportJob.objects.create(
        created_by=user, source_name="x.csv", status="running", rows_checked=40
    )
    page = web(user).get(job.get_absolute_url()).content.decode()
    assert 'hx-trigger="every 2s"' in page and "Cancel the import" in page and "40" in page


def test_the_import_record_is_seen_by_its_uploader_and_their_administrators_only(client, make_user):
    user = make_user("force-durham", "analyst")
    job = services.start_import(user, source_name="m.csv", stored_file="", skip_bad=False)
    expected = {
        user: 200,
        make_user("force-durham", "administrator"): 200,
        make_user("force-durham", "analyst"): 404,
        make_user("force-cleveland", "administrator"): 404,
        make_user("hmicfrs", "inspector"): 404,
    }
    for person, status in expected.items():
        client.force_login(person, backend="django.contrib.auth.backends.ModelBackend")
        assert client.get(job.get_absolute_url()).status_code == status, person
        assert client.post(f"/threats-import/{job.pk}/cancel/").status_code in (
            {302} if status == 200 else {404}
        )
        job.refresh_from_db()
        if status == 200:
            assert job.status == ImportStatus.CANCELLED
            break


def test_cancelling_a_queued_import_means_it_never_runs(web, make_user, tmp_path):
    from socmaster.threats.tasks import run_masterlist_import

    user = make_user("force-durham", "analyst")
    stored = tmp_path / "queued.csv"
    stored.write_text(make_csv(GOOD[:1]))
    job = services.start_import(user, source_name="q.csv", stored_file=str(stored), skip_bad=False)
    client = web(user)
    assert client.post(f"/threats-import/{job.pk}/cancel/").status_code == 302
    assert run_masterlist_import.call(job.pk) == "skipped"
    assert Threat.objects.count() == 0
    again = client.post(f"/threats-import/{job.pk}/cancel/")
    assert again.status_code == 400 and "already ended" in again.content.decode()


def test_the_queued_task_runs_the_stored_file(make_user, tmp_path):
    from socmaster.threats.tasks import run_masterlist_import

    user = make_user("force-durham", "analyst")
    stored = tmp_path / "up.csv"
    stored.write_text(make_csv(GOOD[:1]))
    job = services.start_import(user, source_name="up.csv", stored_file=str(stored), skip_bad=False)
    assert run_masterlist_import.enqueue(job.pk).return_value == "done"
    assert Threat.objects.get().reference == "IMP-1" and not stored.exists()


# --- Lenient reference values ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text,code",
    [
        ("Illegal drugs", "drugs"),
        ("illegal DRUGS", "drugs"),
        ("county lines", "drugs"),
        ("drugs", "drugs"),
        ("Illegal drugs (including county lines)", "drugs"),
        ("Modern slavery", "msht"),
        ("money", "money_laundering"),
    ],
)
def test_crime_types_resolve_by_code_label_alias_or_leading_part(text, code):
    crime, problem = importer.crime_type_resolver().resolve(text)
    assert problem == "" and crime.code == code


def test_an_ambiguous_or_unknown_value_is_one_error_listing_the_known_values():
    _, problem = importer.crime_type_resolver().resolve("Illegal")
    assert problem.startswith("'Illegal' could be any of:") and "Illegal firearms" in problem
    _, problem = importer.phase_resolver().resolve("Parked")
    assert problem.startswith("unknown phase 'Parked'; known values: Identified,")
    row = [*GOOD[0][:8], "Parked", "Illegal drugs; bogus", *GOOD[0][10:]]
    result = import_masterlist(make_csv([row]))
    messages = {e.field: e.message for e in result.errors}
    assert (
        "known values:" in messages["Phase"]
        and "unknown crime type 'bogus'; known values:" in messages["Crime types"]
    )
    assert len(result.errors) == 2


def _national_admin(make_user):
    nca = Organisation.objects.get(short_name="NCA", type="national_agency")
    return make_user(nca.key, "administrator")


def test_national_administrators_add_phases_and_crime_types_audited(make_user):
    admin = _national_admin(make_user)
    phase = services.add_phase(admin, name="Parked", aliases="on hold; paused")
    crime = services.add_crime_type(
        admin, code="wildlife", label="Wildlife crime", aliases=["poaching"]
    )
    assert phase.order > Phase.objects.exclude(pk=phase.pk).order_by("-order")[0].order
    assert AuditEntry.objects.filter(
        action="create", record_type="threats.phase", user=admin
    ).exists()
    assert AuditEntry.objects.filter(action="create", record_type="threats.crimetype").exists()
    assert importer.phase_resolver().resolve("On hold")[0] == phase
    assert importer.crime_type_resolver().resolve("poaching")[0] == crime
    with pytest.raises(PermissionDenied):
        services.add_phase(make_user("force-durham", "administrator"), name="Mine")
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        services.add_crime_type(admin, code="fraud", label="Fraud again")
    assert "code" in exc.value.message_dict


def test_the_reference_data_page(web, make_user):
    admin = _national_admin(make_user)
    client = web(admin)
    assert client.get("/threats/reference-data/").status_code == 200
    added = client.post(
        "/threats/reference-data/", {"kind": "phase", "phase-name": "Parked", "phase-aliases": ""}
    )
    assert added.status_code == 302 and Phase.objects.filter(name="Parked").exists()
    twice = client.post(
        "/threats/reference-data/", {"kind": "crime", "crime-code": "x", "crime-label": "Fraud"}
    )
    assert twice.status_code == 400 and CrimeType.objects.filter(label="Fraud").count() == 1
    assert (
        web(make_user("force-durham", "administrator")).get("/threats/reference-data/").status_code
        == 403
    )


class WorkerKilled(BaseException):
    """Stands for kill -9: nothing after it runs, not even the import's own undo."""


def _killed_after(monkeypatch, rows: int):
    real = importer._apply_many
    count = {"n": 0}

    def apply_many(user, batch, *rest):
        count["n"] += len(batch)
        if count["n"] > rows:
            raise WorkerKilled
        return real(user, batch, *rest)

    monkeypatch.setattr(importer, "_apply_many", apply_many)
    monkeypatch.setattr(importer, "undo_job", lambda job: None)  # a dead worker undoes nothing


def test_an_import_whose_worker_died_is_undone_by_recover_imports(monkeypatch):
    import datetime as dt

    from django.core.management import call_command
    from django.utils import timezone

    from socmaster.core import audit

    assert import_masterlist(make_csv(GOOD)).written
    before = _state()
    changed = [list(r) for r in GOOD]
    changed[0][1] = "Renamed network"
    _killed_after(monkeypatch, 4)
    with pytest.raises(WorkerKilled):
        import_masterlist(make_csv(changed + _more_rows(6)), batch_size=2)
    monkeypatch.undo()
    job = ImportJob.objects.order_by("-pk").first()
    assert job.status == ImportStatus.RUNNING and job.undo.exists()  # half-written
    assert _state() != before

    call_command("recover-imports", stdout=__import__("io").StringIO())  # heartbeat is fresh
    job.refresh_from_db()
    assert job.status == ImportStatus.RUNNING, "a live import must not be touched"

    ImportJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - dt.timedelta(minutes=11)
    )
    out = __import__("io").StringIO()
    call_command("recover-imports", stdout=out)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and "undone" in job.message
    assert job.cancel_requested and not job.undo.exists()
    assert _state() == before
    assert "1 stalled import(s) recovered" in out.getvalue()
    assert AuditEntry.objects.filter(
        record_type="threats.importjob", record_id=str(job.pk), reason="Stalled import recovered"
    ).exists()
    assert audit.verify_chain().ok

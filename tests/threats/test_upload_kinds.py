"""One upload page for every kind of import: the master list and each registered importer run
in the background under a job whose page shows the result, the problems and the rejected rows."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from socmaster.core.importing import IMPORTERS
from socmaster.disruptions.models import Disruption
from socmaster.threats.choices import ImportKind, ImportStatus
from socmaster.threats.import_views import kind_choices
from socmaster.threats.models import ImportJob, Threat
from tests.disruptions.test_import import GOOD, make_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(make_user, org):
    Threat.objects.create(
        reference="IMP-OCG", name="n", owner=org("force-durham"), threat_type="ocg"
    )
    return make_user("force-durham", "analyst")


def _upload(client, rows, **extra):
    return client.post(
        "/threats-import/",
        {
            "kind": ImportKind.DISRUPTIONS.value,
            "file": SimpleUploadedFile("d.csv", make_csv(rows).encode()),
            **extra,
        },
    )


def test_the_page_offers_the_master_list_first_and_every_registered_importer(web, analyst):
    kinds = [k for k, _ in kind_choices()]
    assert kinds == [
        "masterlist",
        "members",
        "assessments",
        "disruptions",
        "plans",
        "plan_actions",
        "plan_reviews",
        "sars",
    ]  # the order a history is imported in (then SARs), which the page tells people to follow
    assert set(kinds[1:]) == set(IMPORTERS) and ImportKind.DISRUPTIONS in kinds
    page = web(analyst).get("/threats-import/").content.decode()
    assert 'value="disruptions"' in page and "What are you importing?" in page
    assert "docs/import-disruptions.md" in page


def test_a_disruption_upload_runs_in_the_background_and_is_undone_nowhere(web, analyst):
    client = web(analyst)
    response = _upload(client, GOOD[:1])
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert (job.kind, job.status, job.created, job.created_by) == (
        ImportKind.DISRUPTIONS,
        ImportStatus.DONE,
        1,
        analyst,
    )
    assert Disruption.objects.get().reference == "D-1"
    assert not job.undo.exists()
    assert "1 created" in client.get(job.get_absolute_url()).content.decode()


def test_a_refused_upload_ends_failed_with_its_problems_and_writes_nothing(web, analyst):
    client = web(analyst)
    bad = [list(GOOD[0])]
    bad[0][4] = "Sideways"
    _upload(client, bad)
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.FAILED and job.error_count == 1
    assert job.errors[0][:2] == [2, "Disruption type"]
    assert "Nothing was imported: 1 problem(s) found." == job.message
    assert not Disruption.objects.exists()
    page = client.get(job.get_absolute_url()).content.decode()
    assert "Sideways" in page and "Nothing was imported" in page


def test_skip_bad_writes_the_good_rows_and_offers_the_rejected_ones(web, analyst):
    client = web(analyst)
    bad = list(GOOD[0])
    bad[0], bad[4] = "D-9", "Sideways"
    _upload(client, [GOOD[0], bad], skip_bad="on")
    job = ImportJob.objects.get()
    assert (job.status, job.created, job.error_count) == (ImportStatus.DONE, 1, 1)
    rejects = client.get(f"/threats-import/{job.pk}/rejects.csv")
    body = b"".join(rejects.streaming_content).decode()
    assert "D-9" in body and "Sideways" in body and "D-1" not in body


def test_a_cancelled_upload_writes_nothing(web, analyst, monkeypatch):
    from socmaster.threats import journal

    real = journal.write_in_batches

    def cancel_first(rows, result, write_one, **kwargs):
        ImportJob.objects.update(cancel_requested=True)
        return real(rows, result, write_one, **kwargs)

    monkeypatch.setattr(journal, "write_in_batches", cancel_first)
    _upload(web(analyst), GOOD[:1])
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.CANCELLED and not Disruption.objects.exists()


def test_the_stored_upload_is_removed_once_the_import_ends(web, analyst):
    from pathlib import Path

    _upload(web(analyst), GOOD[:1])
    job = ImportJob.objects.get()
    assert job.stored_file and not Path(job.stored_file).exists()


def test_an_unknown_kind_is_a_field_error(web, analyst):
    response = web(analyst).post(
        "/threats-import/",
        {"kind": "spells", "file": SimpleUploadedFile("d.csv", make_csv(GOOD[:1]).encode())},
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not ImportJob.objects.exists()

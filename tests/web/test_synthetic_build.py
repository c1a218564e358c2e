"""Building synthetic data from its page: a background task recorded as a job, in short batches,
with progress, and removed whole if it fails or is cancelled."""

from __future__ import annotations

import pytest

from socmaster.core.models import AuditEntry
from socmaster.threats.choices import ImportKind, ImportStatus
from socmaster.threats.models import ImportJob, Threat
from socmaster.web import synthetic
from tests.threats.test_import_background import _national_admin

pytestmark = pytest.mark.django_db


@pytest.fixture
def small(monkeypatch):
    """A small dataset whatever scale is asked for, so the test is quick."""
    from socmaster import synth

    real = synth.generate
    monkeypatch.setattr(synth, "generate", lambda scale, seed, orgs, **kw: real(0.005, seed, orgs))


def test_only_national_administrators_may_build(web, make_user):
    assert (
        web(make_user("force-durham", "administrator")).get("/synthetic-data/").status_code == 403
    )
    assert (
        web(make_user("force-durham", "analyst"))
        .post("/synthetic-data/", {"scale": "demo", "seed": "1"})
        .status_code
        == 403
    )
    assert not ImportJob.objects.exists()


def test_a_build_runs_as_a_job_and_its_page_shows_the_result(web, make_user, small):
    admin = _national_admin(make_user)
    client = web(admin)
    page = client.get("/synthetic-data/").content.decode()
    assert "No synthetic data is loaded" in page and "invented" in page
    response = client.post("/synthetic-data/", {"scale": "demo", "seed": "7"})
    job = ImportJob.objects.get(kind=ImportKind.SYNTHETIC)
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert job.status == ImportStatus.DONE and job.created_by == admin
    assert "Synthetic" in job.message and "threats" in job.message
    assert job.rows_written > 0 and job.created == job.rows_written
    assert Threat.objects.filter(reference__startswith="SYN-T-").exists()
    status = client.get(job.get_absolute_url()).content.decode()
    assert "Build of the synthetic dataset" in status and "loaded" in status
    assert AuditEntry.objects.filter(record_type="threats.importjob", action="create").exists()
    assert AuditEntry.objects.filter(record_type="synth.dataset").exists()
    # A second build without "replace" is refused, and changes nothing.
    before = Threat.objects.count()
    client.post("/synthetic-data/", {"scale": "demo", "seed": "7"})
    second = ImportJob.objects.filter(kind=ImportKind.SYNTHETIC).order_by("-pk").first()
    assert second.status == ImportStatus.FAILED and "replace" in second.message
    assert Threat.objects.count() == before


def test_a_failed_build_leaves_nothing_behind(web, make_user, small, monkeypatch):
    real = synthetic._load_plans

    def fail(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(synthetic, "_load_plans", fail)
    web(_national_admin(make_user)).post("/synthetic-data/", {"scale": "demo", "seed": "7"})
    job = ImportJob.objects.get(kind=ImportKind.SYNTHETIC)
    assert job.status == ImportStatus.FAILED and "removed" in job.message
    assert not Threat.objects.filter(reference__startswith="SYN-T-").exists()
    assert real is not None


def test_a_cancelled_build_leaves_nothing_behind(web, make_user, small, monkeypatch):
    real = synthetic._load_assessments

    def cancel_then_load(*args, **kwargs):
        ImportJob.objects.update(cancel_requested=True)
        return real(*args, **kwargs)

    monkeypatch.setattr(synthetic, "_load_assessments", cancel_then_load)
    web(_national_admin(make_user)).post("/synthetic-data/", {"scale": "demo", "seed": "7"})
    job = ImportJob.objects.get(kind=ImportKind.SYNTHETIC)
    assert job.status == ImportStatus.CANCELLED
    assert not Threat.objects.filter(reference__startswith="SYN-T-").exists()


def test_the_background_build_writes_in_short_transactions(make_user, small):
    """Each batch commits on its own: no transaction is held around the whole load, as one is
    for the command line's build (the test itself runs inside one: depths are counted from it)."""
    from django.db import connection

    from socmaster import synth

    baseline = len(connection.atomic_blocks)

    def depths(in_one):
        seen = []
        synthetic.load_dataset(
            synth.generate("demo", 3, synthetic.organisation_specs()),
            lambda name, done, total: seen.append(len(connection.atomic_blocks) - baseline),
            in_one_transaction=in_one,
        )
        synthetic.remove_synthetic()
        return set(seen)

    assert depths(False) == {0}
    assert depths(True) == {1}


def test_bad_form_values_are_field_errors(web, make_user):
    response = web(_national_admin(make_user)).post(
        "/synthetic-data/", {"scale": "galactic", "seed": "-1"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Select a valid choice" in body and "greater than or equal to 0" in body
    assert not ImportJob.objects.exists()

"""The review workflow's pages: the queue, a match with its waterfall chart and decision, a
screening run started from the page, deconfliction and access requests, the models, the
one-record lookup, and the panels on the SAR, nominal and threat pages. All people synthetic."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from socmaster.core.models import AuditEntry
from socmaster.linkage.choices import AccessRequestStatus, MatchStatus, ModelStatus, RunStatus
from socmaster.linkage.models import AccessRequest, LinkageModel, ScreeningRun
from socmaster.threats.models import Threat, ThreatMember

from .conftest import DOB, OWNER, match_for, nominal, sar, screen

pytestmark = pytest.mark.django_db


def web(user) -> Client:
    client = Client()
    client.force_login(user, backend=settings.AUTHENTICATION_BACKENDS[-1])
    return client


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_queue_lists_what_waits_and_says_when_nothing_does(master_list, people):
    page = web(people["analyst"]).get("/linkage/")
    assert page.status_code == 200 and 'data-testid="empty"' in text(page)
    record = sar(("John", "Smith Jr", DOB))
    screen(record)
    page = text(web(people["analyst"]).get("/linkage/"))
    assert page.count('data-testid="queue-row"') == 1 and "Needs a person" in page
    linked = text(web(people["analyst"]).get("/linkage/?status=linked"))
    assert 'data-testid="queue-row"' not in linked
    assert web(people["partner"]).get("/linkage/").status_code == 404


def test_the_match_page_explains_with_a_waterfall_and_records_a_decision(master_list, people):
    record = sar(("John", "Smith Jr", DOB))
    screen(record)
    match = match_for(record, master_list["smith"])
    client = web(people["analyst"])
    page = text(client.get(f"/linkage/matches/{match.pk}/"))
    bars = re.findall(r'<g data-kind="(for|against|total)"', page)
    assert len(bars) == len(match.explanation) + 1 and bars[-1] == "total"
    assert "against" in bars  # the suffix speaks against
    refused = client.post(
        f"/linkage/matches/{match.pk}/decide/", {"decision": "same", "reason": ""}
    )
    assert refused.status_code == 400 and "Enter the reason" in text(refused)
    match.refresh_from_db()
    assert match.status == MatchStatus.REVIEW
    done = client.post(
        f"/linkage/matches/{match.pk}/decide/",
        {"decision": "not_same", "reason": "Father and son: PNC differs."},
    )
    assert done.status_code == 302
    match.refresh_from_db()
    assert match.status == MatchStatus.NOT_SAME
    page = text(client.get(f"/linkage/matches/{match.pk}/"))
    assert "Father and son: PNC differs." in page


def test_hidden_match_answers_like_a_missing_one(master_list, people):
    record = sar(("Jon", "Smith", DOB), handling="owner")
    screen(record)
    match = match_for(record, master_list["smith"])
    client = web(people["other_analyst"])
    hidden = client.get(f"/linkage/matches/{match.pk}/")
    missing = client.get("/linkage/matches/999999/")
    assert hidden.status_code == missing.status_code == 404
    assert (
        client.post(f"/linkage/matches/{match.pk}/unlink/", {"reason": "x" * 10}).status_code == 404
    )


def test_unlink_from_the_page(master_list, people):
    record = sar(("Jon", "Smith", DOB))
    screen(record)
    match = match_for(record, master_list["smith"])
    client = web(people["analyst"])
    assert 'data-testid="unlink-form"' in text(client.get(f"/linkage/matches/{match.pk}/"))
    assert client.post(f"/linkage/matches/{match.pk}/unlink/", {"reason": ""}).status_code == 400
    assert (
        client.post(
            f"/linkage/matches/{match.pk}/unlink/", {"reason": "Different man."}
        ).status_code
        == 302
    )
    match.refresh_from_db()
    assert match.status == MatchStatus.UNLINKED


def test_screening_from_the_page_runs_in_the_background_and_shows_its_result(master_list, people):
    record = sar(("Jon", "Smith", DOB))
    client = web(people["analyst"])
    started = client.post("/linkage/screen/", {"organisation": record.owner_id})
    run = ScreeningRun.objects.get()
    assert started.status_code == 302 and started["Location"] == f"/linkage/runs/{run.pk}/"
    assert run.status == RunStatus.DONE and run.counts["linked"] == 1  # immediate backend
    page = text(client.get(f"/linkage/runs/{run.pk}/"))
    assert 'data-testid="run-result"' in page and "1 linked" in page
    record.refresh_from_db()
    assert record.screening_status == "matches"
    # Another organisation's SARs cannot be screened from here.
    assert (
        web(people["other_analyst"])
        .post("/linkage/screen/", {"organisation": record.owner_id})
        .status_code
        == 403
    )
    assert web(people["other_analyst"]).get(f"/linkage/runs/{run.pk}/").status_code == 404


def test_deconfliction_page_request_and_answer(master_list, people):
    hidden = nominal("Mohammed", "Ahmed", dt.date(1975, 3, 12), handling="owner")
    record = sar(("Mohamed", "Ahmed", dt.date(1975, 3, 12)), owner="force-west-yorkshire")
    screen(record)
    asker = web(people["other_analyst"])
    page = text(asker.get("/linkage/requests/"))
    assert page.count('data-testid="notice"') == 1
    assert "Durham" in page and "AHMED, Mohammed" not in page and hidden.reference not in page
    match = match_for(record, hidden)
    asker.post(f"/linkage/matches/{match.pk}/request-access/", {"reason": "Our drugs job."})
    access = AccessRequest.objects.get()
    assert "Asked" in text(asker.get("/linkage/requests/"))
    owner = web(people["researcher"])
    received = text(owner.get("/linkage/requests/?to=us"))
    assert 'data-testid="received"' in received and "Our drugs job." in received
    owner.post(f"/linkage/requests/{access.pk}/answer/", {"approve": "no", "answer": ""})
    access.refresh_from_db()
    assert access.status == AccessRequestStatus.OPEN  # declining needs a reason
    owner.post(f"/linkage/requests/{access.pk}/answer/", {"approve": "yes", "answer": ""})
    access.refresh_from_db()
    assert access.status == AccessRequestStatus.APPROVED
    assert asker.get(hidden.get_absolute_url()).status_code in (200, 302)
    # The asker cannot answer their own request.
    assert (
        asker.post(f"/linkage/requests/{access.pk}/answer/", {"approve": "yes"}).status_code == 404
    )


def test_panels_on_the_sar_nominal_and_threat_pages(master_list, people):
    threat = Threat.objects.create(
        reference="LNK-P1",
        name="Panels",
        owner=master_list["smith"].owner,
        threat_type="ocg",
        lro=people["lro"],
    )
    ThreatMember.objects.create(threat=threat, nominal=master_list["smith"])
    record = sar(("Jon", "Smith", DOB))
    screen(record)
    client = web(people["analyst"])
    sar_page = text(client.get(record.get_absolute_url()))
    assert 'data-testid="sar-matches"' in sar_page and "SMITH, John Paul" in sar_page
    assert 'data-testid="screening-status"' in sar_page
    nominal_page = text(client.get(master_list["smith"].get_absolute_url()))
    assert 'data-testid="nominal-matches"' in nominal_page and record.reference in nominal_page
    threat_page = text(client.get(threat.get_absolute_url()))
    assert 'data-testid="linked-subjects"' in threat_page
    home = text(web(people["lro"]).get("/"))
    assert "newly linked to nominals of the threats you lead" in home


def test_lookup_page_and_the_nominal_form_ask_as_you_type(master_list, people):
    client = web(people["analyst"])
    form = text(client.get("/threats/nominals/new/"))
    assert 'data-testid="nominal-lookup"' in form and 'hx-get="/linkage/lookup/"' in form
    partial = text(
        client.get(
            "/linkage/lookup/",
            {
                "given_names": "Jonny",
                "family_name": "Smith",
                "date_of_birth_day": "1",
                "date_of_birth_month": "5",
                "date_of_birth_year": "1980",
            },
            HTTP_HX_REQUEST="true",
        )
    )
    assert "<html" not in partial and "SMITH, John Paul" in partial
    empty = client.get("/linkage/lookup/", {"postcode": "DH1 1AA"})
    assert "Enter at least a family name or given names" in text(empty)
    assert web(people["partner"]).get("/linkage/lookup/").status_code == 404


def test_models_page_compares_and_puts_into_use(master_list, people, make_user, model):
    from socmaster.organisations.models import Organisation

    nca = Organisation.objects.get(short_name="NCA", type="national_agency")
    admin = make_user(nca.key, "administrator")
    LinkageModel.objects.create(
        version=2,
        model=model.to_dict(),
        trained_at=timezone.now(),
        comparison={
            "against_version": 1,
            "links_before": 10,
            "links_after": 11,
            "gained": 1,
            "lost": 0,
            "flipped": 1,
            "examples": {
                "gained": [],
                "lost": [],
                "flipped": [{"pair": ["5", "7"], "before": "review", "after": "link"}],
            },
        },
    )
    client = web(admin)
    listing = text(client.get("/linkage/models/"))
    assert "1 links gained, 0 lost, 1 decisions flip" in listing
    page = text(client.get("/linkage/models/2/"))
    assert 'data-testid="comparison"' in page and "review → link" in page
    assert client.post("/linkage/models/2/", {"reason": ""}).status_code == 400
    assert LinkageModel.objects.get(version=2).status == ModelStatus.CANDIDATE
    client.post("/linkage/models/2/", {"reason": "Compared: one more true link."})
    assert LinkageModel.objects.get(version=2).status == ModelStatus.IN_USE
    assert LinkageModel.objects.get(version=1).status == ModelStatus.RETIRED
    assert AuditEntry.objects.filter(record_type="linkage.linkagemodel").count() == 2
    assert web(people["analyst"]).get("/linkage/models/").status_code == 404
    # A force's administrator cannot change the model every organisation uses.
    assert web(make_user(OWNER, "administrator")).get("/linkage/models/").status_code == 404
    inspector = web(people["inspector"])
    assert inspector.get("/linkage/models/2/").status_code == 200  # reads, changes nothing
    LinkageModel.objects.create(version=3, model=model.to_dict(), trained_at=timezone.now())
    assert (
        inspector.post("/linkage/models/3/", {"reason": "Inspectors may not."}).status_code == 403
    )
    assert LinkageModel.objects.get(version=3).status == ModelStatus.CANDIDATE


def _csv(rows) -> bytes:
    header = "subject_id,first_name,middle_name,surname,dob,gender,postcode,phone\n"
    return (header + "".join(",".join(r) + "\n" for r in rows)).encode()


def test_a_list_uploaded_is_screened_and_tells_only_what_the_user_may_know(
    master_list, people, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.SOCMASTER = {**settings.SOCMASTER, "IMPORT_DIR": str(tmp_path)}
    hidden = nominal("Mohammed", "Ahmed", dt.date(1975, 3, 12), handling="owner")
    client = web(people["other_analyst"])  # West Yorkshire: may not see the Durham nominal
    bad = client.post(
        "/linkage/lists/",
        {
            "file": SimpleUploadedFile(
                "bad.csv", _csv([["R1", "Jon", "", "Smith", "1/5/80"] + [""] * 3])
            ),
            "organisation": people["other_analyst"].home_organisation_id,
            "reason": "Prison releases, December.",
        },
    )
    assert bad.status_code == 400 and "row 2" in text(bad)
    assert not ScreeningRun.objects.exists() and not list(tmp_path.iterdir())
    upload = SimpleUploadedFile(
        "releases.csv",
        _csv(
            [
                ["R1", "Jon", "", "Smith", "1980-05-01", "", "", ""],
                ["R2", "Mohamed", "", "Ahhmed", "1975-03-12", "", "", ""],
                ["R3", "Zebedee", "", "Quartermaine", "2001-01-01", "", "", ""],
            ]
        ),
    )
    done = client.post(
        "/linkage/lists/",
        {
            "file": upload,
            "organisation": people["other_analyst"].home_organisation_id,
            "reason": "Prison releases, December.",
        },
    )
    run = ScreeningRun.objects.get()
    assert done.status_code == 302 and run.status == RunStatus.DONE
    assert run.counts == {"people": 3, "linked": 1, "possible": 0, "elsewhere": 1}
    assert not list(tmp_path.iterdir())  # the upload is gone once screened
    page = text(client.get(f"/linkage/runs/{run.pk}/"))
    assert page.count('data-testid="list-result"') == 2
    assert "SMITH, John Paul" in page and "Another organisation holds" in page
    assert "AHMED" not in page and hidden.reference not in page
    download = client.get(f"/linkage/runs/{run.pk}/matches.csv")
    body = download.content.decode()
    assert body.splitlines()[0].startswith("subject_id,name,dob,status,nominal")
    assert master_list["smith"].reference in body and hidden.reference not in body
    assert AuditEntry.objects.filter(action="export", reason="Prison releases, December.").exists()
    # Nobody else reads the run; partners do not screen lists.
    assert web(people["analyst"]).get(f"/linkage/runs/{run.pk}/matches.csv").status_code == 404
    assert web(people["partner"]).get("/linkage/lists/").status_code == 404

"""The intelligence and SAR API: the original is never in a body, its reading needs a reason and
is audited; grading errors are field-level 400s that store nothing; processing steps; the DAML
clock; hidden records answer like missing ones; the list's queries do not grow with its size."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from socmaster.core.models import AuditEntry
from socmaster.intelligence import services
from socmaster.intelligence.models import IntelligenceReport, SuspiciousActivityReport
from socmaster.organisations.models import Organisation

pytestmark = pytest.mark.django_db
ORIGINAL = "SOURCE ALPHA says the cash is at 4 Mill Lane."


@pytest.fixture
def cast(make_user):
    return {
        "officer": make_user("force-durham", "analyst", username="officer"),
        "researcher": make_user("force-durham", "researcher", username="researcher"),
        "analyst": make_user("force-durham", "analyst", username="analyst"),
        "far": make_user("force-west-yorkshire", "analyst", username="far"),
    }


def body(**extra):
    return {
        "owner": "force-durham",
        "original_text": ORIGINAL,
        "source_evaluation": "2",
        "intelligence_assessment": "B",
        "handling_code": "P",
        **extra,
    }


def test_create_and_the_original_is_never_in_a_body(cast, api):
    client = api(cast["officer"])
    response = client.post("/api/intelligence-reports/", body(), format="json")
    assert response.status_code == 201, response.content
    reference = response.json()["reference"]
    assert ORIGINAL not in response.content.decode()
    for url in (f"/api/intelligence-reports/{reference}/", "/api/intelligence-reports/"):
        assert ORIGINAL not in api(cast["analyst"]).get(url).content.decode()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"handling_code": "C"}, "handling_conditions"),
        ({"source_evaluation": "9"}, "source_evaluation"),
        ({"intelligence_assessment": "Z"}, "intelligence_assessment"),
        ({"owner": "nowhere"}, "owner"),
    ],
)
def test_bad_grading_is_a_field_level_400(cast, api, extra, field):
    response = api(cast["officer"]).post("/api/intelligence-reports/", body(**extra), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not IntelligenceReport.objects.exists()


def test_reading_the_original(cast, api):
    report = services.submit_report(
        cast["officer"],
        owner=Organisation.objects.get(key="force-durham"),
        values={k: v for k, v in body().items() if k != "owner"},
    )
    url = f"/api/intelligence-reports/{report.reference}/original/"
    assert api(cast["analyst"]).get(url + "?reason=Checking it").status_code == 403
    assert api(cast["researcher"]).get(url).status_code == 400  # no reason
    response = api(cast["researcher"]).get(url, HTTP_X_REASON="Research for Op Lantern")
    assert response.status_code == 200 and response.json()["original_text"] == ORIGINAL
    entry = AuditEntry.objects.get(action="view", changes__part="original")
    assert entry.reason == "Research for Op Lantern"
    hidden = api(cast["far"]).get(url + "?reason=Checking it")
    missing = api(cast["far"]).get("/api/intelligence-reports/INT-NONE/original/?reason=Check")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content


def test_processing_steps_through_the_api(cast, api):
    report = services.submit_report(
        cast["officer"],
        owner=Organisation.objects.get(key="force-durham"),
        values={k: v for k, v in body().items() if k != "owner"},
    )
    base = f"/api/intelligence-reports/{report.reference}/"
    client = api(cast["researcher"])
    assert (
        api(cast["analyst"]).post(base + "transition/", {"name": "start_research"}).status_code
        == 403
    )
    response = client.post(base + "transition/", {"name": "start_research"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "in_research"
    response = client.post(base + "triage/", {"priority": "urgent"}, format="json")
    assert response.json()["priority"] == "urgent"
    response = client.post(base + "sanitised/", {"text": "Cash is held locally."}, format="json")
    assert response.json()["sanitised_text"] == "Cash is held locally."
    response = client.post(
        base + "disseminate/",
        {"organisations": ["force-cheshire"], "purpose": "Tasking meeting"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["status"] == "disseminated"
    assert client.post(base + "transition/", {"name": "fly"}, format="json").status_code == 400


def test_grading_corrections_by_patch(cast, api):
    report = services.submit_report(
        cast["officer"],
        owner=Organisation.objects.get(key="force-durham"),
        values={k: v for k, v in body().items() if k != "owner"},
    )
    url = f"/api/intelligence-reports/{report.reference}/"
    client = api(cast["researcher"])
    assert client.patch(url, {"original_text": "x"}, format="json").status_code == 400
    response = client.patch(url, {"source_evaluation": "1"}, format="json", HTTP_X_REASON="Fix")
    assert response.status_code == 200 and response.json()["grading"] == "1B P"


def test_sar_daml_clock(cast, api):
    SuspiciousActivityReport.objects.create(
        reference="UKFIU-API-1",
        owner=Organisation.objects.get(key="force-durham"),
        reporter_sector="credit_institution",
        submitted_on=dt.date(2026, 12, 21),
        sar_type="daml",
        reason_text="Synthetic.",
        consent_decision="pending",
    )
    data = api(cast["researcher"]).get("/api/sars/UKFIU-API-1/").json()
    assert data["daml_clock"]["notice_ends"] == "2027-01-04"
    assert api(cast["far"]).get("/api/sars/UKFIU-API-1/").status_code == 404


def test_list_queries_do_not_grow_with_page_size(cast, api):
    durham = Organisation.objects.get(key="force-durham")
    for _ in range(30):
        services.submit_report(
            cast["officer"], owner=durham, values={k: v for k, v in body().items() if k != "owner"}
        )
    client = api(cast["researcher"])
    client.get("/api/intelligence-reports/?queue=1&page_size=1")  # the first request's set-up
    counts = []
    for size in (5, 25):
        with CaptureQueriesContext(connection) as captured:
            assert (
                client.get(f"/api/intelligence-reports/?queue=1&page_size={size}").status_code
                == 200
            )
        counts.append(len(captured))
    assert counts[0] == counts[1]

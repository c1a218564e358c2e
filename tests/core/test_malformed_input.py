"""Malformed requests answer 4xx with a clear message, never 500; reasons are as long on the API
as on the pages."""

from __future__ import annotations

import datetime as dt

import pytest

from socmaster.core.parsers import MAX_JSON_DEPTH
from socmaster.core.reasons import MIN_REASON_LENGTH
from socmaster.threats import services
from socmaster.threats.models import Threat

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(make_user):
    return make_user("force-durham", "analyst", "administrator", username="malformed")


@pytest.fixture
def restricted(admin, org):
    return services.create_threat(
        admin, owner=org("force-durham"), name="Quiet network", handling="owner"
    )


@pytest.mark.parametrize(
    "method,url",
    [
        ("post", "/api/assessments/abc/submit/"),
        ("post", "/api/plans/false/new-version/"),
        ("patch", "/api/memberships/abc/"),
        ("patch", "/api/memberships/999999/"),
    ],
)
def test_non_numeric_or_missing_ids_answer_404(api, admin, method, url):
    response = getattr(api(admin), method)(url, {}, format="json")
    assert response.status_code == 404


def test_empty_patch_of_a_membership_is_not_an_error(api, admin, org):
    threat = services.create_threat(admin, owner=org("force-durham"), name="Members")
    nominal = services.create_nominal(admin, owner=org("force-durham"), family_name="Ash")
    member = services.add_member(
        admin, threat, nominal, role="principal", from_date=dt.date.today()
    )
    response = api(admin).patch(f"/api/memberships/{member.pk}/", {}, format="json")
    assert response.status_code < 500


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 500, 100_000])
def test_deeply_nested_json_is_refused_with_400(api, admin, depth):
    body = "[" * depth + "]" * depth
    response = api(admin).post("/api/threats/", body, content_type="application/json")
    assert response.status_code == 400
    assert f"more than {MAX_JSON_DEPTH} levels" in response.json()["detail"]
    assert not Threat.objects.filter(owner__key="force-durham").exists()


def test_json_within_the_depth_limit_is_parsed(api, admin):
    body = {"name": "Shallow", "owner": "Durham Police", "crime_types": ["drugs"]}
    assert api(admin).post("/api/threats/", body, format="json").status_code == 201


@pytest.mark.parametrize("reason", ["x", "abcd", "    x   "])
def test_api_refuses_a_short_reason_for_a_restricted_read(api, admin, restricted, reason):
    response = api(admin).get(f"/api/threats/{restricted.reference}/", HTTP_X_REASON=reason)
    assert response.status_code == 403
    assert f"at least {MIN_REASON_LENGTH} characters" in response.json()["reason"][0]
    ok = api(admin).get(f"/api/threats/{restricted.reference}/", HTTP_X_REASON="Tasking prep")
    assert ok.status_code == 200


def test_api_refuses_a_short_delete_reason(api, admin, org):
    threat = services.create_threat(admin, owner=org("force-durham"), name="Short")
    response = api(admin).delete(f"/api/threats/{threat.reference}/", HTTP_X_REASON="oops")
    assert response.status_code == 400
    assert f"at least {MIN_REASON_LENGTH} characters" in response.json()["reason"][0]
    assert Threat.objects.filter(pk=threat.pk).exists()


@pytest.mark.parametrize(
    "url", ["/threats/export.csv", "/audit/export.csv", "/reports/masterlist-extract.csv"]
)
def test_pages_refuse_a_short_export_reason(web, admin, url):
    response = web(admin).post(url, {"reason": "abc"})
    assert response.status_code == 400
    assert f"at least {MIN_REASON_LENGTH} characters" in response.content.decode()


def test_plan_pdf_refuses_a_short_reason_without_error(web, admin, org):
    threat = services.create_threat(admin, owner=org("force-durham"), name="Planned")
    response = web(admin).post(f"/plans/{threat.reference}/plan.pdf", {"reason": "ab"})
    assert response.status_code in (400, 404)

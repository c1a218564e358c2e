"""The threats API: create, read with reason, update, delete, schema."""

from __future__ import annotations

import pytest

from socmaster.core.models import AuditEntry
from socmaster.threats.models import Threat

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(make_user):
    return make_user("force-durham", "analyst", "administrator", username="ana")


def test_create_read_update_delete(api, analyst):
    client = api(analyst)
    response = client.post(
        "/api/threats/",
        {
            "name": "Synthetic network",
            "owner": "Durham Police",
            "crime_types": ["drugs", "firearms"],
            "phase": "Active investigation",
            "handling": "national",
            "lro": "ana",
            "areas": ["Durham Police", "Durham County Council"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["owner"] == "force-durham" and body["reference"].startswith("SOC-")
    assert sorted(body["crime_types"]) == ["drugs", "firearms"]
    assert sorted(body["areas"]) == ["force-durham", "partner-durham-county-council"]
    ref = body["reference"]

    assert client.get(f"/api/threats/{ref}/").json()["name"] == "Synthetic network"
    assert AuditEntry.objects.filter(
        action="view", record_id=str(Threat.objects.get(reference=ref).pk)
    ).exists()

    response = client.patch(f"/api/threats/{ref}/", {"operation_names": "Op Lark"}, format="json")
    assert response.status_code == 200 and response.json()["operation_names"] == "Op Lark"
    # The tier comes from a moderated assessment: a PATCH cannot set it.
    response = client.patch(f"/api/threats/{ref}/", {"tier": 1}, format="json")
    assert response.status_code == 400 and "moderated assessment" in response.json()["tier"][0]
    assert Threat.objects.get(reference=ref).tier is None

    response = client.patch(f"/api/threats/{ref}/", {"owner": "Kent Police"}, format="json")
    assert response.status_code == 400 and "owner" in response.json()

    assert client.delete(f"/api/threats/{ref}/").status_code == 400  # reason required
    assert Threat.objects.filter(reference=ref).exists()
    assert (
        client.delete(f"/api/threats/{ref}/", HTTP_X_REASON="Created in error").status_code == 204
    )
    assert not Threat.objects.filter(reference=ref).exists()


def test_restricted_record_needs_a_reason(api, analyst, org):
    Threat.objects.create(
        reference="R-1", name="Restricted", owner=org("force-durham"), handling="owner"
    )
    client = api(analyst)
    response = client.get("/api/threats/R-1/")
    assert response.status_code == 403 and "reason" in response.json()
    response = client.get("/api/threats/R-1/", HTTP_X_REASON="Briefing for operation")
    assert response.status_code == 200
    entry = AuditEntry.objects.filter(action="view").order_by("-seq").first()
    assert entry.reason == "Briefing for operation"


def test_validation_is_field_level(api, analyst):
    response = api(analyst).post(
        "/api/threats/", {"name": "", "owner": "Durham Police", "tier": 9}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert "name" in body and "tier" in body


def test_cannot_create_for_another_organisation(api, analyst):
    response = api(analyst).post(
        "/api/threats/", {"name": "Elsewhere", "owner": "Kent Police"}, format="json"
    )
    assert response.status_code == 403
    assert not Threat.objects.filter(name="Elsewhere").exists()


def test_token_authentication(client, analyst):
    from socmaster.core.tokens import issue_api_token

    token = issue_api_token(analyst, via="api")
    response = client.get("/api/threats/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert client.get("/api/threats/", HTTP_AUTHORIZATION="Token wrong").status_code == 401


def test_openapi_schema_and_docs(client, analyst):
    assert client.get("/api/schema/").status_code in (401, 403)
    client.force_login(analyst, backend="django.contrib.auth.backends.ModelBackend")
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    assert "/api/threats/" in text and "/api/organisations/" in text and "/api/users/" in text
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()
    assert (
        b"jsdelivr" not in docs.content and b"unpkg" not in docs.content
    )  # assets are served locally


def test_organisations_and_users_endpoints(api, analyst, make_user):
    colleague = make_user("force-durham", "lro", username="colleague")
    stranger = make_user("force-kent", "lro", username="stranger")
    client = api(analyst)
    orgs = client.get("/api/organisations/", {"type": "force", "page_size": 100}).json()
    assert orgs["count"] == 44 and len(orgs["results"]) == 44
    assert (
        client.get("/api/organisations/", {"q": "NERSOU"}).json()["results"][0]["key"]
        == "rocu-north-east"
    )
    users = [u["username"] for u in client.get("/api/users/").json()["results"]]
    assert colleague.username in users and stranger.username not in users
    assert client.get(f"/api/users/{stranger.username}/").status_code == 404


def test_admin_creates_users_in_own_organisation_only(api, analyst):
    client = api(analyst)
    ok = client.post(
        "/api/users/",
        {
            "username": "hugo",
            "organisation": "Durham Constabulary",
            "roles": ["analyst"],
            "password": "a-long-enough-passphrase",
        },
        format="json",
    )
    assert ok.status_code == 201, ok.json()
    refused = client.post(
        "/api/users/",
        {
            "username": "ivan",
            "organisation": "Kent Police",
            "roles": ["analyst"],
            "password": "a-long-enough-passphrase",
        },
        format="json",
    )
    assert refused.status_code == 403
    bad = client.post(
        "/api/users/",
        {"username": "jo", "organisation": "Durham Constabulary", "roles": ["wizard"]},
        format="json",
    )
    assert bad.status_code == 400 and "roles" in bad.json()


def test_inspector_reads_everything_changes_nothing(api, make_user, org):
    Threat.objects.create(
        reference="I-1", name="Owner only", owner=org("force-kent"), handling="owner"
    )
    inspector = make_user("hmicfrs", "inspector")
    client = api(inspector)
    assert client.get("/api/threats/I-1/", HTTP_X_REASON="Inspection fieldwork").status_code == 200
    assert client.patch("/api/threats/I-1/", {"name": "x"}, format="json").status_code == 403
    assert (
        client.post("/api/threats/", {"name": "x", "owner": "hmicfrs"}, format="json").status_code
        == 403
    )
    assert client.get("/api/audit/").status_code == 200


def test_list_queries_do_not_grow_with_page_size(api, analyst, org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(30):
        t = Threat.objects.create(
            reference=f"Q-{i:02d}", name=f"Q {i}", owner=org("force-durham"), lro=analyst
        )
        t.crime_types.set([1, 2])
        t.areas.set([org("force-durham")])
        t.shared_with.set([org("force-kent")])
    client = api(analyst)
    client.get("/api/threats/")  # warm up one-off lookups
    counts = []
    for size in (5, 30):
        with CaptureQueriesContext(connection) as ctx:
            assert len(client.get("/api/threats/", {"page_size": size}).json()["results"]) == size
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_list_page_queries_do_not_grow_with_rows(web, analyst, org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = web(analyst)
    counts = []
    for n in (2, 25):
        Threat.objects.filter(reference__startswith="P-").delete()
        for i in range(n):
            t = Threat.objects.create(
                reference=f"P-{i:02d}", name="p", owner=org("force-durham"), lro=analyst
            )
            t.crime_types.set([1])
        client.get("/threats/")  # the session's first touch writes; measure the steady state
        with CaptureQueriesContext(connection) as ctx:
            client.get("/threats/")
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]

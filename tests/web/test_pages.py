"""Server-rendered pages: home counts, directory, organisation page, people, audit viewer."""

from __future__ import annotations

import csv
import io

import pytest

from socmaster.core.models import AuditEntry
from socmaster.threats.models import Threat

pytestmark = pytest.mark.django_db


def test_home_shows_real_counts(web, make_user, org):
    user = make_user("force-durham", "lro")
    Threat.objects.create(
        reference="H-1", name="A", owner=org("force-durham"), handling="owner", lro=user
    )
    Threat.objects.create(reference="H-2", name="B", owner=org("force-durham"), handling="owner")
    Threat.objects.create(reference="H-3", name="C", owner=org("force-kent"), handling="owner")
    body = web(user).get("/").content.decode()
    # H-1, which they lead, has no 4P plan, no moderated assessment and (an OCG) no approved
    # disruption; H-2 is not theirs and H-3 is hidden from them.
    assert 'data-testid="count-my-exceptions">3<' in body
    assert "Durham Constabulary" in body


def test_directory_tree(web, make_user):
    body = web(make_user("force-durham", "analyst")).get("/organisations/").content.decode()
    assert body.count('data-testid="region"') == 10
    assert body.count('data-testid="force"') == 44
    assert "North East Regional Organised Crime Unit" in body and "Durham Constabulary" in body


def test_directory_search_by_alias(web, make_user):
    body = (
        web(make_user("force-durham", "analyst"))
        .get("/organisations/", {"q": "NERSOU"})
        .content.decode()
    )
    assert (
        "North East Regional Organised Crime Unit"
        in body.split('data-testid="search-results"')[1][:400]
    )


def test_organisation_page(web, make_user):
    body = (
        web(make_user("force-durham", "analyst"))
        .get("/organisations/rocu-north-east/")
        .content.decode()
    )
    assert "NERSOU" in body  # former name shown in the aliases and history
    for force in ("Cleveland Police", "Durham Constabulary", "Northumbria Police"):
        assert force in body


def test_people_see_only_colleagues(web, make_user):
    me = make_user("force-durham", "analyst", username="me")
    make_user("force-durham", "lro", username="colleague")
    make_user("force-kent", "lro", username="stranger")
    client = web(me)
    body = client.get("/people/").content.decode()
    assert "colleague" in body and "stranger" not in body
    assert client.get("/people/stranger/").status_code == 404
    assert client.get("/people/colleague/").status_code == 200
    assert (
        AuditEntry.objects.filter(
            action="view", record_type="organisations.user", username="me"
        ).count()
        == 1
    )


def test_admin_adds_user_in_own_organisation(web, make_user, org):
    admin = make_user("force-durham", "administrator")
    client = web(admin)
    form = client.get("/people/new/").content.decode()
    assert "Durham Constabulary" in form and "Kent Police" not in form
    response = client.post(
        "/people/new/",
        {
            "username": "newuser",
            "first_name": "New",
            "last_name": "User",
            "organisation": org("force-durham").pk,
            "roles": ["analyst", "lro"],
            "password": "a-long-enough-passphrase",
        },
    )
    assert response.status_code == 302
    bad = client.post(
        "/people/new/",
        {
            "username": "other",
            "first_name": "O",
            "last_name": "U",
            "organisation": org("force-kent").pk,
            "roles": ["analyst"],
            "password": "a-long-enough-passphrase",
        },
    )
    assert bad.status_code == 200 and "Select a valid choice" in bad.content.decode()


def test_non_admin_cannot_add_users(web, make_user):
    assert web(make_user("force-durham", "analyst")).get("/people/new/").status_code == 403


def test_restricted_record_asks_for_a_reason_then_logs_it(web, make_user, org):
    user = make_user("force-durham", "analyst")
    threat = Threat.objects.create(
        reference="RS-1", name="Sensitive", owner=org("force-durham"), handling="owner"
    )
    client = web(user)
    response = client.get("/threats/RS-1/")
    assert response.status_code == 302 and response["Location"].startswith("/reason/")
    short = client.post(response["Location"], {"reason": "x"})
    assert short.status_code == 400 and "at least 5 characters" in short.content.decode()
    back = client.post(response["Location"], {"reason": "Preparing tasking meeting"})
    assert back.status_code == 302 and back["Location"] == "/threats/RS-1/"
    assert client.get("/threats/RS-1/").status_code == 200
    entry = AuditEntry.objects.filter(action="view", record_id=str(threat.pk)).get()
    assert entry.reason == "Preparing tasking meeting"


def test_audit_viewer_filters_and_export(web, make_user, org):
    admin = make_user("force-durham", "administrator", username="auditadmin")
    writer = make_user("force-durham", "analyst", username="writer")
    outsider = make_user("force-kent", "analyst", username="outsider")
    from socmaster.threats import services

    services.create_threat(writer, owner=org("force-durham"), reference="AV-1", name="One")
    services.create_threat(outsider, owner=org("force-kent"), reference="AV-2", name="Two")
    client = web(admin)
    body = client.get("/audit/", {"user": "writer"}).content.decode()
    assert "AV-1 One" in body and "AV-2 Two" not in body
    body = client.get("/audit/").content.decode()
    assert "AV-2 Two" not in body  # other organisations' entries are out of scope
    # Export needs a reason, then streams CSV and is itself audited.
    assert client.post("/audit/export.csv?user=writer", {"reason": ""}).status_code == 400
    response = client.post("/audit/export.csv?user=writer", {"reason": "Counter-corruption review"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["seq", "timestamp", "username"]
    assert [r[2] for r in rows[1:]] == ["writer"]
    export = AuditEntry.objects.filter(action="export").get()
    assert export.reason == "Counter-corruption review" and export.username == "auditadmin"


def test_audit_viewer_is_for_administrators_and_inspectors(web, make_user):
    assert web(make_user("force-durham", "analyst")).get("/audit/").status_code == 403


def test_threat_list_filters_search_and_pagination(web, make_user, org):
    user = make_user("force-durham", "analyst")
    for i in range(30):
        Threat.objects.create(
            reference=f"L-{i:02d}",
            name=f"Group {i}",
            owner=org("force-durham"),
            handling="region",
            tier=1 + i % 5,
        )
    client = web(user)
    first = client.get("/threats/").content.decode()
    assert "Page 1 of 2" in first
    tier1 = client.get("/threats/", {"tier": 1}).content.decode()
    assert tier1.count("/threats/L-") == 6
    found = client.get("/threats/", {"q": "Group 7"}).content.decode()
    assert "L-07" in found and "L-08" not in found
    empty = client.get("/threats/", {"q": "nothing like this"}).content.decode()
    assert "No threats match" in empty


def test_admin_changes_roles_and_deactivates_in_own_organisation_only(web, make_user, org):
    admin = make_user("force-durham", "administrator", username="boss")
    colleague = make_user("force-durham", "analyst", username="col")
    outsider = make_user("force-kent", "analyst", username="out")
    client = web(admin)
    response = client.post(
        "/people/col/roles/", {"organisation": org("force-durham").pk, "roles": ["analyst", "lro"]}
    )
    assert response.status_code == 302
    colleague = type(colleague).objects.get(pk=colleague.pk)
    assert colleague.roles == {"analyst", "lro"}
    assert client.get("/people/out/roles/").status_code == 404  # not visible at all
    client.post("/people/col/active/", {"active": "0"})
    colleague.refresh_from_db()
    assert colleague.is_active is False
    del outsider

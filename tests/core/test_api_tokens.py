"""API tokens (django-rest-knox): stored only as a hash, issued and rotated with an audit entry,
refused after their lifetime, all revoked when their user is deactivated; the wire format is
``Authorization: Token <key>`` and ``{"token": ..., "expires": ...}``."""

from __future__ import annotations

import importlib
import json
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.utils import timezone
from knox.crypto import hash_token
from knox.models import AuthToken
from rest_framework.test import APIClient

from socmaster.core.models import AuditEntry
from socmaster.core.tokens import issue_api_token
from socmaster.organisations import services
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(make_user):
    return make_user("force-durham", "analyst", username="tokenuser")


def _get(key):
    return APIClient().get("/api/threats/", HTTP_AUTHORIZATION=f"Token {key}")


def _obtain(username="tokenuser", password=PASSWORD):
    return APIClient().post("/api/token/", {"username": username, "password": password})


def _every_audit_entry_text() -> str:
    return json.dumps(
        [
            [e.record_repr, e.record_id, e.reason, e.changes]
            for e in AuditEntry.objects.order_by("seq")
        ]
    )


def test_the_api_issues_a_new_token_each_time_and_audits_it(analyst):
    first = _obtain()
    assert first.status_code == 200, first.content
    assert set(first.json()) == {"token", "expires"}
    second = _obtain()
    assert second.json()["token"] != first.json()["token"]
    assert _get(first.json()["token"]).status_code == 401  # rotated: the old one is gone
    assert _get(second.json()["token"]).status_code == 200
    assert AuthToken.objects.filter(user=analyst).count() == 1
    entries = AuditEntry.objects.filter(record_type="api_token", user=analyst)
    assert entries.count() == 2
    assert {e.action for e in entries} == {"create"}
    assert all(e.changes["via"] == "api" and e.changes["expires"] for e in entries)


def test_the_answer_gives_the_expiry_of_the_lifetime(analyst, settings):
    assert settings.SOCMASTER["API_TOKEN_HOURS"] == 24
    expires = datetime.fromisoformat(_obtain().json()["expires"])
    assert abs(expires - (timezone.now() + timedelta(hours=24))) < timedelta(minutes=1)
    settings.SOCMASTER = {**settings.SOCMASTER, "API_TOKEN_HOURS": 2}
    expires = datetime.fromisoformat(_obtain().json()["expires"])
    assert abs(expires - (timezone.now() + timedelta(hours=2))) < timedelta(minutes=1)


def test_a_wrong_password_issues_nothing(analyst):
    response = _obtain(password="wrong")
    assert response.status_code == 400
    assert not AuthToken.objects.filter(user=analyst).exists()
    assert not AuditEntry.objects.filter(record_type="api_token").exists()


def test_the_token_is_stored_only_as_a_hash(analyst):
    key = _obtain().json()["token"]
    stored = AuthToken.objects.get(user=analyst)
    assert stored.digest == hash_token(key) and stored.digest != key
    # Only knox's short lookup prefix of the key is kept, never the key itself.
    assert len(stored.token_key) < len(key)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {AuthToken._meta.db_table}")
        cells = [str(cell) for row in cursor.fetchall() for cell in row]
    assert key not in cells and not any(key in cell for cell in cells)


def test_the_token_page_issues_with_an_audit_entry(web, analyst):
    client = web(analyst)
    assert b"You have no API token" in client.get("/token/").content
    response = client.post("/token/")
    assert response.status_code == 200
    key = response.context["token"]
    assert key.encode() in response.content
    assert AuthToken.objects.get(user=analyst).digest == hash_token(key)
    entry = AuditEntry.objects.get(record_type="api_token", user=analyst)
    assert entry.action == "create" and entry.changes["via"] == "web"
    assert _get(key).status_code == 200
    assert b"You have a token" in client.get("/token/").content


def test_the_token_page_revokes_a_token_issued_through_the_api(web, analyst):
    old = _obtain().json()["token"]
    new = web(analyst).post("/token/").context["token"]
    assert _get(old).status_code == 401
    assert _get(new).status_code == 200


def test_an_expired_token_is_refused(analyst):
    token = issue_api_token(analyst, via="api")
    assert _get(token.key).status_code == 200
    AuthToken.objects.filter(user=analyst).update(expiry=timezone.now() - timedelta(seconds=1))
    response = _get(token.key)
    assert response.status_code == 401
    assert "expired" in response.content.decode()
    # An unknown token is refused without that message.
    response = _get("0" * len(token.key))
    assert response.status_code == 401 and "expired" not in response.content.decode()


def test_deactivation_revokes_every_token_with_an_audit_entry(make_user, analyst):
    admin = make_user("force-durham", "administrator", username="tokenadmin")
    token = issue_api_token(analyst, via="api")
    other = issue_api_token(admin, via="api")
    # A second token written directly (e.g. by an older release) is revoked as well.
    AuthToken.objects.create(user=analyst)
    services.set_active(admin, analyst, False)
    assert not AuthToken.objects.filter(user=analyst).exists()
    assert _get(token.key).status_code == 401
    entry = AuditEntry.objects.get(record_type="api_token", action="delete")
    assert entry.user == admin and entry.record_id == str(analyst.pk)
    assert entry.changes == {"revoked": 2, "why": "deactivated"}
    # Reactivating does not bring the token back; other users' tokens are untouched.
    services.set_active(admin, analyst, True)
    assert _get(token.key).status_code == 401
    assert _get(other.key).status_code == 200


def test_a_deactivated_user_gets_no_token(analyst):
    analyst.is_active = False
    analyst.save(update_fields=["is_active"])
    assert _obtain().status_code == 400
    assert not AuthToken.objects.exists()


def test_audit_entries_never_hold_the_token_its_hash_or_prefix(web, make_user, analyst):
    keys = [_obtain().json()["token"], web(analyst).post("/token/").context["token"]]
    digests = [hash_token(k) for k in keys]
    prefixes = [AuthToken.objects.get(user=analyst).token_key]
    services.set_active(None, analyst, False)
    text = _every_audit_entry_text()
    assert AuditEntry.objects.filter(record_type="api_token").count() == 3
    for secret in keys + digests + prefixes:
        assert secret not in text


def test_the_wire_format_is_kept(analyst):
    key = _obtain().json()["token"]
    client = APIClient()
    assert client.get("/api/threats/", HTTP_AUTHORIZATION=f"token {key}").status_code == 200
    assert client.get("/api/threats/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401
    assert client.get("/api/threats/", HTTP_AUTHORIZATION="Token").status_code == 401
    assert client.get("/api/threats/", HTTP_AUTHORIZATION="Token a b").status_code == 401
    # A header that is not UTF-8 is refused, never a server error.
    assert client.get("/api/threats/", HTTP_AUTHORIZATION="Token \xff\xfe").status_code == 401
    client.force_authenticate(analyst)
    schema = client.get("/api/schema/?format=json").json()
    scheme = schema["components"]["securitySchemes"]["tokenAuth"]
    assert scheme["type"] == "apiKey" and scheme["name"] == "Authorization"
    assert 'prefix "Token"' in scheme["description"]


def test_existing_drf_tokens_are_moved_and_no_plain_key_is_left(analyst):
    migration = importlib.import_module("socmaster.core.migrations.0007_api_tokens_to_knox")
    live, old = "a" * 40, "b" * 40
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, "
            f"user_id integer NOT NULL, created {connection.data_types['DateTimeField']} NOT NULL)"
        )
        for key, created in ((live, now - timedelta(hours=1)), (old, now - timedelta(hours=30))):
            cursor.execute(
                "INSERT INTO authtoken_token (key, user_id, created) VALUES (%s, %s, %s)",
                [key, analyst.pk, created],
            )
    try:
        from django.apps import apps

        # What RunPython hands over, without a schema editor (SQLite allows none inside a test).
        editor = SimpleNamespace(connection=connection, quote_name=connection.ops.quote_name)
        migration.move_drf_tokens(apps, editor)
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM authtoken_token")
            assert cursor.fetchone()[0] == 0
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE authtoken_token")
    moved = AuthToken.objects.get(user=analyst)
    assert moved.digest == hash_token(live)
    assert abs(moved.expiry - (now + timedelta(hours=23))) < timedelta(minutes=1)
    assert _get(live).status_code == 200
    assert _get(old).status_code == 401

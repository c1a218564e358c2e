"""API tokens: issued (and rotated) with an audit entry, expire after their lifetime, refused
for a deactivated user."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from socmaster.core.models import AuditEntry
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(make_user):
    return make_user("force-durham", "analyst", username="tokenuser")


def _get(key):
    return APIClient().get("/api/threats/", HTTP_AUTHORIZATION=f"Token {key}")


def test_the_api_issues_a_new_token_each_time_and_audits_it(analyst):
    client = APIClient()
    first = client.post("/api/token/", {"username": "tokenuser", "password": PASSWORD})
    assert first.status_code == 200, first.content
    assert first.json()["expires"]
    second = client.post("/api/token/", {"username": "tokenuser", "password": PASSWORD})
    assert second.json()["token"] != first.json()["token"]
    assert _get(first.json()["token"]).status_code == 401  # rotated: the old one is gone
    assert _get(second.json()["token"]).status_code == 200
    entries = AuditEntry.objects.filter(record_type="api_token", user=analyst)
    assert entries.count() == 2
    assert all(first.json()["token"] not in str(e.changes) + e.record_repr for e in entries)


def test_a_wrong_password_issues_nothing(analyst):
    response = APIClient().post("/api/token/", {"username": "tokenuser", "password": "wrong"})
    assert response.status_code == 400
    assert not Token.objects.filter(user=analyst).exists()
    assert not AuditEntry.objects.filter(record_type="api_token").exists()


def test_the_token_page_issues_with_an_audit_entry(web, analyst):
    client = web(analyst)
    response = client.post("/token/")
    assert response.status_code == 200
    token = Token.objects.get(user=analyst)
    assert token.key.encode() in response.content
    assert AuditEntry.objects.filter(record_type="api_token", user=analyst).count() == 1


def test_a_token_expires_after_its_lifetime(analyst):
    assert settings.SOCMASTER["API_TOKEN_HOURS"] == 24
    token = Token.objects.create(user=analyst)
    assert _get(token.key).status_code == 200
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timedelta(hours=25))
    response = _get(token.key)
    assert response.status_code == 401
    assert "expired" in response.content.decode()


def test_a_deactivated_users_token_is_refused(analyst):
    token = Token.objects.create(user=analyst)
    analyst.is_active = False
    analyst.save()
    assert _get(token.key).status_code == 401

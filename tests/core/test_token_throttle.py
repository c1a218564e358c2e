"""Failed log-ins are throttled per user name and address (SOCMASTER_LOGIN_FAILURE_LIMIT, 5) and
per address whatever the user name (SOCMASTER_LOGIN_FAILURES_PER_ADDRESS, 20): on the API token
log-in, the sign-in page and the API token page."""

from __future__ import annotations

import secrets

import pytest
from django.conf import settings
from knox.models import AuthToken
from rest_framework.test import APIClient

from socmaster.core.models import AuditEntry
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

IP, OTHER_IP = "203.0.113.9", "198.51.100.4"


def _token_login(client, username, password, ip=IP):
    return client.post("/api/token/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def _random_name():
    return f"nobody-{secrets.token_hex(4)}"


def test_the_limits_and_their_defaults():
    assert settings.SOCMASTER["LOGIN_FAILURES_PER_USER"] == 5
    assert settings.SOCMASTER["LOGIN_FAILURES_PER_ADDRESS"] == 20


def test_random_user_names_from_one_address_are_throttled(make_user):
    make_user("force-durham", "analyst", username="gail")
    client = APIClient()
    statuses = [_token_login(client, _random_name(), "wrong").status_code for _ in range(30)]
    # The first 20 are checked (and refused); from the 21st the address is paused.
    assert statuses[:20] == [400] * 20, statuses
    assert statuses[20:] == [429] * 10, statuses
    # Only the attempts that were checked left an entry: 20, not 30.
    failed = AuditEntry.objects.filter(action="login_failed")
    assert failed.count() == 20
    assert AuditEntry.objects.count() < 25
    # The address is paused even for a real account with the right password ...
    assert _token_login(client, "gail", PASSWORD).status_code == 429
    assert not AuthToken.objects.exists()
    # ... while another address may still sign in.
    assert _token_login(client, "gail", PASSWORD, ip=OTHER_IP).status_code == 200


def test_fewer_failures_than_the_address_limit_do_not_pause_the_address(make_user):
    make_user("force-durham", "analyst", username="gwen")
    client = APIClient()
    for _ in range(19):
        assert _token_login(client, _random_name(), "wrong").status_code == 400
    assert _token_login(client, "gwen", PASSWORD).status_code == 200


def test_the_address_limit_is_a_setting(make_user, settings):
    settings.SOCMASTER = {**settings.SOCMASTER, "LOGIN_FAILURES_PER_ADDRESS": 8}
    client = APIClient()
    statuses = [_token_login(client, _random_name(), "wrong").status_code for _ in range(10)]
    assert statuses == [400] * 8 + [429] * 2


def test_one_user_name_is_still_throttled_at_the_per_user_limit(make_user):
    make_user("force-durham", "analyst", username="hal")
    make_user("force-durham", "analyst", username="ian")
    client = APIClient()
    statuses = [_token_login(client, "hal", "wrong").status_code for _ in range(5)]
    assert statuses == [400] * 5
    assert _token_login(client, "hal", PASSWORD).status_code == 429
    # The pause is for that user name: another from the same address still signs in, and the
    # same user name from another address too.
    assert _token_login(client, "ian", PASSWORD).status_code == 200
    assert _token_login(client, "hal", PASSWORD, ip=OTHER_IP).status_code == 200


def test_four_failures_do_not_pause_a_user_name(make_user):
    make_user("force-durham", "analyst", username="jo")
    client = APIClient()
    for _ in range(4):
        _token_login(client, "jo", "wrong")
    assert _token_login(client, "jo", PASSWORD).status_code == 200


def test_the_sign_in_page_pauses_an_address_after_random_user_names(client, make_user):
    make_user("force-durham", "analyst", username="kim")
    for _ in range(20):
        response = client.post(
            "/login/", {"username": _random_name(), "password": "wrong"}, REMOTE_ADDR=IP
        )
    response = client.post("/login/", {"username": "kim", "password": PASSWORD}, REMOTE_ADDR=IP)
    assert response.status_code == 429
    response = client.post(
        "/login/", {"username": "kim", "password": PASSWORD}, REMOTE_ADDR=OTHER_IP
    )
    assert response.status_code == 302


def test_the_sign_in_page_does_not_pause_an_address_at_the_per_user_limit(client, make_user):
    make_user("force-durham", "analyst", username="lee")
    for _ in range(10):
        client.post("/login/", {"username": _random_name(), "password": "wrong"}, REMOTE_ADDR=IP)
    response = client.post("/login/", {"username": "lee", "password": PASSWORD}, REMOTE_ADDR=IP)
    assert response.status_code == 302


def test_the_token_page_issues_nothing_while_the_address_is_paused(web, make_user):
    user = make_user("force-durham", "analyst", username="max")
    api = APIClient()
    for _ in range(20):
        _token_login(api, _random_name(), "wrong")
    client = web(user)
    response = client.post("/token/", REMOTE_ADDR=IP)
    assert response.status_code == 429
    assert not AuthToken.objects.exists()
    assert client.post("/token/", REMOTE_ADDR=OTHER_IP).status_code == 200
    assert AuthToken.objects.filter(user=user).count() == 1

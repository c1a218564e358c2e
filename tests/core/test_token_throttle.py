"""Failed token log-ins are throttled by address as well as by user name and address."""

from __future__ import annotations

import secrets

from django.conf import settings
from rest_framework.test import APIClient

from tests.conftest import PASSWORD


def _token_login(client, username, password, ip="203.0.113.9"):
    return client.post("/api/token/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_random_user_names_from_one_address_are_throttled(make_user):
    make_user("force-durham", "analyst", username="gail")
    client = APIClient()
    limit = settings.AXES_FAILURE_LIMIT
    statuses = [
        _token_login(client, f"nobody-{secrets.token_hex(4)}", "wrong").status_code
        for _ in range(30)
    ]
    assert statuses[: limit - 1] == [400] * (limit - 1)
    assert set(statuses[limit:]) == {429}, statuses
    # The address is locked out even for a real account with the right password ...
    assert _token_login(client, "gail", PASSWORD).status_code == 429
    # ... while another address may still sign in.
    assert _token_login(client, "gail", PASSWORD, ip="198.51.100.4").status_code == 200


def test_one_user_name_is_still_throttled_at_the_per_user_limit(make_user):
    make_user("force-durham", "analyst", username="hal")
    client = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _token_login(client, "hal", "wrong")
    assert _token_login(client, "hal", PASSWORD).status_code == 429

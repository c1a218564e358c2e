"""Log-in, sessions, throttling, and clear errors for bad input that change nothing."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings

from socmaster.core.models import AuditEntry
from socmaster.threats.models import Threat
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_and_logout(client, make_user):
    make_user("force-durham", "analyst", username="dora")
    response = client.post("/login/", {"username": "dora", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200 and b"Welcome" in home.content
    assert AuditEntry.objects.filter(action="login", username="dora").count() == 1
    client.post("/logout/")
    assert client.get("/").status_code == 302
    assert AuditEntry.objects.filter(action="logout", username="dora").count() == 1


def test_pages_need_login(client):
    for url in ("/", "/threats/", "/organisations/", "/people/", "/audit/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url
    assert client.get("/api/threats/").status_code in (401, 403)


def test_wrong_password_gives_clear_error_and_changes_nothing(client, make_user):
    user = make_user("force-durham", "analyst", username="erin")
    last_login = user.last_login
    response = client.post("/login/", {"username": "erin", "password": "not-the-password"})
    assert response.status_code == 200
    assert b"Enter a correct user name and password" in response.content
    user.refresh_from_db()
    assert user.last_login == last_login
    assert AuditEntry.objects.filter(action="login_failed", record_repr__contains="erin").exists()


def test_repeated_failures_are_throttled(client, make_user):
    make_user("force-durham", "analyst", username="frank")
    for _ in range(django_settings.SOCMASTER["LOGIN_FAILURES_PER_USER"]):
        client.post("/login/", {"username": "frank", "password": "wrong-password"})
    # Even the right password is refused while locked out.
    response = client.post("/login/", {"username": "frank", "password": PASSWORD})
    assert response.status_code == 429
    assert b"Too many failed sign-in attempts" in response.content
    assert client.get("/").status_code == 302


def test_session_expires_after_inactivity(client, make_user, monkeypatch):
    import time

    from django.contrib.sessions.models import Session

    assert django_settings.SESSION_COOKIE_AGE == 30 * 60
    make_user("force-durham", "analyst", username="idle")
    client.post("/login/", {"username": "idle", "password": PASSWORD})
    key = client.cookies["sessionid"].value
    first = Session.objects.get(session_key=key).expire_date
    # A page view more than a minute later pushes the expiry on ...
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 120)
    assert client.get("/").status_code == 200
    assert Session.objects.get(session_key=key).expire_date > first
    # ... and a session left idle past its age is over.
    Session.objects.filter(session_key=key).update(expire_date=first.replace(year=2000))
    assert client.get("/").status_code == 302


def test_invalid_threat_form_shows_field_errors_and_saves_nothing(web, make_user, org):
    client = web(make_user("force-durham", "analyst"))
    before = (Threat.objects.count(), AuditEntry.objects.count())
    response = client.post(
        "/threats/new/",
        {
            "name": "",
            "threat_type": "ocg",
            "category": "tactical",
            "soc": "soc",
            "owner": org("force-durham").pk,
            "handling": "region",
            "opened_on": "2025-05-01",
            "closed_on": "2025-01-01",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body and "Enter the name" in body
    assert (Threat.objects.count(), AuditEntry.objects.count()) == before


def test_service_rule_errors_are_shown_on_the_field(web, make_user, org):
    client = web(make_user("force-durham", "analyst"))
    before = Threat.objects.count()
    response = client.post(
        "/threats/new/",
        {
            "name": "Closed before opened",
            "threat_type": "ocg",
            "category": "tactical",
            "soc": "soc",
            "owner": org("force-durham").pk,
            "handling": "region",
            "opened_on": "2025-05-01",
            "closed_on": "2025-01-01",
            "closed_reason": "test",
        },
    )
    assert response.status_code == 200
    assert "The closing date cannot be before the opening date." in response.content.decode()
    assert Threat.objects.count() == before


def test_malformed_api_json_is_a_clear_400(api, make_user):
    client = api(make_user("force-durham", "analyst"))
    before = (Threat.objects.count(), AuditEntry.objects.count())
    response = client.generic(
        "POST", "/api/threats/", '{"name": "broken", ', content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]
    assert (Threat.objects.count(), AuditEntry.objects.count()) == before


def test_unknown_organisation_in_api_is_a_field_error(api, make_user):
    client = api(make_user("force-durham", "analyst"))
    before = (Threat.objects.count(), AuditEntry.objects.count())
    response = client.post(
        "/api/threats/", {"name": "X", "owner": "Gotham City Police"}, format="json"
    )
    assert response.status_code == 400
    assert "Unknown organisation 'Gotham City Police'" in response.json()["owner"][0]
    assert (Threat.objects.count(), AuditEntry.objects.count()) == before


def test_unknown_organisation_page_is_404(web, make_user):
    client = web(make_user("force-durham", "analyst"))
    assert client.get("/organisations/gotham-city-police/").status_code == 404
    assert client.get("/api/organisations/gotham-city-police/").status_code == 404


def test_unknown_organisation_at_the_cli_fails_cleanly(db, monkeypatch):
    from django.core.management import CommandError, call_command

    from socmaster.organisations.models import User

    monkeypatch.setenv("SOCMASTER_NEW_PASSWORD", "a-long-enough-passphrase")
    with pytest.raises(CommandError, match="Unknown organisation 'Gotham City Police'"):
        call_command(
            "createuser", "bruce", "--organisation", "Gotham City Police", "--role", "analyst"
        )
    assert not User.objects.filter(username="bruce").exists()


def test_createuser_cli(db, monkeypatch):
    from django.core.management import call_command

    from socmaster.organisations.models import User

    monkeypatch.setenv("SOCMASTER_NEW_PASSWORD", "a-long-enough-passphrase")
    call_command(
        "createuser", "gina", "--organisation", "NERSOU", "--role", "analyst", "--role", "moderator"
    )
    user = User.objects.get(username="gina")
    assert user.roles == {"analyst", "moderator"}
    assert user.primary_organisation.key == "rocu-north-east"
    assert user.check_password("a-long-enough-passphrase")


def test_nul_characters_are_refused_cleanly(api, make_user):
    client = api(make_user("force-durham", "analyst"))
    before = Threat.objects.count()
    response = client.post(
        "/api/threats/", {"name": "Bad\x00name", "owner": "Durham\x00Police"}, format="json"
    )
    body = response.json()  # each field holding a NUL is named
    assert response.status_code == 400 and "NUL" in body["name"][0] and "NUL" in body["owner"][0]
    assert client.get("/api/threats/?q=a%00b").status_code == 400
    assert Threat.objects.count() == before


def test_nul_characters_in_form_data_are_refused(api, make_user):
    client = api(make_user("force-durham", "analyst"))
    response = client.post(
        "/api/disruptions/", {"threat": "A\x00B", "recording_organisation": "x"}, format="multipart"
    )
    assert response.status_code == 400 and "NUL" in response.json()["threat"][0]


def test_a_session_ends_at_its_absolute_lifetime_even_if_active(client, make_user, monkeypatch):
    import time

    from django.contrib.sessions.models import Session

    assert django_settings.SESSION_MAX_SECONDS == 12 * 3600
    make_user("force-durham", "analyst", username="busy")
    client.post("/login/", {"username": "busy", "password": PASSWORD})
    key = client.cookies["sessionid"].value
    assert client.get("/").status_code == 200
    real = time.time
    # Active all day long: a page view every few minutes keeps the idle clock from running out ...
    for hours in (2, 6, 11.9):
        monkeypatch.setattr(time, "time", lambda h=hours: real() + h * 3600)
        assert client.get("/").status_code == 200
    # ... but once the session is older than its absolute lifetime it is over.
    monkeypatch.setattr(time, "time", lambda: real() + 12 * 3600 + 60)
    response = client.get("/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/").status_code == 302

"""Every path writes its audit entry: the Django admin, security commands, command-line exports
and API reads of people. Each test failed on the code before these paths were audited."""

from __future__ import annotations

import io

import pytest
from django.contrib import admin
from django.core.management import CommandError, call_command
from knox.models import AuthToken

from socmaster.core.admin import AuditedAdmin, ReadOnlyAdmin
from socmaster.core.models import AuditEntry
from socmaster.organisations.models import Organisation, User
from socmaster.threats.models import Phase

pytestmark = pytest.mark.django_db


def _last():
    return AuditEntry.objects.order_by("-seq").first()


@pytest.fixture
def superuser(make_user):
    user = make_user("force-durham", "administrator", username="root-op", superuser=True)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def test_every_admin_is_read_only_or_audited():
    loose = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if model.__module__.startswith("socmaster.")
        and not isinstance(model_admin, ReadOnlyAdmin | AuditedAdmin)
    ]
    assert not loose, f"admin classes neither read-only nor audited: {loose}"


def test_admin_cannot_rename_an_organisation_or_promote_a_user(client, superuser, make_user):
    client.force_login(superuser)
    durham = Organisation.objects.get(key="force-durham")
    response = client.post(
        f"/admin/organisations/organisation/{durham.pk}/change/",
        {"name": "Renamed", "short_name": "R", "key": durham.key, "type": durham.type},
    )
    assert response.status_code == 403
    durham.refresh_from_db()
    assert durham.name != "Renamed"
    other = make_user("force-durham", "analyst", username="plain")
    response = client.post(
        f"/admin/organisations/user/{other.pk}/change/",
        {"username": "plain", "is_superuser": "on", "is_staff": "on"},
    )
    assert response.status_code == 403
    other.refresh_from_db()
    assert not other.is_superuser


def test_admin_edits_of_reference_data_are_audited(client, superuser):
    client.force_login(superuser)
    response = client.post("/admin/threats/phase/add/", {"name": "Synthetic phase", "order": 7})
    assert response.status_code == 302
    phase = Phase.objects.get(name="Synthetic phase")
    entry = _last()
    assert (entry.action, entry.record_type, entry.record_id, entry.username) == (
        "create",
        "threats.phase",
        str(phase.pk),
        "root-op",
    )
    response = client.post(
        f"/admin/threats/phase/{phase.pk}/change/", {"name": "Synthetic phase", "order": 8}
    )
    assert response.status_code == 302
    assert _last().changes == {"order": {"before": 7, "after": 8}}
    response = client.post(f"/admin/threats/phase/{phase.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    entry = _last()
    assert entry.action == "delete" and entry.changes["before"]["name"] == "Synthetic phase"


def test_createsuperuser_is_audited(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-synthetic-passphrase-77")
    call_command(
        "createsuperuser",
        "--noinput",
        "--username",
        "op-root",
        "--email",
        "o@example.org",
        stdout=io.StringIO(),
    )
    entry = _last()
    assert entry.action == "create" and entry.record_repr.startswith("op-root")
    assert entry.changes["after"]["is_superuser"] is True
    assert "password" not in entry.changes["after"]
    assert "createsuperuser" in entry.reason


def test_createuser_superuser_records_the_promotion(monkeypatch):
    monkeypatch.setenv("SOCMASTER_NEW_PASSWORD", "a-long-synthetic-passphrase-78")
    call_command(
        "createuser",
        "op-two",
        "--organisation",
        "Durham Police",
        "--role",
        "administrator",
        "--superuser",
        stdout=io.StringIO(),
    )
    entry = _last()
    assert entry.action == "update" and entry.record_id == str(
        User.objects.get(username="op-two").pk
    )
    assert entry.changes["is_superuser"] == {"before": False, "after": True}


def test_create_api_token_is_audited_without_the_key(make_user):
    user = make_user("force-durham", "analyst", username="tokened")
    out = io.StringIO()
    call_command("create-api-token", "tokened", stdout=out, stderr=io.StringIO())
    key = out.getvalue().strip()
    token = AuthToken.objects.get(user=user)
    assert key and key != token.digest  # printed once, stored only as a hash
    entry = _last()
    assert entry.action == "create" and entry.record_type == "api_token"
    assert entry.record_id == str(user.pk) and entry.changes["via"] == "cli"
    assert "command line" in entry.reason
    text = str(entry.changes) + entry.record_repr
    assert key not in text and token.digest not in text and token.token_key not in text


def test_create_api_token_refuses_a_deactivated_user(make_user):
    user = make_user("force-durham", "analyst", username="gone")
    user.is_active = False
    user.save(update_fields=["is_active"])
    before = AuditEntry.objects.count()
    with pytest.raises(CommandError, match="deactivated"):
        call_command("create-api-token", "gone", stdout=io.StringIO())
    assert not AuthToken.objects.filter(user=user).exists()
    assert AuditEntry.objects.count() == before


def test_drf_create_token_refuses_and_names_the_replacement(make_user):
    user = make_user("force-durham", "analyst", username="old-habits")
    before = AuditEntry.objects.count()
    with pytest.raises(CommandError, match="create-api-token"):
        call_command("drf_create_token", "old-habits", stdout=io.StringIO())
    assert not AuthToken.objects.filter(user=user).exists()
    assert AuditEntry.objects.count() == before


def test_the_admin_shows_api_tokens_read_only(client, superuser):
    model_admin = admin.site._registry[AuthToken]
    assert isinstance(model_admin, ReadOnlyAdmin)
    assert "digest" not in model_admin.list_display and "token_key" not in model_admin.fields
    client.force_login(superuser)
    assert client.get("/admin/knox/authtoken/add/").status_code == 403


def test_axes_reset_is_audited():
    before = AuditEntry.objects.count()
    call_command("axes_reset", stdout=io.StringIO())
    assert AuditEntry.objects.count() == before + 1
    assert _last().record_type == "axes.accessattempt"


def test_load_organisations_records_what_it_changed():
    Organisation.objects.filter(key="partner-middlesbrough-council").delete()
    call_command("load-organisations", stdout=io.StringIO())
    entry = _last()
    assert entry.action == "update" and entry.record_type == "organisations.organisation"
    change = entry.changes["partner-middlesbrough-council"]
    assert change["before"] is None and change["after"]["type"] == "local_partner"
    before = AuditEntry.objects.count()
    call_command("load-organisations", stdout=io.StringIO())  # nothing changed: no entry
    assert AuditEntry.objects.count() == before


def test_cli_exports_need_a_reason_and_are_audited():
    with pytest.raises(CommandError):
        call_command("extract", "masterlist", "--reason", "", stdout=io.StringIO())
    assert not AuditEntry.objects.filter(action="export").exists()
    call_command(
        "extract",
        "masterlist",
        "--format",
        "csv",
        "--reason",
        "Inspection return",
        stdout=io.StringIO(),
    )
    entry = AuditEntry.objects.get(action="export")
    assert entry.reason == "Inspection return" and entry.record_type == "extract masterlist"
    assert entry.changes["filters"]["format"] == "csv"


def test_opening_another_person_through_the_api_is_a_view(make_user, api):
    me = make_user("force-durham", "analyst", username="me-user")
    make_user("force-durham", "analyst", username="colleague-x")
    client = api(me)
    assert client.get("/api/users/colleague-x/").status_code == 200
    entry = _last()
    assert (entry.action, entry.record_type, entry.username) == (
        "view",
        "organisations.user",
        "me-user",
    )
    before = AuditEntry.objects.count()
    assert client.get("/api/users/me-user/").status_code == 200
    assert AuditEntry.objects.count() == before

"""Audit keys: HMAC keys held outside the database, rotation, legacy entries, no secrets kept."""

from __future__ import annotations

import hashlib
import json
import os
import stat

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from knox.models import AuthToken

from socmaster.core import audit
from socmaster.core.audit import AuditError, key_id_of, verify_chain
from socmaster.core.checks import audit_key_check
from socmaster.core.models import AuditEntry
from socmaster.threats import services as threat_services


def _threat(user, org, ref):
    return threat_services.create_threat(user, owner=org("force-durham"), reference=ref, name=ref)


@pytest.fixture
def user(make_user):
    return make_user("force-durham", "analyst", "administrator", username="kay")


def test_entries_carry_the_current_key_id_and_an_hmac(user, org, settings):
    _threat(user, org, "KEY-1")
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.key_id == key_id_of(settings.AUDIT_KEY.encode())
    assert settings.AUDIT_KEY not in entry.key_id
    canonical = json.dumps(
        audit._entry_payload(entry), sort_keys=True, separators=(",", ":"), ensure_ascii=True
    )
    assert entry.entry_hash != hashlib.sha256(canonical.encode()).hexdigest()


def test_rotation_old_entries_verify_with_their_retired_key(user, org, settings):
    _threat(user, org, "ROT-1")
    old_key, old_id = settings.AUDIT_KEY, key_id_of(settings.AUDIT_KEY.encode())
    settings.AUDIT_KEY = "a-brand-new-key-for-the-audit-chain-0123456789"
    settings.AUDIT_KEYS = [old_key]
    _threat(user, org, "ROT-2")
    ids = list(AuditEntry.objects.order_by("seq").values_list("key_id", flat=True))
    assert ids[0] == old_id and ids[-1] == key_id_of(settings.AUDIT_KEY.encode())
    assert verify_chain().ok
    settings.AUDIT_KEYS = []
    result = verify_chain()
    assert not result.ok and old_id in result.first_break.problem


def test_key_file_lines_after_the_first_are_retired_keys(user, org, settings, tmp_path):
    _threat(user, org, "FILE-1")
    path = tmp_path / "audit.key"
    path.write_text("the-new-current-key-0123456789abcdef\n" + settings.AUDIT_KEY + "\n")
    settings.AUDIT_KEY, settings.AUDIT_KEY_FILE = "", path
    _threat(user, org, "FILE-2")
    assert AuditEntry.objects.order_by("-seq").first().key_id == key_id_of(
        b"the-new-current-key-0123456789abcdef"
    )
    assert verify_chain().ok


def test_development_creates_a_private_key_file_on_first_use(user, org, settings, tmp_path):
    settings.AUDIT_KEY, settings.AUDIT_KEY_FILE = "", tmp_path / "var" / "audit.key"
    settings.PRODUCTION = False
    ring = audit.key_ring()
    path = settings.AUDIT_KEY_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert len(path.read_text().strip()) == 64 and ring.current_id == key_id_of(ring.current)


def test_production_without_a_key_refuses_and_fails_the_deploy_check(db, settings, tmp_path):
    settings.AUDIT_KEY, settings.AUDIT_KEY_FILE = "", tmp_path / "missing.key"
    settings.PRODUCTION = True
    with pytest.raises(AuditError, match="SOCMASTER_AUDIT_KEY"):
        audit.record("view", record_type="x", record_id="1")
    assert not settings.AUDIT_KEY_FILE.exists()
    assert [e.id for e in audit_key_check()] == ["socmaster.E001"]
    settings.AUDIT_KEY = "short"
    assert [e.id for e in audit_key_check()] == ["socmaster.E002"]


def test_legacy_unkeyed_entries_still_verify(user, org):
    for i in range(3):
        _threat(user, org, f"OLD-{i}")
    # Turn them into the form written before the chain was keyed: no key id, plain SHA-256.
    prev = audit.GENESIS_HASH
    for entry in AuditEntry.objects.order_by("seq"):
        entry.key_id, entry.prev_hash = "", prev
        payload = json.dumps(
            audit._entry_payload(entry), sort_keys=True, separators=(",", ":"), ensure_ascii=True
        )
        prev = hashlib.sha256(payload.encode()).hexdigest()
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE core_auditentry SET key_id = '', prev_hash = %s, entry_hash = %s "
                "WHERE id = %s",
                [entry.prev_hash, prev, entry.id],
            )
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_audithead SET last_hash = %s", [prev])
    assert verify_chain().ok
    _threat(user, org, "NEW-1")
    result = verify_chain()
    assert result.ok and result.unkeyed_until == 3
    cp = audit.checkpoint()
    assert cp.unkeyed_until == 3 and verify_chain().ok


def test_checkpoint_command_appends_and_prints(user, org, settings, capsys):
    _threat(user, org, "CP-1")
    call_command("audit-checkpoint")
    printed = json.loads(capsys.readouterr().out.strip())
    last = AuditEntry.objects.order_by("-seq").first()
    assert (printed["seq"], printed["hash"]) == (last.seq, last.entry_hash)
    call_command("audit-checkpoint")
    lines = settings.AUDIT_ANCHOR_FILE.read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[0]) == printed
    call_command("verify-audit")
    assert "against 2 checkpoints" in capsys.readouterr().out


def test_checkpoint_refuses_a_broken_chain(user, org, settings):
    _threat(user, org, "CP-2")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET reason = 'x'")
    with pytest.raises(CommandError, match="no checkpoint written"):
        call_command("audit-checkpoint")
    assert not settings.AUDIT_ANCHOR_FILE.exists()


def test_verify_warns_without_checkpoints(user, org, capsys):
    _threat(user, org, "CP-3")
    call_command("verify-audit")
    assert "no checkpoints" in capsys.readouterr().err


# --- No secret is ever kept -------------------------------------------------------------------


def test_snapshot_of_a_user_never_holds_the_password_hash(user):
    assert user.password
    picture = audit.snapshot(user)
    assert "password" not in picture
    assert user.password not in json.dumps(picture)


def test_tokens_are_never_in_changes(user):
    instance, key = AuthToken.objects.create(user=user)
    picture = json.dumps(audit.snapshot(instance))
    assert key not in picture and instance.digest not in picture
    assert instance.token_key not in picture
    entry = audit.record(
        "update",
        user,
        user=user,
        changes={"password": {"before": "x", "after": "y"}, "after": {"token": key}},
    )
    stored = AuditEntry.objects.get(pk=entry.pk).changes
    assert "password" not in json.dumps(stored) and key not in json.dumps(stored)
    assert verify_chain().ok

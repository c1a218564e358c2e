"""Tamper trials: every way of changing the audit log behind the application's back is caught.

Each trial changes the database with raw SQL (bypassing the append-only manager) or edits the
anchor file, then ``verify_chain`` must report a break and ``verify-audit`` must exit non-zero.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from socmaster.core import audit
from socmaster.core.audit import checkpoint, verify_chain
from socmaster.core.models import AuditEntry
from socmaster.threats import services as threat_services

ATTACKER_KEY = b"an-attackers-own-key-0123456789abcdef"


def _sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _entries():
    return list(AuditEntry.objects.order_by("seq"))


@pytest.fixture
def chain(make_user, org):
    user = make_user("force-durham", "analyst", "administrator", username="ann")
    for i in range(6):
        threat_services.create_threat(
            user, owner=org("force-durham"), reference=f"TAMPER-{i}", name=f"Group {i}"
        )
    result = verify_chain()
    assert result.ok and result.checked >= 6
    return _entries()


@pytest.fixture
def anchored(chain):
    cp = checkpoint()
    assert cp.seq == chain[-1].seq and cp.hash == chain[-1].entry_hash
    return chain


def _caught(*, seq=None, words=""):
    result = verify_chain()
    assert not result.ok, "tampering was not detected"
    if seq is not None:
        assert result.first_break.seq == seq, str(result.first_break)
    if words:
        assert words in result.first_break.problem, str(result.first_break)
    with pytest.raises(CommandError, match="Audit chain broken"):
        call_command("verify-audit")
    return result.first_break


def _plain_sha256(entry):
    canonical = json.dumps(
        audit._entry_payload(entry), sort_keys=True, separators=(",", ":"), ensure_ascii=True
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _recompute_from(seq, *, key_id=None, digest=_plain_sha256):
    """Rewrite every entry from ``seq`` on so that links and hashes agree under ``digest``
    (what an attacker can do without the key), then point the head at the new last entry."""
    prev = audit.GENESIS_HASH
    for entry in _entries():
        if entry.seq >= seq:
            entry.prev_hash = prev
            if key_id is not None:
                entry.key_id = key_id
            entry.entry_hash = digest(entry)
            _sql(
                "UPDATE core_auditentry SET prev_hash = %s, entry_hash = %s, key_id = %s "
                "WHERE id = %s",
                [entry.prev_hash, entry.entry_hash, entry.key_id, entry.id],
            )
        prev = entry.entry_hash
    last = AuditEntry.objects.order_by("-seq").first()
    _sql(
        "UPDATE core_audithead SET last_seq = %s, last_hash = %s WHERE id = 1",
        [last.seq if last else 0, last.entry_hash if last else audit.GENESIS_HASH],
    )


# --- Each field takes part in the hash ------------------------------------------------------

FIELD_CHANGES = {
    "timestamp": lambda e: e.timestamp + dt.timedelta(microseconds=1),
    "user_id": lambda e: (e.user_id or 0) + 1000,
    "username": lambda e: "someone-else",
    "organisation_id": lambda e: (e.organisation_id or 0) + 1000,
    "organisation_name": lambda e: "Another Force",
    "action": lambda e: "view",
    "record_type": lambda e: "plans.plan",
    "record_id": lambda e: "999999",
    "record_repr": lambda e: "a different record",
    "changes": lambda e: json.dumps({"after": {"name": "forged"}}),
    "reason": lambda e: "a reason added later",
    "ip_address": lambda e: "10.9.8.7",
}


@pytest.mark.parametrize("field", sorted(FIELD_CHANGES))
def test_changing_a_field_of_a_middle_entry_is_caught(chain, field):
    target = chain[2]
    _sql(
        f"UPDATE core_auditentry SET {field} = %s WHERE id = %s",
        [FIELD_CHANGES[field](target), target.id],
    )
    _caught(seq=target.seq, words="do not match its hash")


def test_changing_prev_hash_is_caught_by_the_link_check(chain):
    target = chain[2]
    _sql("UPDATE core_auditentry SET prev_hash = %s WHERE id = %s", ["a" * 64, target.id])
    _caught(seq=target.seq, words="link to the previous entry")


def test_verify_compares_prev_hash_with_the_previous_entrys_hash(chain):
    # Even with a hash that matches the changed prev_hash (as if signed with the key), the link
    # to the entry before is checked on its own.
    target = chain[2]
    target.prev_hash = "b" * 64
    target.entry_hash = audit.compute_hash(target)
    _sql(
        "UPDATE core_auditentry SET prev_hash = %s, entry_hash = %s WHERE id = %s",
        [target.prev_hash, target.entry_hash, target.id],
    )
    _caught(seq=target.seq, words="link to the previous entry")


def test_changing_entry_hash_is_caught(chain):
    target = chain[2]
    _sql("UPDATE core_auditentry SET entry_hash = %s WHERE id = %s", ["c" * 64, target.id])
    _caught(seq=target.seq, words="do not match its hash")


def test_changing_seq_is_caught(chain):
    target = chain[2]
    _sql("UPDATE core_auditentry SET seq = %s WHERE id = %s", [target.seq + 100, target.id])
    _caught(words="sequence number")


def test_changing_the_key_id_to_an_unknown_one_is_caught(chain):
    target = chain[2]
    _sql("UPDATE core_auditentry SET key_id = %s WHERE id = %s", ["0123456789abcdef", target.id])
    _caught(seq=target.seq, words="not configured")


def test_clearing_the_key_id_is_caught(chain):
    target = chain[2]
    _sql("UPDATE core_auditentry SET key_id = '' WHERE id = %s", [target.id])
    _caught(seq=target.seq, words="no key id")


# --- Deletions --------------------------------------------------------------------------------


def test_deleting_a_middle_entry_is_caught(chain):
    _sql("DELETE FROM core_auditentry WHERE id = %s", [chain[2].id])
    _caught(seq=chain[3].seq, words="sequence number")


def test_deleting_the_first_entry_is_caught(chain):
    _sql("DELETE FROM core_auditentry WHERE id = %s", [chain[0].id])
    _caught(seq=chain[1].seq)


def test_deleting_the_last_entries_is_caught(chain):
    _sql("DELETE FROM core_auditentry WHERE seq > %s", [chain[-3].seq])
    _caught(words="entries removed from the end")


def test_deleting_the_last_entries_and_fixing_the_head_is_caught(anchored):
    keep = anchored[-3]
    _sql("DELETE FROM core_auditentry WHERE seq > %s", [keep.seq])
    _sql(
        "UPDATE core_audithead SET last_seq = %s, last_hash = %s WHERE id = 1",
        [keep.seq, keep.entry_hash],
    )
    _caught(words="checkpoint")


def test_deleting_the_last_entries_and_the_head_is_caught_without_checkpoints(chain):
    _sql("DELETE FROM core_auditentry WHERE seq > %s", [chain[-3].seq])
    _sql("DELETE FROM core_audithead")
    _caught(words="head row is missing")


def test_deleting_the_last_entries_and_the_head_is_caught(anchored):
    _sql("DELETE FROM core_auditentry WHERE seq > %s", [anchored[-3].seq])
    _sql("DELETE FROM core_audithead")
    _caught(words="checkpoint")


def test_deleting_only_the_head_is_caught(chain):
    _sql("DELETE FROM core_audithead")
    _caught(words="head row is missing")


def test_deleting_every_entry_and_the_head_is_caught(anchored):
    _sql("DELETE FROM core_auditentry")
    _sql("DELETE FROM core_audithead")
    _caught(words="whole log deleted")


def test_deleting_every_entry_and_resetting_the_head_is_caught(anchored):
    _sql("DELETE FROM core_auditentry")
    _sql("UPDATE core_audithead SET last_seq = 0, last_hash = %s", [audit.GENESIS_HASH])
    _caught(words="whole log deleted")


# --- The head ---------------------------------------------------------------------------------


def test_moving_the_head_is_caught(chain):
    _sql("UPDATE core_audithead SET id = 2 WHERE id = 1")
    _caught(words="head moved")


def test_a_second_head_row_is_caught(chain):
    _sql("INSERT INTO core_audithead (id, last_seq, last_hash) VALUES (7, 0, %s)", ["0" * 64])
    _caught(words="head moved")


def test_the_heads_seq_is_checked(chain):
    _sql("UPDATE core_audithead SET last_seq = last_seq + 1")
    _caught(words="entries were written")


def test_the_heads_hash_is_checked(chain):
    _sql("UPDATE core_audithead SET last_hash = %s", ["d" * 64])
    _caught(words="head's hash")


# --- Rewrites ---------------------------------------------------------------------------------


def test_recomputing_the_chain_with_unkeyed_sha256_is_caught(chain):
    target = chain[2]
    _sql("UPDATE core_auditentry SET reason = 'rewritten' WHERE id = %s", [target.id])
    _recompute_from(target.seq)
    _caught(seq=target.seq, words="do not match its hash")


def test_recomputing_the_chain_as_unkeyed_entries_is_caught(chain):
    target = chain[2]
    _sql("UPDATE core_auditentry SET reason = 'rewritten' WHERE id = %s", [target.id])
    _recompute_from(target.seq, key_id="")
    _caught(seq=target.seq, words="no key id")


def test_recomputing_the_whole_chain_as_unkeyed_is_caught_by_a_checkpoint(anchored):
    _sql("UPDATE core_auditentry SET reason = 'rewritten' WHERE id = %s", [anchored[2].id])
    _recompute_from(1, key_id="")
    _caught(seq=1, words="no key id")


def test_recomputing_after_deleting_a_middle_entry_is_caught(chain):
    target = chain[2]
    _sql("DELETE FROM core_auditentry WHERE id = %s", [target.id])
    _sql("UPDATE core_auditentry SET seq = seq - 1 WHERE seq > %s", [target.seq])
    _recompute_from(target.seq)
    _caught(seq=target.seq, words="do not match its hash")


def test_recomputing_with_another_key_and_its_key_id_is_caught(chain):
    def forged(entry):
        return hmac.new(
            ATTACKER_KEY,
            json.dumps(
                audit._entry_payload(entry),
                sort_keys=True,
                separators=(",", ":"),
                ensure_ascii=True,
            ).encode(),
            "sha256",
        ).hexdigest()

    _sql("UPDATE core_auditentry SET reason = 'rewritten' WHERE id = %s", [chain[2].id])
    _recompute_from(chain[2].seq, key_id=audit.key_id_of(ATTACKER_KEY), digest=forged)
    _caught(seq=chain[2].seq, words="not configured")


def test_rewriting_checkpointed_entries_is_caught_even_with_the_key(anchored):
    # Someone holding the key can re-sign a rewritten log; the checkpoint still catches it.
    target = anchored[2]
    _sql("UPDATE core_auditentry SET reason = 'rewritten' WHERE id = %s", [target.id])
    _recompute_from(target.seq, digest=audit.compute_hash)
    _caught(seq=anchored[-1].seq, words="checkpoint")


def test_appending_a_forged_entry_is_caught(chain):
    last = chain[-1]
    _sql(
        "INSERT INTO core_auditentry (seq, timestamp, username, organisation_name, action, "
        "record_type, record_id, record_repr, changes, reason, ip_address, prev_hash, "
        "entry_hash, key_id) VALUES (%s, %s, 'mallory', '', 'view', 'threats.threat', '1', "
        "'forged', '{}', '', '', %s, %s, '')",
        [last.seq + 1, last.timestamp, last.entry_hash, "e" * 64],
    )
    forged = AuditEntry.objects.get(seq=last.seq + 1)
    _sql(
        "UPDATE core_auditentry SET entry_hash = %s WHERE id = %s",
        [_plain_sha256(forged), forged.id],
    )
    _sql(
        "UPDATE core_audithead SET last_seq = %s, last_hash = %s",
        [forged.seq, _plain_sha256(forged)],
    )
    _caught(seq=forged.seq, words="no key id")


def test_swapping_two_entries_is_caught(chain):
    a, b = chain[1], chain[3]
    _sql("UPDATE core_auditentry SET seq = -1 WHERE id = %s", [a.id])
    _sql("UPDATE core_auditentry SET seq = %s WHERE id = %s", [a.seq, b.id])
    _sql("UPDATE core_auditentry SET seq = %s WHERE id = %s", [b.seq, a.id])
    _caught()


def test_swapping_the_contents_of_two_entries_is_caught(chain):
    a, b = chain[1], chain[3]
    for one, other in ((a, b), (b, a)):
        _sql(
            "UPDATE core_auditentry SET record_id = %s, record_repr = %s WHERE id = %s",
            [other.record_id, other.record_repr, one.id],
        )
    _caught(seq=a.seq, words="do not match its hash")


# --- The anchor file ----------------------------------------------------------------------------


def test_a_garbled_anchor_file_is_a_break(anchored, settings):
    with open(settings.AUDIT_ANCHOR_FILE, "a", encoding="utf-8") as handle:
        handle.write("not json\n")
    _caught(words="unreadable")


def test_a_log_that_grows_after_a_checkpoint_still_verifies(anchored, make_user, org):
    user = make_user("force-durham", "analyst", username="later")
    threat_services.create_threat(user, owner=org("force-durham"), reference="LATER-1", name="x")
    result = verify_chain()
    assert result.ok and result.checkpoints == 1
    checkpoint()
    assert verify_chain().checkpoints == 2

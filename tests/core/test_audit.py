"""The audit trail: one entry per write, hash chain verification, append-only rules."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from socmaster.core import audit
from socmaster.core.audit import verify_chain
from socmaster.core.models import AuditEntry
from socmaster.organisations import services as org_services
from socmaster.threats import services as threat_services
from socmaster.threats.models import Threat


@pytest.fixture
def analyst(make_user):
    return make_user("force-durham", "analyst", "administrator", username="ann")


def _count():
    return AuditEntry.objects.count()


def _make_threat(user, org, ref="AUD-1"):
    return threat_services.create_threat(
        user, owner=org("force-durham"), reference=ref, name="Audit test group"
    )


def test_create_update_delete_each_write_exactly_one_entry(analyst, org):
    n = _count()
    threat = _make_threat(analyst, org)
    assert _count() == n + 1
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.record_type, entry.record_id, entry.username) == (
        "create",
        "threats.threat",
        str(threat.pk),
        "ann",
    )
    assert entry.changes["after"]["name"] == "Audit test group"

    threat_services.update_threat(analyst, threat, name="Renamed group", soc="non_soc")
    assert _count() == n + 2
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "update"
    assert entry.changes["name"] == {"before": "Audit test group", "after": "Renamed group"}
    assert entry.changes["soc"] == {"before": "soc", "after": "non_soc"}

    # An update that changes nothing writes nothing.
    threat_services.update_threat(analyst, Threat.objects.get(pk=threat.pk), name="Renamed group")
    assert _count() == n + 2

    threat_services.delete_threat(
        analyst, Threat.objects.get(pk=threat.pk), reason="Duplicate record"
    )
    assert _count() == n + 3
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.reason) == ("delete", "Duplicate record")
    assert entry.changes["before"]["name"] == "Renamed group"


def test_user_and_organisation_services_each_write_one_entry(analyst, org):
    n = _count()
    user = org_services.create_user(
        analyst,
        username="newbie",
        organisation=org("force-durham"),
        roles=["analyst"],
        password="a-long-enough-passphrase",
    )
    assert _count() == n + 1
    org_services.set_roles(analyst, user, org("force-durham"), ["analyst", "lro"])
    assert _count() == n + 2
    org_services.set_active(analyst, user, False)
    assert _count() == n + 3
    import datetime as dt

    org_services.rename_organisation(
        None, org("force-gwent"), name="Gwent Constabulary", effective=dt.date(2026, 1, 1)
    )
    assert _count() == n + 4
    org_services.move_organisation(
        None,
        org("force-gwent"),
        region=org("region-south-west"),
        rocu=org("rocu-south-west"),
        effective=dt.date(2026, 2, 1),
    )
    assert _count() == n + 5
    assert [e.action for e in AuditEntry.objects.order_by("-seq")[:5]] == ["update"] * 4 + [
        "create"
    ]


def test_failed_audit_write_means_no_change(analyst, org, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(audit, "record", broken)
    before = (Threat.objects.count(), _count())
    with pytest.raises(RuntimeError):
        _make_threat(analyst, org, ref="AUD-FAIL")
    assert (Threat.objects.count(), _count()) == before
    assert not Threat.objects.filter(reference="AUD-FAIL").exists()


def test_unregistered_action_is_refused(db):
    with pytest.raises(audit.AuditError):
        audit.record("peek", record_type="x", record_id="1")


def test_rows_written_in_bulk_are_the_entries_record_writes(analyst, org, make_user):
    """``record_rows`` takes what ``record`` works out (user, membership, organisation, the
    record's owner) as given: the same entry, in the chain."""
    threat = _make_threat(analyst, org)
    viewer = make_user("rocu-north-east", "analyst")
    audit.record("view", threat, user=viewer)
    one = AuditEntry.objects.order_by("-seq").first()
    assert one.membership_id and one.record_owner_id == threat.owner_id != one.organisation_id
    fields = [
        "user_id",
        "username",
        "organisation_id",
        "organisation_name",
        "record_type",
        "record_id",
        "record_repr",
        "reason",
        "record_owner_id",
        "membership_id",
    ]
    row = {name: getattr(one, name) for name in fields}
    assert audit.record_rows("view", [row, {**row, "reason": "Second look"}]) == 2
    first, second = AuditEntry.objects.order_by("-seq")[1], AuditEntry.objects.order_by("-seq")[0]
    assert [getattr(first, name) for name in fields] == list(row.values())
    assert (first.action, first.changes, second.reason) == ("view", {}, "Second look")
    assert verify_chain().ok
    with pytest.raises(audit.AuditError):
        audit.record_rows("peek", [row])
    with pytest.raises(audit.AuditError):
        audit.record_rows("view", [{**row, "seq": 1}])


def test_entries_cannot_be_changed_or_deleted_through_the_orm(analyst, org):
    _make_threat(analyst, org)
    entry = AuditEntry.objects.order_by("-seq").first()
    entry.reason = "edited"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(reason="x")


@pytest.fixture
def chain(analyst, org):
    for i in range(5):
        _make_threat(analyst, org, ref=f"CHAIN-{i}")
    result = verify_chain()
    assert result.ok and result.checked >= 5
    return list(AuditEntry.objects.order_by("seq"))


def _sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_verify_detects_a_changed_entry(chain):
    target = chain[2]
    _sql("UPDATE core_auditentry SET reason = %s WHERE id = %s", ["tampered", target.id])
    result = verify_chain()
    assert not result.ok and result.first_break.seq == target.seq
    assert "changed" in result.first_break.problem


def test_verify_detects_a_deleted_entry(chain):
    target = chain[2]
    _sql("DELETE FROM core_auditentry WHERE id = %s", [target.id])
    result = verify_chain()
    assert not result.ok and result.first_break.seq == target.seq + 1


def test_verify_detects_a_removed_last_entry(chain):
    _sql("DELETE FROM core_auditentry WHERE id = %s", [chain[-1].id])
    result = verify_chain()
    assert not result.ok and "removed from the end" in result.first_break.problem


def test_verify_detects_an_inserted_entry(chain):
    # Insert a forged entry with a plausible hash between #2 and #3 by shifting the later ones.
    forged = chain[1]
    _sql("UPDATE core_auditentry SET seq = seq + 1000 WHERE seq > %s", [forged.seq])
    _sql(
        "INSERT INTO core_auditentry (seq, timestamp, username, organisation_name, action, record_type, record_id, "
        "record_repr, changes, reason, ip_address, prev_hash, entry_hash) VALUES (%s, %s, 'mallory', '', 'view', "
        "'threats.threat', '1', 'forged', '{}', '', '', %s, %s)",
        [forged.seq + 1, forged.timestamp, forged.entry_hash, "f" * 64],
    )
    result = verify_chain()
    assert not result.ok
    assert result.first_break.seq in (forged.seq + 1, forged.seq + 1001)


def test_verify_detects_reordered_entries(chain):
    a, b = chain[1], chain[3]
    _sql("UPDATE core_auditentry SET seq = -1 WHERE id = %s", [a.id])
    _sql("UPDATE core_auditentry SET seq = %s WHERE id = %s", [a.seq, b.id])
    _sql("UPDATE core_auditentry SET seq = %s WHERE id = %s", [b.seq, a.id])
    result = verify_chain()
    assert not result.ok
    assert result.first_break.seq in (a.seq, b.seq)


def test_verify_audit_command(chain, capsys):
    call_command("verify-audit")
    assert "Audit chain intact" in capsys.readouterr().out
    _sql("UPDATE core_auditentry SET username = 'someone-else' WHERE id = %s", [chain[0].id])
    with pytest.raises(CommandError, match=f"entry #{chain[0].seq}"):
        call_command("verify-audit")

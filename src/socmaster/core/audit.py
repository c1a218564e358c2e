"""Writing and verifying the hash-chained audit log.

Every service calls :func:`record` inside the same transaction as its change, so a change is
never made without its entry: if the entry cannot be written, the transaction rolls back.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import models, transaction
from django.utils import timezone

from .choices import AuditAction
from .middleware import get_current_request
from .models import AuditEntry, AuditHead

GENESIS_HASH = "0" * 64
_VALID_ACTIONS = frozenset(AuditAction.values)


class AuditError(Exception):
    pass


def _jsonable(value):
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, set | frozenset | tuple):
        return sorted(_jsonable(v) for v in value)
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict:
    """A JSON-ready picture of a record's concrete fields (foreign keys as ids)."""
    result = {}
    for field in obj._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if field.name in {"password"}:
            continue
        result[field.attname] = _jsonable(getattr(obj, field.attname))
    return result


def diff(before: dict, after: dict) -> dict:
    """``{field: {"before": old, "after": new}}`` for the fields that changed."""
    keys = sorted(set(before) | set(after))
    return {
        k: {"before": before.get(k), "after": after.get(k)}
        for k in keys
        if before.get(k) != after.get(k)
    }


def _entry_payload(entry: AuditEntry) -> dict:
    return {
        "seq": entry.seq,
        "timestamp": entry.timestamp.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "user_id": entry.user_id,
        "username": entry.username,
        "organisation_id": entry.organisation_id,
        "organisation_name": entry.organisation_name,
        "action": entry.action,
        "record_type": entry.record_type,
        "record_id": entry.record_id,
        "record_repr": entry.record_repr,
        "changes": entry.changes,
        "reason": entry.reason,
        "ip_address": entry.ip_address,
        "prev_hash": entry.prev_hash,
    }


def compute_hash(entry: AuditEntry) -> str:
    canonical = json.dumps(
        _entry_payload(entry), sort_keys=True, separators=(",", ":"), ensure_ascii=True
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def record_type_of(obj_or_model) -> str:
    return obj_or_model._meta.label_lower


def editors_of(obj: models.Model) -> set[int]:
    """Ids of the users who wrote or changed ``obj`` (its create and update entries): nobody
    moderates content they wrote or changed."""
    return set(
        AuditEntry.objects.filter(
            record_type=record_type_of(obj),
            record_id=str(obj.pk),
            action__in=(AuditAction.CREATE, AuditAction.UPDATE),
            user_id__isnull=False,
        ).values_list("user_id", flat=True)
    )


def record(
    action: str,
    obj: models.Model | None = None,
    *,
    user=None,
    reason: str = "",
    changes: dict | None = None,
    organisation=None,
    record_type: str = "",
    record_id: str = "",
    record_repr: str = "",
) -> AuditEntry:
    """Append one entry. Must be called inside the transaction of the change it records."""
    if action not in _VALID_ACTIONS:
        raise AuditError(f"'{action}' is not a registered audit action.")
    request = get_current_request()
    if user is None and request is not None and getattr(request, "user", None) is not None:
        user = request.user if request.user.is_authenticated else None
    if organisation is None and user is not None:
        organisation = getattr(user, "primary_organisation", None)
    if obj is not None:
        record_type = record_type or record_type_of(obj)
        record_id = record_id or str(obj.pk)
        record_repr = record_repr or str(obj)[:300]
    ip = ""
    if request is not None:
        ip = request.META.get("REMOTE_ADDR", "")[:64]

    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
        entry = AuditEntry(
            seq=head.last_seq + 1,
            timestamp=timezone.now(),
            user=user,
            username=getattr(user, "username", "") or "",
            organisation=organisation,
            organisation_name=getattr(organisation, "name", "") or "",
            action=action,
            record_type=record_type,
            record_id=record_id,
            record_repr=record_repr,
            changes=_jsonable(changes or {}),
            reason=reason or "",
            ip_address=ip,
            prev_hash=head.last_hash,
        )
        entry.entry_hash = compute_hash(entry)
        entry.save()
        AuditHead.objects.filter(id=1).update(last_seq=entry.seq, last_hash=entry.entry_hash)
    return entry


@dataclass(frozen=True)
class Break:
    seq: int | None
    entry_id: int | None
    problem: str

    def __str__(self) -> str:
        where = f"entry #{self.seq}" if self.seq is not None else "the chain's end"
        return f"{where}: {self.problem}"


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    first_break: Break | None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def iter_entries(batch: int = 2000) -> Iterator[AuditEntry]:
    last_id = 0
    while True:
        chunk = list(AuditEntry.objects.filter(id__gt=last_id).order_by("id")[:batch])
        if not chunk:
            return
        yield from chunk
        last_id = chunk[-1].id


def verify_chain(progress=None) -> VerifyResult:
    """Walk the chain in the order entries were written and report the first break.

    Detects a changed entry (its hash no longer matches), a deleted entry (a gap in the
    sequence or a broken link), an inserted entry (a broken link), a reordering (sequence
    out of order or broken link) and a chain cut short (the head points past the last entry).
    """
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for entry in iter_entries():
        checked += 1
        if progress:
            progress(checked)
        if entry.seq != expected_seq:
            return VerifyResult(
                checked,
                Break(
                    entry.seq,
                    entry.id,
                    f"sequence number {entry.seq} found where {expected_seq} was expected (entries deleted, inserted or reordered)",
                ),
            )
        if entry.prev_hash != expected_prev:
            return VerifyResult(
                checked,
                Break(
                    entry.seq,
                    entry.id,
                    "link to the previous entry is broken (an entry before it was changed, deleted, inserted or reordered)",
                ),
            )
        if compute_hash(entry) != entry.entry_hash:
            return VerifyResult(
                checked,
                Break(
                    entry.seq, entry.id, "contents do not match its hash (the entry was changed)"
                ),
            )
        expected_prev = entry.entry_hash
        expected_seq += 1
    head = AuditHead.objects.filter(id=1).first()
    if head is not None and (head.last_seq != expected_seq - 1 or head.last_hash != expected_prev):
        return VerifyResult(
            checked,
            Break(
                expected_seq,
                None,
                f"the log ends at #{expected_seq - 1} but {head.last_seq} entries were written (entries removed from the end)",
            ),
        )
    return VerifyResult(checked, None)

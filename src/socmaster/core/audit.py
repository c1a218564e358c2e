"""Writing and verifying the hash-chained audit log.

Every service calls :func:`record` inside the same transaction as its change, so a change is
never made without its entry: if the entry cannot be written, the transaction rolls back.

Each entry's hash is an HMAC-SHA256, under a key held outside the database, of its fields and the
previous entry's hash; the entry records the key's id (a fingerprint) so keys can be rotated.
Entries written before the chain was keyed have no key id and a plain SHA-256 hash; they are
accepted only at the start of the chain. :func:`checkpoint` appends the head (sequence number,
hash, time) to an anchor file outside the database; :func:`verify_chain` checks every entry, the
head row and every checkpoint.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from .bulk import insert_rows
from .choices import AuditAction
from .middleware import get_current_request
from .models import AuditEntry, AuditHead

GENESIS_HASH = "0" * 64
_VALID_ACTIONS = frozenset(AuditAction.values)


class AuditError(Exception):
    pass


# Fields never written into an entry: password hashes, API tokens and other secrets.
SECRET_FIELD_NAMES = frozenset({"password", "secret", "api_key", "token", "token_key"})
# API tokens (django-rest-knox): neither the hash nor the key prefix is ever snapshotted.
_SECRET_FIELDS_BY_MODEL = {"knox.authtoken": {"digest", "token_key"}}


_PLAIN = (str, int, float, bool, type(None))


def _scrub(value):
    """``value`` with every dict key naming a secret removed, at any depth."""
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items() if str(k).lower() not in SECRET_FIELD_NAMES}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


# --- Keys ----------------------------------------------------------------------------------------


def key_id_of(key: bytes) -> str:
    """A short public fingerprint of a key (not the key: an HMAC of a fixed label)."""
    return hmac.new(key, b"socmaster-audit-key-id", hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class KeyRing:
    current_id: str
    keys: dict  # key id -> key bytes

    @property
    def current(self) -> bytes:
        return self.keys[self.current_id]


def _read_key_file(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_hex(32) + "\n")


_ring_cache: dict = {}


def key_ring() -> KeyRing:
    """The configured keys: the current one signs new entries; all of them verify.

    ``SOCMASTER_AUDIT_KEY`` is the current key if set; otherwise the first line of the key file
    (``SOCMASTER_AUDIT_KEY_FILE``), created with mode 0600 on first use outside production.
    Retired keys: ``SOCMASTER_AUDIT_KEYS`` (comma-separated) and the key file's later lines.
    """
    env_key = getattr(settings, "AUDIT_KEY", "") or ""
    retired = list(getattr(settings, "AUDIT_KEYS", []) or [])
    path = Path(settings.AUDIT_KEY_FILE)
    if not env_key and not path.exists():
        if settings.PRODUCTION:
            raise AuditError(
                "No audit key: set SOCMASTER_AUDIT_KEY or SOCMASTER_AUDIT_KEY_FILE "
                "(a missing key is only generated outside production)."
            )
        _create_key_file(path)
    file_keys = _read_key_file(path) if path.exists() else []
    stamp = (env_key, tuple(retired), str(path), tuple(file_keys))
    cached = _ring_cache.get("ring")
    if cached is not None and cached[0] == stamp:
        return cached[1]
    ordered = ([env_key] if env_key else []) + file_keys + retired
    if not ordered:
        raise AuditError(f"The audit key file {path} holds no key.")
    keys = {}
    for text in ordered:
        raw = text.encode("utf-8")
        keys.setdefault(key_id_of(raw), raw)
    ring = KeyRing(key_id_of(ordered[0].encode("utf-8")), keys)
    _ring_cache["ring"] = (stamp, ring)
    return ring


def _jsonable(value):
    if isinstance(value, _PLAIN):  # most values: returned as they are, checked first
        return value
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


def _clean(value):
    """``_scrub(_jsonable(value))`` in one pass: JSON-ready, with no key naming a secret."""
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            k = str(k)
            if k.lower() in SECRET_FIELD_NAMES:
                continue
            out[k] = v if v.__class__ in _PLAIN else _clean(v)
        return out
    if isinstance(value, list):
        return [_clean(v) for v in value]
    value = _jsonable(value)
    return value if isinstance(value, _PLAIN) else _clean(value)


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict:
    """A JSON-ready picture of a record's concrete fields (foreign keys as ids)."""
    values = obj.__dict__
    result = {}
    for name, attname in _snapshot_fields(type(obj)):
        if fields is not None and name not in fields:
            continue
        value = values[attname] if attname in values else getattr(obj, attname)
        result[attname] = value if value.__class__ in _PLAIN else _jsonable(value)
    return result


_SNAPSHOT_FIELDS: dict[type, list[tuple[str, str]]] = {}


@functools.cache
def _has_json_fields(model: type[models.Model]) -> bool:
    return any(isinstance(f, models.JSONField) for f in model._meta.concrete_fields)


def _snapshot_fields(model: type[models.Model]) -> list[tuple[str, str]]:
    """``(name, attname)`` of the concrete fields a snapshot holds: every one but secrets."""
    found = _SNAPSHOT_FIELDS.get(model)
    if found is None:
        secret = _SECRET_FIELDS_BY_MODEL.get(model._meta.label_lower, set())
        found = _SNAPSHOT_FIELDS[model] = [
            (f.name, f.attname)
            for f in model._meta.concrete_fields
            if f.name.lower() not in SECRET_FIELD_NAMES and f.name not in secret
        ]
    return found


def diff(before: dict, after: dict) -> dict:
    """``{field: {"before": old, "after": new}}`` for the fields that changed."""
    keys = sorted(set(before) | set(after))
    return {
        k: {"before": before.get(k), "after": after.get(k)}
        for k in keys
        if before.get(k) != after.get(k)
    }


def _entry_payload(entry: AuditEntry) -> dict:
    payload = {
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
    if entry.key_id:
        payload["key_id"] = entry.key_id
    # Added later: part of the hash whenever set, so entries from before them still verify.
    if entry.record_owner_id is not None:
        payload["record_owner_id"] = entry.record_owner_id
    if entry.membership_id is not None:
        payload["membership_id"] = entry.membership_id
    compartment = getattr(entry, "record_compartment_id", None)
    if compartment is not None:
        payload["record_compartment_id"] = compartment
    return payload


def compute_hash(entry: AuditEntry, ring: KeyRing | None = None) -> str:
    """HMAC-SHA256 of the entry under the key named by its key id; plain SHA-256 (the form
    written before the chain was keyed) for an entry without a key id."""
    canonical = json.dumps(
        _entry_payload(entry), sort_keys=True, separators=(",", ":"), ensure_ascii=True
    ).encode()
    if not entry.key_id:
        return hashlib.sha256(canonical).hexdigest()
    ring = ring or key_ring()
    key = ring.keys.get(entry.key_id)
    if key is None:
        raise KeyError(entry.key_id)
    return hmac.new(key, canonical, hashlib.sha256).hexdigest()


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


def not_edited_by(queryset, user):
    """The records of ``queryset`` that ``user`` neither wrote nor changed (no create or update
    entry of theirs): :func:`editors_of` for a whole queryset, in one query."""
    from django.db.models import CharField
    from django.db.models.functions import Cast

    edited = AuditEntry.objects.filter(
        record_type=record_type_of(queryset.model),
        action__in=(AuditAction.CREATE, AuditAction.UPDATE),
        user_id=user.pk,
    ).values("record_id")
    return queryset.annotate(_audit_key=Cast("pk", CharField())).exclude(_audit_key__in=edited)


def _access_of(user, obj):
    """The owning organisation of a protected ``obj`` (its own or its parent's) and the membership
    of ``user`` in force now that gives them access to it: in the owner first, then in an
    organisation it is shared with, then in the owner's region, then any police membership."""
    from . import policy

    declared = getattr(type(obj), "protection", None)
    if declared is None or declared.kind not in ("owns", "inherits"):
        return None, None
    root = policy.root_of(obj)
    owner_id = getattr(root, "owner_id", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return owner_id, None
    memberships = user.active_memberships
    if not memberships:
        return owner_id, None
    for m in memberships:
        if m.organisation_id == owner_id:
            return owner_id, m
    if root.pk is not None:
        shared = set(root.shared_with.values_list("pk", flat=True))
        for m in memberships:
            if m.organisation_id in shared:
                return owner_id, m
    region = getattr(getattr(root, "owner", None), "region_id", None)
    police = [m for m in memberships if not m.organisation.is_partner]
    for m in police:
        if region is not None and m.organisation.region_id == region:
            return owner_id, m
    return owner_id, (police or memberships)[0]


def _compartment_of(obj) -> int | None:
    """The compartment of a protected ``obj`` (its own or its parent's), if it is in one."""
    from . import policy

    declared = getattr(type(obj), "protection", None)
    if declared is None or declared.kind not in ("owns", "inherits"):
        return None
    return getattr(policy.root_of(obj), "compartment_id", None)


def _prepare(
    action: str,
    obj: models.Model | None,
    *,
    user,
    reason: str,
    changes: dict | None,
    organisation,
    record_type: str,
    record_id: str,
    record_repr: str,
    request,
    bare: bool = False,
    cleaned: bool = False,
):
    """An entry with everything but its place in the chain (sequence, previous hash, hash).

    With ``bare`` it is a plain object with the entry's attributes (ids, not instances), which
    is quicker to build for bulk work: it can be hashed and inserted, not saved."""
    if action not in _VALID_ACTIONS:
        raise AuditError(f"'{action}' is not a registered audit action.")
    if user is None and request is not None and getattr(request, "user", None) is not None:
        user = request.user if request.user.is_authenticated else None
    record_owner_id, membership, compartment_id = None, None, None
    if obj is not None:
        record_owner_id, membership = _access_of(user, obj)
        compartment_id = _compartment_of(obj)
    if organisation is None and membership is not None:
        organisation = membership.organisation
    if organisation is None and user is not None:
        organisation = getattr(user, "primary_organisation", None)
    if obj is not None:
        record_type = record_type or record_type_of(obj)
        record_id = record_id or str(obj.pk)
        record_repr = record_repr or str(obj)[:300]
    ip = ""
    if request is not None:
        ip = request.META.get("REMOTE_ADDR", "")[:64]
    values = dict(
        username=getattr(user, "username", "") or "",
        organisation_name=getattr(organisation, "name", "") or "",
        action=action,
        record_type=record_type,
        record_id=record_id,
        record_repr=record_repr,
        changes=(changes or {}) if cleaned else _clean(changes or {}),
        reason=reason or "",
        ip_address=ip,
        record_owner_id=record_owner_id,
        membership_id=getattr(membership, "pk", None),
        record_compartment_id=compartment_id,
    )
    if compartment_id is not None:
        # The name of a compartmented record is itself compartmented: the entry names the kind
        # and id only, so that a reader of the log outside the compartment learns nothing.
        values["record_repr"] = f"{obj._meta.verbose_name} {obj.pk} (compartmented)"
    if bare:
        return _BareEntry(
            user_id=getattr(user, "pk", None),
            organisation_id=getattr(organisation, "pk", None),
            **values,
        )
    return AuditEntry(user=user, organisation=organisation, **values)


class _BareEntry(SimpleNamespace):
    """An audit entry not yet stored, without a model instance (see ``_prepare``)."""


def _append(entries: list[AuditEntry]) -> list[AuditEntry]:
    """Chain ``entries`` after the head, in order, and store them with one insert."""
    ring = key_ring()
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
        seq, prev = head.last_seq, head.last_hash
        now = timezone.now()
        for entry in entries:
            seq += 1
            entry.seq, entry.timestamp, entry.prev_hash = seq, now, prev
            entry.key_id = ring.current_id
            entry.entry_hash = prev = compute_hash(entry, ring)
        if isinstance(entries[0], _BareEntry):
            insert_rows(AuditEntry, [vars(e) for e in entries])
        elif len(entries) == 1:
            entries[0].save()
        else:
            insert_rows(AuditEntry, entries)
        AuditHead.objects.filter(id=1).update(last_seq=seq, last_hash=prev)
    return entries


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
    entry = _prepare(
        action,
        obj,
        user=user,
        reason=reason,
        changes=changes,
        organisation=organisation,
        record_type=record_type,
        record_id=record_id,
        record_repr=record_repr,
        request=get_current_request(),
    )
    return _append([entry])[0]


def record_many(
    action: str,
    items: Iterable[tuple[models.Model, dict]],
    *,
    user=None,
    reason="",
    snapshots: bool = False,
):
    """Append one entry per ``(record, changes)``, as ``record`` would each, in one write: for
    bulk work (imports) that changes many records in one transaction. Must be called inside
    that transaction. Returns how many entries were written.

    ``snapshots`` says each ``changes`` is ``{"after": snapshot(record)}`` (or ``before``): a
    snapshot is already JSON-ready and holds no secret field, so it is not cleaned again, unless
    its model has JSON fields (whose contents might name one)."""
    request = get_current_request()
    entries = [
        _prepare(
            action,
            obj,
            user=user,
            reason=reason,
            changes=changes,
            cleaned=snapshots and not _has_json_fields(type(obj)),
            organisation=None,
            record_type="",
            record_id="",
            record_repr="",
            request=request,
            bare=True,
        )
        for obj, changes in items
    ]
    return len(_append(entries)) if entries else 0


#: The fields a row given to :func:`record_rows` may set, and their defaults.
_ROW_FIELDS = {
    "user_id": None,
    "username": "",
    "organisation_id": None,
    "organisation_name": "",
    "record_type": "",
    "record_id": "",
    "record_repr": "",
    "changes": None,
    "reason": "",
    "record_owner_id": None,
    "membership_id": None,
    "record_compartment_id": None,
}


def record_rows(action: str, rows: Iterable[dict]) -> int:
    """Append one ``action`` entry per row, in one write, for bulk work that already knows what
    ``record`` would work out from the user and the record: the user, the organisation and
    membership that gave the access, and the record's owner. Each row gives those fields by id
    (the keys of ``_ROW_FIELDS``). Must be called inside the transaction of the work it
    records. Returns how many entries were written."""
    if action not in _VALID_ACTIONS:
        raise AuditError(f"'{action}' is not a registered audit action.")
    entries = []
    for row in rows:
        unknown = set(row) - set(_ROW_FIELDS)
        if unknown:
            raise AuditError(f"Not audit entry fields: {', '.join(sorted(unknown))}.")
        values = {**_ROW_FIELDS, **row}
        values["changes"] = _clean(values["changes"] or {})
        values["record_repr"] = str(values["record_repr"])[:300]
        entries.append(_BareEntry(action=action, ip_address="", **values))
    return len(_append(entries)) if entries else 0


@dataclass(frozen=True)
class Break:
    seq: int | None
    entry_id: int | None
    problem: str

    def __str__(self) -> str:
        where = f"entry #{self.seq}" if self.seq is not None else "the chain's end"
        return f"{where}: {self.problem}"


def iter_entries(batch: int = 2000) -> Iterator[AuditEntry]:
    last_id = 0
    while True:
        chunk = list(AuditEntry.objects.filter(id__gt=last_id).order_by("id")[:batch])
        if not chunk:
            return
        yield from chunk
        last_id = chunk[-1].id


# --- Anchors -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    time: str
    unkeyed_until: int = 0

    def line(self) -> str:
        return json.dumps(
            {
                "seq": self.seq,
                "hash": self.hash,
                "time": self.time,
                "unkeyed_until": self.unkeyed_until,
            },
            sort_keys=True,
        )


class AnchorError(AuditError):
    pass


def anchor_path() -> Path:
    return Path(settings.AUDIT_ANCHOR_FILE)


def read_checkpoints(path: Path | None = None) -> list[Checkpoint]:
    """Every checkpoint in the anchor file (none if there is no file yet)."""
    path = path or anchor_path()
    if not path.exists():
        return []
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            found.append(
                Checkpoint(
                    int(data["seq"]),
                    str(data["hash"]),
                    str(data["time"]),
                    int(data.get("unkeyed_until", 0)),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise AnchorError(f"line {number} of the anchor file {path} is unreadable") from exc
    return found


def checkpoint() -> Checkpoint:
    """Verify the chain, then append its head (seq, hash, time) to the anchor file.

    Refuses (AuditError) when the chain is broken, so a tampered log is never anchored. The
    returned checkpoint's ``line()`` is what an external witness should keep.
    """
    result = verify_chain()
    if not result.ok:
        raise AuditError(f"Audit chain broken at {result.first_break}; no checkpoint written.")
    cp = Checkpoint(
        result.last_seq,
        result.last_hash,
        timezone.now().astimezone(dt.UTC).isoformat(timespec="seconds"),
        result.unkeyed_until,
    )
    path = anchor_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(cp.line() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return cp


# --- Verification --------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    first_break: Break | None
    last_seq: int = 0
    last_hash: str = GENESIS_HASH
    unkeyed_until: int = 0
    checkpoints: int = 0

    @property
    def ok(self) -> bool:
        return self.first_break is None


def verify_chain(progress=None) -> VerifyResult:
    """Walk the chain in the order entries were written and report the first break.

    Detects a changed entry (its keyed hash no longer matches, also when recomputed without the
    key), a deleted entry (a gap in the sequence or a broken link), an inserted entry (a broken
    link), a reordering (sequence out of order or broken link), a head row missing, moved or not
    pointing at the last entry, and, against every checkpoint in the anchor file, a log cut short
    or rewritten before the checkpoint.
    """
    try:
        ring = key_ring()
        checkpoints = read_checkpoints()
    except AuditError as exc:
        return VerifyResult(0, Break(None, None, str(exc)))
    by_seq = {}
    for cp in checkpoints:
        by_seq.setdefault(cp.seq, []).append(cp)
    # Unkeyed (legacy) entries are accepted only at the start of the chain, and never past what
    # the first checkpoint saw.
    unkeyed_limit = min((cp.unkeyed_until for cp in checkpoints), default=None)
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    unkeyed_until = 0
    seen_keyed = False

    def broken(entry, problem):
        return VerifyResult(
            checked, Break(entry.seq, entry.id, problem), checkpoints=len(checkpoints)
        )

    for entry in iter_entries():
        checked += 1
        if progress:
            progress(checked)
        if entry.seq != expected_seq:
            return broken(
                entry,
                f"sequence number {entry.seq} found where {expected_seq} was expected "
                "(entries deleted, inserted or reordered)",
            )
        if entry.prev_hash != expected_prev:
            return broken(
                entry,
                "link to the previous entry is broken (an entry before it was changed, "
                "deleted, inserted or reordered)",
            )
        if entry.key_id:
            seen_keyed = True
        else:
            if seen_keyed or (unkeyed_limit is not None and entry.seq > unkeyed_limit):
                return broken(
                    entry,
                    "entry has no key id where keyed entries are required "
                    "(the chain was recomputed without the key)",
                )
            unkeyed_until = entry.seq
        try:
            digest = compute_hash(entry, ring)
        except KeyError:
            return broken(
                entry,
                f"signed with key id {entry.key_id}, which is not configured "
                "(add the retired key to SOCMASTER_AUDIT_KEYS, or the key id was changed)",
            )
        if not hmac.compare_digest(digest, entry.entry_hash):
            return broken(entry, "contents do not match its hash (the entry was changed)")
        for cp in by_seq.get(entry.seq, ()):
            if cp.hash != entry.entry_hash:
                return broken(
                    entry,
                    f"hash differs from the checkpoint of {cp.time} "
                    "(the log was rewritten since that checkpoint)",
                )
        expected_prev = entry.entry_hash
        expected_seq += 1
    last_seq = expected_seq - 1

    def end_break(problem):
        return VerifyResult(checked, Break(None, None, problem), checkpoints=len(checkpoints))

    for cp in checkpoints:
        if cp.seq > last_seq:
            return end_break(
                f"the log ends at #{last_seq} but the checkpoint of {cp.time} recorded "
                f"#{cp.seq} (entries removed from the end, or the whole log deleted)"
            )
        if cp.seq == 0 and cp.hash != GENESIS_HASH:
            return end_break(f"the checkpoint of {cp.time} is malformed (seq 0, not genesis)")
    heads = list(AuditHead.objects.order_by("id"))
    moved = [h for h in heads if h.id != 1]
    if moved:
        return end_break(
            f"the audit head row is at id {moved[0].id} where only id 1 is allowed (head moved)"
        )
    head = heads[0] if heads else None
    if head is None:
        if checked:
            return end_break(f"the audit head row is missing ({checked} entries in the log)")
    elif head.last_seq != last_seq:
        return end_break(
            f"the log ends at #{last_seq} but {head.last_seq} entries were written "
            "(entries removed from the end)"
        )
    elif head.last_hash != expected_prev:
        return end_break(
            f"the head's hash does not match entry #{last_seq} (the head or the last entry "
            "was changed)"
        )
    return VerifyResult(
        checked, None, last_seq, expected_prev, unkeyed_until, checkpoints=len(checkpoints)
    )

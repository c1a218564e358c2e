"""Reasons users give for opening records with restricted handling, kept in their session."""

from __future__ import annotations

import time

from django.conf import settings

#: The shortest reason accepted anywhere one is asked for (opening a restricted record, exporting,
#: deleting), on pages and in the API alike.
MIN_REASON_LENGTH = 5
REASON_TOO_SHORT = f"Give a reason of at least {MIN_REASON_LENGTH} characters."


def is_enough(reason: str | None) -> bool:
    """Is ``reason`` (stripped) long enough to be accepted?"""
    return len((reason or "").strip()) >= MIN_REASON_LENGTH


def _ttl() -> int:
    return settings.SOCMASTER["REASON_TTL_MINUTES"] * 60


def record_key(obj) -> str:
    return f"{obj._meta.label_lower}:{obj.pk}"


def remember_reason(request, key: str, reason: str) -> None:
    reasons = request.session.get("reasons", {})
    reasons[key] = [reason, time.time()]
    request.session["reasons"] = reasons


def current_reason(request, key: str) -> str:
    """The reason given for ``key`` in this session, if still fresh; else ''."""
    entry = request.session.get("reasons", {}).get(key)
    if not entry:
        return ""
    reason, given_at = entry
    return reason if time.time() - given_at <= _ttl() else ""

"""Automatic references (``SOC-000123``): a locked counter, never derived from chosen values."""

from __future__ import annotations

import re

from django.db import transaction

from .models import ReferenceCounter

WIDTH = 6


def automatic_pattern(prefix: str) -> str:
    """The exact shape of an automatic reference for ``prefix``: ``PREFIX-dddddd``."""
    return rf"^{re.escape(prefix)}-\d{{{WIDTH}}}$"


def highest_automatic(references, prefix: str) -> int:
    """The highest number among ``references`` that have the exact automatic shape."""
    pattern = re.compile(automatic_pattern(prefix))
    return max((int(r.rsplit("-", 1)[1]) for r in references if pattern.match(r)), default=0)


def next_reference(prefix: str, queryset, field: str = "reference") -> str:
    """The next free automatic reference for ``prefix`` among ``queryset``'s ``field`` values.

    Call inside the creating transaction: the counter row stays locked until it commits, so
    simultaneous creations wait in turn. A number already taken by a reference someone chose is
    skipped.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_reference must be called inside the creating transaction.")
    counter = ReferenceCounter.objects.select_for_update().filter(prefix=prefix).first()
    if counter is None:
        existing = queryset.filter(**{f"{field}__regex": automatic_pattern(prefix)})
        start = highest_automatic(existing.values_list(field, flat=True), prefix)
        counter, _ = ReferenceCounter.objects.get_or_create(prefix=prefix, defaults={"last": start})
        counter = ReferenceCounter.objects.select_for_update().get(pk=counter.pk)
    number = counter.last + 1
    while queryset.filter(**{field: f"{prefix}-{number:0{WIDTH}d}"}).exists():
        number += 1
    counter.last = number
    counter.save(update_fields=["last"])
    return f"{prefix}-{number:0{WIDTH}d}"

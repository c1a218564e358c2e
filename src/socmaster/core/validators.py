"""Shared checks of text typed or imported by people: control characters and references.

The services call these, so the API, forms, the command line and imports all give the same
field-level error.
"""

from __future__ import annotations

import re

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models

#: Control characters (Unicode category Cc): C0, DEL and C1.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: The same, less tab, line feed and carriage return, which multi-line text may hold.
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

#: Letters, digits, '-', '_' and '.', at most 40 characters, not starting with '.'.
REFERENCE_PATTERN = r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,39}"
_REFERENCE = re.compile(REFERENCE_PATTERN)
#: Words the addresses use next to references (``/threats/new/``, ``/threats/export.csv``, …).
#: A reference may not be one of them, nor one of them followed by '.' and more.
RESERVED_REFERENCES = frozenset(
    {
        "actions",
        "exceptions",
        "export",
        "extract",
        "new",
        "nominals",
        "quality",
        "queue",
        "recording-audit",
        "report",
        "reviews-due",
        "templates",
    }
)
REFERENCE_MESSAGE = (
    "Use letters, digits, '-', '_' and '.' only, at most 40 characters, not starting with '.'."
)


def control_character(value: str, *, multiline: bool = False) -> str | None:
    """The first control character in ``value`` that is not allowed, or None."""
    found = (_CONTROL_MULTILINE if multiline else _CONTROL).search(value)
    return found.group() if found else None


def control_message(char: str) -> str:
    return (
        f"Remove the control character U+{ord(char):04X} from this text "
        "(it cannot be shown, printed or exported)."
    )


def check_text(model: type[models.Model], values: dict) -> None:
    """Refuse control characters in the text fields of ``model`` found in ``values``.

    Single-line fields (``CharField``) take none; multi-line ones (``TextField``) may hold tab,
    line feed and carriage return. Raises one ``ValidationError`` naming every bad field.
    """
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        if not isinstance(value, str):
            continue
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:  # not a field of the model: other checks deal with it
            continue
        if not isinstance(field, models.CharField | models.TextField):
            continue
        char = control_character(value, multiline=isinstance(field, models.TextField))
        if char is not None:
            errors[name] = [control_message(char)]
    if errors:
        raise ValidationError(errors)


def reference_error(value: str) -> str | None:
    """Why ``value`` cannot be a reference someone chose, or None if it can."""
    if not _REFERENCE.fullmatch(value):
        return REFERENCE_MESSAGE
    if value.lower().split(".")[0] in RESERVED_REFERENCES:
        return f"'{value}' is a reserved word in the product's addresses; choose another reference."
    return None


def check_reference(value: str, field: str = "reference") -> None:
    """Refuse a user-supplied reference that does not match ``REFERENCE_PATTERN`` or is reserved."""
    message = reference_error(value)
    if message:
        raise ValidationError({field: [message]})

"""Standardising UK person records before they are compared.

Each function takes one raw value and returns its standard form; :func:`prepare` applies them to
a table of records (a pandas DataFrame with the columns of :data:`INPUT_COLUMNS`), working out each
distinct value once, so that a million records with a few thousand distinct names cost little.

What is standardised, and why:
- names: any case, accents dropped, punctuation and spaces removed (``O'Brien``, ``O Brien`` and
  ``OBRIEN`` are one name); ``Mc`` is written ``Mac``;
- forenames: with the formal names a short form stands for, from the maintained ``nicknames``
  dataset (``Bill`` stands for William and Robert), so that a nickname can match;
- surnames: split into their parts, so that a double-barrelled or hyphenated surname can match one
  of its parts; a suffix (Jr, Snr, II...) is taken off the surname and kept apart as evidence;
- dates of birth: ISO text, with the day and month transposed kept beside them;
- postcodes: upper case, one space before the inward code; partial postcodes are kept as given;
- phones: digits only, ``+44`` / ``0044`` written as ``0``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

INPUT_COLUMNS = ["first_name", "middle_name", "surname", "dob", "gender", "postcode", "phone"]

#: Suffixes and the one form each is standardised to.
SUFFIXES = {
    "jr": "jr",
    "jnr": "jr",
    "junior": "jr",
    "sr": "sr",
    "snr": "sr",
    "senior": "sr",
    "ii": "ii",
    "iii": "iii",
    "iv": "iv",
}
_LETTERS = re.compile(r"[^a-z]")
_WORDS = re.compile(r"[^a-z]+")
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def ascii_lower(value: str | None) -> str:
    """Lower case with accents taken off (``Zoë`` -> ``zoe``)."""
    if not value:
        return ""
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def name_key(value: str | None) -> str:
    """A name as letters only: any case, accents, spaces and punctuation ignored."""
    return _LETTERS.sub("", ascii_lower(value))


def _mac(word: str) -> str:
    return "mac" + word[2:] if word.startswith("mc") and len(word) > 2 else word


def surname_parts(value: str | None) -> tuple[tuple[str, ...], str]:
    """A surname's parts (``Ahmed-Johnson`` -> ahmed, johnson) and its suffix ('' if none).
    ``O Brien`` and ``Mac Donald`` stay one part; ``Mc`` is written ``Mac``."""
    words = [w for w in _WORDS.split(ascii_lower(value).replace("'", "")) if w]
    suffix = ""
    while words and words[-1] in SUFFIXES and len(words) > 1:
        suffix = suffix or SUFFIXES[words.pop()]
    parts: list[str] = []
    for word in words:
        if parts and parts[-1] in ("o", "mac", "mc", "de", "van", "von", "le", "la", "st"):
            parts[-1] = parts[-1] + word
        else:
            parts.append(word)
    return tuple(_mac(p) for p in parts), suffix


@cache
def _nicknames():
    from nicknames import NickNamer

    return NickNamer()


@cache
def forename_keys(value: str) -> tuple[str, ...]:
    """A forename with the formal names it may stand for (``bill`` -> bill, robert, william...),
    sorted, the name itself included. Empty for no name."""
    key = name_key(value)
    if not key:
        return ()
    return tuple(sorted({key, *(name_key(c) for c in _nicknames().canonicals_of(key))}))


def date_of_birth(value) -> str:
    """An ISO date (``YYYY-MM-DD``) or ''. Accepts a ``datetime.date`` or ISO text."""
    if not value:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value).strip()
    return text if _DATE.match(text) else ""


def transposed(dob: str) -> str:
    """The date with its day and month swapped, where that is still a date; '' otherwise."""
    m = _DATE.match(dob)
    if not m or int(m.group(3)) > 12 or m.group(2) == m.group(3):
        return ""
    return f"{m.group(1)}-{m.group(3)}-{m.group(2)}"


def postcode(value: str | None) -> str:
    """``sw1a1aa`` -> ``SW1A 1AA``; a partial postcode (``SW1A``) is kept; '' for none."""
    text = re.sub(r"\s+", "", (value or "").upper())
    m = _POSTCODE.match(text)
    return f"{m.group(1)} {m.group(2)}" if m else text


def phone(value: str | None) -> str:
    """Digits only, the UK country code written as the trunk 0 (``+44 7700 900123`` ->
    ``07700900123``); '' for fewer than 6 digits."""
    digits = re.sub(r"\D", "", value or "")
    if digits.startswith("0044"):
        digits = "0" + digits[4:]
    elif digits.startswith("44") and len(digits) >= 12:
        digits = "0" + digits[2:]
    return digits if len(digits) >= 6 else ""


def gender(value: str | None) -> str:
    """``M`` / ``F`` (also ``male``, ``female``), '' for anything else."""
    text = (value or "").strip().upper()[:1]
    return text if text in ("M", "F") else ""


def _mapped(series, func):
    uniques = series.unique()
    return series.map(dict(zip(uniques, map(func, uniques), strict=True)))


def prepare(frame, id_column: str):
    """The standard table the model compares, from raw records: one row per record, with
    ``unique_id`` from ``id_column``. Missing columns count as empty. Returns a new DataFrame."""
    import pandas as pd

    raw = frame.copy()
    for column in INPUT_COLUMNS:
        if column not in raw.columns:
            raw[column] = ""
        raw[column] = raw[column].fillna("").astype(str)
    out = pd.DataFrame({"unique_id": raw[id_column].astype(str)})
    out["first_name"] = _mapped(raw["first_name"], name_key)
    out["middle_name"] = _mapped(raw["middle_name"], name_key)
    out["forename_keys"] = _mapped(raw["first_name"], lambda v: list(forename_keys(v)))
    parts = _mapped(raw["surname"], surname_parts)
    out["surname"] = parts.map(lambda p: "".join(p[0]))
    out["surname_parts"] = parts.map(lambda p: list(p[0]))
    out["suffix"] = parts.map(lambda p: p[1])
    out["dob"] = _mapped(raw["dob"], date_of_birth)
    out["dob_transposed"] = _mapped(out["dob"], transposed)
    out["gender"] = _mapped(raw["gender"], gender)
    out["postcode"] = _mapped(raw["postcode"], postcode)
    out["phone"] = _mapped(raw["phone"], phone)
    out["first_initial"] = out["first_name"].str[:1]
    # Empty means unknown: Splink's null levels and blocking rules expect NULL.
    for column in ("first_name", "middle_name", "surname", "dob", "dob_transposed", "gender"):
        out[column] = out[column].replace("", None)
    for column in ("postcode", "phone", "first_initial"):
        out[column] = out[column].replace("", None)
    for column in ("forename_keys", "surname_parts"):
        out[column] = out[column].map(lambda v: v or None)
    return out


_NULL_WHEN_EMPTY = (
    "first_name",
    "middle_name",
    "surname",
    "dob",
    "dob_transposed",
    "gender",
    "postcode",
    "phone",
    "first_initial",
)


def prepare_one(record: dict) -> dict:
    """One raw record standardised exactly as :func:`prepare` standardises a row (without
    ``unique_id``), in plain Python: the one-record lookup's path, where a DataFrame for one row
    costs more than the comparison itself."""
    raw = {c: "" if record.get(c) is None else str(record.get(c)) for c in INPUT_COLUMNS}
    first = name_key(raw["first_name"])
    parts, suffix = surname_parts(raw["surname"])
    dob = date_of_birth(raw["dob"])
    out = {
        "first_name": first,
        "middle_name": name_key(raw["middle_name"]),
        "forename_keys": list(forename_keys(raw["first_name"])) or None,
        "surname": "".join(parts),
        "surname_parts": list(parts) or None,
        "suffix": suffix,
        "dob": dob,
        "dob_transposed": transposed(dob),
        "gender": gender(raw["gender"]),
        "postcode": postcode(raw["postcode"]),
        "phone": phone(raw["phone"]),
        "first_initial": first[:1],
    }
    for column in _NULL_WHEN_EMPTY:
        out[column] = out[column] or None
    return out

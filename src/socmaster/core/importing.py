"""Shared pieces of the CSV importers: row errors, results, reading and rejects files."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field


@dataclass
class RowError:
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.field}: {self.message}"


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def key(value: str) -> str:
    """Fold a CSV value for matching: spaces, case and dashes."""
    return " ".join((value or "").replace("–", "-").replace("—", "-").split()).lower()


def parse_date(value: str) -> dt.date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(value)


def read_csv(data: bytes | str, columns: list[str]) -> tuple[list[str], list[dict]]:
    """Rows as dicts keyed by the canonical column names (headers matched without regard to case)."""
    if isinstance(data, bytes):
        data = data.decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(data))
    headers = [h.strip() for h in (reader.fieldnames or [])]
    by_lower = {h.lower(): h for h in columns}
    reader.fieldnames = [by_lower.get(h.lower(), h) for h in headers]
    return reader.fieldnames, list(reader)


def rejects_csv(result: ImportResult, columns: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[*columns, "Error"], extrasaction="ignore")
    writer.writeheader()
    writer.writerows(result.rejected)
    return buffer.getvalue()

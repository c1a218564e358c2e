"""CSV and XLSX downloads. Every export needs a reason and writes one audit entry.

Every CSV and XLSX writer passes its cells through ``safe_cell``: text that a spreadsheet would
run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) gets a leading
single quote (OWASP's advice on CSV injection), characters spreadsheets refuse are removed, and
XLSX cells holding text are written as text, never as formulas. Numbers and dates stay numbers
and dates. The export's audit entry is written only once the file has been produced.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from .reasons import REASON_TOO_SHORT, is_enough
from .services import record_export

logger = logging.getLogger(__name__)

FORMATS = {"csv", "xlsx", "json"}
#: Rows built before a streamed CSV export is recorded and its response starts.
CSV_FIRST_ROWS = 1000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(FORMULA_STARTS)
#: Text that is only a number (``-12``, ``+3.5``) is not a formula; it stays as it is.
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
EXPORT_FAILED = (
    "The export could not be produced, so nothing was exported and no export was recorded. "
    "Try again; if it fails again, tell your system administrator."
)


class _Echo:
    def write(self, value):
        return value


def safe_cell(value):
    """One cell made safe for a spreadsheet (see the module's description)."""
    if value is None:
        return ""
    if type(value) is str:
        text = value
    elif isinstance(value, bool | int | float | Decimal | dt.date | dt.time):
        return value
    else:
        text = str(value)
    if not text.isprintable():  # a fast test first: most text has no control character
        text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if text[:1] in _FORMULA_FIRST and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def safe_row(row: Iterable) -> list:
    return [safe_cell(v) for v in row]


def csv_response(
    columns: Sequence[str],
    rows: Iterable[Sequence],
    filename: str,
    *,
    on_ready: Callable[[], None] | None = None,
) -> StreamingHttpResponse:
    """Stream a CSV file. The header and the first ``CSV_FIRST_ROWS`` rows are built before
    ``on_ready()`` (which records the export) runs and before the response starts, so a failure
    in building them (a query, a broken record) records nothing."""
    writer = csv.writer(_Echo())
    rows = iter(rows)
    first = [writer.writerow(safe_row(columns))]
    first.extend(writer.writerow(safe_row(r)) for r in itertools.islice(rows, CSV_FIRST_ROWS))
    if on_ready is not None:
        on_ready()

    def stream():
        yield from first
        for row in rows:
            yield writer.writerow(safe_row(row))

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def _json_value(value):
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def json_response(
    columns: Sequence[str],
    rows: Iterable[Sequence],
    filename: str,
    *,
    on_ready: Callable[[], None] | None = None,
) -> HttpResponse:
    """A JSON list of objects keyed by ``columns``, values as they are (dates as ISO text), for
    analysts' own tools. Built whole before ``on_ready()`` records the export."""
    body = [{c: _json_value(v) for c, v in zip(columns, row, strict=True)} for row in rows]
    text = json.dumps(body, indent=1, ensure_ascii=False)
    if on_ready is not None:
        on_ready()
    response = HttpResponse(text, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.json"'
    return response


def xlsx_bytes(columns: Sequence[str], rows: Iterable[Sequence], title: str) -> bytes:
    """A one-sheet workbook; text cells are stored as text (type 's'), never as formulas."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=ILLEGAL_CHARACTERS_RE.sub("", title)[:31])

    # openpyxl stores a str as a formula only when it starts with "="; safe_cell never lets one
    # through (it becomes "'="), so every text cell is stored as text (type "s").
    sheet.append(safe_row(columns))
    for row in rows:
        sheet.append(safe_row(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(
    columns: Sequence[str],
    rows: Iterable[Sequence],
    filename: str,
    title: str,
    *,
    on_ready: Callable[[], None] | None = None,
) -> HttpResponse:
    """The whole workbook is written first; only then does ``on_ready()`` record the export."""
    content = xlsx_bytes(columns, rows, title)
    if on_ready is not None:
        on_ready()
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def export_failed(exc: Exception) -> HttpResponse:
    """The answer when an export could not be built: a clear message, nothing recorded."""
    logger.exception("Export failed before it was delivered", exc_info=exc)
    return HttpResponse(EXPORT_FAILED, status=500, content_type="text/plain; charset=utf-8")


def _one_line_ending(value):
    """Carriage returns as line feeds: with lines ending in "\\n" the csv module quotes a field
    holding a line feed but not one holding only a carriage return."""
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


def write_table(stream, columns: Sequence[str], rows: Iterable[dict], fmt: str) -> None:
    """Write ``rows`` (dicts) to a command's output as CSV with a header (cells made safe by
    ``safe_cell``), or as a JSON list (values as they are)."""
    rows = [{c: r[c] for c in columns} for r in rows]
    if fmt == "json":
        stream.write(json.dumps(rows, indent=2))
        return
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows({c: _one_line_ending(safe_cell(v)) for c, v in r.items()} for r in rows)
    stream.write(buffer.getvalue(), ending="")


def export_view(
    request,
    *,
    record_type: str,
    title: str,
    columns: Sequence[str],
    rows: Callable[[], tuple[int, Iterable[Sequence]]],
    filename: str,
    fmt: str,
    filters: dict,
):
    """Ask for a reason (GET), then build the file, audit the export and send it (POST).

    If the file cannot be built, the answer is a clear message and no export is recorded."""
    if fmt not in FORMATS:
        return HttpResponse(
            "Unknown export format; use csv, xlsx or json.", status=400, content_type="text/plain"
        )
    reason = request.POST.get("reason", "").strip() if request.method == "POST" else ""
    if not is_enough(reason):
        return render(
            request,
            "core/reason.html",
            {
                "title": f"Why are you exporting {title.lower()}?",
                "action_label": f"Export {fmt.upper()}",
                "error": REASON_TOO_SHORT if request.method == "POST" else "",
                "explain": "Exports of personal data are recorded with their reason (Data Protection Act 2018, s.62).",
            },
            status=400 if request.method == "POST" else 200,
        )

    try:
        count, data = rows()

        def record():
            with transaction.atomic():
                record_export(
                    request.user,
                    record_type=record_type,
                    reason=reason,
                    count=count,
                    filters=filters,
                )

        if fmt == "csv":
            return csv_response(columns, data, filename, on_ready=record)
        if fmt == "json":
            return json_response(columns, data, filename, on_ready=record)
        return xlsx_response(columns, data, filename, title, on_ready=record)
    except (PermissionDenied, Http404):
        raise
    except Exception as exc:
        return export_failed(exc)

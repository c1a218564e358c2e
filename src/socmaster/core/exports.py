"""CSV and XLSX downloads. Every export needs a reason and writes one audit entry."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Sequence

from django.db import transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from .reasons import REASON_TOO_SHORT, is_enough
from .services import record_export

FORMATS = {"csv", "xlsx"}


class _Echo:
    def write(self, value):
        return value


def _cell(value):
    if value is None:
        return ""
    return value


def csv_response(
    columns: Sequence[str], rows: Iterable[Sequence], filename: str
) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def stream():
        yield writer.writerow(columns)
        for row in rows:
            yield writer.writerow([_cell(v) for v in row])

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(
    columns: Sequence[str], rows: Iterable[Sequence], filename: str, title: str
) -> HttpResponse:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(list(columns))
    for row in rows:
        sheet.append([_cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def write_table(stream, columns: Sequence[str], rows: Iterable[dict], fmt: str) -> None:
    """Write ``rows`` (dicts) to a command's output as CSV with a header, or as a JSON list."""
    rows = [{c: r[c] for c in columns} for r in rows]
    if fmt == "json":
        stream.write(json.dumps(rows, indent=2))
        return
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
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
    """Ask for a reason (GET), then audit and send the file (POST)."""
    if fmt not in FORMATS:
        return HttpResponse(
            "Unknown export format; use csv or xlsx.", status=400, content_type="text/plain"
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
    count, data = rows()
    with transaction.atomic():
        record_export(
            request.user, record_type=record_type, reason=reason, count=count, filters=filters
        )
    if fmt == "csv":
        return csv_response(columns, data, filename)
    return xlsx_response(columns, data, filename, title)

"""Every file the application sends: PDFs, streamed CSV, bounded XLSX, JSON downloads.

One place decides the headers: a safe ``Content-Disposition`` (Django's own encoder, so a
name with accents, quotes or a newline cannot break or inject a header), ``no-store`` (files
may hold personal data and are opened on shared computers), and one cell cleaner for both
spreadsheet formats (formulas neutralised, control characters a spreadsheet refuses removed).
"""

import json
import tempfile
from collections.abc import Iterable

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

from .spreadsheets import csv_lines, spreadsheet_cell

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_TYPE = "application/pdf"


def private(response):
    """Not for shared caches or search engines; the address may carry a token: referrer for
    this site only ("same-origin"; "no-referrer" makes Chromium send ``Origin: null`` with
    the page's own forms, which the CSRF check refuses)."""
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "same-origin"
    return response


def _named(response, filename: str, *, inline: bool):
    response["Content-Disposition"] = content_disposition_header(not inline, filename)
    return private(response)


def pdf_response(pdf: bytes, filename: str, *, inline: bool = False) -> HttpResponse:
    return _named(HttpResponse(pdf, content_type=PDF_TYPE), filename, inline=inline)


def file_response(file, filename: str, *, content_type: str, inline: bool = False):
    """A stored file (a job's PDF, an evidence log), streamed from storage."""
    return _named(FileResponse(file, content_type=content_type), filename, inline=inline)


def csv_response(rows: Iterable[Iterable], filename: str, **options) -> StreamingHttpResponse:
    """CSV streamed row by row (French spreadsheet dialect unless ``delimiter``/``bom`` say)."""
    response = StreamingHttpResponse(csv_lines(rows, **options), content_type=CSV_TYPE)
    return _named(response, filename, inline=False)


def csv_stream_response(lines: Iterable[str], filename: str) -> StreamingHttpResponse:
    """CSV lines already written in a standard's own dialect (e.g. ORDS), streamed."""
    response = StreamingHttpResponse(lines, content_type=CSV_TYPE)
    return _named(response, filename, inline=False)


def csv_text_response(text: str, filename: str) -> HttpResponse:
    """A CSV already written (a standard's own dialect, e.g. ORDS)."""
    return _named(HttpResponse(text, content_type=CSV_TYPE), filename, inline=False)


def json_response(data, filename: str) -> HttpResponse:
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    return _named(response, filename, inline=False)


class TooManyRows(Exception):
    """More rows than an XLSX file may hold here; the caller points to the CSV instead."""


def xlsx_response(
    sheets: Iterable[tuple[str, Iterable[Iterable]]], filename: str, *, max_rows: int
) -> FileResponse:
    """An XLSX of one or more (title, rows) sheets, written in openpyxl's write-only mode into
    a temporary file (bounded memory), at most ``max_rows`` rows per sheet (TooManyRows
    beyond: check before with a bounded count when the rows come from a query)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title=str(title)[:31])
        for count, row in enumerate(rows, start=1):
            if count > max_rows + 1:  # the header row does not count
                raise TooManyRows
            sheet.append([spreadsheet_cell(value) for value in row])
    # Closed by the response once sent (FileResponse closes its file).
    target = tempfile.TemporaryFile()  # noqa: SIM115
    workbook.save(target)
    target.seek(0)
    return file_response(target, filename, content_type=XLSX_TYPE)

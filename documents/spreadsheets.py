"""Cells for spreadsheets we write (CSV, XLSX): a text a spreadsheet would run as a formula
(CSV injection, OWASP) gets a leading apostrophe, which spreadsheets show as text.

Every export of the project passes its cells through ``neutralise`` (floor 0: any app may use
it); ``spreadsheet_cell`` is the same for an XLSX cell, which also refuses control characters.
``documents.responses`` builds the responses around them.
"""

import csv
import datetime as dt
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.utils import timezone

# =, +, -, @ start a formula; a tab or a carriage return can hide one after them.
FORMULA_START = re.compile(r"^[=+\-@\t\r]")


def neutralise(value) -> str:
    if value is None:
        return ""
    text = str(value)
    return "'" + text if FORMULA_START.match(text) else text


# What an XLSX cell cannot hold (openpyxl raises IllegalCharacterError): C0 controls but tab,
# newline and carriage return.
XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def spreadsheet_cell(value):
    """An XLSX cell: numbers and dates stay typed, text is neutralised and cleaned."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        # Spreadsheets have no time zones: the local time people read on the pages.
        return timezone.localtime(value).replace(tzinfo=None)
    if value is None or isinstance(value, bool | int | float | dt.date | dt.datetime):
        return value
    if isinstance(value, Decimal):
        return float(value)
    return XLSX_ILLEGAL.sub("", neutralise(value))


def neutralised_row(values: Iterable) -> list[str]:
    return [neutralise(value) for value in values]


class _Line:
    """A file-like object whose write returns what was written (for streaming responses)."""

    def write(self, value):
        return value


def csv_lines(rows: Iterable[Iterable], *, delimiter: str = ";", bom: bool = True) -> Iterator[str]:
    """CSV text line by line, every cell neutralised: for a StreamingHttpResponse.

    Semicolons and a BOM by default: what a French spreadsheet opens without an import dialog.
    """
    writer = csv.writer(_Line(), delimiter=delimiter)
    if bom:
        yield "\ufeff"
    for row in rows:
        yield writer.writerow(neutralised_row(row))

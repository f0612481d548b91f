"""Cells for spreadsheets we write (CSV, XLSX): a text a spreadsheet would run as a formula
(CSV injection, OWASP) gets a leading apostrophe, which spreadsheets show as text.

Every export of the project passes its cells through ``neutralise`` (floor 0: any app may use
it). ``ateliers.ords`` keeps its own copy, with the round trip its import needs.
"""

import csv
import re
from collections.abc import Iterable, Iterator

# =, +, -, @ start a formula; a tab or a carriage return can hide one after them.
FORMULA_START = re.compile(r"^[=+\-@\t\r]")


def neutralise(value) -> str:
    if value is None:
        return ""
    text = str(value)
    return "'" + text if FORMULA_START.match(text) else text


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

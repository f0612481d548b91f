"""Reading a donor's file as a stream, whatever it is: XLSX (openpyxl's read-only mode) or CSV
in its encoding (UTF-8 with or without BOM, UTF-16, Windows-1252, or both line by line) and
with its separator; never the whole file in memory. What is not a spreadsheet (a PDF, an .xls,
a binary file) is refused with a French message."""

import codecs
import contextlib
import csv
import io
import zipfile
from collections.abc import Iterator

from django.utils.translation import gettext as _
from import_export.widgets import CharWidget

from .errors import IntakeError
from .models import ImportJob

SNIFF_BYTES = 64 * 1024
TEXT = CharWidget(allow_blank=True)


def cell_text(value) -> str:
    """A cell as text: "12345" for an integer read as 12345.0, no padding, no control chars."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if hasattr(value, "isoformat"):
        value = value.isoformat()
    # Most cells are already text (every CSV cell): CharWidget's clean would return them as is.
    text = value if isinstance(value, str) else str(TEXT.clean(value) or "")
    if not text.isprintable():
        text = "".join(c if c.isprintable() else " " for c in text)
    return " ".join(text.split())


def sniff(head: bytes) -> str:
    """ "xlsx" or "csv", or IntakeError for what is not a spreadsheet."""
    if not head:
        raise IntakeError(_("Le fichier est vide."))
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise IntakeError(
            _(
                "Ce fichier est au format Excel 97-2003 (.xls), qui n'est pas lu : "
                "enregistrez-le au format .xlsx ou CSV."
            )
        )
    if head.startswith(b"%PDF"):
        raise IntakeError(
            _(
                "Ce fichier est un PDF, pas un tableur : demandez au donateur sa liste "
                "en CSV ou XLSX."
            )
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "csv"  # UTF-16 text export
    sample = head[:8192]
    if b"\x00" in sample or _binary_ratio(sample) > 0.1:
        raise IntakeError(
            _("Ce fichier n'est pas un tableur (CSV ou XLSX) : son contenu est binaire.")
        )
    return "csv"


def _binary_ratio(sample: bytes) -> float:
    control = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return control / max(1, len(sample))


MIXED = "utf-8+windows-1252"


def detect_encoding(stream) -> str:
    """utf-8-sig (BOM), utf-16, utf-8, windows-1252, or both line by line (lists pasted
    together from two exports); reads the stream line by line, keeping none."""
    stream.seek(0)
    head = stream.read(4)
    stream.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    utf8_lines = other_lines = 0
    try:
        for raw in stream:
            if raw.isascii():
                continue
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                other_lines += 1
            else:
                utf8_lines += 1
    finally:
        stream.seek(0)
    if not other_lines:
        return "utf-8"
    return MIXED if utf8_lines else "windows-1252"


def _decode_lines(stream) -> Iterator[str]:
    for raw in stream:
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            yield raw.decode("windows-1252", errors="replace")


def detect_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (";", ",", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _open(job: ImportJob):
    job.file.open("rb")
    return job.file.file if hasattr(job.file, "file") else job.file


def iter_rows(job: ImportJob) -> Iterator[tuple[int, list]]:
    """(line number, cells) of every row after the header, read as a stream."""
    stream = _open(job)
    stream.seek(0)
    try:
        if job.file_format == "xlsx":
            yield from _iter_xlsx(stream)
        else:
            yield from _iter_csv(stream, job.encoding, job.delimiter)
    finally:
        job.file.close()


def _iter_csv(stream, encoding: str, delimiter: str) -> Iterator[tuple[int, list]]:
    if encoding == MIXED:
        text = None
        lines = _decode_lines(stream)
    else:
        text = io.TextIOWrapper(stream, encoding=encoding, errors="strict", newline="")
        lines = text
    try:
        reader = csv.reader(lines, delimiter=delimiter or ",")
        try:
            for row in reader:
                yield reader.line_num, row
        except UnicodeDecodeError:
            raise IntakeError(
                _("Le fichier mélange plusieurs encodages : enregistrez-le en UTF-8.")
            ) from None
        except csv.Error as error:
            raise IntakeError(
                _("Le fichier CSV est mal formé vers la ligne %(line)s (%(error)s).")
                % {"line": reader.line_num, "error": error}
            ) from None
    finally:
        if text is not None:
            text.detach()


def _iter_xlsx(stream) -> Iterator[tuple[int, list]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise IntakeError(
            _(
                "Ce fichier ZIP n'est pas un classeur XLSX lisible (un fichier .ods ou .docx ?) : "
                "enregistrez-le au format .xlsx ou CSV."
            )
        ) from error
    try:
        sheet = workbook.worksheets[0]
        for line, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield line, list(row)
    finally:
        workbook.close()


def count_rows(job: ImportJob) -> int:
    """Data rows (without the header), counted without keeping them."""
    count = 0
    for _line, _cells in iter_rows(job):
        count += 1
    return max(0, count - 1)


def first_line(upload, encoding: str) -> str:
    upload.seek(0)
    raw = upload.read(SNIFF_BYTES)
    upload.seek(0)
    text = raw.decode("utf-8" if encoding == MIXED else encoding, errors="replace")
    return text.splitlines()[0] if text.splitlines() else ""


def read_header(job: ImportJob) -> list[str]:
    for _line, cells in iter_rows(job):
        headers = [cell_text(c) for c in cells]
        while headers and not headers[-1]:
            headers.pop()
        if not any(headers):
            raise IntakeError(
                _("La première ligne du fichier est vide : elle doit porter les en-têtes.")
            )
        return headers
    raise IntakeError(_("Le fichier est vide."))


def sample_rows(job: ImportJob, count: int = 3) -> list[list[str]]:
    """The first non-empty data rows, for the mapping screen."""
    rows = []
    with contextlib.closing(iter_rows(job)) as reader:
        next(reader, None)  # header
        for _line, cells in reader:
            values = [cell_text(c) for c in cells]
            if any(values):
                rows.append(values)
            if len(rows) >= count:
                break
    return rows

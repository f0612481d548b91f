"""Reading a donor's file as a stream, whatever it is: XLSX (openpyxl's read-only mode) or CSV
in its encoding (UTF-8 with or without BOM, UTF-16, Windows-1252, or both line by line) and
with its separator; never the whole file in memory. What is not a spreadsheet (a PDF, an .xls,
a binary file) is refused with a French message.

Uploads cannot exhaust the server: the upload limit is on the compressed size, so an XLSX is
inspected before openpyxl opens it (``inspect_xlsx``): the sizes its archive declares (which
``zipfile`` never reads beyond), then every XML part read as a stream by defusedxml (no DTD,
no entity) while counting rows, columns and the length of each cell; the first limit crossed
refuses the file. A CSV is held to the same limits while its rows are counted.
"""

import codecs
import contextlib
import csv
import datetime as dt
import io
import logging
import posixpath
import struct
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from xml.sax import SAXException
from xml.sax.handler import ContentHandler

from defusedxml import DefusedXmlException
from defusedxml.expatreader import create_parser
from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from import_export.widgets import CharWidget

from .errors import IntakeError
from .models import ImportJob

logger = logging.getLogger(__name__)

SNIFF_BYTES = 64 * 1024
TEXT = CharWidget(allow_blank=True)


def _limit(name: str, default: int) -> int:
    return getattr(settings, f"INTAKE_{name}", default)


# Limits of what a donor's file may hold (settings INTAKE_<NAME> override them).
MAX_ROWS = _limit("MAX_ROWS", 50_000)  # device rows
MAX_COLUMNS = _limit("MAX_COLUMNS", 100)
MAX_CELL_CHARS = _limit("MAX_CELL_CHARS", 5_000)
MAX_UNCOMPRESSED_BYTES = _limit("MAX_UNCOMPRESSED_BYTES", 80 * 2**20)
MAX_ZIP_MEMBERS = 500
# Titles, notes and blank rows tolerated above and between the rows (lines beyond the rows).
SPARE_LINES = 1_000
# The header is looked for among the first rows that hold something.
HEADER_SCAN_ROWS = 20


def french_int(value: int) -> str:
    """88589 -> "88 589"."""
    return number_format(value, 0, force_grouping=True)


def french_mb(size: int) -> str:
    """Bytes -> "21,4" (megabytes)."""
    return number_format(size / 2**20, 1)


@dataclass(frozen=True)
class Formula:
    """An XLSX formula cell: its text (``=HYPERLINK(…)``) and the value the spreadsheet
    computed and saved with it (``None`` when it saved none)."""

    text: str
    cached: object = None


def cell_text(value) -> str:
    """A cell as text: "12345" for an integer read as 12345.0, a date without its midnight,
    no padding, no control chars. A formula is its computed value, or its text."""
    if value is None:
        return ""
    if isinstance(value, Formula):
        return cell_text(value.cached) if value.cached not in (None, "") else value.text
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        value = value.date()
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
                "Ce fichier est au format Excel 97-2003 (.xls) ou protégé par un mot de passe : "
                "il n'est pas lu. Enregistrez-le au format .xlsx ou CSV, sans mot de passe."
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
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    bom = head.startswith(codecs.BOM_UTF8)
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
        return "utf-8-sig" if bom else "utf-8"
    # A UTF-8 file (BOM or accents) with lines that are not: each line read as it decodes.
    return MIXED if (utf8_lines or bom) else "windows-1252"


def _decode_lines(stream) -> Iterator[str]:
    for raw in stream:
        raw = raw.removeprefix(codecs.BOM_UTF8)
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            yield raw.decode("windows-1252", errors="replace")


DELIMITERS = (";", ",", "\t", "|")


def detect_delimiter(lines: list[str]) -> str:
    """The separator that splits the most lines into the same number of cells (a title line
    above the header does not decide), semicolon first on a tie."""
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        counts = Counter(line.count(delimiter) for line in lines if line.count(delimiter))
        if not counts:
            continue
        value, frequency = counts.most_common(1)[0]
        if (frequency, value) > best_score:
            best, best_score = delimiter, (frequency, value)
    return best


def first_lines(upload, encoding: str, count: int = HEADER_SCAN_ROWS) -> list[str]:
    upload.seek(0)
    raw = upload.read(SNIFF_BYTES)
    upload.seek(0)
    text = raw.decode("utf-8" if encoding == MIXED else encoding, errors="replace")
    return [line for line in text.splitlines() if line.strip()][:count]


def _open(job: ImportJob):
    """A file object of its own (two readers of one XLSX must not share a position)."""
    return job.file.storage.open(job.file.name, "rb")


# --- rows -----------------------------------------------------------------------------------


def iter_file_rows(job: ImportJob) -> Iterator[tuple[int, list]]:
    """(line number, cells) of every row of the file, the header and what is above it
    included, read as a stream."""
    stream = _open(job)
    try:
        if job.file_format == "xlsx":
            yield from _iter_xlsx(job, stream)
        else:
            yield from _iter_csv(stream, job.encoding, job.delimiter)
    finally:
        stream.close()


def iter_rows(job: ImportJob) -> Iterator[tuple[int, list]]:
    """(line number, cells) of every row below the header."""
    with contextlib.closing(iter_file_rows(job)) as rows:
        for line, cells in rows:
            if line > job.header_line:
                yield line, cells


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
            # Rows numbered as a spreadsheet shows them (a cell over two lines is one row).
            yield from enumerate(reader, start=1)
        except UnicodeDecodeError:
            raise IntakeError(
                _("Le fichier mélange plusieurs encodages : enregistrez-le en UTF-8.")
            ) from None
        except csv.Error as error:
            if "field larger than field limit" in str(error):
                raise IntakeError(_cell_too_long(_("vers la ligne %s") % reader.line_num)) from None
            raise IntakeError(
                _("Le fichier CSV est mal formé vers la ligne %(line)s (%(error)s).")
                % {"line": reader.line_num, "error": error}
            ) from None
    finally:
        if text is not None:
            text.detach()


# What a damaged archive raises while it is read (zipfile, zlib, the XML parsers).
BROKEN_ARCHIVE = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    KeyError,
    ValueError,
    NotImplementedError,
    RuntimeError,
    struct.error,
    SAXException,
)


def _unreadable_xlsx() -> IntakeError:
    return IntakeError(
        _(
            "Ce classeur XLSX n'a pas pu être lu (une partie manque ou n'est pas ce qu'un "
            "tableur écrit) : ouvrez-le dans le tableur et enregistrez-le à nouveau, ou "
            "enregistrez-le en CSV."
        )
    )


def _broken_xlsx() -> IntakeError:
    return IntakeError(
        _(
            "Ce classeur XLSX est abîmé ou incomplet (transfert interrompu ?) : ouvrez-le dans "
            "le tableur, enregistrez-le à nouveau et déposez le nouveau fichier."
        )
    )


def _iter_xlsx(job: ImportJob, stream) -> Iterator[tuple[int, list]]:
    """The first sheet's rows, within what ``inspect_xlsx`` found (the last line holding a
    value, the columns holding one): no padding to a sheet's declared size. A formula cell
    comes as ``Formula`` (read a second time without the computed values, only for sheets
    that have formulas)."""
    facts = job.sheet_facts or {}
    last_line = facts.get("last_line", 0)
    columns = facts.get("columns", 0)
    if not last_line or not columns:
        return
    with contextlib.ExitStack() as stack:
        values = _xlsx_rows(stack, stream, data_only=True, last_line=last_line, columns=columns)
        written = None
        if facts.get("formulas"):
            other = stack.enter_context(_open(job))
            written = _xlsx_rows(
                stack, other, data_only=False, last_line=last_line, columns=columns
            )
        try:
            for line, row in enumerate(values, start=1):
                if written is not None:
                    row = _with_formulas(row, next(written, ()))
                yield line, list(row)
        except IntakeError:
            raise
        except BROKEN_ARCHIVE:
            raise _broken_xlsx() from None
        except Exception:  # noqa: BLE001 — openpyxl on a hostile workbook: anything
            logger.info("XLSX unreadable by openpyxl", exc_info=True)
            raise _unreadable_xlsx() from None


def _xlsx_rows(stack, stream, *, data_only: bool, last_line: int, columns: int):
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(stream, read_only=True, data_only=data_only)
    except BROKEN_ARCHIVE:
        raise _broken_xlsx() from None
    except Exception:  # noqa: BLE001 — openpyxl on a hostile workbook: anything
        logger.info("XLSX refused by openpyxl", exc_info=True)
        raise _unreadable_xlsx() from None
    stack.callback(workbook.close)
    sheet = workbook.worksheets[0]
    # The declared size (<dimension>) would pad every row to it: the inspection's figures rule.
    sheet.reset_dimensions()
    return sheet.iter_rows(values_only=True, max_row=last_line, max_col=columns)


def _with_formulas(values, written) -> list:
    row = list(values)
    for index, text in enumerate(written):
        if index >= len(row):
            break
        formula = getattr(text, "text", text)  # ArrayFormula keeps its text in .text
        if isinstance(formula, str) and formula.startswith("=") and formula != row[index]:
            row[index] = Formula(text=formula, cached=row[index])
    return row


def count_rows(job: ImportJob, head: list[tuple[int, list[str]]] | None = None) -> int:
    """Rows below the header that hold something, counted without keeping them; a CSV held to
    the limits on the way. An XLSX was counted and held to them by ``inspect_xlsx``: its rows
    holding a value, less those down to the header (among the first rows read)."""
    if job.file_format == "xlsx":
        head = head if head is not None else head_rows(job)
        above = sum(1 for line, _cells in head if line <= job.header_line)
        return max(0, job.sheet_facts.get("rows", 0) - above)
    count = 0
    for line, cells in iter_rows(job):
        if job.file_format == "csv":
            check_csv_row(line, cells)
        if any(cell not in (None, "") for cell in cells):
            count += 1
            if count > MAX_ROWS:
                raise too_many_rows()
    return count


def too_many_rows(count: int | None = None) -> IntakeError:
    return IntakeError(
        _(
            "Le fichier compte plus de %(max)s lignes : découpez-le en fichiers de %(max)s "
            "lignes au plus."
        )
        % {"max": french_int(MAX_ROWS)}
    )


def _cell_too_long(where: str) -> str:
    return _(
        "Une cellule du fichier (%(where)s) dépasse %(max)s caractères : ce n'est pas une liste "
        "d'appareils. Vérifiez le fichier ou demandez-en un autre au donateur."
    ) % {"where": where, "max": french_int(MAX_CELL_CHARS)}


def _too_many_columns(where: str) -> str:
    return _(
        "Le fichier a des valeurs au-delà de la colonne %(max)s (%(where)s) : %(max)s colonnes "
        "au plus. Supprimez les colonnes inutiles."
    ) % {"where": where, "max": french_int(MAX_COLUMNS)}


def check_csv_row(line: int, cells: list[str]) -> None:
    if len(cells) > MAX_COLUMNS and any(cells[MAX_COLUMNS:]):
        raise IntakeError(_too_many_columns(_("ligne %s") % line))
    for cell in cells:
        if len(cell) > MAX_CELL_CHARS:
            raise IntakeError(_cell_too_long(_("ligne %s") % line))


# --- the header ----------------------------------------------------------------------------


def head_rows(job: ImportJob, count: int = HEADER_SCAN_ROWS) -> list[tuple[int, list[str]]]:
    """The first ``count`` rows of the file that hold something, as text (with their line)."""
    rows = []
    with contextlib.closing(iter_file_rows(job)) as reader:
        for line, cells in reader:
            values = [cell_text(c) for c in cells]
            if any(values):
                rows.append((line, values))
            if len(rows) >= count:
                break
    return rows


def header_at(
    job: ImportJob, line: int, head: list[tuple[int, list[str]]] | None = None
) -> list[str]:
    for row_line, values in head if head is not None else head_rows(job):
        if row_line == line:
            values = list(values)
            while values and not values[-1]:
                values.pop()
            return values
    raise IntakeError(_("La ligne %(line)s du fichier est vide.") % {"line": line})


def sample_rows(job: ImportJob, count: int = 3) -> list[list[str]]:
    """The first non-empty data rows, for the mapping screen."""
    rows = []
    with contextlib.closing(iter_rows(job)) as reader:
        for _line, cells in reader:
            values = [cell_text(c) for c in cells]
            if any(values):
                rows.append(values)
            if len(rows) >= count:
                break
    return rows


# --- XLSX inspection -------------------------------------------------------------------------


class _Refused(SAXException):
    """A limit crossed inside an XML part (raised from a handler, stops the parser)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.text = message


def _column_number(reference: str) -> int:
    number = 0
    for char in reference:
        if "A" <= char <= "Z":
            number = number * 26 + ord(char) - 64
        else:
            break
    return number


def _row_number(reference: str) -> int:
    digits = reference.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return int(digits) if digits.isdigit() else 0


def _local(name: str) -> str:
    return name.rsplit(":", 1)[-1]


class _SheetScan(ContentHandler):
    """Counts what a worksheet holds as its XML streams by: rows and columns with a value,
    the last line with one, the length of each cell, formulas."""

    TEXT_TAGS = frozenset({"v", "t", "f"})

    def __init__(self):
        super().__init__()
        self.row = 0
        self.column = 0
        self.rows = 0
        self.last_line = 0
        self.columns = 0
        self.formulas = False
        self.row_has_value = False
        self.length = 0
        self.in_text = False

    def startElement(self, name, attrs):
        tag = _local(name)
        if tag == "row":
            reference = attrs.get("r")
            self.row = int(reference) if reference and reference.isdigit() else self.row + 1
            self.column = 0
            self.row_has_value = False
        elif tag == "c":
            reference = attrs.get("r") or ""
            self.column = _column_number(reference) or self.column + 1
            self.length = 0
        elif tag in self.TEXT_TAGS:
            self.in_text = True
            if tag == "f":
                self.formulas = True

    def characters(self, content):
        if self.in_text:
            self.length += len(content)
            if self.length > MAX_CELL_CHARS:
                raise _Refused(_cell_too_long(self._where()))

    def endElement(self, name):
        tag = _local(name)
        if tag in self.TEXT_TAGS:
            self.in_text = False
        elif tag == "c" and self.length:
            if self.column > MAX_COLUMNS:
                raise _Refused(_too_many_columns(self._where()))
            self.columns = max(self.columns, self.column)
            self.last_line = max(self.last_line, self.row)
            if not self.row_has_value:
                self.row_has_value = True
                self.rows += 1
                if self.rows > MAX_ROWS + HEADER_SCAN_ROWS or self.row > MAX_ROWS + SPARE_LINES:
                    raise _Refused(str(too_many_rows().message))

    def _where(self) -> str:
        return _("cellule %(column)s%(row)s") % {
            "column": _column_letters(self.column),
            "row": self.row,
        }


def _column_letters(number: int) -> str:
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class _SharedStringsScan(ContentHandler):
    """The length of each shared string (the text of most cells)."""

    def __init__(self):
        super().__init__()
        self.length = 0
        self.count = 0

    def startElement(self, name, attrs):
        if _local(name) == "si":
            self.length = 0
            self.count += 1

    def characters(self, content):
        self.length += len(content)
        if self.length > MAX_CELL_CHARS:
            raise _Refused(_cell_too_long(_("texte n° %s du classeur") % french_int(self.count)))


class _Collect(ContentHandler):
    """Elements of a small part (the workbook, its relationships) with their attributes."""

    def __init__(self, tags):
        super().__init__()
        self.tags = tags
        self.found = []

    def startElement(self, name, attrs):
        tag = _local(name)
        if tag in self.tags:
            self.found.append((tag, {_local(k): v for k, v in attrs.items()}))


def _scan(archive: zipfile.ZipFile, name: str, handler: ContentHandler) -> None:
    """Parse one XML part as a stream with defusedxml: no DTD, no entity, no external
    reference."""
    parser = create_parser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    parser.setContentHandler(handler)
    with archive.open(name) as part:
        while chunk := part.read(64 * 1024):
            parser.feed(chunk)
    parser.close()


def _first_sheet(archive: zipfile.ZipFile, names: set[str]) -> str:
    workbook = _Collect({"sheet"})
    _scan(archive, "xl/workbook.xml", workbook)
    relations = _Collect({"Relationship"})
    rels_name = "xl/_rels/workbook.xml.rels"
    if rels_name in names:
        _scan(archive, rels_name, relations)
    targets = {attrs.get("Id"): attrs.get("Target", "") for _tag, attrs in relations.found}
    for _tag, attrs in workbook.found:
        target = targets.get(attrs.get("id"), "")
        if target:
            path = target.lstrip("/") if target.startswith("/") else "xl/" + target
            path = posixpath.normpath(path)
            if path in names:
                return path
        break
    sheets = sorted(n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml"))
    if not sheets:
        raise IntakeError(_("Ce classeur XLSX ne contient aucune feuille."))
    return sheets[0]


def inspect_xlsx(stream) -> dict:
    """Hold an XLSX to the limits before anything opens it; what its first sheet holds
    (``last_line``, ``columns``, ``formulas``, ``rows``), or IntakeError with the reason."""
    stream.seek(0)
    try:
        archive = zipfile.ZipFile(stream)
    except BROKEN_ARCHIVE:
        raise _broken_xlsx() from None
    with archive:
        members = archive.infolist()
        names = {member.filename for member in members}
        if "xl/workbook.xml" not in names:
            raise IntakeError(
                _(
                    "Ce fichier ZIP n'est pas un classeur XLSX lisible (un fichier .ods ou "
                    ".docx ?) : enregistrez-le au format .xlsx ou CSV."
                )
            )
        if len(members) > MAX_ZIP_MEMBERS:
            raise IntakeError(
                _("Ce classeur contient %(count)s parties : ce n'est pas une liste d'appareils.")
                % {"count": french_int(len(members))}
            )
        unpacked = sum(member.file_size for member in members)
        if unpacked > MAX_UNCOMPRESSED_BYTES:
            raise IntakeError(
                _(
                    "Une fois décompressé, ce classeur ferait %(size)s Mo : la limite est de "
                    "%(limit)s Mo. Découpez la liste, ou enregistrez-la en CSV."
                )
                % {
                    "size": french_mb(unpacked),
                    "limit": number_format(MAX_UNCOMPRESSED_BYTES / 2**20, 0),
                }
            )
        try:
            sheet = _first_sheet(archive, names)
            scan = _SheetScan()
            for member in members:
                name = member.filename
                if name == sheet:
                    _scan(archive, name, scan)
                elif name == "xl/sharedStrings.xml":
                    _scan(archive, name, _SharedStringsScan())
                elif name.endswith((".xml", ".rels")):
                    _scan(archive, name, ContentHandler())
        except _Refused as refusal:
            raise IntakeError(refusal.text) from None
        except DefusedXmlException:
            raise IntakeError(
                _(
                    "Ce classeur contient une déclaration XML interdite (DTD ou entité), qu'un "
                    "tableur n'écrit pas : il n'est pas lu. Enregistrez-le à nouveau depuis le "
                    "tableur."
                )
            ) from None
        except BROKEN_ARCHIVE:
            raise _broken_xlsx() from None
    stream.seek(0)
    return {
        "last_line": scan.last_line,
        "columns": scan.columns,
        "formulas": scan.formulas,
        "rows": scan.rows,
    }

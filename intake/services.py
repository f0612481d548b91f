"""Intake of a donor's inventory list: the donor's own spreadsheet (CSV or XLSX), read as it
comes, previewed row by row, then imported all or nothing into the donation.

Three steps, each a function the views and the Celery tasks call:

1. ``job_create`` stores the file, recognises its format (XLSX, or CSV with its encoding and
   separator), reads its header and maps each column to a field through French and English
   aliases. Columns it cannot place leave the job waiting for the mapping screen.
2. ``job_analyse`` (the dry run) reads every row as a stream, cleans it, flags errors,
   duplicates inside the file and serials already registered, and stages one ``ImportRow``
   per line. Nothing is written to the pool.
3. ``job_import`` creates the devices of a clean preview in one transaction: a bulk path that
   keeps ``device_register``'s invariants (a free random public code per device, its
   storage media, one ``register`` event each), after checking again, under a lock on the
   donation, that nothing changed since the preview.

Memory: the file is never loaded whole. CSV is decoded line by line (``io.TextIOWrapper``),
XLSX read with openpyxl's read-only mode; rows go to the database in chunks, and duplicates
are found by querying the rows already staged, not by keeping every serial in memory.

django-import-export: its ``import_data`` loads the whole file into a tablib ``Dataset`` and
saves rows one by one, which neither streams nor keeps the pool's invariants (public codes,
events); its widgets clean the text cells here (``import_export.widgets.CharWidget``).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import logging
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.widgets import CharWidget

from acteurs.permissions import POOL_MANAGER_ROLES, has_role
from parc.codes import generate_code
from parc.hardware import vendor_name
from parc.models import (
    Device,
    DeviceEvent,
    DeviceKind,
    MediaType,
    State,
    StorageMedium,
    to_search_key,
)

from .models import ImportJob, ImportOutcome, ImportRow, ImportStatus

# From this many rows, the analysis and the import run in the background (Celery).
BACKGROUND_FROM = getattr(settings, "INTAKE_BACKGROUND_FROM", 1000)
MAX_FILE_BYTES = getattr(settings, "INTAKE_MAX_FILE_BYTES", 10 * 1024 * 1024)
MAX_ROWS = 50_000
CHUNK = 500
SNIFF_BYTES = 64 * 1024


class IntakeError(Exception):
    """A file or an import refused; ``message`` is French and safe to show."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- fields and their aliases ----------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    aliases: tuple[str, ...]


FIELDS = (
    FieldSpec(
        "serial",
        gettext_lazy("N° de série"),
        (
            "n° de série",
            "no de série",
            "n° série",
            "numéro de série",
            "num série",
            "num de série",
            "serial number",
            "serial",
            "serial no",
            "s/n",
            "sn",
            "n/s",
            "service tag",
            "numéro de série constructeur",
        ),
    ),
    FieldSpec(
        "brand",
        gettext_lazy("Marque"),
        ("marque", "fabricant", "constructeur", "manufacturer", "brand", "make", "vendor"),
    ),
    FieldSpec(
        "model",
        gettext_lazy("Modèle"),
        ("modèle", "model", "désignation", "référence", "product", "produit", "model name"),
    ),
    FieldSpec(
        "kind",
        gettext_lazy("Type d'appareil"),
        (
            "type",
            "catégorie",
            "category",
            "type d'appareil",
            "type de matériel",
            "type de materiel",
            "matériel",
            "device type",
            "kind",
            "famille",
            "nature",
        ),
    ),
    FieldSpec(
        "cpu",
        gettext_lazy("Processeur"),
        ("processeur", "cpu", "processor", "proc", "cpu model"),
    ),
    FieldSpec(
        "ram",
        gettext_lazy("Mémoire vive (Go)"),
        ("mémoire", "mémoire vive", "ram", "memory", "ram go", "ram gb", "mem"),
    ),
    FieldSpec(
        "storage",
        gettext_lazy("Disque / stockage"),
        (
            "disque",
            "disque dur",
            "disques",
            "stockage",
            "hdd",
            "ssd",
            "storage",
            "disk",
            "hard drive",
            "hard disk",
            "capacité disque",
            "capacité",
            "disk size",
        ),
    ),
    FieldSpec(
        "notes",
        gettext_lazy("Remarques"),
        (
            "remarques",
            "remarque",
            "commentaire",
            "commentaires",
            "notes",
            "observations",
            "comment",
        ),
    ),
)
FIELDS_BY_NAME = {f.name: f for f in FIELDS}
IGNORE = "ignore"
REQUIRED = ("serial",)


def normalise_header(text) -> str:
    """Lower case, no accents, no parentheses ("RAM (Go)"), no punctuation but "/"."""
    text = str(text or "").strip().lower()
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("°", "").replace("º", "")
    text = re.sub(r"\(.*?\)", " ", text)
    text = re.sub(r"[^a-z0-9/' ]+", " ", text)
    return " ".join(text.split())


ALIASES = {normalise_header(alias): f.name for f in FIELDS for alias in f.aliases}
ALIASES.update({normalise_header(str(f.label)): f.name for f in FIELDS})


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """{column index (str): field name}; the first column of a field wins."""
    mapping: dict[str, str] = {}
    taken = set()
    for index, header in enumerate(headers):
        name = ALIASES.get(normalise_header(header))
        if name and name not in taken:
            mapping[str(index)] = name
            taken.add(name)
    return mapping


def mapping_problems(job: ImportJob) -> list[str]:
    names = set(job.mapping.values())
    problems = []
    if "serial" not in names:
        problems.append(_("Aucune colonne n'est reconnue comme numéro de série."))
    if "kind" not in names and not job.default_kind:
        problems.append(
            _(
                "Aucune colonne n'indique le type d'appareil : choisissez-en une, ou le type "
                "de tous les appareils du fichier."
            )
        )
    return problems


def unmapped_columns(job: ImportJob) -> list[int]:
    return [
        index
        for index, header in enumerate(job.headers)
        if str(index) not in job.mapping and str(header or "").strip()
    ]


# --- values ----------------------------------------------------------------------------------

KIND_WORDS = {
    DeviceKind.LAPTOP: (
        "portable",
        "ordinateur portable",
        "pc portable",
        "laptop",
        "notebook",
        "ultrabook",
        "netbook",
        "chromebook",
    ),
    DeviceKind.DESKTOP: (
        "fixe",
        "ordinateur fixe",
        "pc fixe",
        "pc",
        "ordinateur",
        "ordinateur de bureau",
        "unite centrale",
        "uc",
        "tour",
        "desktop",
        "mini pc",
        "tout en un",
        "all in one",
        "station de travail",
        "workstation",
    ),
    DeviceKind.SCREEN: ("ecran", "moniteur", "monitor", "screen", "display"),
    DeviceKind.TABLET: ("tablette", "tablet", "ipad"),
    DeviceKind.SMARTPHONE: (
        "smartphone",
        "telephone",
        "telephone portable",
        "mobile",
        "phone",
        "iphone",
        "gsm",
    ),
    DeviceKind.PRINTER: ("imprimante", "printer", "multifonction", "mfp", "copieur"),
    DeviceKind.OTHER: ("autre", "other", "divers"),
}
KINDS = {normalise_header(word): kind for kind, words in KIND_WORDS.items() for word in words}
KINDS.update({normalise_header(kind.value): kind for kind in DeviceKind})
KINDS.update({normalise_header(str(kind.label)): kind for kind in DeviceKind})

NO_STORAGE = re.compile(
    r"^(aucun|aucune|sans|sans disque|retire|retiree|non|none|no|no disk|removed|0|-)$"
)
STORAGE_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*(to|tb|go|gb|g|t|mo|mb)?\b")
MEDIA_WORDS = {
    "nvme": MediaType.NVME,
    "m2": MediaType.NVME,
    "ssd": MediaType.SSD,
    "hdd": MediaType.HDD,
    "dd": MediaType.HDD,
    "emmc": MediaType.EMMC,
    "flash": MediaType.FLASH,
}

TEXT = CharWidget(allow_blank=True)
FIELD_LENGTHS = {
    name: Device._meta.get_field(name).max_length for name in ("brand", "model", "serial", "cpu")
}


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


def parse_kind(text: str) -> str | None:
    """Exact word first ("Portable"), else the longest known phrase inside the text
    ("Imprimante multifonction"); None if unknown or if two kinds are as likely."""
    normalised = normalise_header(text)
    if normalised in KINDS:
        return KINDS[normalised]
    found = [
        (len(word), kind)
        for word, kind in KINDS.items()
        if re.search(rf"(^| ){re.escape(word)}( |$)", normalised)
    ]
    if not found:
        return None
    longest = max(length for length, _kind in found)
    kinds = {kind for length, kind in found if length == longest}
    return kinds.pop() if len(kinds) == 1 else None


def _value_text(text: str) -> str:
    """Lower case, no accents, decimal point for comma; letters, digits, dots and spaces."""
    text = unicodedata.normalize("NFKD", str(text).lower().replace(",", "."))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z0-9. ]+", " ", text).split())


def parse_ram(text: str) -> Decimal:
    """ "8", "8 Go", "8GB", "8192 Mo", "8,5" -> GB; ValueError if unreadable."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(go|gb|g|gio|gib|mo|mb|mio|mib)?", _value_text(text))
    if not match:
        raise ValueError(text)
    number = Decimal(match.group(1).replace(",", "."))
    unit = match.group(2) or ""
    if unit.startswith("m") or (not unit and number >= 256):
        number = number / 1024
    number = number.quantize(Decimal("0.1"))
    if number <= 0 or number >= Decimal("10000"):
        raise ValueError(text)
    return number


def parse_storage(text: str, default_type: str) -> tuple[list[dict], bool]:
    """ "SSD 256 Go + HDD 1 To" -> media; (media, received_without_storage)."""
    if NO_STORAGE.match(normalise_header(text)):
        return [], True
    media = []
    for part in re.split(r"\+|/| et | and |;|&", text.lower()):
        part = _value_text(part.replace("m.2", "m2"))
        if not part:
            continue
        words = set(part.split())
        media_type = next((MEDIA_WORDS[w] for w in MEDIA_WORDS if w in words), default_type)
        sizes = [(m.group(1), m.group(2)) for m in STORAGE_SIZE.finditer(part)]
        sizes = [(n, u) for n, u in sizes if u] or sizes
        capacity = None
        if sizes:
            number, unit = sizes[-1]
            size = Decimal(number)
            if unit in ("to", "tb", "t"):
                size *= 1000
            elif unit in ("mo", "mb"):
                size /= 1000
            capacity = max(1, int(size))
        elif not (words & set(MEDIA_WORDS)):
            raise ValueError(text)
        media.append({"media_type": media_type, "capacity_gb": capacity})
    if not media:
        raise ValueError(text)
    return media, False


SCIENTIFIC = re.compile(r"^\d+(?:[.,]\d+)?E\+\d+$", re.I)


@dataclass
class RowResult:
    line: int
    cells: list[str]
    data: dict
    errors: list[str]

    @property
    def key(self) -> str:
        return to_search_key(self.data.get("serial", ""))[:100]


def clean_row(job: ImportJob, line: int, raw_cells: list) -> RowResult | None:
    """One row cleaned into device fields, with its French errors; None for an empty row."""
    cells = [cell_text(value) for value in raw_cells]
    if not any(cells):
        return None
    values = {}
    for index, name in job.mapping.items():
        position = int(index)
        if name != IGNORE and position < len(cells) and cells[position]:
            values[name] = cells[position]
    errors = []
    data: dict = {}
    if sum(1 for cell in cells if cell) == 1 and len(job.mapping) > 1:
        return RowResult(
            line=line,
            cells=cells,
            data={"serial": ""},
            errors=[
                _(
                    "ligne qui ne décrit pas un appareil "
                    "(une seule cellule remplie : titre ou note ?)"
                )
            ],
        )
    serial = values.get("serial", "")
    if not serial:
        errors.append(_("numéro de série manquant"))
    elif SCIENTIFIC.match(serial):
        errors.append(
            _(
                "numéro de série « %(value)s » abîmé par le tableur (notation scientifique) : "
                "mettez la colonne au format texte"
            )
            % {"value": serial}
        )
    data["serial"] = serial
    data["brand"] = vendor_name(values.get("brand", ""))
    data["model"] = values.get("model", "")
    data["cpu"] = values.get("cpu", "")
    for name, limit in FIELD_LENGTHS.items():
        if len(data[name]) > limit:
            errors.append(
                _("%(field)s trop long (%(limit)s caractères au plus)")
                % {"field": _field_label(name), "limit": limit}
            )
    kind_text = values.get("kind", "")
    if kind_text:
        kind = parse_kind(kind_text)
        if kind is None:
            errors.append(
                _("type d'appareil inconnu : « %(value)s » (types reconnus : %(kinds)s)")
                % {
                    "value": kind_text,
                    "kinds": ", ".join(str(k.label) for k in DeviceKind),
                }
            )
        data["kind"] = kind or ""
    elif job.default_kind:
        data["kind"] = job.default_kind
    else:
        errors.append(_("type d'appareil manquant"))
        data["kind"] = ""
    if values.get("ram"):
        try:
            data["ram_gb"] = str(parse_ram(values["ram"]))
        except (ValueError, InvalidOperation):
            errors.append(
                _("mémoire illisible : « %(value)s » (attendu : 8, 8 Go, 8192 Mo)")
                % {"value": values["ram"]}
            )
    if values.get("storage"):
        header = normalise_header(
            next(
                (job.headers[int(i)] for i, n in job.mapping.items() if n == "storage"),
                "",
            )
        )
        default_type = MEDIA_WORDS.get(header) or (
            MediaType.FLASH
            if data.get("kind") in (DeviceKind.TABLET, DeviceKind.SMARTPHONE)
            else MediaType.HDD
        )
        try:
            data["media"], data["without_storage"] = parse_storage(values["storage"], default_type)
        except (ValueError, InvalidOperation):
            errors.append(
                _("stockage illisible : « %(value)s » (attendu : SSD 256 Go, HDD 1 To, aucun)")
                % {"value": values["storage"]}
            )
    if values.get("notes"):
        data["notes"] = values["notes"][:2000]
    return RowResult(line=line, cells=cells, data=data, errors=errors)


def _field_label(name: str) -> str:
    spec = FIELDS_BY_NAME.get(name)
    return str(spec.label) if spec else name


def same_device(brand_a: str, brand_b: str) -> bool:
    """Manufacturer + serial: the serials already match; the brands must not contradict."""
    a, b = to_search_key(vendor_name(brand_a)), to_search_key(vendor_name(brand_b))
    return not a or not b or a == b


# --- reading files as streams ----------------------------------------------------------------


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


# --- step 1: the file ------------------------------------------------------------------------


def check_permission(user, organisation_id: int) -> None:
    if not user.is_superuser and not has_role(user, organisation_id, POOL_MANAGER_ROLES):
        raise IntakeError(
            _("Seuls l'équipe et les administrateurs de la structure importent des listes.")
        )


def job_create(user, donation, upload) -> ImportJob:
    """Store the file and read its header; the job is ready for the mapping or the analysis."""
    organisation_id = donation.gisement.refurbisher_id
    check_permission(user, organisation_id)
    size = getattr(upload, "size", 0) or 0
    if size > MAX_FILE_BYTES:
        raise IntakeError(
            _(
                "Le fichier fait %(size)s Mo : la limite est de %(limit)s Mo. Découpez la liste "
                "en plusieurs fichiers, ou enregistrez-la en CSV (bien plus léger que XLSX)."
            )
            % {
                "size": number_format(size / 2**20, 1),
                "limit": number_format(MAX_FILE_BYTES / 2**20, 0),
            }
        )
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    file_format = sniff(head)
    job = ImportJob(
        organisation_id=organisation_id,
        donation=donation,
        created_by=user,
        original_name=str(getattr(upload, "name", "liste"))[-255:],
        file_format=file_format,
    )
    if file_format == "csv":
        job.encoding = detect_encoding(upload)
        first_line = _first_line(upload, job.encoding)
        job.delimiter = detect_delimiter(first_line)
    job.file.save(_storage_name(job.original_name), upload, save=False)
    headers = _read_header(job)
    job.headers = headers
    job.mapping = guess_mapping(headers)
    job.total_rows = count_rows(job)
    if job.total_rows == 0:
        job.file.delete(save=False)
        raise IntakeError(_("Le fichier ne contient que des en-têtes, aucune ligne d'appareil."))
    if job.total_rows > MAX_ROWS:
        job.file.delete(save=False)
        raise IntakeError(
            _("Le fichier compte %(count)s lignes : découpez-le en fichiers de %(max)s au plus.")
            % {"count": job.total_rows, "max": MAX_ROWS}
        )
    job.status = ImportStatus.MAPPING
    job.save()
    return job


def _storage_name(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-")[-80:] or "liste"
    return stem


def _first_line(upload, encoding: str) -> str:
    upload.seek(0)
    raw = upload.read(SNIFF_BYTES)
    upload.seek(0)
    text = raw.decode("utf-8" if encoding == MIXED else encoding, errors="replace")
    return text.splitlines()[0] if text.splitlines() else ""


def _read_header(job: ImportJob) -> list[str]:
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


def job_set_mapping(job: ImportJob, mapping: dict[str, str], default_kind: str = "") -> None:
    job.mapping = {k: v for k, v in mapping.items() if v and v != IGNORE}
    job.default_kind = default_kind or ""
    job.save(update_fields=["mapping", "default_kind"])


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


# --- bulk writes ------------------------------------------------------------------------------


def _json_value(value):
    """Dates and decimals in the JSON document of ``raw_insert``, as PostgreSQL reads them."""
    if isinstance(value, (datetime, Decimal)):
        return value.isoformat() if isinstance(value, datetime) else str(value)
    raise TypeError(type(value))


def raw_insert(model, fields: list[str], rows: list[tuple], returning: tuple = ()) -> list:
    """INSERT many rows, several per statement: what ``bulk_create`` writes, without building
    a model instance and preparing every value through the ORM for each row (most of its time
    for thousands of rows). Values are given in the fields' Python types; JSON and dates are
    adapted by their field, the rest passes as is (on PostgreSQL the rows go as one JSON
    document, typed by the columns). ``returning`` names columns read back (RETURNING, in no
    particular order: return a unique key with the id).
    """
    # The connection itself, not the proxy that looks it up again for every value adapted.
    connection = transaction.get_connection()
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    adapt = [
        index
        for index, field in enumerate(columns)
        if field.get_internal_type() in ("JSONField", "DateTimeField", "DecimalField")
    ]
    quote = connection.ops.quote_name
    head = "INSERT INTO {} ({}) VALUES ".format(
        quote(meta.db_table), ", ".join(quote(field.column) for field in columns)
    )
    placeholders = "({})".format(", ".join(["%s"] * len(columns)))
    tail = (" RETURNING " + ", ".join(quote(name) for name in returning)) if returning else ""
    if not rows:
        return []
    if connection.vendor == "postgresql":
        # The whole chunk as one JSON document, read back as typed rows: one parameter,
        # where psycopg would quote thousands of placeholders or array items one by one.
        names = [f"c{index}" for index in range(len(columns))]
        types = [field.db_type(connection) for field in columns]
        record = ", ".join(f"{name} {kind}" for name, kind in zip(names, types, strict=True))
        document = json.dumps(
            [dict(zip(names, row, strict=True)) for row in rows], default=_json_value
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"{head.removesuffix(' VALUES ')} SELECT {', '.join(names)} "
                f"FROM jsonb_to_recordset(%s::jsonb) AS chunk({record}){tail}",
                [document],
            )
            return cursor.fetchall() if returning else []
    params = []
    # A chunk's rows share their timestamp: each distinct value of a column is adapted once.
    last = {index: (object(), None) for index in adapt}
    for row in rows:
        if adapt:
            row = list(row)
            for index in adapt:
                value = row[index]
                seen, adapted = last[index]
                if value is not seen:
                    adapted = columns[index].get_db_prep_save(value, connection)
                    last[index] = (value, adapted)
                row[index] = adapted
        params.append(row)
    returned = []
    # As many rows per statement as the database takes parameters (SQLite's limit).
    batch = max(1, connection.ops.bulk_batch_size(columns, params) or len(params))
    with connection.cursor() as cursor:
        for start in range(0, len(params), batch):
            part = params[start : start + batch]
            cursor.execute(
                head + ", ".join([placeholders] * len(part)) + tail,
                [value for row in part for value in row],
            )
            if returning:
                returned.extend(cursor.fetchall())
    return returned


# --- step 2: the dry run ---------------------------------------------------------------------


def job_analyse(job_id: int, progress: Callable[[int], None] | None = None) -> ImportJob:
    """Read every row, stage it with its outcome; nothing is written to the pool."""
    job = ImportJob.objects.select_related("donation").get(pk=job_id)
    problems = mapping_problems(job)
    if problems:
        raise IntakeError(" ".join(problems))
    job.rows.all().delete()
    job.status = ImportStatus.ANALYSING
    job.processed_rows = 0
    job.error = ""
    job.save(update_fields=["status", "processed_rows", "error"])
    counts = {ImportOutcome.NEW: 0, ImportOutcome.EXISTING: 0, ImportOutcome.ERROR: 0}
    chunk: list[RowResult] = []
    try:
        rows = iter_rows(job)
        next(rows, None)  # header
        for line, cells in rows:
            result = clean_row(job, line, cells)
            if result is not None:
                chunk.append(result)
            if len(chunk) >= CHUNK:
                _stage(job, chunk, counts)
                chunk = []
                if progress:
                    progress(job.processed_rows)
        if chunk:
            _stage(job, chunk, counts)
    except IntakeError as error:
        job.rows.all().delete()
        job.status = ImportStatus.FAILED
        job.error = error.message
        job.save(update_fields=["status", "error"])
        raise
    job.counts = {str(k): v for k, v in counts.items()}
    job.status = ImportStatus.PREVIEWED
    job.analysed_at = timezone.now()
    job.total_rows = job.processed_rows
    job.save(update_fields=["counts", "status", "analysed_at", "total_rows"])
    return job


ROW_FIELDS = ["job", "line", "outcome", "data", "cells", "messages", "match_key", "public_code"]


def _stage(job: ImportJob, chunk: list[RowResult], counts: dict) -> None:
    keys = {r.key for r in chunk if r.key}
    first_lines: dict[str, list[tuple[int, str]]] = {}
    for key, line, data in ImportRow.objects.filter(job=job, match_key__in=keys).values_list(
        "match_key", "line", "data"
    ):
        first_lines.setdefault(key, []).append((line, data.get("brand", "")))
    existing: dict[str, list[dict]] = {}
    for device in Device.objects.filter(owner_id=job.organisation_id, serial_key__in=keys).values(
        "serial_key", "brand", "donation_id", "public_code"
    ):
        existing.setdefault(device["serial_key"], []).append(device)
    rows = []
    for result in chunk:
        outcome = ImportOutcome.NEW
        messages = list(result.errors)
        key = result.key
        brand = result.data.get("brand", "")
        if key and not result.errors:
            earlier = [
                line for line, other in first_lines.get(key, []) if same_device(brand, other)
            ]
            known = [d for d in existing.get(key, []) if same_device(brand, d["brand"])]
            if earlier:
                messages.append(
                    _("doublon : même numéro de série que la ligne %(line)s") % {"line": earlier[0]}
                )
            elif any(d["donation_id"] == job.donation_id for d in known):
                outcome = ImportOutcome.EXISTING
            elif known:
                other = known[0]
                messages.append(
                    _("numéro de série déjà enregistré (%(code)s) dans %(where)s")
                    % {
                        "code": other["public_code"],
                        "where": _("un autre don")
                        if other["donation_id"]
                        else _("le parc, sans don"),
                    }
                )
        if key:
            first_lines.setdefault(key, []).append((result.line, brand))
        if messages:
            outcome = ImportOutcome.ERROR
        counts[outcome] += 1
        rows.append(
            (
                job.pk,
                result.line,
                outcome,
                result.data,
                result.cells if outcome == ImportOutcome.ERROR else [],
                " ; ".join(messages),
                key,
                generate_code() if outcome == ImportOutcome.NEW else "",
            )
        )
    raw_insert(ImportRow, ROW_FIELDS, rows)
    job.processed_rows += len(chunk)
    ImportJob.objects.filter(pk=job.pk).update(processed_rows=job.processed_rows)


# --- step 3: the import ----------------------------------------------------------------------


def job_import(job_id: int, actor, progress: Callable[[int], None] | None = None) -> ImportJob:
    """Create the devices of a clean preview, all or none."""
    from dons.models import Donation

    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        check_permission(actor, job.organisation_id)
        if job.status == ImportStatus.DONE:
            return job
        if job.status not in (ImportStatus.PREVIEWED, ImportStatus.IMPORTING):
            raise IntakeError(_("L'aperçu de ce fichier n'est pas prêt."))
        if job.counts.get(ImportOutcome.ERROR, 0):
            raise IntakeError(
                _(
                    "L'aperçu signale des erreurs : corrigez le fichier et déposez-le à nouveau. "
                    "Rien n'a été importé."
                )
            )
        # One import at a time per donation: the second waits, then finds the devices.
        donation = Donation.objects.select_for_update().get(pk=job.donation_id)
        if donation.state == "cancelled":
            raise IntakeError(_("Ce don est annulé : on n'y importe plus d'appareils."))
        created = 0
        after = 0
        while True:
            chunk = list(
                ImportRow.objects.filter(job=job, outcome=ImportOutcome.NEW, line__gt=after)
                .order_by("line")
                .only("pk", "line", "data", "match_key", "public_code")[:CHUNK]
            )
            if not chunk:
                break
            after = chunk[-1].line
            created += _create_chunk(job, chunk, actor)
            if progress:
                progress(created)
        job.status = ImportStatus.DONE
        job.created_count = created
        job.imported_at = timezone.now()
        job.save(update_fields=["status", "created_count", "imported_at"])
    return job


def _create_chunk(job: ImportJob, chunk: list[ImportRow], actor) -> int:
    keys = {row.match_key for row in chunk}
    known = {}
    for device in Device.objects.filter(owner_id=job.organisation_id, serial_key__in=keys).values(
        "serial_key", "brand", "donation_id", "public_code"
    ):
        known.setdefault(device["serial_key"], []).append(device)
    for row in chunk:
        clash = [
            d for d in known.get(row.match_key, []) if same_device(row.data["brand"], d["brand"])
        ]
        if clash:
            raise IntakeError(
                _(
                    "Ligne %(line)s : le numéro de série %(serial)s a été enregistré entre-temps "
                    "(%(code)s). Relancez l'aperçu. Rien n'a été importé."
                )
                % {"line": row.line, "serial": row.data["serial"], "code": clash[0]["public_code"]}
            )
    # Codes were drawn free at the preview; one taken since (a one-in-a-million chance per
    # chunk) fails the insert on the unique index, and only then is the pool asked.
    _free_codes(chunk, in_pool=False)
    for attempt in range(3):
        try:
            with transaction.atomic():
                return _insert_chunk(job, chunk, actor)
        except IntegrityError as error:
            if attempt == 2:
                raise
            refusal = str(error)
        # A public code taken since the preview (or by a concurrent registration): draw again,
        # once the error (and the failed chunk's rows its traceback holds) is let go.
        if not _free_codes(chunk):
            raise IntegrityError(refusal)
    raise AssertionError("unreachable")


def _free_codes(chunk: list[ImportRow], *, in_pool: bool = True) -> bool:
    """Give a fresh code to rows whose code is missing, repeated in the chunk or (``in_pool``)
    taken by a device; True if any changed."""
    codes = [row.public_code for row in chunk]
    taken = (
        set(Device.objects.filter(public_code__in=codes).values_list("public_code", flat=True))
        if in_pool
        else set()
    )
    seen = set()
    changed = []
    for row in chunk:
        while not row.public_code or row.public_code in taken or row.public_code in seen:
            row.public_code = generate_code()
            changed.append(row)
        seen.add(row.public_code)
    if changed:
        ImportRow.objects.bulk_update(changed, ["public_code"])
    return bool(changed)


MEDIUM_FIELDS = ["device", "media_type", "manufacturer", "model", "serial", "capacity_gb"]
EVENT_FIELDS = [
    "device",
    "action",
    "source_state",
    "target_state",
    "actor",
    "at",
    "note",
    "data",
]


DEVICE_FIELDS = [
    "public_code",
    "kind",
    "brand",
    "model",
    "serial",
    "cpu",
    "ram_gb",
    "os",
    "grade",
    "owner",
    "location",
    "donation",
    "received_without_storage",
    "notes",
    "state",
    "cycle",
    "state_changed_at",
    "last_seen_at",
    "created_at",
]


def _insert_chunk(job: ImportJob, chunk: list[ImportRow], actor) -> int:
    now = timezone.now()
    devices = []
    for row in chunk:
        data = row.data
        devices.append(
            (
                row.public_code,
                data["kind"],
                data.get("brand", ""),
                data.get("model", ""),
                data.get("serial", ""),
                data.get("cpu", ""),
                Decimal(data["ram_gb"]) if data.get("ram_gb") else None,
                "",
                "",
                job.organisation_id,
                None,
                job.donation_id,
                bool(data.get("without_storage")),
                data.get("notes", ""),
                State.REGISTERED,
                1,
                now,
                None,
                now,
            )
        )
    # The devices as plain rows too (what bulk_create would write for Device(...) with these
    # values and the fields' defaults), their ids returned with their unique public codes.
    ids = dict(raw_insert(Device, DEVICE_FIELDS, devices, returning=("public_code", "id")))
    media = []
    events = []
    note = _("Importé de la liste « %(name)s », ligne %(line)s.")
    for row in chunk:
        device_id = ids[row.public_code]
        for medium in row.data.get("media", []):
            media.append((device_id, medium["media_type"], "", "", "", medium["capacity_gb"]))
        events.append(
            (
                device_id,
                "register",
                "",
                State.REGISTERED,
                actor.pk,
                now,
                note % {"name": job.original_name, "line": row.line},
                {"import_job": job.pk, "line": row.line},
            )
        )
    # Media and events are plain rows (no id needed back): written without the ORM's
    # per-instance work. Events stay append-only: an INSERT, like DeviceEvent.save().
    raw_insert(StorageMedium, MEDIUM_FIELDS, media)
    raw_insert(DeviceEvent, EVENT_FIELDS, events)
    ImportRow.objects.filter(pk__in=[row.pk for row in chunk]).update(outcome=ImportOutcome.CREATED)
    return len(devices)


# --- reading results -------------------------------------------------------------------------


def error_report_rows(job: ImportJob) -> Iterator[list]:
    """The error report: header, then each row in error with its message and its cells."""
    yield [_("Ligne"), _("Erreurs"), *job.headers]
    queryset = job.rows.filter(outcome=ImportOutcome.ERROR).order_by("line")
    for row in queryset.values_list("line", "messages", "cells").iterator(chunk_size=CHUNK):
        line, messages, cells = row
        yield [line, messages, *cells]


def imported_device_ids(job: ImportJob) -> list[int]:
    codes = job.rows.filter(outcome=ImportOutcome.CREATED).values("public_code")
    return list(
        Device.objects.filter(public_code__in=codes).order_by("id").values_list("id", flat=True)
    )


# --- running the steps (inline for small files, in the background from BACKGROUND_FROM) ----

logger = logging.getLogger(__name__)


def import_task_id(job: ImportJob) -> str:
    return f"parc-import-{job.pk}"


def start_analysis(job: ImportJob) -> bool:
    """Run the dry run now, or hand it to Celery; True when it runs in the background."""
    problems = mapping_problems(job)
    if problems:
        raise IntakeError(" ".join(problems))
    job.status = ImportStatus.ANALYSING
    job.processed_rows = 0
    job.error = ""
    job.save(update_fields=["status", "processed_rows", "error"])
    if job.total_rows >= BACKGROUND_FROM:
        from .tasks import analyse_import_job

        analyse_import_job.delay(job.pk)
        return True
    run_analysis(job.pk)
    return False


def run_analysis(job_id: int) -> None:
    try:
        job_analyse(job_id)
    except IntakeError:
        pass  # job_analyse saved the message on the job
    except Exception:
        logger.exception("Analysis of import job %s failed", job_id)
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportStatus.FAILED,
            error=_(
                "L'analyse du fichier a échoué. Déposez-le à nouveau ; si cela recommence, "
                "prévenez l'administrateur."
            ),
        )


def start_import(job: ImportJob, actor) -> bool:
    """Import now, or hand it to Celery; True when it runs in the background."""
    check_permission(actor, job.organisation_id)
    if job.status != ImportStatus.PREVIEWED:
        raise IntakeError(_("L'aperçu de ce fichier n'est pas prêt."))
    if job.counts.get(ImportOutcome.ERROR, 0):
        raise IntakeError(
            _(
                "L'aperçu signale des erreurs : corrigez le fichier et déposez-le à nouveau. "
                "Rien n'a été importé."
            )
        )
    if job.counts.get(ImportOutcome.NEW, 0) >= BACKGROUND_FROM:
        updated = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.PREVIEWED).update(
            status=ImportStatus.IMPORTING, processed_rows=0
        )
        if updated:
            from .tasks import run_import_job

            run_import_job.apply_async((job.pk, actor.pk), task_id=import_task_id(job))
        return True
    run_import(job.pk, actor.pk)
    job.refresh_from_db()
    if job.status == ImportStatus.FAILED:
        raise IntakeError(job.error)
    return False


def run_import(job_id: int, actor_id: int, progress=None) -> None:
    from acteurs.models import User

    actor = User.objects.get(pk=actor_id)
    try:
        job_import(job_id, actor, progress=progress)
    except IntakeError as error:
        ImportJob.objects.filter(pk=job_id).update(status=ImportStatus.FAILED, error=error.message)
    except Exception:
        logger.exception("Import job %s failed", job_id)
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportStatus.FAILED,
            error=_(
                "L'import a échoué et rien n'a été enregistré. Relancez-le ; si cela "
                "recommence, prévenez l'administrateur."
            ),
        )


def import_progress(job: ImportJob) -> int:
    """Devices created so far by a background import (from Celery's result backend)."""
    if job.status != ImportStatus.IMPORTING:
        return job.created_count
    try:
        from celery.result import AsyncResult

        info = AsyncResult(import_task_id(job)).info
    except Exception:  # no result backend reachable: the bar just waits
        return 0
    return int(info.get("done", 0)) if isinstance(info, dict) else 0


# --- reads (scoped) ----------------------------------------------------------------------------


def jobs_visible_to(user):
    from parc.selectors import visible_organisation_ids

    org_ids = visible_organisation_ids(user)
    queryset = ImportJob.objects.select_related("donation__gisement__donor", "created_by")
    if org_ids is not None:
        queryset = queryset.filter(organisation_id__in=org_ids)
    return queryset


def job_for(user, pk: int) -> ImportJob:
    """The job, or 404: another organisation's import does not exist for this user."""
    from django.http import Http404

    try:
        return jobs_visible_to(user).get(pk=pk)
    except ImportJob.DoesNotExist:
        raise Http404 from None


ROWS_PAGE = 100


def rows_page(job: ImportJob, *, outcome: str = "", after: int = 0) -> tuple[list[ImportRow], bool]:
    """One page of the preview, by line number (keyset): the same cost for page 1 and 100."""
    queryset = job.rows.filter(line__gt=after).order_by("line")
    if outcome:
        queryset = queryset.filter(outcome=outcome)
    rows = list(
        queryset.only("line", "outcome", "data", "messages", "public_code", "job_id")[
            : ROWS_PAGE + 1
        ]
    )
    return rows[:ROWS_PAGE], len(rows) > ROWS_PAGE

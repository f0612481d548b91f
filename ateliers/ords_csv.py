"""Reading and writing ORDS v0.3 CSV files: no database access.

Reading (``OrdsReader``) takes a binary file and never holds all of it: the encoding is found
in a first pass over chunks (UTF-8 with or without BOM, else Windows-1252 as French
spreadsheets save it), then the rows are parsed one at a time as RFC 4180 says (the quote
character is always ``"``, doubled inside a quoted cell; a stray quote inside an unquoted
cell stays as it is: ``Philips - 37"``). Nothing is guessed but the delimiter, taken from the
header line among ``,``, ``;`` and tab (the one that splits it into the most ORDS column
names). ``parse_row`` checks one row against the July 2025 table schema: it accepts every
value the schema allows, reads known variants (``ords.STATUS_VARIANTS``,
``ords.BARRIER_VARIANTS``, ``1,2`` for 1.2, ``2015.0`` for 2015) with a note, keeps the
provider's texts as they are, and refuses a text longer than its column with a French
message rather than cutting it.

Writing: ``export_lines`` streams the CSV of a queryset of repairs, local or imported (an
imported record keeps its provider's id, data provider, country and group), every cell
neutralised for spreadsheets (``ords.neutralise``, undone on import).

The import itself (preview, then the valid rows in one transaction) is
``ateliers.ords_import``.
"""

import codecs
import csv
import functools
import io
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from core.errors import InvalidInput

from .ords import (
    BARRIER_VARIANTS,
    COLUMNS,
    COUNTRY,
    STATUS_VARIANTS,
    RepairBarrier,
    RepairStatus,
    categories,
    category_ids_by_name,
    neutralise,
    unneutralise,
    variant_key,
)

# --- the provider's file as a whole ---------------------------------------------------------


class OrdsFileError(InvalidInput):
    """The file as a whole cannot be read as ORDS: nothing of it is imported."""

    code = "ords_file"


CHUNK = 1 << 20
DELIMITERS = (",", ";", "\t")
REQUIRED = ("id", "repair_status", "event_date")
# One of the two is enough: the other is derived.
CATEGORY_COLUMNS = ("product_category_id", "product_category")
# Python's csv module refuses a cell longer than this (its default field_size_limit).
MAX_CELL = 131_072


def detect_encoding(handle) -> str:
    """The encoding of a binary file, read in chunks: ``utf-8-sig`` (with or without a BOM)
    or ``cp1252``. The handle is left at its start."""
    handle.seek(0)
    head = handle.read(4)
    handle.seek(0)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise OrdsFileError(
            _(
                "Ce fichier est en UTF-16 : enregistrez-le en « CSV UTF-8 » (ou « CSV "
                "séparateur point-virgule ») puis déposez-le à nouveau."
            ),
            code="ords_encoding",
        )
    for encoding in ("utf-8-sig", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while chunk := handle.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        finally:
            handle.seek(0)
        return encoding
    raise OrdsFileError(
        _(
            "Ce fichier n'est pas un texte lisible (ni UTF-8, ni Windows-1252) : est-ce bien "
            "un fichier CSV ? Enregistrez-le en « CSV UTF-8 » puis déposez-le à nouveau."
        ),
        code="ords_encoding",
    )


def column_key(name: str) -> str:
    """A header cell as the ORDS column it names ("Repair status " → "repair_status")."""
    return "_".join(name.strip().lstrip("\ufeff").casefold().split())


def detect_delimiter(header_line: str) -> str:
    """The delimiter that splits the header line into the most ORDS column names."""
    best, best_score = ",", 0
    for delimiter in DELIMITERS:
        try:
            cells = next(csv.reader([header_line], delimiter=delimiter, strict=True), [])
        except csv.Error:
            continue
        score = len({column_key(cell) for cell in cells} & set(COLUMNS))
        if score > best_score:
            best, best_score = delimiter, score
    return best


@dataclass
class RawRow:
    """One record of the file: its first line, its cells (None when the CSV itself could not
    be read there) and, when it cannot be imported whatever its values, why."""

    line: int
    cells: list[str] | None
    error: str = ""
    last_line: int = 0


class OrdsReader:
    """The rows of an ORDS CSV file, one at a time. ``header`` is the provider's own header
    (kept for the rejected rows), ``index`` maps each ORDS column to its position."""

    def __init__(self, handle):
        self.handle = handle
        self.encoding = detect_encoding(handle)
        self.text = io.TextIOWrapper(handle, encoding=self.encoding, newline="")
        first = self.text.readline()
        if not first.strip():
            raise OrdsFileError(
                _(
                    "La première ligne du fichier est vide : elle doit porter les noms des "
                    "colonnes ORDS (%(expected)s)."
                )
                % {"expected": ", ".join(COLUMNS)},
                code="ords_not_ords",
            )
        self.delimiter = detect_delimiter(first)
        self.reader = csv.reader(
            itertools.chain([first], self.text), delimiter=self.delimiter, strict=True
        )
        try:
            self.header = next(self.reader)
        except csv.Error:
            self.header = []
        keys = [column_key(name) for name in self.header]
        present = set(keys)
        missing = [name for name in REQUIRED if name not in present]
        if not any(name in present for name in CATEGORY_COLUMNS):
            missing.append(" ou ".join(CATEGORY_COLUMNS))
        if missing:
            raise OrdsFileError(
                _(
                    "Ce fichier n'est pas au format ORDS : colonnes manquantes (%(columns)s). "
                    "Colonnes attendues : %(expected)s."
                )
                % {"columns": ", ".join(missing), "expected": ", ".join(COLUMNS)},
                code="ords_not_ords",
            )
        doubled = sorted({key for key in keys if key in COLUMNS and keys.count(key) > 1})
        if doubled:
            raise OrdsFileError(
                _("La colonne %(columns)s figure deux fois dans l'en-tête.")
                % {"columns": ", ".join(doubled)},
                code="ords_not_ords",
            )
        self.index = {key: position for position, key in enumerate(keys) if key in COLUMNS}
        # Shown to the user and kept as JSON (PostgreSQL refuses a NUL in it).
        self.ignored_columns = [
            name.replace("\x00", "\ufffd")
            for name, key in zip(self.header, keys, strict=True)
            if key not in COLUMNS
        ]

    def __iter__(self) -> Iterator[RawRow]:
        reader = self.reader
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                yield RawRow(start, None, _csv_error(error, start, reader.line_num))
                continue
            except UnicodeDecodeError:  # the encoding was checked: only a changed file
                raise OrdsFileError(
                    _("Le fichier a changé pendant sa lecture."), code="ords_encoding"
                ) from None
            if any(cell.strip() for cell in cells):
                error = _NUL_IN_ROW if any("\x00" in cell for cell in cells) else ""
                yield RawRow(start, cells, error, last_line=reader.line_num)


# A text column of PostgreSQL cannot hold it; a text file never does.
_NUL_IN_ROW = _lazy("caractère nul (octet 0) dans la ligne : le fichier n'est pas un texte.")


def _csv_error(error: csv.Error, start: int, end: int) -> str:
    """The csv module's English message, in French."""
    text = str(error)
    lines = (
        _("ligne %(start)d") % {"start": start}
        if end <= start
        else _("lignes %(start)d à %(end)d") % {"start": start, "end": end}
    )
    if "expected after" in text:
        reason = _(
            "guillemet mal placé : une cellule entre guillemets doit se terminer par un "
            'guillemet suivi du séparateur (un guillemet dans le texte s\'écrit "")'
        )
    elif "end of data" in text:
        reason = _("guillemet ouvert jamais refermé : la fin du fichier arrive dans une cellule")
    elif "field limit" in text:
        reason = _(
            "cellule de plus de %(max)s caractères (un guillemet ouvert plus haut et jamais "
            "refermé, le plus souvent)"
        ) % {"max": f"{MAX_CELL:,}".replace(",", "\u202f")}
    elif "NUL" in text:
        reason = _("caractère nul (octet 0) : le fichier n'est pas un texte")
    else:
        reason = _("ligne CSV illisible")
    return _("CSV illisible (%(lines)s) : %(reason)s.") % {"lines": lines, "reason": reason}


# --- one row ------------------------------------------------------------------------------------

# Widths of the Repair columns that hold provider texts; a longer text is a row error.
MAX_LENGTHS = {
    "id": 200,
    "data_provider": 200,
    "partner_product_category": 500,
    "product_category": 100,
    "brand": 200,
    "group_identifier": 300,
}
_FIELD_LABELS = {
    "id": "identifiant (id)",
    "data_provider": "fournisseur (data_provider)",
    "partner_product_category": "catégorie d'origine (partner_product_category)",
    "product_category": "catégorie ORDS (product_category)",
    "brand": "marque (brand)",
    "group_identifier": "groupe (group_identifier)",
}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})[T ]00:00(:00(\.0+)?)?Z?")
_YEAR = re.compile(r"\d{4}")
_YEAR_FLOAT = re.compile(r"(\d{4})\.0+")
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")
_CATEGORY_ID = re.compile(r"\d{1,2}")
_CATEGORY_ID_FLOAT = re.compile(r"(\d{1,2})\.0+")
_COUNTRY = re.compile(r"[A-Z]{3}")
MAX_AGE = Decimal("100000")  # the column holds 8 digits, 3 after the point
AGE_PLACES = 3


@dataclass(slots=True)
class ParsedRow:
    """A row checked: ``record`` (Repair fields) when it can be imported, else ``errors``;
    ``notes`` say what was read differently from the file (``(kind, text)`` pairs, the kind
    grouping identical notes)."""

    line: int
    external_id: str
    record: dict | None
    errors: list[str] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)


_EMPTY_ROW = dict.fromkeys(COLUMNS, "")
_TEXT_LIMITS = tuple(MAX_LENGTHS.items())


def parse_row(raw: RawRow, index: dict[str, int], width: int, today: date) -> ParsedRow:
    """One record of the file as Repair fields, or the reasons it cannot be imported.

    The common values (a plain date, year, age, a category id and its name) go through small
    caches: a file repeats them on every row."""
    cells = raw.cells
    if cells is None or raw.error:
        return ParsedRow(raw.line, "", None, [str(raw.error)])
    values = dict(_EMPTY_ROW)
    count = len(cells)
    for name, position in index.items():
        if position < count:
            cell = cells[position]
            # The formula-neutralising apostrophe of our own exports, undone.
            values[name] = unneutralise(cell) if cell[:1] == "'" else cell
    external_id = values["id"] = values["id"].strip()
    errors: list[str] = []
    notes: list[tuple[str, str]] = []
    if count != width:
        errors.append(
            _("%(found)d cellules au lieu de %(expected)d (une par colonne de l'en-tête).")
            % {"found": count, "expected": width}
        )
        return ParsedRow(raw.line, external_id, None, errors)
    for name, limit in _TEXT_LIMITS:
        if len(values[name]) > limit:
            errors.append(
                _("%(field)s trop long : %(length)d caractères, %(max)d au plus.")
                % {"field": _FIELD_LABELS[name], "length": len(values[name]), "max": limit}
            )
    if not external_id:
        errors.append(_("identifiant (id) manquant."))

    raw_id = values["product_category_id"].strip()
    category_id = _plain_category(raw_id, values["product_category"])
    if category_id is None:
        category_id = _category(raw_id, values, errors, notes)
    status = _enum(values["repair_status"], STATUS_VARIANTS, "repair_status", errors, notes)
    if status == "":
        status = RepairStatus.UNKNOWN.value
        notes.append(
            ("repair_status:empty", _("statut vide lu comme « %(to)s ».") % {"to": status})
        )
    barrier = _enum(
        values["repair_barrier_if_end_of_life"],
        BARRIER_VARIANTS,
        "repair_barrier_if_end_of_life",
        errors,
        notes,
    )
    if barrier and status and status != RepairStatus.END_OF_LIFE:
        errors.append(
            _(
                "obstacle à la réparation (« %(barrier)s ») indiqué alors que l'objet n'est "
                "pas en fin de vie (« %(status)s »)."
            )
            % {"barrier": barrier, "status": status}
        )
    text = values["event_date"]
    event_date = _plain_date(text)
    if event_date is None:
        event_date = _event_date(text.strip(), errors, notes)
    if event_date is not None and event_date > today:
        future = _("date « %(value)s » postérieure à aujourd'hui, gardée.") % {"value": text}
        notes.append(("event_date:future", future))
    text = values["year_of_manufacture"]
    year = _plain_year(text) if text else None
    if text and year is None:
        year = _year(text.strip(), errors, notes)
    text = values["product_age"]
    age = _plain_age(text) if text else None
    if text and age is None:
        age = _age(text.strip(), errors)
    country = values["country"]
    if country and not _COUNTRY.fullmatch(country):
        country = _country(country.strip(), errors, notes)
    if errors:
        return ParsedRow(raw.line, external_id, None, errors, notes)
    return ParsedRow(
        raw.line,
        external_id,
        {
            "external_id": external_id,
            "data_provider": values["data_provider"],
            "country": country,
            "partner_category": values["partner_product_category"],
            "product_category_id": category_id,
            "product_category_name": values["product_category"],
            "brand": values["brand"],
            "year_of_manufacture": year,
            "product_age": age,
            "status": status,
            "barrier": barrier,
            "group_identifier": values["group_identifier"],
            "event_date": event_date,
            "problem": values["problem"],
            "import_note": "\n".join([note for _kind, note in notes]) if notes else "",
        },
        [],
        notes,
    )


# The caches of the plain values: None sends the value to the checks, with their messages.


@functools.lru_cache(maxsize=1024)
def _plain_category(raw_id: str, raw_name: str) -> int | None:
    """A category id of the list with its name as the list spells it, in any case, or no
    name."""
    if not _CATEGORY_ID.fullmatch(raw_id):
        return None
    category_id = int(raw_id)
    name = categories().get(category_id)
    if name is None or (raw_name and raw_name.strip().casefold() != name.casefold()):
        return None
    return category_id


@functools.lru_cache(maxsize=4096)
def _plain_date(text: str) -> date | None:
    if not _DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


@functools.lru_cache(maxsize=512)
def _plain_year(text: str) -> int | None:
    return int(text) if _YEAR.fullmatch(text) else None


_PLAIN_AGE = re.compile(r"\d{1,5}(\.\d{1,3})?")


@functools.lru_cache(maxsize=1024)
def _plain_age(text: str) -> Decimal | None:
    return Decimal(text) if _PLAIN_AGE.fullmatch(text) else None


def _category(raw_id: str, values: dict, errors: list, notes: list) -> int | None:
    names = categories()
    raw_name = values["product_category"].strip()
    if raw_id:
        match = _CATEGORY_ID.fullmatch(raw_id)
        if match is None and (float_match := _CATEGORY_ID_FLOAT.fullmatch(raw_id)):
            match = float_match
            notes.append(
                (
                    f"product_category_id:{raw_id}",
                    _("identifiant de catégorie « %(from)s » lu comme « %(to)s ».")
                    % {"from": raw_id, "to": int(float_match[1])},
                )
            )
        category_id = int(match[1] if match.groups() else match[0]) if match else None
        if category_id not in names:
            errors.append(
                _(
                    "catégorie de produit inconnue (« %(value)s ») : les identifiants de "
                    "catégorie ORDS vont de 1 à %(last)d."
                )
                % {"value": raw_id, "last": max(names)}
            )
            return None
        if raw_name and names[category_id].casefold() != raw_name.casefold():
            errors.append(
                _(
                    "catégorie incohérente : l'identifiant %(id)s est « %(expected)s », "
                    "pas « %(name)s »."
                )
                % {"id": raw_id, "expected": names[category_id], "name": raw_name}
            )
            return None
        return category_id
    if raw_name:
        category_id = category_ids_by_name().get(raw_name.casefold())
        if category_id is None:
            errors.append(
                _("catégorie de produit inconnue (« %(value)s ») : voir la liste ORDS v0.3.")
                % {"value": raw_name}
            )
        return category_id
    errors.append(_("catégorie de produit manquante (product_category_id ou product_category)."))
    return None


def _enum(raw: str, variants: dict, column: str, errors: list, notes: list):
    """A status or barrier as the schema spells it; "" when empty, None when unknown."""
    if raw in _CANONICAL or not raw:  # the common cases, first
        return raw
    label = _("statut") if column == "repair_status" else _("obstacle")
    stripped = raw.strip()
    if not stripped:
        return ""
    value = variants.get(variant_key(stripped))
    if value is None:
        allowed = sorted(set(variants.values()), key=list(variants.values()).index)
        errors.append(
            _("%(label)s inconnu (« %(value)s ») : valeurs admises %(allowed)s.")
            % {
                "label": label,
                "value": stripped,
                "allowed": ", ".join(f"« {v} »" for v in allowed),
            }
        )
        return None
    if value != raw:
        notes.append(
            (
                f"{column}:{raw}",
                _("%(label)s « %(from)s » lu comme « %(to)s ».")
                % {"label": label, "from": raw, "to": value},
            )
        )
    return value


def _event_date(raw: str, errors: list, notes: list) -> date | None:
    if not raw:
        errors.append(_("date de l'événement (event_date) manquante."))
        return None
    text = raw
    if not _DATE.fullmatch(raw) and (match := _DATE_TIME.fullmatch(raw)):
        text = match[1]
        read_as = _("date « %(from)s » lue comme « %(to)s ».") % {"from": raw, "to": text}
        notes.append(("event_date:time", read_as))
    if not _DATE.fullmatch(text):
        errors.append(
            _("date invalide (« %(value)s ») : format AAAA-MM-JJ attendu.") % {"value": raw}
        )
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors.append(_("date invalide (« %(value)s ») : ce jour n'existe pas.") % {"value": raw})
        return None


def _year(raw: str, errors: list, notes: list) -> int | None:
    if not raw:
        return None
    if _YEAR.fullmatch(raw):
        return int(raw)
    if match := _YEAR_FLOAT.fullmatch(raw):
        notes.append(
            (
                "year_of_manufacture:float",
                _("année « %(from)s » lue comme « %(to)s ».") % {"from": raw, "to": match[1]},
            )
        )
        return int(match[1])
    errors.append(
        _("année de fabrication invalide (« %(value)s ») : quatre chiffres attendus (AAAA).")
        % {"value": raw}
    )
    return None


def _age(raw: str, errors: list) -> Decimal | None:
    if not raw:
        return None
    value = None
    if _NUMBER.fullmatch(raw) and not ("," in raw and "." in raw):
        try:
            value = Decimal(raw.replace(",", "."))
        except InvalidOperation:
            value = None
    if value is None or not value.is_finite():
        errors.append(
            _("âge du produit invalide (« %(value)s ») : un nombre d'années attendu (2 ou 1,5).")
            % {"value": raw}
        )
        return None
    if value < 0 or value >= MAX_AGE:
        errors.append(
            _("âge du produit hors limites (« %(value)s ») : de 0 à 99 999 ans.") % {"value": raw}
        )
        return None
    if value != value.quantize(Decimal(1).scaleb(-AGE_PLACES)):
        errors.append(
            _("âge du produit trop précis (« %(value)s ») : %(places)d décimales au plus.")
            % {"value": raw, "places": AGE_PLACES}
        )
        return None
    return value


def _country(raw: str, errors: list, notes: list) -> str:
    if not raw or _COUNTRY.fullmatch(raw):
        return raw
    upper = raw.upper()
    if _COUNTRY.fullmatch(upper):
        notes.append(
            (
                f"country:{raw}",
                _("pays « %(from)s » lu comme « %(to)s ».") % {"from": raw, "to": upper},
            )
        )
        return upper
    errors.append(
        _("pays invalide (« %(value)s ») : code ISO à 3 lettres attendu (FRA, BEL…).")
        % {"value": raw}
    )
    return ""


_CANONICAL = frozenset(STATUS_VARIANTS.values()) | frozenset(BARRIER_VARIANTS.values())


# --- writing ------------------------------------------------------------------------------------

LETTERS = re.compile(r"[^a-z]")


def id_prefix(organisation) -> str:
    """The letters that start the ORDS ids of an organisation's own repairs: the schema asks
    for ``^[a-z]+-[0-9]+$``."""
    return LETTERS.sub("", slugify(organisation.short_name)) or "filiere"


def record_id(repair, organisation) -> str:
    """The ORDS ``id`` of a local repair: the organisation's short name and the row id."""
    return f"{id_prefix(organisation)}-{repair.pk}"


def own_repair_pk(external_id: str, organisation) -> int | None:
    """The row id of one of the organisation's own repairs, if ``external_id`` is one of the
    ids its exports give them (``rt-12``; before December 2026 ``rc-dreux-12``)."""
    prefixes = {id_prefix(organisation), slugify(organisation.short_name) or "filiere"}
    head, _dash, tail = external_id.rpartition("-")
    return int(tail) if head in prefixes and tail.isdigit() and len(tail) < 12 else None


def format_age(age: Decimal | None) -> str:
    """A plain decimal, never in exponent notation: 10, 2.5."""
    if age is None:
        return ""
    return f"{age.normalize():f}"


def export_values(repair, organisation) -> list:
    """The 14 ORDS values of one repair: an imported record as its provider wrote it."""
    imported = repair.import_batch_id is not None
    year = repair.year_of_manufacture
    return [
        repair.external_id if imported else record_id(repair, organisation),
        repair.data_provider if imported else organisation.name,
        repair.country if imported else COUNTRY,
        repair.partner_category,
        repair.product_category,
        repair.product_category_id,
        repair.brand,
        "" if year is None else f"{year:04d}",
        format_age(repair.product_age),
        repair.status,
        repair.barrier,
        repair.group_identifier if imported else organisation.name,
        repair.event_date.isoformat(),
        repair.problem,
    ]


class _Line:
    """A file-like object whose write returns what was written (for streaming)."""

    def write(self, value):
        return value


def export_lines(repairs: Iterable, organisation) -> Iterator[str]:
    """The ORDS CSV, line by line (RFC 4180: comma, CRLF, UTF-8 without BOM)."""
    writer = csv.writer(_Line(), lineterminator="\r\n")
    yield writer.writerow(COLUMNS)
    for repair in repairs:
        yield writer.writerow([neutralise(value) for value in export_values(repair, organisation)])


ERROR_COLUMN = "Erreur"


def rejected_row(raw: RawRow, width: int, message: str) -> list[str]:
    """A rejected row in the provider's own columns, then « Erreur »; extra cells after it."""
    cells = list(raw.cells or [])
    padded = cells[:width] + [""] * (width - min(len(cells), width))
    return [neutralise(unneutralise(cell)) for cell in padded] + [message] + cells[width:]


# Every barrier the schema allows, for the messages and the tests.
SCHEMA_BARRIERS = [barrier.value for barrier in RepairBarrier]
SCHEMA_STATUSES = [status.value for status in RepairStatus]

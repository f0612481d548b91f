"""One row of a donor's list cleaned into device fields, with its French errors and reading
notes: kinds from the words donors use, memory and storage sizes in any unit, weights and
dates as French lists write them ("2,1", "15/03/2019", an Excel day number), brands under one
name, serials in one form (upper case, no spaces) with the form the donor wrote kept."""

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from parc.evidence.hardware import vendor_name
from parc.models import Device, DeviceKind, MediaType, to_search_key

from .columns import FIELDS_BY_NAME, IGNORE, MULTIPLE, is_remark_as_such, normalise_header
from .models import ImportJob
from .reading import Formula, cell_text

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

FIELD_LENGTHS = {
    name: Device._meta.get_field(name).max_length
    for name in ("brand", "model", "serial", "cpu", "os", "asset_tag")
}


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
# The apostrophe our own files (the rejected rows) put before a formula-like text.
NEUTRALISED = re.compile(r"^'(?=[=+\-@])")
WEIGHT = re.compile(r"(\d+(?:\.\d+)?)\s*(kg|kilos?|g|grammes?|gr|lbs?)?")
# Excel counts days from 1899-12-30: 20,000 is 1954, 80,000 is 2119.
EXCEL_EPOCH = dt.date(1899, 12, 30)
EXCEL_SERIALS = range(20_000, 80_000)
FRENCH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%Y/%m/%d", "%d/%m/%y", "%d-%m-%y")


def canonical_serial(text: str) -> str:
    """The one form a serial is stored in: upper case, without spaces."""
    return "".join(text.split()).upper()


def parse_weight(text: str) -> Decimal:
    """ "2,1", "2.1 kg", "2100 g" -> kilograms; ValueError if unreadable."""
    match = WEIGHT.fullmatch(_value_text(text))
    if not match:
        raise ValueError(text)
    number = Decimal(match.group(1))
    unit = match.group(2) or ""
    if unit.startswith("g"):
        number = number / 1000
    elif unit.startswith("lb"):
        number = number * Decimal("0.45359237")
    number = number.quantize(Decimal("0.01"))
    if number <= 0 or number >= Decimal("10000"):
        raise ValueError(text)
    return number


def parse_purchase_date(text: str) -> tuple[dt.date, bool]:
    """(date, read from an Excel serial number?); ValueError if unreadable or not plausible
    (before 1980, after today)."""
    text = text.strip()
    value = None
    from_serial = False
    if text.isdigit() and int(text) in EXCEL_SERIALS:
        value = EXCEL_EPOCH + dt.timedelta(days=int(text))
        from_serial = True
    elif match := FRENCH_DATE.fullmatch(text) or ISO_DATE.fullmatch(text):
        day, month, year = match.group(1, 2, 3) if match.re is FRENCH_DATE else match.group(3, 2, 1)
        value = dt.date(int(year), int(month), int(day))
    else:
        candidate = text.split("T")[0].split(" ")[0]
        for pattern in DATE_FORMATS:
            try:
                value = dt.datetime.strptime(candidate, pattern).date()
            except ValueError:
                continue
            break
    if value is None or value.year < 1980 or value > timezone.localdate():
        raise ValueError(text)
    return value, from_serial


@dataclass
class RowResult:
    line: int
    cells: list[str]
    data: dict
    errors: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return to_search_key(self.data.get("serial", ""))[:100]


def _cells(raw_cells: list) -> list[str]:
    cells = []
    for value in raw_cells:
        text = cell_text(value)
        if text.startswith("'"):
            text = NEUTRALISED.sub("", text)
        cells.append(text)
    return cells


def clean_row(job: ImportJob, line: int, raw_cells: list) -> RowResult | None:
    """One row cleaned into device fields, with its French errors and reading notes; None for
    an empty row."""
    cells = _cells(raw_cells)
    if not any(cells):
        return None
    headers = job.headers
    values: dict[str, str] = {}
    remarks: list[str] = []
    width = len(cells)
    for position, name, prefix in _columns(job):
        if position >= width or not cells[position]:
            continue
        if name in MULTIPLE:
            remarks.append(f"{prefix}{cells[position]}")
        else:
            values[name] = cells[position]
    errors: list[str] = []
    notes: list[str] = _reading_notes(headers, raw_cells, cells)
    data: dict = {}
    if sum(1 for cell in cells if cell) == 1 and len(job.mapping) > 1:
        return RowResult(
            line=line,
            cells=cells,
            data={"serial": "", "brand": "", "model": ""},
            errors=[
                _(
                    "ligne qui ne décrit pas un appareil "
                    "(une seule cellule remplie : titre ou note ?)"
                )
            ],
        )
    written = values.get("serial", "")
    serial = canonical_serial(written)
    if not serial:
        errors.append(_("numéro de série manquant"))
    elif SCIENTIFIC.match(serial):
        errors.append(
            _(
                "numéro de série « %(value)s » abîmé par le tableur (notation scientifique) : "
                "mettez la colonne au format texte"
            )
            % {"value": written}
        )
    data["serial"] = serial
    if written and written != serial:
        data["serial_raw"] = written
        notes.append(
            _("numéro de série écrit « %(written)s », enregistré « %(serial)s »")
            % {"written": written, "serial": serial}
        )
    data["brand"] = vendor_name(values.get("brand", ""))
    data["model"] = values.get("model", "")
    data["cpu"] = values.get("cpu", "")
    data["os"] = values.get("os", "")
    data["asset_tag"] = values.get("asset_tag", "")
    for name, limit in FIELD_LENGTHS.items():
        if len(data.get(name, "")) > limit:
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
    if values.get("weight"):
        try:
            data["weight_kg"] = str(parse_weight(values["weight"]))
        except (ValueError, InvalidOperation):
            errors.append(
                _("poids illisible : « %(value)s » (attendu : 2,1 ou 2,1 kg ou 2100 g)")
                % {"value": values["weight"]}
            )
    if values.get("purchase_date"):
        try:
            purchased, from_serial = parse_purchase_date(values["purchase_date"])
        except (ValueError, OverflowError):
            errors.append(
                _("date d'achat illisible : « %(value)s » (attendu : 15/03/2019)")
                % {"value": values["purchase_date"]}
            )
        else:
            data["purchase_date"] = purchased.isoformat()
            if from_serial:
                notes.append(
                    _("date d'achat « %(value)s » lue comme un numéro de jour Excel : %(date)s")
                    % {"value": values["purchase_date"], "date": purchased.strftime("%d/%m/%Y")}
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
    if remarks:
        data["notes"] = "\n".join(remarks)
    return RowResult(line=line, cells=cells, data=data, errors=errors, notes=notes)


def _columns(job: ImportJob) -> list[tuple[int, str, str]]:
    """(position, field, prefix of a remark) of each mapped column, in the file's order:
    worked out once per job, not for each of its rows."""
    key = (tuple(sorted(job.mapping.items())), tuple(job.headers))
    cached = getattr(job, "_columns_cache", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    columns = []
    for index, name in sorted(job.mapping.items(), key=lambda item: int(item[0])):
        position = int(index)
        if name == IGNORE:
            continue
        header = job.headers[position] if position < len(job.headers) else ""
        prefix = "" if not header or is_remark_as_such(header) else f"{header} : "
        columns.append((position, name, prefix))
    job._columns_cache = (key, columns)
    return columns


def _column_name(headers: list[str], index: int) -> str:
    if index < len(headers) and headers[index]:
        return headers[index]
    return _("colonne %(n)s") % {"n": index + 1}


def _reading_notes(headers: list[str], raw_cells: list, cells: list[str]) -> list[str]:
    """What the reading did that the user should know: formulas, cells beyond the titles."""
    notes = []
    for index, value in enumerate(raw_cells):
        if value.__class__ is Formula:
            formula = value.text if len(value.text) <= 60 else value.text[:59] + "…"
            if value.cached not in (None, ""):
                notes.append(
                    _("%(column)s : formule %(formula)s, sa valeur calculée « %(value)s » est lue")
                    % {
                        "column": _column_name(headers, index),
                        "formula": formula,
                        "value": cells[index],
                    }
                )
            else:
                notes.append(
                    _(
                        "%(column)s : formule %(formula)s sans valeur calculée enregistrée, "
                        "son texte est lu"
                    )
                    % {"column": _column_name(headers, index), "formula": formula}
                )
    extra = [cell for cell in cells[len(headers) :] if cell]
    if extra:
        shown = ", ".join(f"« {cell[:40]} »" for cell in extra[:3])
        notes.append(
            ngettext(
                "%(count)s cellule au-delà des colonnes titrées, non importée : %(cells)s",
                "%(count)s cellules au-delà des colonnes titrées, non importées : %(cells)s",
                len(extra),
            )
            % {"count": len(extra), "cells": shown}
        )
    return notes


def _field_label(name: str) -> str:
    spec = FIELDS_BY_NAME.get(name)
    return str(spec.label) if spec else name


def same_device(brand_a: str, brand_b: str) -> bool:
    """Manufacturer + serial: the serials already match; the brands must not contradict."""
    a, b = to_search_key(vendor_name(brand_a)), to_search_key(vendor_name(brand_b))
    return not a or not b or a == b

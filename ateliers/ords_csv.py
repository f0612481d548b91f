"""Reading and writing ORDS v0.3 CSV files: pure functions, no database access.

Writing: ``export_rows`` (formula-looking cells neutralised). Reading: ``decode`` (UTF-8,
with or without BOM, or Windows-1252 as French spreadsheets save it) and ``parse_row``, which
checks one row and names the line in each French error. The import itself (all rows or none,
re-imports skipped) is ``ateliers.services.repairs_import``.
"""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils.text import slugify
from django.utils.translation import gettext as _

from .ords import (
    BARRIER_ALIASES,
    BARRIER_CODES,
    COLUMNS,
    COUNTRY,
    MIN_YEAR,
    STATUS_CODES,
    RepairBarrier,
    RepairStatus,
    categories,
    category_ids_by_name,
    neutralise,
    unneutralise,
)


def record_id(repair, organisation) -> str:
    """The ORDS ``id`` of a local repair: the organisation's short name and the row id."""
    prefix = slugify(organisation.short_name) or "filiere"
    return f"{prefix}-{repair.pk}"


def export_rows(repairs, organisation) -> list[list[str]]:
    """ORDS CSV rows (header first) for local repairs of ``organisation``."""
    rows = [list(COLUMNS)]
    names = categories()
    for repair in repairs:
        rows.append(
            [
                neutralise(value)
                for value in (
                    record_id(repair, organisation),
                    organisation.name,
                    COUNTRY,
                    repair.partner_category,
                    names.get(repair.product_category_id, ""),
                    repair.product_category_id,
                    repair.brand,
                    repair.year_of_manufacture or "",
                    _format_age(repair.product_age),
                    repair.status,
                    repair.barrier,
                    organisation.name,
                    repair.event_date.isoformat(),
                    repair.problem,
                )
            ]
        )
    return rows


def _format_age(age: Decimal | None) -> str:
    if age is None:
        return ""
    return str(age.normalize()) if age == age.to_integral() else str(age)


class UnreadableFile(ValueError):
    """The file is not text in a known encoding."""


def decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile(_("Le fichier n'est pas un texte lisible (encodage inconnu)."))


def parse_status(text: str) -> str | None:
    text = text.strip()
    if text in STATUS_CODES:
        return STATUS_CODES[text]
    for status in RepairStatus:
        if text.casefold() == status.value.casefold():
            return status.value
    return None


def parse_barrier(text: str) -> str | None:
    text = text.strip()
    if not text:
        return ""
    if text in BARRIER_CODES:
        return BARRIER_CODES[text].value
    folded = text.casefold()
    if folded in BARRIER_ALIASES:
        return BARRIER_ALIASES[folded].value
    for barrier in RepairBarrier:
        if folded == barrier.value.casefold():
            return barrier.value
    return None


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_row(row: dict, line: int, today: date) -> tuple[dict | None, list[str]]:
    """One CSV row (header names lower-cased) as Repair fields, or None and French errors
    naming the line."""
    errors = []

    def error(message, **params):
        errors.append(_("Ligne %(line)d : ") % {"line": line} + message % params)

    def cell(name: str) -> str:
        return unneutralise((row.get(name) or "").strip())

    record_id = cell("id")
    if not record_id:
        error(_("identifiant (id) manquant."))
    elif len(record_id) > 100:
        error(_("identifiant trop long (100 caractères au plus)."))
    category_id = None
    raw_id, raw_name = cell("product_category_id"), cell("product_category")
    if raw_id:
        try:
            category_id = int(raw_id)
        except ValueError:
            category_id = None
        if category_id not in categories():
            error(_("catégorie de produit inconnue (« %(value)s »)."), value=raw_id)
            category_id = None
        elif raw_name and categories()[category_id].casefold() != raw_name.casefold():
            error(
                _(
                    "catégorie incohérente : l'identifiant %(id)s est « %(expected)s », "
                    "pas « %(name)s »."
                ),
                id=raw_id,
                expected=categories()[category_id],
                name=raw_name,
            )
            category_id = None
    elif raw_name:
        category_id = category_ids_by_name().get(raw_name.casefold())
        if category_id is None:
            error(_("catégorie de produit inconnue (« %(value)s »)."), value=raw_name)
    else:
        error(_("catégorie de produit manquante."))
    raw_status = cell("repair_status")
    status = parse_status(raw_status)
    if status is None:
        error(
            _("statut de réparation inconnu (« %(value)s ») : Fixed, Repairable ou End of life."),
            value=raw_status,
        )
    raw_barrier = cell("repair_barrier_if_end_of_life")
    barrier = parse_barrier(raw_barrier)
    if barrier is None:
        error(_("obstacle à la réparation inconnu (« %(value)s »)."), value=raw_barrier)
    elif barrier and status and status != RepairStatus.END_OF_LIFE:
        error(_("obstacle à la réparation indiqué alors que l'objet n'est pas en fin de vie."))
    raw_date = cell("event_date")
    event_date = None
    if not _DATE.match(raw_date):
        error(_("date invalide (« %(value)s ») : format AAAA-MM-JJ attendu."), value=raw_date)
    else:
        try:
            event_date = date.fromisoformat(raw_date)
        except ValueError:
            error(_("date invalide (« %(value)s »)."), value=raw_date)
        else:
            if event_date > today:
                error(_("date dans le futur (« %(value)s »)."), value=raw_date)
                event_date = None
    year = None
    raw_year = cell("year_of_manufacture")
    if raw_year:
        year = int(raw_year[:4]) if re.fullmatch(r"\d{4}(\.0)?", raw_year) else None
        if year is None or not MIN_YEAR <= year <= today.year:
            error(_("année de fabrication invalide (« %(value)s »)."), value=raw_year)
            year = None
    age = None
    raw_age = cell("product_age")
    if raw_age:
        try:
            age = Decimal(raw_age.replace(",", "."))
        except InvalidOperation:
            age = None
        if age is None or not Decimal("0") <= age < Decimal("1000"):
            error(_("âge du produit invalide (« %(value)s »)."), value=raw_age)
            age = None
        else:
            age = age.quantize(Decimal("0.1"))
    country = cell("country").upper()
    if country and not re.fullmatch(r"[A-Z]{3}", country):
        error(_("pays invalide (« %(value)s ») : code ISO à 3 lettres attendu."), value=country)
    if errors:
        return None, errors
    return {
        "external_id": record_id,
        "data_provider": cell("data_provider")[:200],
        "country": country,
        "partner_category": cell("partner_product_category")[:100],
        "product_category_id": category_id,
        "brand": cell("brand")[:100],
        "year_of_manufacture": year,
        "product_age": age,
        "status": status,
        "barrier": barrier,
        "group_identifier": cell("group_identifier")[:200],
        "event_date": event_date,
        "problem": cell("problem"),
    }, []

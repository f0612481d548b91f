"""The Open Repair Data Standard (ORDS) v0.3: product categories, statuses, barriers, and
the CSV columns. Reference data and pure functions; no database access.

Product categories come from ``data/ords/product_categories_v0.3.csv`` (Open Repair Alliance,
CC BY-SA 4.0: see the README next to it).
"""

import csv
import functools
import re
from pathlib import Path

from django.db import models
from django.utils.translation import gettext_lazy as _

ORDS_VERSION = "0.3"
CATEGORIES_CSV = Path(__file__).resolve().parent / "data" / "ords" / "product_categories_v0.3.csv"
# ISO 3166-1 alpha-3, as ORDS asks.
COUNTRY = "FRA"
# Earliest plausible year of manufacture.
MIN_YEAR = 1950

COLUMNS = (
    "id",
    "data_provider",
    "country",
    "partner_product_category",
    "product_category",
    "product_category_id",
    "brand",
    "year_of_manufacture",
    "product_age",
    "repair_status",
    "repair_barrier_if_end_of_life",
    "group_identifier",
    "event_date",
    "problem",
)


class RepairStatus(models.TextChoices):
    """ORDS repair_status: the value is the ORDS text, the label is French."""

    FIXED = "Fixed", _("Réparé")
    REPAIRABLE = "Repairable", _("Réparable (suite à donner)")
    END_OF_LIFE = "End of life", _("Fin de vie")


# ORDS numeric codes, also accepted on import ("either the text or number code").
STATUS_CODES = {
    "1": RepairStatus.FIXED,
    "2": RepairStatus.REPAIRABLE,
    "3": RepairStatus.END_OF_LIFE,
}


class RepairBarrier(models.TextChoices):
    """ORDS repair_barrier_if_end_of_life."""

    PARTS_NOT_AVAILABLE = "Spare parts not available", _("Pièces détachées indisponibles")
    PARTS_TOO_EXPENSIVE = "Spare parts too expensive", _("Pièces détachées trop chères")
    NO_WAY_TO_OPEN = "No way to open the product", _("Impossible d'ouvrir le produit")
    NO_INFORMATION = (
        "Repair information not available",
        _("Informations de réparation indisponibles"),
    )
    LACK_OF_EQUIPMENT = "Lack of equipment", _("Manque d'équipement")
    TOO_WORN_OUT = "Product too worn out", _("Produit trop usé")


BARRIER_CODES = {str(index): barrier for index, barrier in enumerate(RepairBarrier, start=1)}
# The standard's table spells one of them differently from its own prose.
BARRIER_ALIASES = {"no way to open product": RepairBarrier.NO_WAY_TO_OPEN}


@functools.cache
def categories() -> dict[int, str]:
    """{product_category_id: product_category} from the ORDS v0.3 list."""
    with CATEGORIES_CSV.open(newline="", encoding="utf-8") as handle:
        return {
            int(row["product_category_id"]): row["product_category"]
            for row in csv.DictReader(handle)
        }


@functools.cache
def category_ids_by_name() -> dict[str, int]:
    return {name.casefold(): category_id for category_id, name in categories().items()}


# French labels shown to users; files keep the ORDS (English) names.
CATEGORY_LABELS = {
    1: _("Climatiseur, déshumidificateur"),
    2: _("Batterie, chargeur, adaptateur"),
    3: _("Éclairage décoratif ou de sécurité"),
    4: _("Ordinateur fixe"),
    5: _("Appareil photo compact"),
    6: _("Appareil photo reflex, caméscope"),
    7: _("Ventilateur"),
    8: _("Écran plat (téléviseur, moniteur)"),
    9: _("Soin et beauté (lisseur, rasoir…)"),
    10: _("Baladeur"),
    11: _("Casque, écouteurs"),
    12: _("Chaîne hi-fi compacte"),
    13: _("Éléments hi-fi (ampli, enceinte, platine)"),
    14: _("Bouilloire"),
    15: _("Lampe"),
    16: _("Ordinateur portable"),
    17: _("Gros appareil (tondeuse, appareil de sport…)"),
    18: _("Divers"),
    19: _("Téléphone mobile"),
    20: _("Instrument de musique électrique"),
    21: _("Destructeur de documents"),
    22: _("Accessoire informatique (souris, clavier, webcam)"),
    23: _("Radio portable"),
    24: _("Outil électroportatif"),
    25: _("Imprimante, scanner"),
    26: _("Projecteur"),
    27: _("Machine à coudre"),
    28: _("Petit appareil domestique"),
    29: _("Petit électroménager de cuisine"),
    30: _("Tablette, liseuse"),
    31: _("Grille-pain"),
    32: _("Jouet"),
    33: _("Accessoire TV et jeux (décodeur, lecteur DVD)"),
    34: _("Aspirateur"),
    35: _("Montre, horloge"),
    36: _("Cafetière"),
    37: _("Robot de cuisine, mixeur"),
    38: _("Console de jeux"),
    39: _("Sèche-cheveux"),
    40: _("Fer à repasser"),
}


def category_label(category_id: int) -> str:
    """French label of an ORDS category (the ORDS name if it has none)."""
    label = CATEGORY_LABELS.get(category_id)
    return str(label) if label else categories().get(category_id, "")


def category_choices() -> list[tuple[int, str]]:
    """(id, French label) for the forms, in French alphabetical order."""
    return sorted(
        ((category_id, category_label(category_id)) for category_id in categories()),
        key=lambda item: item[1].casefold(),
    )


# Well-known category ids (checked against the CSV by the tests).
LAPTOP = 16
DESKTOP = 4
TABLET = 30
MOBILE = 19
FLAT_SCREEN = 8
PRINTER = 25
MISC = 18

# Filière device kinds (parc.models.DeviceKind values) → ORDS category.
CATEGORY_BY_DEVICE_KIND = {
    "laptop": LAPTOP,
    "desktop": DESKTOP,
    "tablet": TABLET,
    "smartphone": MOBILE,
    "screen": FLAT_SCREEN,
    "printer": PRINTER,
    "other": MISC,
}


_FORMULA_START = re.compile(r"^'*[=+\-@\t\r]")


def neutralise(value) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection): a text starting with
    = + - @ (or a tab or carriage return) is prefixed with an apostrophe, which spreadsheets
    hide. ``unneutralise`` undoes it on import, so a round trip keeps the text (a text that
    already starts with apostrophes before such a character gets one more)."""
    text = "" if value is None else str(value)
    return "'" + text if _FORMULA_START.match(text) else text


def unneutralise(text: str) -> str:
    return text[1:] if text.startswith("'") and _FORMULA_START.match(text) else text

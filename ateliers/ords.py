"""The Open Repair Data Standard (ORDS) v0.3: product categories, statuses, barriers, and
the CSV columns. Reference data and pure functions; no database access.

Product categories come from ``data/ords/product_categories_v0.3.csv`` (Open Repair Alliance,
July 2025 release, CC BY-SA 4.0: see the README next to it). Statuses and barriers are the
values of the July 2025 table schema (``tableschema-202507.json``, copied into
``tests/fixtures/ords/``; a test checks that they match it). Values that real files write
otherwise ("Item too worn out", "end of life", "1") are read through ``STATUS_VARIANTS`` and
``BARRIER_VARIANTS``, and the import notes each one on its row.
"""

import csv
import functools
import re
import unicodedata
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
    # In the 2025-07 schema; only imported records carry it (a facilitator knows the outcome).
    UNKNOWN = "Unknown", _("Issue inconnue")


# The statuses a facilitator records at a session.
LOCAL_STATUSES = (RepairStatus.FIXED, RepairStatus.REPAIRABLE, RepairStatus.END_OF_LIFE)


class RepairBarrier(models.TextChoices):
    """ORDS repair_barrier_if_end_of_life, spelled as the 2025-07 table schema spells it."""

    PARTS_NOT_AVAILABLE = "Spare parts not available", _("Pièces détachées indisponibles")
    PARTS_TOO_EXPENSIVE = "Spare parts too expensive", _("Pièces détachées trop chères")
    NO_WAY_TO_OPEN = "No way to open product", _("Impossible d'ouvrir le produit")
    NO_INFORMATION = (
        "Repair information not available",
        _("Informations de réparation indisponibles"),
    )
    LACK_OF_EQUIPMENT = "Lack of equipment", _("Manque d'équipement")
    TOO_WORN_OUT = "Too worn out", _("Produit trop usé")


def variant_key(text: str) -> str:
    """How a status or barrier is looked up among the variants: case, accents, spaces,
    hyphens and underscores do not matter ("END-OF-LIFE", "end_of_life" and "End of life"
    are one; so are "Réparé" and "repare")."""
    text = unicodedata.normalize("NFKD", text.replace("-", " ").replace("_", " ").casefold())
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).split())


# Other spellings met in real files, by ``variant_key``. The canonical values themselves are
# there too, so that a case variant ("fixed") is found, and noted as changed.
STATUS_VARIANTS: dict[str, str] = {
    **{variant_key(status.value): status.value for status in RepairStatus},
    # The ORDS numeric codes ("either the text or number code", ORDS v0.2).
    "1": RepairStatus.FIXED.value,
    "2": RepairStatus.REPAIRABLE.value,
    "3": RepairStatus.END_OF_LIFE.value,
    # Older exports of the providers (Restarters' Fixometer, repair café spreadsheets).
    "eol": RepairStatus.END_OF_LIFE.value,
    "endoflife": RepairStatus.END_OF_LIFE.value,
    "repaired": RepairStatus.FIXED.value,
    # French spreadsheets: Filière's own labels and the short words.
    **{variant_key(str(status.label)): status.value for status in RepairStatus},
    "reparable": RepairStatus.REPAIRABLE.value,
    "inconnu": RepairStatus.UNKNOWN.value,
    "inconnue": RepairStatus.UNKNOWN.value,
}
BARRIER_VARIANTS: dict[str, str] = {
    **{variant_key(barrier.value): barrier.value for barrier in RepairBarrier},
    # The ORDS numeric codes, in the standard's order.
    **{str(index): barrier.value for index, barrier in enumerate(RepairBarrier, start=1)},
    # Repair Café Denmark, Fixit Clinic, Repair Connects and the ORDS prose (DESIGN.md).
    "item too worn out": RepairBarrier.TOO_WORN_OUT.value,
    "product too worn out": RepairBarrier.TOO_WORN_OUT.value,
    "no way to open the product": RepairBarrier.NO_WAY_TO_OPEN.value,
    # French spreadsheets: Filière's own labels.
    **{variant_key(str(barrier.label)): barrier.value for barrier in RepairBarrier},
}


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

"""CO2e averted by repairs: the Restart Project's method (Fixometer), the one source of the
repair factors (``rapports/co2.py`` holds the reuse factors and refers here).

Only items whose repair status is Fixed count. Averted emissions = the category's pre-use
footprint (manufacture and distribution, kg CO2e) × a displacement rate of 0.5: "we assume
each successful repair displaces a new manufacture by 50 %" (Restart Project,
environmental-impact-data, methodology.md). Misc items have no footprint of their own and
count by their weight when it was recorded (kg × the Fixometer's emission ratio), and not at
all without it: such items are counted and shown apart.

The factors are versioned tables, never edited once a page has printed them: a new source is
a new table, and ``CURRENT`` moves to it. Every page that prints a figure prints the table's
``source``.

Computed by the database (``averted_expression``), so a list of sessions gets its figures in
the same query as the sessions.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from . import ords


@dataclass(frozen=True)
class RepairFactors:
    version: str
    adopted_on: str  # ISO date the table was adopted in Filière
    source: str  # printed under every figure
    displacement: Decimal
    # kg CO2e by ORDS product category id; a category missing here counts by weight.
    footprints: dict[int, Decimal]
    # Where each footprint comes from, for the categories not taken as is from the main
    # source (see RESTART_LCA_2021).
    footprint_notes: dict[int, str] = field(default_factory=dict)
    powered_per_kg: Decimal = Decimal("32.07")
    unpowered_per_kg: Decimal = Decimal("17.70")
    # Every ORDS v0.3 category is electrical (ORDS covers EEE); kept should the list grow.
    unpowered_category_ids: frozenset[int] = frozenset()


# The table Filière used until December 2026: four IT categories (the Fixometer's first
# reference data, as DESIGN.md quotes it), every other category by weight only.
RESTART_FIXOMETER_2023 = RepairFactors(
    version="restart-fixometer-2023",
    adopted_on="2026-01-15",
    source=_(
        "Méthode du Restart Project (Fixometer) : seuls les objets réparés comptent ; "
        "émissions évitées = empreinte de fabrication de la catégorie × 0,5 (taux de "
        "remplacement évité). Portable : taille moyenne (258,25 kg CO2e) faute de taille "
        "connue ; fixe 398,4 ; tablette 107,76 ; téléphone 35,82 ; autres catégories : "
        "poids (kg) × 32,07 pour un objet électrique, × 17,70 sinon."
    ),
    displacement=Decimal("0.5"),
    footprints={
        ords.LAPTOP: Decimal("258.25"),
        ords.DESKTOP: Decimal("398.4"),
        ords.TABLET: Decimal("107.76"),
        ords.MOBILE: Decimal("35.82"),
    },
)

# Every ORDS v0.3 category but Misc. Main source: the Restart Project, "Fixometer LCA data -
# 2021 - Summary" (github.com/TheRestartProject/environmental-impact-data, CC BY-SA 4.0),
# column "Average product pre-use CO2e (kg)", rounded to 0.01 kg, for the 34 ORDS categories
# that have a row of the same name there (Laptop: its "Laptop medium" row, the size not
# being recorded). The other five come from the Open Repair Alliance's mapping of that same
# LCA work onto the ORDS categories ("ords_category_lca_reference.csv" in
# github.com/openrepair/tools, dat/, CC BY-SA 4.0), as ``footprint_notes`` says. Where the
# two disagree on a category that the Restart summary has (Battery/charger/adapter 26.65 in
# the ORA file against 0.55, Large home electrical 26.65 against 35.34, Small home
# electrical 30.9 against 42.80), the Restart summary is kept.
RESTART_LCA_2021 = RepairFactors(
    version="restart-lca-2021.1",
    adopted_on="2026-12-03",
    source=_(
        "Méthode du Restart Project (Fixometer) : seuls les objets réparés comptent ; "
        "émissions évitées = empreinte avant usage (fabrication et distribution) de la "
        "catégorie ORDS × 0,5 (taux de remplacement d'un achat neuf évité). Empreintes : "
        "Restart Project, « Fixometer LCA data 2021 » (moyenne par catégorie ; portable : "
        "taille moyenne, 265,32 kg CO2e, faute de taille connue) ; pour Ordinateur fixe, Écran "
        "plat, Instrument de musique, Robot de cuisine et Sèche-cheveux, la correspondance "
        "publiée par l'Open Repair Alliance (openrepair/tools). Catégorie Divers : poids (kg) "
        "× 32,07, non comptée sans poids."
    ),
    displacement=Decimal("0.5"),
    footprints={
        1: Decimal("99.41"),  # Aircon/dehumidifier
        2: Decimal("0.55"),  # Battery/charger/adapter
        3: Decimal("14.72"),  # Decorative or safety lights
        4: Decimal("414.17"),  # Desktop computer
        5: Decimal("29.73"),  # Digital compact camera
        6: Decimal("16.03"),  # DSLR/video camera
        7: Decimal("15.60"),  # Fan
        8: Decimal("308.95"),  # Flat screen
        9: Decimal("10.28"),  # Hair & beauty item
        10: Decimal("22.71"),  # Handheld entertainment device
        11: Decimal("3.00"),  # Headphones
        12: Decimal("186.50"),  # Hi-Fi integrated
        13: Decimal("123.86"),  # Hi-Fi separates
        14: Decimal("44.32"),  # Kettle
        15: Decimal("14.96"),  # Lamp
        16: Decimal("265.32"),  # Laptop (medium)
        17: Decimal("35.34"),  # Large home electrical
        # 18 Misc: by weight
        19: Decimal("50.51"),  # Mobile
        20: Decimal("109.50"),  # Musical instrument
        21: Decimal("59.50"),  # Paper shredder
        22: Decimal("15.94"),  # PC accessory
        23: Decimal("54.65"),  # Portable radio
        24: Decimal("26.65"),  # Power tool
        25: Decimal("100.69"),  # Printer/scanner
        26: Decimal("57.58"),  # Projector
        27: Decimal("35.00"),  # Sewing machine
        28: Decimal("42.80"),  # Small home electrical
        29: Decimal("30.90"),  # Small kitchen item
        30: Decimal("114.49"),  # Tablet
        31: Decimal("8.13"),  # Toaster
        32: Decimal("10.40"),  # Toy
        33: Decimal("51.33"),  # TV and gaming-related accessories
        34: Decimal("36.01"),  # Vacuum
        35: Decimal("28.29"),  # Watch/clock
        36: Decimal("17.50"),  # Coffee maker
        37: Decimal("30.90"),  # Food processor
        38: Decimal("140.67"),  # Games console
        39: Decimal("10.28"),  # Hair dryer
        40: Decimal("11.00"),  # Iron
    },
    footprint_notes={
        4: "ORA: mean of Restart's desktop small 190.91, medium 435.87, large 615.72",
        8: "ORA: Restart splits flat screens by size (262.56 to 637.90)",
        20: "ORA: Restart's 2021 summary has no CO2e data for musical instruments",
        37: "ORA: counted as a small kitchen item (Restart's 'Blender' row, 49.8, not used)",
        39: "ORA: counted as a hair & beauty item (no hair dryer row at Restart)",
    },
)

TABLES = {table.version: table for table in (RESTART_FIXOMETER_2023, RESTART_LCA_2021)}
CURRENT = RESTART_LCA_2021.version


def current_table() -> RepairFactors:
    return TABLES[CURRENT]


_TABLE = current_table()
METHOD_VERSION = _TABLE.version
SOURCE = _TABLE.source
DISPLACEMENT = _TABLE.displacement
FOOTPRINTS = _TABLE.footprints
POWERED_PER_KG = _TABLE.powered_per_kg
UNPOWERED_PER_KG = _TABLE.unpowered_per_kg
UNPOWERED_CATEGORY_IDS = _TABLE.unpowered_category_ids

# Reuse (a refurbished device handed to a household) is counted by rapports/co2.py with
# ADEME's factors, and differently: printed wherever both kinds of figures meet.
REUSE_DIFFERS = _(
    "Le réemploi (appareils reconditionnés remis aux foyers, dans les rapports de gisement) "
    "est compté autrement : empreinte d'un appareil neuf selon l'ADEME (base Impact CO2), "
    "substitution un pour un. Une réparation prolonge un objet que la personne possède déjà : "
    "le Restart Project ne compte que la moitié d'un achat neuf évité."
)

_KG = DecimalField(max_digits=12, decimal_places=2)


def footprint(category_id: int, weight_kg: Decimal | None) -> Decimal | None:
    """Footprint of one item in kg CO2e, or None when it cannot be estimated."""
    if category_id in FOOTPRINTS:
        return FOOTPRINTS[category_id]
    if weight_kg is None:
        return None
    factor = UNPOWERED_PER_KG if category_id in UNPOWERED_CATEGORY_IDS else POWERED_PER_KG
    return Decimal(weight_kg) * factor


def averted(status: str, category_id: int, weight_kg: Decimal | None) -> Decimal:
    """Python twin of ``averted_expression`` for one item (used by the tests and the demo)."""
    if status != ords.RepairStatus.FIXED:
        return Decimal("0")
    value = footprint(category_id, weight_kg)
    return Decimal("0") if value is None else value * DISPLACEMENT


def averted_expression(prefix: str = ""):
    """kg CO2e averted by one repair row, as a database expression (0 unless Fixed)."""
    category = f"{prefix}product_category_id"
    weight = F(f"{prefix}weight_kg")
    per_kg = Case(
        When(**{f"{category}__in": UNPOWERED_CATEGORY_IDS or [-1]}, then=Value(UNPOWERED_PER_KG)),
        default=Value(POWERED_PER_KG),
        output_field=_KG,
    )
    footprint_expression = Case(
        *[
            When(**{category: category_id}, then=Value(value))
            for category_id, value in FOOTPRINTS.items()
        ],
        default=ExpressionWrapper(Coalesce(weight, Value(Decimal("0"))) * per_kg, output_field=_KG),
        output_field=_KG,
    )
    return Case(
        When(
            **{f"{prefix}status": ords.RepairStatus.FIXED},
            then=ExpressionWrapper(footprint_expression * Value(DISPLACEMENT), output_field=_KG),
        ),
        default=Value(Decimal("0")),
        output_field=_KG,
    )


def uncounted_condition(prefix: str = "") -> Q:
    """Fixed items that cannot be estimated: no footprint of their own and no weight."""
    return Q(
        **{
            f"{prefix}status": ords.RepairStatus.FIXED,
            f"{prefix}weight_kg__isnull": True,
        }
    ) & ~Q(**{f"{prefix}product_category_id__in": list(FOOTPRINTS)})


def totals(queryset) -> dict:
    """Sums over a queryset of repairs: items, fixed, kg CO2e averted, fixed items uncounted."""
    return queryset.aggregate(
        items=Count("id"),
        fixed=Count("id", filter=Q(status=ords.RepairStatus.FIXED)),
        averted_kg=Coalesce(Sum(averted_expression()), Value(Decimal("0")), output_field=_KG),
        uncounted=Count("id", filter=uncounted_condition()),
    )

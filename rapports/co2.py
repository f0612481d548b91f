"""CO2e avoided by giving devices a second life: versioned tables of factors.

A table is never edited once a report has printed it: a new source or a new assumption is a
new version, and ``CURRENT`` moves to it. Every report prints the version, the source and the
assumptions of the table it used, so a figure can always be traced back.

The same table holds the typical weight of each kind of device: donors weigh a whole
donation, not each device, so a weight by kind can only be an estimate.

Two methods, on purpose. Reuse (this module): a device handed to a household replaces the
purchase of a new one, so the whole footprint of a new device counts (ADEME, one for one).
Repairs (``ateliers.impact``, the one source of the repair factors): a repaired item is
one its owner already has, so the Restart Project counts half a new one avoided
(displacement 0.5) over its per-category footprints (Restart Project LCA data 2021, every
ORDS category). Each figure is printed with its own
source; where both meet (the repairs page), ``ateliers.impact.REUSE_DIFFERS`` says how they
differ.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class FactorTable:
    version: str
    published_on: str  # ISO date the table was adopted in Filière
    source: str
    assumptions: tuple
    # kg CO2e avoided per device given a second life, by device kind (parc.DeviceKind values);
    # a kind missing here is counted as "no factor" and left out of the total.
    avoided_kg: dict[str, Decimal] = field(default_factory=dict)
    # typical weight in kg, by device kind, for the estimated weight by kind
    typical_weight_kg: dict[str, Decimal] = field(default_factory=dict)
    weight_source: str = ""


ADEME_2022 = FactorTable(
    version="ademe-2022.1",
    published_on="2026-01-15",
    source=_(
        "ADEME, base Impact CO2 (impactco2.fr), empreinte d'un appareil neuf, fabrication et "
        "distribution (2022) ; ADEME / Hubblo, « Évaluation de l'impact environnemental d'un "
        "ensemble de produits reconditionnés » (2022)."
    ),
    assumptions=(
        _(
            "Chaque appareil remis à un foyer (cédé, vendu, donné ou en prêt) évite l'achat "
            "d'un appareil neuf équivalent : l'empreinte de fabrication et de distribution de "
            "cet appareil neuf est comptée comme évitée (substitution un pour un)."
        ),
        _(
            "Les appareils encore au stock, démontés, recyclés ou perdus ne comptent pas : ils "
            "n'ont pas (encore) remplacé un achat."
        ),
        _(
            "L'impact du reconditionnement lui-même (transport, pièces, énergie de l'atelier) "
            "n'est pas déduit ; l'ADEME l'estime faible devant la fabrication (27 kg CO2e "
            "évités par an de seconde vie pour un ordinateur portable, 24,6 kg pour un "
            "smartphone) : le total est donc un majorant."
        ),
        _("Imprimantes et autres équipements : pas de facteur publié, non comptés."),
    ),
    avoided_kg={
        "laptop": Decimal("182.6"),
        "desktop": Decimal("261.5"),
        "screen": Decimal("65.9"),
        "tablet": Decimal("59.7"),
        "smartphone": Decimal("85.1"),
    },
    typical_weight_kg={
        "laptop": Decimal("2.2"),
        "desktop": Decimal("8.0"),
        "screen": Decimal("5.0"),
        "tablet": Decimal("0.5"),
        "smartphone": Decimal("0.2"),
        "printer": Decimal("9.0"),
        "other": Decimal("2.0"),
    },
    weight_source=_(
        "Masses forfaitaires retenues par Filière (hypothèse de travail, sans pesée appareil "
        "par appareil) : portable 2,2 kg, fixe 8 kg, écran 5 kg, tablette 0,5 kg, smartphone "
        "0,2 kg, imprimante 9 kg, autre 2 kg."
    ),
)

TABLES = {table.version: table for table in (ADEME_2022,)}
CURRENT = ADEME_2022.version


def current_table() -> FactorTable:
    return TABLES[CURRENT]

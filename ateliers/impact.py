"""CO2e averted by repairs: the Restart Project's method (Fixometer).

Only items whose repair status is Fixed count. Averted emissions = the category's footprint
(kg CO2e) × a displacement rate of 0.5 (half of the fixed items would otherwise have been
replaced by a new one). Four categories have a footprint of their own; any other counts by
its weight when the weight was recorded (kg × 32.07 for powered items, × 17.70 for
unpowered ones), and not at all without it: such items are counted and shown apart.

Computed by the database (``averted_expression``), so a list of sessions gets its figures in
the same query as the sessions.
"""

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

METHOD_VERSION = "restart-fixometer-2023"
SOURCE = _(
    "Méthode du Restart Project (Fixometer) : seuls les objets réparés comptent ; "
    "émissions évitées = empreinte de fabrication de la catégorie × 0,5 (taux de "
    "remplacement évité). Portable : taille moyenne (258,25 kg CO2e) faute de taille "
    "connue ; fixe 398,4 ; tablette 107,76 ; téléphone 35,82 ; autres catégories : "
    "poids (kg) × 32,07 pour un objet électrique, × 17,70 sinon."
)
DISPLACEMENT = Decimal("0.5")
LAPTOP_FOOTPRINTS = {
    "small": Decimal("142.18"),
    "medium": Decimal("258.25"),
    "large": Decimal("322.79"),
}
# kg CO2e by ORDS product category id.
FOOTPRINTS = {
    ords.LAPTOP: LAPTOP_FOOTPRINTS["medium"],  # the size is not recorded: "medium"
    ords.DESKTOP: Decimal("398.4"),
    ords.TABLET: Decimal("107.76"),
    ords.MOBILE: Decimal("35.82"),
}
POWERED_PER_KG = Decimal("32.07")
UNPOWERED_PER_KG = Decimal("17.70")
# Every ORDS v0.3 category is electrical (ORDS covers EEE); the unpowered factor is kept for
# completeness should the list grow.
UNPOWERED_CATEGORY_IDS: frozenset[int] = frozenset()

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

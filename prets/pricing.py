"""Solidarity prices: the legal caps and the suggested prices by kind and grade.

Caps: décret n° 2022-1434 du 7 novembre 2022 (equipment given free of charge by public
bodies and sold by solidarity structures), prices TTC. They apply only to devices that came
from a public donor; for the others the organisation's suggested price is only a guide.
"""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from parc.models import DeviceKind, Grade

CAP_SOURCE = _("décret n° 2022-1434 du 7 novembre 2022, prix plafonds TTC")

# DeviceKind has no "multifunction printer": a printer is capped at 30 € (the decree's 170 €
# applies to multifunction printers, which the pool records as "printer" too; the lower cap
# is the safe reading). "other" has no cap in the decree.
LEGAL_CAPS: dict[str, Decimal] = {
    DeviceKind.LAPTOP: Decimal("180.00"),
    DeviceKind.DESKTOP: Decimal("150.00"),  # with screen, keyboard and mouse
    DeviceKind.TABLET: Decimal("100.00"),
    DeviceKind.SMARTPHONE: Decimal("100.00"),
    DeviceKind.SCREEN: Decimal("30.00"),
    DeviceKind.PRINTER: Decimal("30.00"),
}

# Suggested prices when the organisation has not set its own (PriceSuggestion rows).
DEFAULT_SUGGESTED: dict[tuple[str, str], Decimal] = {
    (DeviceKind.LAPTOP, Grade.A): Decimal("150.00"),
    (DeviceKind.LAPTOP, Grade.B): Decimal("120.00"),
    (DeviceKind.LAPTOP, Grade.C): Decimal("90.00"),
    (DeviceKind.DESKTOP, Grade.A): Decimal("120.00"),
    (DeviceKind.DESKTOP, Grade.B): Decimal("100.00"),
    (DeviceKind.DESKTOP, Grade.C): Decimal("70.00"),
    (DeviceKind.TABLET, Grade.A): Decimal("80.00"),
    (DeviceKind.TABLET, Grade.B): Decimal("60.00"),
    (DeviceKind.TABLET, Grade.C): Decimal("40.00"),
    (DeviceKind.SMARTPHONE, Grade.A): Decimal("80.00"),
    (DeviceKind.SMARTPHONE, Grade.B): Decimal("60.00"),
    (DeviceKind.SMARTPHONE, Grade.C): Decimal("40.00"),
    (DeviceKind.SCREEN, Grade.A): Decimal("30.00"),
    (DeviceKind.SCREEN, Grade.B): Decimal("25.00"),
    (DeviceKind.SCREEN, Grade.C): Decimal("15.00"),
    (DeviceKind.PRINTER, Grade.A): Decimal("30.00"),
    (DeviceKind.PRINTER, Grade.B): Decimal("20.00"),
    (DeviceKind.PRINTER, Grade.C): Decimal("10.00"),
}


def legal_cap(kind: str) -> Decimal | None:
    return LEGAL_CAPS.get(kind)

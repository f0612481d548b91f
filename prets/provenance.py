"""Where a device came from, as far as prices are concerned: the legal caps apply only to
equipment given by a public donor (pricing.py). The pool records the donation of a device
(``Device.donation`` → ``Donation.gisement``), the gisement the kind of donor."""

import calendar
import datetime as dt

from dons.models import PUBLIC_DONOR_KINDS
from parc.models import Device


def from_public_donor(device: Device) -> bool:
    """Did this device come from a public donor (État, collectivité, établissement public)?
    False when its donation is not recorded."""
    if getattr(device, "donation_id", None) is None:
        return False
    kind = (
        Device.objects.filter(pk=device.pk)
        .values_list("donation__gisement__donor_kind", flat=True)
        .first()
    )
    return kind in PUBLIC_DONOR_KINDS


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the last day of the month when it has fewer days)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )

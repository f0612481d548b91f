"""Where a device came from, as far as prices are concerned: the legal caps apply only to
equipment given by a public donor (pricing.py). The pool records the donation of a device
(``Device.donation`` → ``Donation.gisement``), the gisement the kind of donor."""

import calendar
import datetime as dt

from parc.models import Device


def _has_field(model, name: str) -> bool:
    return any(field.name == name for field in model._meta.get_fields())


def donation_path() -> str | None:
    """The ORM path from a device to its gisement's "public donor" flag, or None when the
    pool does not record donations yet."""
    if not _has_field(Device, "donation"):
        return None
    donation_model = Device._meta.get_field("donation").related_model
    if not _has_field(donation_model, "gisement"):
        return None
    gisement_model = donation_model._meta.get_field("gisement").related_model
    for name in ("is_public_donor", "donor_is_public", "is_public"):
        if hasattr(gisement_model, name):
            return f"donation__gisement__{name}"
    return None


def from_public_donor(device: Device) -> bool:
    path = donation_path()
    if path is None or getattr(device, "donation_id", None) is None:
        return False
    value = Device.objects.filter(pk=device.pk).values_list(path, flat=True).first()
    return bool(value)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the last day of the month when it has fewer days)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )

"""Template filters of the device page and the evidence pages."""

from django import template

from ..evidence.hardware import MediumSpec
from ..evidence.summary import disk_capacity as capacity_text
from ..evidence.summary import medium_label

register = template.Library()


@register.filter
def disk_capacity(capacity_gb) -> str:
    """256 -> « 256 Go », 1000 -> « 1 To »."""
    return capacity_text(capacity_gb)


@register.filter
def new_medium_label(fields: dict) -> str:
    """The medium a log would create, as the technician reads it."""
    return medium_label(MediumSpec(**fields))


@register.filter
def file_size(size) -> str:
    """A file size in French units: 512 -> « 512 octets », 4_329_431 -> « 4,1 Mo »."""
    if size is None:
        return ""
    size = int(size)
    if size < 1024:
        return f"{size} octets"
    for unit, factor in (("Ko", 2**10), ("Mo", 2**20), ("Go", 2**30)):
        if size < factor * 1024 or unit == "Go":
            value = f"{size / factor:.1f}".replace(".", ",").removesuffix(",0")
            return f"{value} {unit}"
    return ""  # pragma: no cover

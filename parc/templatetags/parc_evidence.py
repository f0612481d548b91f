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

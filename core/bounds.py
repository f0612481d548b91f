"""Sane ranges for values read from a URL or a form, so that a date or a number typed in an
address never reaches the date arithmetic or the database out of range (a 500): a French
message instead, and the page's defaults.

- Dates: 1 January 2000 to 31 December 2100 (the scheme started long after 2000; nothing is
  planned beyond 2100). ``BoundedDateField`` is a ``DateField`` that refuses the rest.
- Ids: 1 to 2**63 - 1, the range of the database's big integers. ``parse_id`` reads one.
"""

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)
MAX_ID = 2**63 - 1


def date_in_range(value: dt.date | None) -> bool:
    return value is None or EARLIEST_DATE <= value <= LATEST_DATE


class BoundedDateField(forms.DateField):
    """A date between ``EARLIEST_DATE`` and ``LATEST_DATE``."""

    default_error_messages = {
        "out_of_range": _("Choisissez une date entre le %(earliest)s et le %(latest)s."),
    }

    def validate(self, value):
        super().validate(value)
        if not date_in_range(value):
            raise ValidationError(
                self.error_messages["out_of_range"],
                code="out_of_range",
                params={
                    "earliest": date_format(EARLIEST_DATE, "d/m/Y"),
                    "latest": date_format(LATEST_DATE, "d/m/Y"),
                },
            )


def parse_id(text) -> int | None:
    """An object id from a query string, or None when it is not one (not digits, 0, or
    beyond what the database can hold)."""
    text = str(text or "").strip()
    if not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None

"""Form fields every app may use (the kernel's: no business rules).

``FrenchDecimalField`` is how every amount, price, cost and weight is typed: a text input with
``inputmode="decimal"`` (a phone shows its number pad), never ``type=number``. A browser in an
English locale reads « 45,50 » in a number input as 4550, or drops it; a text input sends what
was typed and the server reads it the French way.
"""

import re

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _


class FrenchDecimalField(forms.DecimalField):
    """A decimal as a French person types it: « 1 250,50 », « 45,50 », « 12,5 » or « 12.5 ».
    Django's localised field reads the decimal comma but refuses the space between thousands
    (ordinary, non-breaking or narrow), which is how amounts and weights are written in French.
    The value is shown back the French way (« 45,50 »)."""

    THOUSANDS = re.compile(r"(?<=\d)[ \u00a0\u202f](?=\d{3}\b)")
    default_error_messages = {
        "invalid": _(
            "Saisissez un nombre, par exemple « 45,50 » ou « 1 250 » (virgule ou point "
            "pour les décimales)."
        ),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("localize", True)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = self.THOUSANDS.sub("", value.strip())
        return super().to_python(value)


# For a ModelAdmin's ``formfield_overrides``: the admin's amounts (hourly costs, parts, logistics,
# funding, prices…) typed the same way as the pages'.
FRENCH_DECIMALS_IN_ADMIN = {models.DecimalField: {"form_class": FrenchDecimalField}}

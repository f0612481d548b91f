"""Forms of the label pages. They validate input; parc.labels.sheets decides and renders."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.bounds import MAX_ID

from .layouts import DEFAULT_LAYOUT, LAYOUTS
from .sheets import MAX_COPIES, MAX_LABELS

MOST_CELLS = max(layout.cells_per_sheet for layout in LAYOUTS.values())


class DeviceIdsField(forms.Field):
    """A list of device ids, as repeated ``appareil=<id>`` parameters."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        try:
            ids = [int(item) for item in value]
        except (TypeError, ValueError):
            raise ValidationError(_("Sélection d'appareils invalide."), code="invalid") from None
        if any(not 1 <= pk <= MAX_ID for pk in ids):
            raise ValidationError(_("Sélection d'appareils invalide."), code="invalid")
        if len(ids) > MAX_LABELS:
            raise ValidationError(
                _("Trop d'appareils sélectionnés : %(max)s au plus en une fois."),
                code="max",
                params={"max": MAX_LABELS},
            )
        return list(dict.fromkeys(ids))


class LabelSelectionForm(forms.Form):
    appareil = DeviceIdsField(required=False)


class LabelOptionsForm(forms.Form):
    layout = forms.ChoiceField(
        label=_("Format des étiquettes"),
        choices=[(key, layout.name) for key, layout in LAYOUTS.items()],
        initial=DEFAULT_LAYOUT,
        widget=forms.RadioSelect,
    )
    start = forms.IntegerField(
        label=_("Position de la première étiquette"),
        min_value=1,
        max_value=MOST_CELLS,
        initial=1,
        help_text=_(
            "Sur une planche déjà entamée : numéro de la première étiquette libre, en comptant "
            "de gauche à droite puis de haut en bas. Toujours 1 sur un rouleau."
        ),
    )
    copies = forms.IntegerField(
        label=_("Exemplaires par appareil"),
        min_value=1,
        max_value=MAX_COPIES,
        initial=1,
        help_text=format_lazy(
            _("De 1 à {max} ; les exemplaires d'un appareil se suivent."), max=MAX_COPIES
        ),
    )

    def clean(self):
        cleaned = super().clean()
        layout = LAYOUTS.get(cleaned.get("layout", ""))
        start = cleaned.get("start")
        if layout is None or start is None:
            return cleaned
        if layout.continuous and start != 1:
            self.add_error(
                "start",
                _("Sur un rouleau, l'impression commence toujours à la première étiquette."),
            )
        elif start > layout.cells_per_sheet:
            self.add_error(
                "start",
                _(
                    "Cette planche compte %(cells)s étiquettes : choisissez une position "
                    "de 1 à %(cells)s."
                )
                % {"cells": layout.cells_per_sheet},
            )
        return cleaned

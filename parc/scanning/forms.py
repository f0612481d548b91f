"""Forms of the scan pages. They validate input; ``parc.scanning.services`` decides and writes."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _

from ..models import ScanAction
from ..services import TRANSITIONS
from . import services as scanning

MOVE = ScanAction.MOVE.value
INVENTORY = ScanAction.INVENTORY.value


class ScanCodeField(forms.CharField):
    """Any text: ``scanning.clean_scanned_text`` explains bad input in its own words (a NUL
    character from a badly configured scanner included)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [
            v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)
        ]


class ScanForm(forms.Form):
    code = ScanCodeField(
        label=_("Code de l'étiquette"),
        required=False,
        strip=False,
        help_text=_("Scannez l'étiquette, ou tapez son code puis Entrée (ex. FIL-7K3QX9A)."),
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "off",
                "autocapitalize": "characters",
                "autocorrect": "off",
                "spellcheck": "false",
                "enterkeyhint": "go",
                "class": "scan-input",
                "data-scan-input": "",
            }
        ),
    )

    def clean_code(self):
        try:
            return scanning.clean_scanned_text(self.cleaned_data.get("code"))
        except scanning.ScanInputError as error:
            raise ValidationError(error.message) from None


def batch_action_choices():
    return [(name, TRANSITIONS[name].label) for name in scanning.BATCH_TRANSITIONS] + [
        (MOVE, _("Déplacer vers un emplacement")),
        (INVENTORY, _("Faire l'inventaire d'un emplacement")),
    ]


class BatchStartForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=None, empty_label=None)
    action = forms.ChoiceField(
        label=_("Action appliquée à chaque appareil scanné"),
        choices=batch_action_choices,
        widget=forms.RadioSelect,
    )
    location = forms.ModelChoiceField(
        label=_("Emplacement"),
        queryset=None,
        required=False,
        empty_label=_("– choisir –"),
        help_text=_("Pour un déplacement ou un inventaire."),
    )

    def __init__(self, *args, organisations, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["location"].queryset = locations
        only = list(organisations[:2])
        self.single_organisation = len(only) == 1
        if self.single_organisation:
            self.fields["organisation"].widget = forms.HiddenInput()
            self.fields["organisation"].initial = only[0].pk
        else:
            # Two organisations may both have a "Réserve": say whose.
            self.fields["location"].label_from_instance = lambda location: (
                f"{location.name} ({location.organisation.short_name or location.organisation})"
            )

    def clean(self):
        data = super().clean()
        action, location = data.get("action"), data.get("location")
        organisation = data.get("organisation")
        if action in (MOVE, INVENTORY):
            if location is None:
                self.add_error("location", _("Choisissez l'emplacement."))
            elif organisation is not None and location.organisation_id != organisation.pk:
                self.add_error(
                    "location", _("Cet emplacement appartient à une autre organisation.")
                )
        return data

    def batch_kwargs(self) -> dict:
        data = self.cleaned_data
        action = data["action"]
        if action in (MOVE, INVENTORY):
            return {
                "organisation": data["organisation"],
                "action": action,
                "location": data["location"],
            }
        return {
            "organisation": data["organisation"],
            "action": ScanAction.TRANSITION,
            "transition": action,
        }


class MoveHereForm(forms.Form):
    device = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

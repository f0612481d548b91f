"""Forms of the pool pages. They validate input; services decide and write."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.bounds import MAX_ID
from core.forms import FrenchDecimalField

from .checklists import checklist_for
from .models import (
    ADAPTATION_KINDS,
    DeviceKind,
    ErasureRecord,
    Grade,
    MediaType,
    Part,
    State,
    StorageMedium,
    UsageProfile,
    WorkStage,
)
from .selectors import DEVICE_ORDERINGS
from .services import BULK_LIMIT, BULK_TRANSITIONS, TRANSITIONS

MAX_NOTE_LENGTH = 2000


class DeviceFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Rechercher"),
        required=False,
        max_length=100,
        help_text=_("Code, ou début du numéro de série, de la marque ou du modèle"),
    )
    state = forms.ChoiceField(
        label=_("État"), required=False, choices=[("", _("Tous"))] + list(State.choices)
    )
    kind = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("Tous"))] + list(DeviceKind.choices)
    )
    grade = forms.ChoiceField(
        label=_("État esthétique"),
        required=False,
        choices=[("", _("Tous"))] + list(Grade.choices),
    )
    owner = forms.ModelChoiceField(
        label=_("Organisation"), required=False, queryset=None, empty_label=_("Toutes")
    )
    location = forms.ModelChoiceField(
        label=_("Emplacement"), required=False, queryset=None, empty_label=_("Tous")
    )
    tri = forms.ChoiceField(
        label=_("Trier par"), required=False, choices=DEVICE_ORDERINGS.form_choices()
    )

    # The parameters of the list's filters and sort, in the order they are remembered.
    NAMES = ("q", "state", "kind", "grade", "owner", "location", "tri")

    def __init__(self, *args, organisations, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = organisations
        self.fields["location"].queryset = locations


class DeviceIdsField(forms.Field):
    """Ticked devices, as repeated ``appareil=<id>`` parameters, at most ``limit``."""

    widget = forms.MultipleHiddenInput

    def __init__(self, *, limit: int, **kwargs):
        self.limit = limit
        super().__init__(**kwargs)

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        try:
            ids = [int(item) for item in value]
        except (TypeError, ValueError):
            raise ValidationError(_("Sélection d'appareils invalide."), code="invalid") from None
        if any(pk < 1 or pk > MAX_ID for pk in ids):
            raise ValidationError(_("Sélection d'appareils invalide."), code="invalid")
        ids = list(dict.fromkeys(ids))
        if len(ids) > self.limit:
            raise ValidationError(
                _("Trop d'appareils cochés : %(max)s au plus en une fois."),
                code="max",
                params={"max": self.limit},
            )
        return ids


MOVE = "deplacer"


def bulk_action_choices() -> list[tuple[str, str]]:
    return [(name, TRANSITIONS[name].label) for name in BULK_TRANSITIONS] + [
        (MOVE, _("Déplacer vers un emplacement"))
    ]


class BulkActionForm(forms.Form):
    """The ticked devices of the list and the action chosen for them (the confirmation page
    reads it from the address; the confirmation itself posts it back with its own fields)."""

    appareil = DeviceIdsField(limit=BULK_LIMIT, required=True)
    action = forms.ChoiceField(label=_("Action sur les appareils cochés"), choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = bulk_action_choices()
        self.fields["appareil"].error_messages["required"] = _(
            "Aucun appareil coché : cochez-en au moins un dans la liste."
        )

    @property
    def is_move(self) -> bool:
        return self.cleaned_data.get("action") == MOVE


class BulkConfirmForm(BulkActionForm):
    note = forms.CharField(
        label=_("Note (ajoutée à l'historique de chaque appareil)"),
        required=False,
        max_length=MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    location = forms.ModelChoiceField(
        label=_("Nouvel emplacement"), queryset=None, required=False, empty_label=_("Aucun")
    )

    def __init__(self, *args, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations

    def expected_states(self) -> dict[int, str]:
        """The state of each device when the user confirmed (``etat_<id>``), valid only."""
        states = set(State.values)
        found = {}
        for device_id in self.cleaned_data.get("appareil", []):
            state = self.data.get(f"etat_{device_id}", "")
            if state in states:
                found[device_id] = state
        return found


class CursorForm(forms.Form):
    # Ids the database can hold: a bigger number in an address is ignored (first page).
    apres = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    avant = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)


class NoteForm(forms.Form):
    expected_state = forms.ChoiceField(choices=State.choices, widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class LossForm(NoteForm):
    note = forms.CharField(
        label=_("Circonstances (date, lieu, dépôt de plainte…)"),
        max_length=MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MarkReadyForm(NoteForm):
    """The functional test checklist of the device's kind, and its cosmetic grade."""

    grade = forms.ChoiceField(
        label=_("État esthétique"), choices=Grade.choices, widget=forms.RadioSelect
    )
    os_installed = forms.CharField(
        label=_("Système installé"), required=False, max_length=100, initial="Linux Mint 22"
    )
    parts_replaced = forms.CharField(
        label=_("Pièces remplacées"),
        required=False,
        max_length=MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    usage_profile = forms.ModelChoiceField(
        label=_("Profil d'usage"),
        queryset=UsageProfile.objects.none(),
        required=False,
        empty_label=_("non précisé"),
        widget=forms.RadioSelect,
        help_text=_("Ce que l'appareil est prêt à faire : il guide l'attribution."),
    )
    software = forms.TypedMultipleChoiceField(
        label=_("Logiciels et réglages installés"),
        choices=[(int(a), a.label) for a in ADAPTATION_KINDS["software"]],
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    hardware = forms.TypedMultipleChoiceField(
        label=_("Matériel fourni"),
        choices=[(int(a), a.label) for a in ADAPTATION_KINDS["hardware"]],
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.check_keys = []
        for key, label in checklist_for(kind):
            self.fields[f"check_{key}"] = forms.BooleanField(label=label, required=False)
            self.check_keys.append(key)
        self.fields["usage_profile"].queryset = UsageProfile.objects.filter(is_active=True)
        self.fields["usage_profile"].label_from_instance = lambda p: f"{p.label} — {p.description}"
        self.order_fields(
            [f"check_{k}" for k in self.check_keys]
            + ["grade", "os_installed", "usage_profile", "software", "hardware"]
        )

    def adaptations(self) -> list[int]:
        return [*self.cleaned_data.get("software", []), *self.cleaned_data.get("hardware", [])]

    @property
    def check_fields(self):
        return [self[f"check_{key}"] for key in self.check_keys]

    def checklist(self) -> dict[str, bool]:
        return {key: bool(self.cleaned_data.get(f"check_{key}")) for key in self.check_keys}


class StorageMediumForm(forms.ModelForm):
    class Meta:
        model = StorageMedium
        fields = ["media_type", "manufacturer", "model", "serial", "capacity_gb"]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class ErasureForm(forms.ModelForm):
    """One erasure of one medium; prefixed by the medium so several forms share a page."""

    class Meta:
        model = ErasureRecord
        fields = [
            "level",
            "method",
            "tool",
            "tool_version",
            "verification",
            "result",
            "started_at",
            "ended_at",
            "destination",
            "report",
        ]
        widgets = {"started_at": DateTimeLocalInput(), "ended_at": DateTimeLocalInput()}

    # What the certificate states: the technician chooses each one, nothing is preselected
    # (a default would certify an erasure nobody checked).
    CERTIFIED_CHOICES = ("level", "method", "verification", "result", "destination")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        now = timezone.localtime().replace(second=0, microsecond=0)
        self.fields["started_at"].initial = now
        self.fields["ended_at"].initial = now
        for name in self.CERTIFIED_CHOICES:
            field = self.fields[name]
            field.initial = None
            field.choices = [("", _("Choisissez…")), *(c for c in field.choices if c[0] != "")]

    def clean(self):
        cleaned = super().clean()
        started, ended = cleaned.get("started_at"), cleaned.get("ended_at")
        if started and ended and ended < started:
            self.add_error("ended_at", _("La fin doit suivre le début."))
        # An end in the future is refused by the service (parc.services.erasure_record).
        return cleaned

    @staticmethod
    def prefix_for(medium_id: int) -> str:
        return f"support{medium_id}"


class DeviceRegisterForm(forms.Form):
    """Fast registration at the workshop bench: the donation it came with, brand and model
    suggested from what the organisation already has (HTML datalists), and one storage medium
    (more are added on the device page)."""

    owner = forms.ModelChoiceField(label=_("Organisation"), queryset=None)
    donation = forms.ModelChoiceField(
        label=_("Don"),
        queryset=None,
        required=False,
        empty_label=_("— sans don enregistré —"),
        help_text=_("Le don dont l'appareil provient."),
    )
    kind = forms.ChoiceField(label=_("Type"), choices=DeviceKind.choices)
    brand = forms.CharField(
        label=_("Marque"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"list": "marques", "autocomplete": "off"}),
    )
    model = forms.CharField(
        label=_("Modèle"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"list": "modeles", "autocomplete": "off"}),
    )
    serial = forms.CharField(
        label=_("Numéro de série"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    cpu = forms.CharField(label=_("Processeur"), max_length=150, required=False)
    ram_gb = FrenchDecimalField(
        label=_("Mémoire vive (Go)"),
        required=False,
        min_value=0,
        max_value=9999,
        decimal_places=1,
    )
    os = forms.CharField(label=_("Système d'exploitation"), max_length=100, required=False)
    location = forms.ModelChoiceField(label=_("Emplacement"), queryset=None, required=False)
    received_without_storage = forms.BooleanField(
        label=_("Reçu sans support de stockage (disques retirés par le donateur)"), required=False
    )
    medium_type = forms.ChoiceField(
        label=_("Type de support"),
        required=False,
        choices=[("", _("— aucun support saisi —"))] + list(MediaType.choices),
    )
    medium_manufacturer = forms.CharField(
        label=_("Fabricant du support"), max_length=100, required=False
    )
    medium_serial = forms.CharField(
        label=_("Numéro de série du support"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    medium_capacity_gb = forms.IntegerField(
        label=_("Capacité (Go)"), required=False, min_value=1, max_value=1_000_000
    )
    notes = forms.CharField(
        label=_("Remarques"),
        required=False,
        max_length=MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    DEVICE_FIELDS = (
        "donation",
        "kind",
        "brand",
        "model",
        "serial",
        "cpu",
        "ram_gb",
        "os",
        "location",
        "received_without_storage",
        "notes",
    )
    MEDIUM_FIELDS = ("medium_type", "medium_manufacturer", "medium_serial", "medium_capacity_gb")

    def __init__(self, *args, organisations, locations, donations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = organisations
        self.fields["location"].queryset = locations
        if donations is None:
            del self.fields["donation"]
        else:
            self.fields["donation"].queryset = donations
            self.fields["donation"].label_from_instance = self._donation_label
        if len(organisations) == 1:
            self.fields["owner"].initial = organisations[0].pk

    @staticmethod
    def _donation_label(donation) -> str:
        return f"{donation} – {donation.gisement.donor.name} ({donation.get_state_display()})"

    @property
    def device_field_list(self):
        return [field for field in self if field.name not in self.MEDIUM_FIELDS]

    @property
    def medium_field_list(self):
        return [self[name] for name in self.MEDIUM_FIELDS]

    def clean(self):
        # The rules about the device itself (a location or a donation of another
        # organisation, a medium given with "received without storage") are the service's
        # (parc.services.device_register): the view shows its refusal next to its field.
        cleaned = super().clean()
        medium_given = any(
            cleaned.get(name) not in (None, "")
            for name in ("medium_manufacturer", "medium_serial", "medium_capacity_gb")
        )
        if medium_given and not cleaned.get("medium_type"):
            self.add_error("medium_type", _("Précisez le type du support de stockage."))
        return cleaned

    def device_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.DEVICE_FIELDS if name in self.fields}

    def storage_media(self) -> list[dict]:
        if not self.cleaned_data.get("medium_type"):
            return []
        return [
            {
                "media_type": self.cleaned_data["medium_type"],
                "manufacturer": self.cleaned_data["medium_manufacturer"],
                "serial": self.cleaned_data["medium_serial"],
                "capacity_gb": self.cleaned_data["medium_capacity_gb"],
            }
        ]


class MoveForm(forms.Form):
    location = forms.ModelChoiceField(
        label=_("Nouvel emplacement"), queryset=None, required=False, empty_label=_("Aucun")
    )

    def __init__(self, *args, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations


class WorkTimeForm(forms.Form):
    """The technician's own work time for one stage of the device (issue 15)."""

    stage = forms.ChoiceField(label=_("Étape"), choices=WorkStage.choices)
    minutes = forms.IntegerField(label=_("Temps passé (minutes)"), min_value=1, max_value=6000)
    supported_minutes = forms.IntegerField(
        label=_("Dont minutes de travailleurs accompagnés (ESAT, EA, insertion)"),
        min_value=0,
        max_value=6000,
        initial=0,
        required=False,
    )


class PartUseForm(forms.Form):
    """Parts taken from the organisation's stock for this device (issue 15)."""

    part = forms.ModelChoiceField(label=_("Pièce"), queryset=Part.objects.none())
    quantity = forms.IntegerField(label=_("Quantité"), min_value=1, max_value=100, initial=1)

    def __init__(self, *args, parts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["part"].queryset = parts
        self.fields["part"].label_from_instance = lambda p: (
            _("%(label)s (%(category)s, %(cost)s €, %(n)s en stock)")
            % {
                "label": p.label,
                "category": p.get_category_display(),
                "cost": p.unit_cost,
                "n": p.quantity,
            }
        )

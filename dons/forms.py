"""Forms of the gisement and donation pages. They validate input; services decide and write."""

from django import forms
from django.core.validators import FileExtensionValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from acteurs.validators import validate_siret
from core.forms import FrenchDecimalField

from .models import (
    Convention,
    ConventionStatus,
    DeviceKind,
    DocumentKind,
    DonationState,
    DonorKind,
    Frequency,
    Gisement,
)

MAX_NOTE_LENGTH = 2000
MAX_UPLOAD_MB = 20
DOCUMENT_EXTENSIONS = [
    "pdf",
    "csv",
    "xlsx",
    "xls",
    "ods",
    "odt",
    "doc",
    "docx",
    "jpg",
    "jpeg",
    "png",
]
MAX_QUANTITY = 100_000


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _check_size(upload):
    if upload and upload.size > MAX_UPLOAD_MB * 1024 * 1024:
        raise forms.ValidationError(
            _("Le fichier dépasse %(mb)s Mo.") % {"mb": MAX_UPLOAD_MB}, code="too_big"
        )
    return upload


def _not_in_future(value, message):
    if value and value > timezone.localdate():
        raise forms.ValidationError(message, code="future")
    return value


# --- gisements ----------------------------------------------------------------------------------


class GisementFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Rechercher"),
        required=False,
        max_length=100,
        help_text=_("Nom du gisement, du donateur ou du contact"),
    )
    donor_kind = forms.ChoiceField(
        label=_("Type de donateur"),
        required=False,
        choices=[("", _("Tous"))] + list(DonorKind.choices),
    )
    frequency = forms.ChoiceField(
        label=_("Fréquence"), required=False, choices=[("", _("Toutes"))] + list(Frequency.choices)
    )
    convention = forms.ChoiceField(
        label=_("Convention en vigueur"),
        required=False,
        choices=[("", _("Peu importe")), ("oui", _("Oui")), ("non", _("Non"))],
    )
    refurbisher = forms.ModelChoiceField(
        label=_("Structure"), required=False, queryset=None, empty_label=_("Toutes")
    )

    def __init__(self, *args, refurbishers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["refurbisher"].queryset = refurbishers


class GisementForm(forms.ModelForm):
    """Create or edit a gisement. The donor is an existing organisation, or a new one named
    here (created as a donor organisation)."""

    refurbisher = forms.ModelChoiceField(label=_("Structure de reconditionnement"), queryset=None)
    donor = forms.ModelChoiceField(
        label=_("Donateur"),
        queryset=None,
        required=False,
        empty_label=_("— nouveau donateur, saisi ci-dessous —"),
    )
    new_donor_name = forms.CharField(
        label=_("Nom du nouveau donateur"),
        max_length=200,
        required=False,
        help_text=_("Pour un particulier : « Particulier – Nom »."),
    )
    new_donor_siret = forms.CharField(
        label=_("SIRET du nouveau donateur"),
        max_length=14,
        required=False,
        validators=[validate_siret],
    )
    expected_volume_per_year = forms.IntegerField(
        label=_("Volume attendu par an (appareils)"),
        required=False,
        min_value=0,
        max_value=MAX_QUANTITY,
    )

    field_order = ["refurbisher", "donor", "new_donor_name", "new_donor_siret"]

    class Meta:
        model = Gisement
        # The structure and the donor are plain form fields: the service sets them (the donor
        # may be created from the name typed here).
        fields = [
            "donor_kind",
            "name",
            "address",
            "commune",
            "contact_name",
            "contact_email",
            "contact_phone",
            "frequency",
            "expected_volume_per_year",
            "notes",
        ]
        widgets = {
            "address": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "contact_phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
            "contact_email": forms.EmailInput(attrs={"autocomplete": "off"}),
        }

    def __init__(self, *args, refurbishers, donors, communes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["donor"].queryset = donors
        self.fields["commune"].queryset = communes
        if self.instance.pk:
            # The structure a gisement supplies does not change; the donor may be corrected.
            del self.fields["refurbisher"]
        else:
            self.fields["refurbisher"].queryset = refurbishers
            only = list(refurbishers[:2])
            if len(only) == 1:
                self.fields["refurbisher"].initial = only[0].pk

    def clean(self):
        cleaned = super().clean()
        donor, new_name = cleaned.get("donor"), (cleaned.get("new_donor_name") or "").strip()
        if donor and new_name:
            self.add_error(
                "new_donor_name",
                _("Choisissez un donateur dans la liste ou saisissez-en un nouveau, pas les deux."),
            )
        elif not donor and not new_name and "donor" not in self.errors:
            self.add_error("donor", _("Choisissez le donateur, ou saisissez un nouveau donateur."))
        if cleaned.get("new_donor_siret") and not new_name:
            self.add_error("new_donor_siret", _("Le SIRET ne sert que pour un nouveau donateur."))
        cleaned["new_donor_name"] = new_name
        return cleaned

    def gisement_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class ConventionForm(forms.ModelForm):
    document = forms.FileField(
        label=_("Convention signée (PDF ou image)"),
        required=False,
        validators=[FileExtensionValidator(["pdf", "jpg", "jpeg", "png", "odt", "docx"])],
    )

    class Meta:
        model = Convention
        fields = ["status", "signed_on", "expires_on", "document", "notes"]
        widgets = {
            "signed_on": DateInput(),
            "expires_on": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_document(self):
        return _check_size(self.cleaned_data.get("document"))

    def clean_signed_on(self):
        return _not_in_future(
            self.cleaned_data.get("signed_on"),
            _("La date de signature ne peut pas être dans le futur."),
        )

    def clean(self):
        cleaned = super().clean()
        status, signed_on = cleaned.get("status"), cleaned.get("signed_on")
        expires_on = cleaned.get("expires_on")
        if status and status != ConventionStatus.DRAFT and not signed_on:
            self.add_error("signed_on", _("Indiquez la date de signature de la convention."))
        if signed_on and expires_on and expires_on < signed_on:
            self.add_error("expires_on", _("L'échéance doit suivre la date de signature."))
        return cleaned

    def convention_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


# --- donations ----------------------------------------------------------------------------------


class DonationForm(forms.Form):
    """A donation's details and the quantities the donor declares, one field per kind."""

    DETAIL_FIELDS = (
        "pickup_date",
        "pickup_address",
        "donor_reference",
        "stated_value",
        "received_weight_kg",
        "notes",
    )

    pickup_date = forms.DateField(
        label=_("Date d'enlèvement prévue"), required=False, widget=DateInput()
    )
    pickup_address = forms.CharField(
        label=_("Adresse d'enlèvement"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Laissez vide pour reprendre l'adresse du gisement."),
    )
    donor_reference = forms.CharField(
        label=_("Référence du donateur"),
        required=False,
        max_length=100,
        help_text=_("Numéro de bon, de commande ou de lot chez le donateur."),
    )
    stated_value = FrenchDecimalField(
        label=_("Valeur déclarée par le donateur (€)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text=_("La valeur que le donateur indique pour son reçu fiscal ; non calculée ici."),
    )
    received_weight_kg = FrenchDecimalField(
        label=_("Poids reçu (kg)"),
        required=False,
        min_value=0,
        max_digits=9,
        decimal_places=2,
    )
    notes = forms.CharField(
        label=_("Remarques"),
        required=False,
        max_length=MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in DeviceKind.choices:
            self.fields[f"qty_{kind}"] = forms.IntegerField(
                label=label,
                required=False,
                min_value=0,
                max_value=MAX_QUANTITY,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )

    @property
    def quantity_fields(self):
        return [self[f"qty_{kind}"] for kind in DeviceKind.values]

    @property
    def detail_fields(self):
        return [self[name] for name in self.DETAIL_FIELDS]

    def lines(self) -> dict[str, int]:
        return {
            kind: self.cleaned_data[f"qty_{kind}"]
            for kind in DeviceKind.values
            if self.cleaned_data.get(f"qty_{kind}")
        }

    def donation_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.DETAIL_FIELDS}

    @classmethod
    def initial_for(cls, donation) -> dict:
        initial = {name: getattr(donation, name) for name in cls.DETAIL_FIELDS}
        for line in donation.lines.all():
            initial[f"qty_{line.kind}"] = line.quantity
        return initial


class TransitionForm(forms.Form):
    expected_state = forms.ChoiceField(choices=DonationState.choices, widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CollectForm(TransitionForm):
    pickup_date = forms.DateField(
        label=_("Collecté le"), required=False, widget=DateInput(), initial=timezone.localdate
    )

    def clean_pickup_date(self):
        return _not_in_future(
            self.cleaned_data.get("pickup_date"),
            _("La date d'enlèvement ne peut pas être dans le futur."),
        )


class ReceiveForm(TransitionForm):
    received_on = forms.DateField(
        label=_("Réceptionné le"), widget=DateInput(), initial=timezone.localdate
    )
    weight_kg = FrenchDecimalField(
        label=_("Poids reçu (kg)"),
        required=False,
        min_value=0,
        max_digits=9,
        decimal_places=2,
        help_text=_("Pour le registre des déchets d'équipements (DEEE)."),
    )

    def clean_received_on(self):
        return _not_in_future(
            self.cleaned_data.get("received_on"),
            _("La date de réception ne peut pas être dans le futur."),
        )


class CancelForm(TransitionForm):
    note = forms.CharField(
        label=_("Motif de l'annulation"),
        max_length=MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Indiquez pourquoi le don est annulé.")},
    )


TRANSITION_FORMS = {
    "collect": CollectForm,
    "receive": ReceiveForm,
    "close": TransitionForm,
    "cancel": CancelForm,
}


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type de document"), choices=DocumentKind.choices)
    title = forms.CharField(label=_("Titre"), required=False, max_length=200)
    file = forms.FileField(
        label=_("Fichier"),
        validators=[FileExtensionValidator(DOCUMENT_EXTENSIONS)],
        help_text=_("PDF, tableur, document ou photo ; 20 Mo au plus."),
    )

    def clean_file(self):
        return _check_size(self.cleaned_data.get("file"))

"""Forms of the workshop pages. They validate input; services decide and write."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.bounds import BoundedDateField
from core.forms import FrenchDecimalField

from . import ords, pix
from .models import AssessmentMoment, Attendance, Session

MAX_TEXT = 2000


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class SessionFilterForm(forms.Form):
    WHEN_CHOICES = [
        ("upcoming", _("À venir")),
        ("past", _("Passées")),
        ("all", _("Toutes")),
    ]
    quand = forms.ChoiceField(label=_("Séances"), choices=WHEN_CHOICES, required=False)
    atelier = forms.ModelChoiceField(
        label=_("Atelier"), queryset=None, required=False, empty_label=_("Tous")
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=None, required=False, empty_label=_("Toutes")
    )
    miennes = forms.BooleanField(label=_("Seulement celles que j'anime"), required=False)

    def __init__(self, *args, workshop_types, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["atelier"].queryset = workshop_types
        self.fields["organisation"].queryset = organisations


class SessionForm(forms.ModelForm):
    """Plan or change a session. The duration is typed as a start and an end."""

    class Meta:
        model = Session
        fields = [
            "workshop_type",
            "title",
            "organisation",
            "commune",
            "address",
            "starts_at",
            "ends_at",
            "facilitator",
            "capacity",
            "accessibility",
        ]
        widgets = {
            "starts_at": DateTimeLocalInput(),
            "ends_at": DateTimeLocalInput(),
            "accessibility": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(
        self, *args, workshop_types, organisations, communes, facilitators, editing=False, **kw
    ):
        super().__init__(*args, **kw)
        self.fields["workshop_type"].queryset = workshop_types
        self.fields["organisation"].queryset = organisations
        self.fields["commune"].queryset = communes
        self.fields["facilitator"].queryset = facilitators
        self.fields["capacity"].widget.attrs.update({"min": 1, "max": 500})
        self.fields["accessibility"].max_length = MAX_TEXT
        if editing:
            del self.fields["workshop_type"]
            del self.fields["organisation"]
        else:
            only = list(organisations[:2])
            if len(only) == 1:
                self.fields["organisation"].initial = only[0].pk
                if only[0].commune_id:
                    self.fields["commune"].initial = only[0].commune_id

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("La fin doit suivre le début."))
        return cleaned

    def _post_clean(self):
        # The service validates the whole session (past dates, facilitator, seats).
        pass


class EnrolForm(forms.Form):
    household = forms.ModelChoiceField(label=_("Foyer à inscrire"), queryset=None)

    def __init__(self, *args, households, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["household"].queryset = households


class AttendanceForm(forms.Form):
    """One radio group per confirmed enrolment: present, absent, excused."""

    def __init__(self, *args, enrolments, **kwargs):
        super().__init__(*args, **kwargs)
        self.enrolments = enrolments
        for enrolment in enrolments:
            self.fields[self.key(enrolment)] = forms.ChoiceField(
                label=enrolment.household.name,
                choices=Attendance.choices,
                widget=forms.RadioSelect,
                required=False,
                initial=enrolment.attendance or None,
            )

    @staticmethod
    def key(enrolment) -> str:
        return f"presence_{enrolment.pk}"

    def rows(self):
        return [(enrolment, self[self.key(enrolment)]) for enrolment in self.enrolments]

    def marks(self) -> dict[int, str]:
        """Only what was ticked: an untouched row keeps its value."""
        return {
            enrolment.pk: self.cleaned_data[self.key(enrolment)]
            for enrolment in self.enrolments
            if self.cleaned_data.get(self.key(enrolment))
        }


class AssessmentForm(forms.Form):
    moment = forms.ChoiceField(
        label=_("Moment"),
        choices=AssessmentMoment.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choisissez avant ou après la formation.")},
    )
    assessed_on = forms.DateField(label=_("Date de l'évaluation"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assessed_on"].initial = timezone.localdate()
        for code, label in pix.DOMAINS:
            self.fields[f"domaine_{code}"] = forms.TypedChoiceField(
                label=f"{code}. {label}",
                choices=pix.Level.choices,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": _("Choisissez un niveau.")},
            )

    @property
    def domain_fields(self):
        return [self[f"domaine_{code}"] for code in pix.DOMAIN_CODES]

    def levels(self) -> dict[str, int]:
        return {code: self.cleaned_data[f"domaine_{code}"] for code in pix.DOMAIN_CODES}

    def clean_assessed_on(self):
        day = self.cleaned_data["assessed_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("La date ne peut pas être dans le futur."))
        return day


class RepairForm(forms.Form):
    device_code = forms.CharField(
        label=_("Code de l'appareil du parc"),
        required=False,
        max_length=200,
        help_text=_(
            "Scannez l'étiquette ou tapez le code (FIL-…). Laissez vide pour un objet "
            "apporté par un particulier."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    product_category_id = forms.TypedChoiceField(
        label=_("Catégorie (ORDS)"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_(
            "Obligatoire pour un objet extérieur ; déduite du type pour un appareil du parc."
        ),
    )
    brand = forms.CharField(label=_("Marque"), required=False, max_length=100)
    year_of_manufacture = forms.IntegerField(
        label=_("Année de fabrication"), required=False, min_value=1950, max_value=2100
    )
    weight_kg = FrenchDecimalField(
        label=_("Poids (kg)"),
        required=False,
        min_value=0.01,
        max_value=999,
        decimal_places=2,
        help_text=_("Facultatif : sert au calcul du CO2e évité pour les autres catégories."),
    )
    problem = forms.CharField(
        label=_("Panne constatée"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    status = forms.ChoiceField(
        label=_("Résultat"),
        choices=[(status.value, status.label) for status in ords.LOCAL_STATUSES],
        widget=forms.RadioSelect,
    )
    barrier = forms.ChoiceField(
        label=_("En fin de vie : ce qui a empêché la réparation"),
        required=False,
        choices=[("", "—")] + list(ords.RepairBarrier.choices),
    )
    parts_used = forms.CharField(label=_("Pièces utilisées"), required=False, max_length=300)
    minutes_spent = forms.IntegerField(
        label=_("Temps passé (minutes)"), required=False, min_value=1, max_value=1440
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product_category_id"].choices = [("", "—")] + [
            (str(pk), name) for pk, name in ords.category_choices()
        ]

    def clean(self):
        cleaned = super().clean()
        status, barrier = cleaned.get("status"), cleaned.get("barrier")
        if status == ords.RepairStatus.END_OF_LIFE and not barrier:
            self.add_error("barrier", _("Indiquez ce qui a empêché la réparation."))
        if status and status != ords.RepairStatus.END_OF_LIFE:
            cleaned["barrier"] = ""
        if not cleaned.get("device_code", "").strip() and not cleaned.get("product_category_id"):
            self.add_error(
                "product_category_id",
                _("Choisissez une catégorie, ou indiquez le code d'un appareil du parc."),
            )
        return cleaned


class ImportForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Importer pour"), queryset=None)
    fichier = forms.FileField(
        label=_("Fichier ORDS (CSV)"),
        help_text=_(
            "Colonnes du standard ORDS v0.3, séparées par des virgules, des points-virgules ou "
            "des tabulations ; 20 Mo au plus. Vous verrez un aperçu avant tout import."
        ),
    )

    MAX_BYTES = 20 * 1024 * 1024

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        only = list(organisations[:2])
        if len(only) == 1:
            self.fields["organisation"].initial = only[0].pk

    def clean_fichier(self):
        upload = self.cleaned_data["fichier"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(
                _("Fichier trop lourd (%(size)s Mo) : 20 Mo au plus.")
                % {"size": f"{upload.size / 2**20:.1f}".replace(".", ",")}
            )
        return upload


class ProgressFilterForm(forms.Form):
    atelier = forms.ModelChoiceField(
        label=_("Atelier"), queryset=None, required=False, empty_label=_("Tous")
    )
    du = forms.DateField(label=_("Du"), required=False, widget=DateInput())
    au = forms.DateField(label=_("Au"), required=False, widget=DateInput())

    def __init__(self, *args, workshop_types, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["atelier"].queryset = workshop_types

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("du"), cleaned.get("au")
        if start and end and end < start:
            self.add_error("au", _("La fin de la période doit suivre son début."))
        return cleaned


class WeekForm(forms.Form):
    semaine = BoundedDateField(
        required=False,
        error_messages={
            "invalid": _("Semaine invalide : la date attendue est du type 2026-03-02.")
        },
    )

    def day(self) -> dt.date:
        """The day asked for, or today when the form has an error (``error`` says which)."""
        if self.is_valid() and self.cleaned_data.get("semaine"):
            return self.cleaned_data["semaine"]
        return timezone.localdate()

    @property
    def error(self) -> str:
        return " ".join(self.errors.get("semaine", [])) if self.is_bound else ""


class AutonomySharingForm(forms.Form):
    """The household's consent to share its latest autonomy level with another
    organisation's facilitators (issue 15): recorded by its own organisation."""

    organisation = forms.ModelChoiceField(
        label=_("Organisation qui anime l'atelier"),
        queryset=None,
        empty_label=_("Choisir…"),
    )
    consent = forms.BooleanField(
        label=_(
            "Le foyer est d'accord pour que les animateurs de cette organisation voient son "
            "dernier niveau d'autonomie numérique (et rien d'autre)"
        ),
        error_messages={"required": _("Cochez l'accord du foyer, ou n'enregistrez rien.")},
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations

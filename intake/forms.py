"""Forms of the inventory-list import: the file and its donation, then the column mapping."""

from django import forms
from django.utils.translation import gettext_lazy as _

from parc.models import DeviceKind

from .columns import FIELDS, IGNORE, MULTIPLE
from .reading import MAX_ROWS, french_int
from .services import MAX_FILE_BYTES

# What an example value shows of a cell on the mapping screen.
EXAMPLE_CHARS = 40


class DonationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, donation):
        parts = [str(donation), str(donation.gisement.donor)]
        if donation.pickup_date:
            parts.append(donation.pickup_date.strftime("%d/%m/%Y"))
        if donation.donor_reference:
            parts.append(donation.donor_reference)
        return " – ".join(parts)


class IntakeUploadForm(forms.Form):
    donation = DonationChoiceField(
        queryset=None,
        label=_("Don"),
        empty_label=_("— choisir le don —"),
        help_text=_("Les appareils de la liste seront rattachés à ce don."),
    )
    file = forms.FileField(
        label=_("Liste d'inventaire du donateur"),
        help_text=_(
            "Fichier CSV (séparateur virgule ou point-virgule, UTF-8 ou Windows, export GLPI "
            "compris) ou XLSX, tel que le donateur l'a envoyé : %(size)s Mo et %(rows)s lignes "
            "au plus, une ligne par appareil avec au moins son numéro de série."
        )
        % {"size": MAX_FILE_BYTES // 2**20, "rows": french_int(MAX_ROWS)},
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx"}),
    )

    def __init__(self, *args, donations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["donation"].queryset = donations


FIELD_CHOICES = [("", _("— ne pas importer cette colonne —"))] + [
    (field.name, field.label) for field in FIELDS
]


class MappingForm(forms.Form):
    """One choice per column of the file, pre-filled with what the aliases recognised."""

    default_kind = forms.ChoiceField(
        label=_("Type des appareils sans colonne « type »"),
        choices=[("", _("— le fichier a une colonne de type —"))] + list(DeviceKind.choices),
        required=False,
        help_text=_("Si la liste ne dit pas le type de chaque appareil (par exemple « écrans »)."),
    )

    def __init__(self, *args, job, samples, **kwargs):
        super().__init__(*args, **kwargs)
        self.job = job
        self.columns = []
        for index, header in enumerate(job.headers):
            name = f"colonne_{index}"
            examples = [_shorten(row[index]) for row in samples if index < len(row) and row[index]]
            self.fields[name] = forms.ChoiceField(
                label=_shorten(header) or _("(colonne %(n)s sans titre)") % {"n": index + 1},
                choices=FIELD_CHOICES,
                required=False,
                initial=""
                if job.mapping.get(str(index)) == IGNORE
                else job.mapping.get(str(index)),
                help_text=_("Exemples : %(values)s") % {"values": ", ".join(examples[:3])}
                if examples
                else _("Pas de valeur dans les premières lignes."),
            )
            self.columns.append(name)
        self.fields["default_kind"].initial = job.default_kind
        self.order_fields([*self.columns, "default_kind"])

    def clean(self):
        data = super().clean()
        mapping = {}
        seen = {}
        for index, name in enumerate(self.columns):
            value = data.get(name) or ""
            if not value or value == IGNORE:
                continue
            if value in seen and value not in MULTIPLE:
                self.add_error(
                    name,
                    _("« %(field)s » est déjà la colonne « %(other)s ».")
                    % {
                        "field": dict(FIELD_CHOICES)[value],
                        "other": self.fields[seen[value]].label,
                    },
                )
                continue
            seen[value] = name
            mapping[str(index)] = value
        if "serial" not in mapping.values():
            raise forms.ValidationError(_("Choisissez la colonne du numéro de série."))
        if "kind" not in mapping.values() and not data.get("default_kind"):
            raise forms.ValidationError(
                _(
                    "Choisissez la colonne du type d'appareil, ou le type de tous les appareils "
                    "du fichier."
                )
            )
        data["mapping"] = mapping
        return data


def _shorten(text: str) -> str:
    return text if len(text) <= EXAMPLE_CHARS else text[: EXAMPLE_CHARS - 1] + "…"


class HeaderChoiceForm(forms.Form):
    """The row of the file that holds the column titles, among the first rows shown."""

    header_line = forms.TypedChoiceField(
        label=_("Ligne des titres de colonnes"), coerce=int, widget=forms.RadioSelect
    )

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["header_line"].choices = [
            (line, _("ligne %(line)s") % {"line": line}) for line in lines
        ]


class RowFilterForm(forms.Form):
    resultat = forms.ChoiceField(
        required=False,
        choices=[
            ("", _("toutes les lignes")),
            ("error", _("lignes rejetées")),
            ("new", _("appareils à créer")),
            ("existing", _("déjà enregistrés")),
            ("created", _("créés")),
        ],
        label=_("Afficher"),
    )
    apres = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

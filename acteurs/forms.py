"""Forms of the household pages. They validate input; services decide and write."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.bounds import BoundedDateField

from .models import HOUSEHOLD_CATEGORY_FIELDS, Household, Organisation
from .selectors import HOUSEHOLD_ORDERINGS


class HouseholdForm(forms.ModelForm):
    size = forms.IntegerField(label=_("Nombre de personnes"), min_value=1, max_value=30, initial=1)

    class Meta:
        model = Household
        fields = ["name", "phone", "email", "commune", "size", *HOUSEHOLD_CATEGORY_FIELDS]
        widgets = {
            "phone": forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
        }

    def __init__(self, *args, communes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = communes

    @property
    def category_fields(self):
        return [self[name] for name in HOUSEHOLD_CATEGORY_FIELDS]

    @property
    def main_fields(self):
        return [self[name] for name in ("name", "phone", "email", "commune", "size")]


class HouseholdCreateForm(HouseholdForm):
    organisation = forms.ModelChoiceField(label=_("Organisation référente"), queryset=None)
    informed = forms.BooleanField(
        label=_("Le foyer a été informé (texte ci-dessus) et donne son accord."),
        error_messages={
            "required": _(
                "Cochez cette case une fois le texte lu au foyer et son accord recueilli."
            )
        },
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        only = list(organisations[:2])
        if len(only) == 1:
            self.fields["organisation"].initial = only[0].pk
            if only[0].commune_id:
                self.fields["commune"].initial = only[0].commune_id

    def household_fields(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in self.Meta.fields  # the model's fields, not organisation or informed
        }


class HouseholdSearchForm(forms.Form):
    q = forms.CharField(label=_("Rechercher un foyer"), required=False, max_length=100)
    tri = forms.ChoiceField(
        label=_("Trier par"),
        required=False,
        choices=[(key, label) for key, (label, _columns) in HOUSEHOLD_ORDERINGS.items()],
    )

    # The parameters remembered between visits: the sort only. A search here is a person's
    # name, and a remembered copy of it would outlive the household's anonymisation.
    NAMES = ("tri",)


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        label=_(
            "Je confirme que la personne a demandé l'effacement de ses données. Son nom, son "
            "téléphone, son courriel et les notes la concernant seront effacés définitivement, "
            "partout où Filière les garde."
        ),
        error_messages={"required": _("Cochez la case pour confirmer l'effacement.")},
    )


class AccessFilterForm(forms.Form):
    """Filters of the page of accesses (a GET form: every value checked, bad ones ignored)."""

    foyer = forms.IntegerField(
        label=_("Foyer (numéro)"), required=False, min_value=1, max_value=2**63 - 1
    )
    personne = forms.CharField(label=_("Personne"), required=False, max_length=100)
    du = BoundedDateField(
        label=_("Du"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    au = BoundedDateField(
        label=_("Au"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        since, until = data.get("du"), data.get("au")
        if since and until and since > until:
            raise forms.ValidationError(_("La date de début suit la date de fin."))
        return data


class PrivacyContactForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["street_address", "postcode", "privacy_email", "dpo_contact"]

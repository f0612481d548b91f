"""Forms of the household pages. They validate input; services decide and write."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import HOUSEHOLD_CATEGORY_FIELDS, Household
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

    # The parameters of the list's filters and sort, in the order they are remembered.
    NAMES = ("q", "tri")

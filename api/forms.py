"""Forms of the account's API pages. They validate input; ``api.tokens`` and
``api.webhooks.services`` decide and write."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import NwipeMethod, Scope, WebhookEvent
from .tokens import LIFETIMES_DAYS

MAX_BUNDLE_BYTES = 8 * 1024 * 1024


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Nom du jeton"),
        max_length=80,
        help_text=_("Pour le reconnaître : le programme ou le poste qui l'utilise."),
    )
    scope = forms.ChoiceField(label=_("Portée"), choices=Scope.choices, widget=forms.RadioSelect)
    days = forms.TypedChoiceField(
        label=_("Valable"),
        coerce=int,
        choices=[(d, _("%(d)s jours") % {"d": d}) for d in LIFETIMES_DAYS],
        initial=90,
    )
    organisation = forms.ModelChoiceField(
        label=_("Atelier de l'agent"),
        queryset=None,
        required=False,
        help_text=_("Pour un jeton d'agent : l'organisation dont il enregistre les appareils."),
    )
    nwipe_method = forms.ChoiceField(
        label=_("Méthode d'effacement de l'agent"),
        choices=NwipeMethod.choices,
        initial=NwipeMethod.ZERO,
        required=False,
    )

    def __init__(self, *args, agent_organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = agent_organisations
        if not agent_organisations.exists():
            # Only an organisation's admins create agent tokens.
            self.fields["scope"].choices = [c for c in Scope.choices if c[0] != Scope.AGENT]
            del self.fields["organisation"]
            del self.fields["nwipe_method"]


class WebhookForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=None)
    url = forms.URLField(
        label=_("Adresse HTTPS du récepteur"),
        max_length=500,
        assume_scheme="https",
    )
    events = forms.MultipleChoiceField(
        label=_("Événements"), choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        first_two = list(organisations[:2])
        if len(first_two) == 1:
            self.fields["organisation"].initial = first_two[0].pk


class BundleForm(forms.Form):
    bundle = forms.FileField(
        label=_("Paquet de l'agent (fichier filiere-….json)"),
        help_text=_("Écrit sur la clé USB par l'agent quand le réseau manquait."),
    )

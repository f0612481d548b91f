from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParcConfig(AppConfig):
    name = "parc"
    verbose_name = _("Parc d'appareils")

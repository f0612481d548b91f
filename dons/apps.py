from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DonsConfig(AppConfig):
    name = "dons"
    verbose_name = _("Gisements et dons")

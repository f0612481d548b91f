from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PretsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "prets"
    verbose_name = _("Prêts et ventes solidaires")

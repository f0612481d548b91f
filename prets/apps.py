from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PretsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "prets"
    verbose_name = _("Prêts et ventes solidaires")

    def ready(self):
        from acteurs.household_columns import register

        from .household_columns import FOLLOW_UP

        # The household list (acteurs) shows each household's request and loan.
        register(FOLLOW_UP)

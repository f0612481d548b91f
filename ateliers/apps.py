from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AteliersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "ateliers"
    verbose_name = _("Ateliers")

    def ready(self):
        from acteurs import personal_data

        from .personal_data import SOURCE

        # Enrolments and assessments: exported, anonymised and described with the household.
        personal_data.register(SOURCE)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PretsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "prets"
    verbose_name = _("Prêts et ventes solidaires")

    def ready(self):
        from acteurs import personal_data
        from acteurs.household_columns import register
        from parc import history

        from . import history_links
        from .household_columns import FOLLOW_UP
        from .services.personal_data import SOURCE

        # The household list (acteurs) shows each household's request and loan.
        register(FOLLOW_UP)
        # What the loan scheme keeps about a household: exported, anonymised and described
        # in the record of processing by acteurs.personal_data.
        personal_data.register(SOURCE)
        # The device's history links its loan events to the loan, for those who may see it.
        history.register_link("prets.loan", history_links.loan_links)

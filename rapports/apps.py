from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RapportsConfig(AppConfig):
    name = "rapports"
    verbose_name = _("Rapports et tableaux de bord")

    def ready(self):
        # Celery's autodiscovery imports only ``rapports.tasks``: the dashboards' refresh
        # tasks live in their own module and are registered here.
        from . import dashboard_tasks  # noqa: F401

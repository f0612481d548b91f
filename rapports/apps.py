from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RapportsConfig(AppConfig):
    name = "rapports"
    verbose_name = _("Rapports et tableaux de bord")

    def ready(self):
        # Celery's autodiscovery imports only ``rapports.tasks``: the dashboards' refresh
        # tasks live in their own module and are registered here.
        from acteurs.signals import household_figures_changed
        from parc.signals import device_figures_changed

        from . import dashboard_tasks  # noqa: F401
        from .tasks import on_device_figures_changed, on_household_figures_changed

        # Work time, parts and loan fees change what a donation's summary holds without a
        # device event: refresh it then, not ten minutes after the device's next event.
        device_figures_changed.connect(
            on_device_figures_changed, dispatch_uid="rapports.device_figures_changed"
        )
        # A household's commune or categories corrected: the summaries of the households
        # equipped that count it are recounted now.
        household_figures_changed.connect(
            on_household_figures_changed, dispatch_uid="rapports.household_figures_changed"
        )

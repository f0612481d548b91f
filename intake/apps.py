from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = _("Import des listes d'inventaire")

    def ready(self):
        # The task a restarted job is sent to (core.jobs.BackgroundJob.enqueue looks it up by
        # name): registered with every process, not only once Celery's autodiscovery ran.
        from . import tasks  # noqa: F401

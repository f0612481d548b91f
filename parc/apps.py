from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParcConfig(AppConfig):
    name = "parc"
    verbose_name = _("Parc d'appareils")

    def ready(self):
        # The label job's task, registered in every process that may queue it (web and worker:
        # Celery's autodiscovery runs only in workers), so core.jobs finds it by its name.
        from . import tasks  # noqa: F401

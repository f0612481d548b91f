from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

FULL_TEXT_MIGRATION = ("parc", "0016_device_full_text_index")


def _full_text_after_migrate(sender, using, **kwargs):
    """SQLite rebuilds a table to alter it, and drops its triggers with the old table: after
    any migration, the full-text triggers of the device table are put back if missing."""
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    from .search import install_full_text

    connection = connections[using]
    if FULL_TEXT_MIGRATION in MigrationRecorder(connection).applied_migrations():
        install_full_text(connection)


class ParcConfig(AppConfig):
    name = "parc"
    verbose_name = _("Parc d'appareils")

    def ready(self):
        # The label job's task, registered in every process that may queue it (web and worker:
        # Celery's autodiscovery runs only in workers), so core.jobs finds it by its name.
        from . import tasks  # noqa: F401

        post_migrate.connect(_full_text_after_migrate, sender=self)

"""Label sheets built in the background (core.jobs.BackgroundJob: its states, progress,
heartbeat; a job whose worker died is failed and can be restarted)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from acteurs.models import Organisation
from core.jobs import BackgroundJob


class LabelJob(BackgroundJob):
    """A label sheet built in the background (large batches), kept for download.
    ``total``/``done``: labels."""

    TASK_NAME = "parc.render_label_job"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("par")
    )
    layout = models.CharField(_("format"), max_length=30)
    options = models.JSONField(_("options"), default=dict)
    device_ids = models.JSONField(_("appareils"), default=list)
    pdf = models.FileField(_("PDF"), upload_to="labels/%Y/%m/", blank=True)

    class Meta:
        verbose_name = _("planche d'étiquettes")
        verbose_name_plural = _("planches d'étiquettes")
        ordering = ["-id"]

    def __str__(self):
        return f"{self.layout} × {self.total}"

"""Label sheets built in the background (core.jobs.BackgroundJob: its states, progress,
heartbeat; a job whose worker died is failed and can be restarted)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
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


class LabelPrinting(models.Model):
    """Labels printed, at once or by a job, with the address their QR codes hold
    (``SITE_BASE_URL`` then). When the server is reached at another address (a fresh install
    tried on the workshop's network, a new domain), the labels page and ``make run`` say which
    printed labels lead elsewhere."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    printed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("par"),
    )
    printed_at = models.DateTimeField(_("imprimées le"), default=timezone.now)
    base_url = models.CharField(_("adresse des QR codes"), max_length=200)
    labels = models.PositiveIntegerField(_("étiquettes"))

    class Meta:
        verbose_name = _("impression d'étiquettes")
        verbose_name_plural = _("impressions d'étiquettes")
        ordering = ["-id"]

    def __str__(self):
        return f"{self.labels} × {self.base_url}"

"""Label sheets built in the background."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from acteurs.models import Organisation


class LabelJobStatus(models.TextChoices):
    PENDING = "pending", _("en attente")
    RUNNING = "running", _("en cours")
    DONE = "done", _("prête")
    FAILED = "failed", _("échec")


class LabelJob(models.Model):
    """A label sheet built in the background (large batches), kept for download."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("par")
    )
    layout = models.CharField(_("format"), max_length=30)
    options = models.JSONField(_("options"), default=dict)
    device_ids = models.JSONField(_("appareils"), default=list)
    total = models.PositiveIntegerField(_("étiquettes"), default=0)
    done = models.PositiveIntegerField(_("faites"), default=0)
    status = models.CharField(
        _("état"), max_length=10, choices=LabelJobStatus.choices, default=LabelJobStatus.PENDING
    )
    pdf = models.FileField(_("PDF"), upload_to="labels/%Y/%m/", blank=True)
    error = models.TextField(_("erreur"), blank=True)
    created_at = models.DateTimeField(_("demandée le"), default=timezone.now)
    finished_at = models.DateTimeField(_("terminée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("planche d'étiquettes")
        verbose_name_plural = _("planches d'étiquettes")
        ordering = ["-id"]

    def __str__(self):
        return f"{self.layout} × {self.total}"

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, round(100 * self.done / self.total))


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

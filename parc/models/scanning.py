"""Scan batches: one action chosen once, applied to every code scanned."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from acteurs.models import Organisation

from .device import Device, StockLocation


class ScanAction(models.TextChoices):
    TRANSITION = "transition", _("une action du cycle de vie")
    MOVE = "move", _("un déplacement vers un emplacement")
    INVENTORY = "inventory", _("l'inventaire d'un emplacement")


class ScanBatch(models.Model):
    """Fill once, scan many: one action chosen once, applied to every code scanned."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("par")
    )
    action = models.CharField(_("action"), max_length=20, choices=ScanAction.choices)
    transition = models.CharField(_("transition"), max_length=40, blank=True)
    location = models.ForeignKey(
        StockLocation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("emplacement"),
    )
    started_at = models.DateTimeField(_("commencé le"), default=timezone.now)
    closed_at = models.DateTimeField(_("terminé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("série de scans")
        verbose_name_plural = _("séries de scans")
        ordering = ["-id"]

    def __str__(self):
        return f"{self.get_action_display()} {self.started_at:%d/%m/%Y %H:%M}"


class ScanOutcome(models.TextChoices):
    APPLIED = "applied", _("appliqué")
    DUPLICATE = "duplicate", _("déjà scanné")
    REFUSED = "refused", _("refusé")
    UNKNOWN = "unknown", _("code inconnu")
    MISTYPED = "mistyped", _("code mal saisi")


class ScanLine(models.Model):
    batch = models.ForeignKey(
        ScanBatch, on_delete=models.CASCADE, related_name="lines", verbose_name=_("série")
    )
    raw = models.CharField(_("saisie"), max_length=200)
    device = models.ForeignKey(
        Device,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("appareil"),
    )
    outcome = models.CharField(_("résultat"), max_length=20, choices=ScanOutcome.choices)
    message = models.CharField(_("message"), max_length=300, blank=True)
    at = models.DateTimeField(_("le"), default=timezone.now)

    class Meta:
        verbose_name = _("scan")
        verbose_name_plural = _("scans")
        ordering = ["-id"]
        constraints = [
            # A device is acted on once per batch, even if two scans race.
            models.UniqueConstraint(
                fields=["batch", "device"],
                condition=Q(outcome="applied"),
                name="scanline_applied_once_per_batch",
            )
        ]

    def __str__(self):
        return f"{self.raw} – {self.get_outcome_display()}"

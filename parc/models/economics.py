"""What refurbishing costs, as the workshop records it (issue 15): the work time of each
stage (a default per stage and kind, overridden for one device by the technician, with the
hours of supported workers — ESAT, EA, SIAE — apart) and a simple parts stock consumed on a
device's refurbishment. The money (hourly costs, revenue, funding) and the dashboard are
``rapports.economics``'."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from acteurs.models import Organisation

from .device import Device, DeviceKind


class WorkStage(models.TextChoices):
    """A stage of work, named by the device event that ends it."""

    RECEPTION = "register", _("réception et enregistrement")
    ERASURE = "wipe", _("diagnostic et effacement")
    REFURBISHMENT = "mark_ready", _("reconditionnement et tests")


# Minutes per device when the coordination has set no StageTime for a stage and kind.
DEFAULT_STAGE_MINUTES = {
    WorkStage.RECEPTION: 10,
    WorkStage.ERASURE: 30,
    WorkStage.REFURBISHMENT: 45,
}


class StageTime(models.Model):
    """The usual work time of a stage for a kind of device (the coordination's table)."""

    stage = models.CharField(_("étape"), max_length=20, choices=WorkStage.choices)
    kind = models.CharField(_("type"), max_length=20, choices=DeviceKind.choices)
    minutes = models.PositiveIntegerField(_("minutes par appareil"))

    class Meta:
        verbose_name = _("temps par étape")
        verbose_name_plural = _("temps par étape")
        ordering = ["kind", "stage"]
        constraints = [models.UniqueConstraint(fields=["stage", "kind"], name="stage_time_unique")]

    def __str__(self):
        return f"{self.get_kind_display()} – {self.get_stage_display()} : {self.minutes} min"


class WorkTime(models.Model):
    """The technician's own figure for one stage of one device (replaces the default), and
    how much of it supported workers did. One per device, cycle and stage."""

    device = models.ForeignKey(
        Device, on_delete=models.PROTECT, related_name="+", verbose_name=_("appareil")
    )
    device_cycle = models.PositiveSmallIntegerField(_("cycle de l'appareil"))
    stage = models.CharField(_("étape"), max_length=20, choices=WorkStage.choices)
    minutes = models.PositiveIntegerField(_("minutes"))
    supported_minutes = models.PositiveIntegerField(
        _("dont minutes de travailleurs accompagnés"),
        default=0,
        help_text=_("ESAT, entreprise adaptée, insertion (SIAE) : jamais par personne."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("par")
    )
    recorded_at = models.DateTimeField(_("enregistré le"), default=timezone.now)

    class Meta:
        verbose_name = _("temps de travail")
        verbose_name_plural = _("temps de travail")
        ordering = ["-id"]
        indexes = [models.Index(fields=["recorded_at"], name="work_time_recorded")]
        constraints = [
            models.UniqueConstraint(
                fields=["device", "device_cycle", "stage"], name="work_time_once_per_stage"
            ),
            models.CheckConstraint(
                condition=Q(supported_minutes__lte=models.F("minutes")),
                name="work_time_supported_within",
            ),
        ]

    def __str__(self):
        return f"{self.device_id} {self.stage} {self.minutes} min"


class PartCategory(models.TextChoices):
    BATTERY = "battery", _("batterie")
    RAM = "ram", _("mémoire vive")
    SSD = "ssd", _("disque SSD")
    CHARGER = "charger", _("chargeur")
    OTHER = "other", _("autre")


class Part(models.Model):
    """A line of an organisation's parts stock."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    category = models.CharField(_("catégorie"), max_length=20, choices=PartCategory.choices)
    label = models.CharField(_("désignation"), max_length=150)
    unit_cost = models.DecimalField(
        _("coût unitaire (€ HT)"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    quantity = models.PositiveIntegerField(_("quantité en stock"), default=0)

    class Meta:
        verbose_name = _("pièce détachée")
        verbose_name_plural = _("stock de pièces")
        ordering = ["organisation", "category", "label"]

    def __str__(self):
        return f"{self.label} ({self.quantity})"


class PartUse(models.Model):
    """Parts taken from the stock for a device's refurbishment, at the cost of the day."""

    device = models.ForeignKey(
        Device, on_delete=models.PROTECT, related_name="+", verbose_name=_("appareil")
    )
    part = models.ForeignKey(
        Part, on_delete=models.PROTECT, related_name="uses", verbose_name=_("pièce")
    )
    quantity = models.PositiveIntegerField(_("quantité"), validators=[MinValueValidator(1)])
    unit_cost = models.DecimalField(_("coût unitaire (€ HT)"), max_digits=8, decimal_places=2)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("par")
    )
    used_at = models.DateTimeField(_("le"), default=timezone.now)

    class Meta:
        verbose_name = _("pièce utilisée")
        verbose_name_plural = _("pièces utilisées")
        ordering = ["-id"]
        indexes = [models.Index(fields=["used_at"], name="part_use_at")]

    def __str__(self):
        return f"{self.quantity} × {self.part_id} → {self.device_id}"

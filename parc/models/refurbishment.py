"""The functional test and interventions of a refurbishment."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..checklists import checklist_for
from .device import Device, Grade


class RefurbishmentRecord(models.Model):
    """The functional test and interventions of one refurbishment."""

    device = models.ForeignKey(
        Device, on_delete=models.PROTECT, related_name="refurbishments", verbose_name=_("appareil")
    )
    device_cycle = models.PositiveSmallIntegerField(_("cycle de l'appareil"), editable=False)
    checklist = models.JSONField(_("tests fonctionnels"), default=dict)
    passed = models.BooleanField(_("tous les tests réussis"), default=False)
    parts_replaced = models.TextField(_("pièces remplacées"), blank=True)
    os_installed = models.CharField(_("système installé"), max_length=100, blank=True)
    grade = models.CharField(_("état esthétique"), max_length=1, choices=Grade.choices)
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("technicien"),
    )
    usage_profile = models.ForeignKey(
        "parc.UsageProfile",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("profil d'usage"),
    )
    adaptations = models.PositiveIntegerField(_("adaptations"), default=0)
    notes = models.TextField(_("remarques"), blank=True)
    recorded_at = models.DateTimeField(_("enregistré le"), auto_now_add=True)

    class Meta:
        verbose_name = _("reconditionnement")
        verbose_name_plural = _("reconditionnements")
        ordering = ["-id"]

    def __str__(self):
        return f"{self.device_id} – {self.recorded_at:%d/%m/%Y}"

    def failed_checks(self) -> list[str]:
        return [
            str(label)
            for key, label in checklist_for(self.device.kind)
            if not self.checklist.get(key)
        ]

"""The append-only log of what happened to each device."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .device import Device, State


class EventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Device events are append-only.")

    def delete(self):
        raise TypeError("Device events are append-only.")


class DeviceEvent(models.Model):
    """Append-only log: one row per transition and per notable action on a device."""

    device = models.ForeignKey(
        Device, on_delete=models.PROTECT, related_name="events", verbose_name=_("appareil")
    )
    action = models.CharField(_("action"), max_length=40)
    source_state = models.CharField(_("état de départ"), max_length=20, blank=True)
    target_state = models.CharField(_("état d'arrivée"), max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("par"),
    )
    at = models.DateTimeField(_("le"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("détails"), default=dict, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("événement")
        verbose_name_plural = _("historique")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["device", "-id"], name="event_device_id"),
            models.Index(fields=["action", "at"], name="event_action_at"),
        ]

    def __str__(self):
        return f"{self.device_id} {self.action} {self.at:%d/%m/%Y %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Device events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Device events are append-only.")

    @property
    def source_label(self):
        return State(self.source_state).label if self.source_state in State.values else ""

    @property
    def target_label(self):
        return State(self.target_state).label if self.target_state in State.values else ""

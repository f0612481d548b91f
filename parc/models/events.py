"""The append-only log of what happened to each device (``core.events.Event``): written by
``parc/events.py`` only, one named function per kind of event."""

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.events import Event

from .device import Device, State

# The French words of an ORDS repair status (ateliers.ords.RepairStatus, a higher floor: the
# event keeps the status as written, this is how the history reads it).
REPAIR_STATUS_WORDS = {
    "Fixed": gettext_lazy("réparé"),
    "Repairable": gettext_lazy("réparable (suite à donner)"),
    "End of life": gettext_lazy("fin de vie"),
}


class DeviceEvent(Event):
    """One row per transition and per notable action on a device."""

    class Action(models.TextChoices):
        REGISTER = "register", gettext_lazy("Enregistré")
        MOVE = "move", gettext_lazy("Déplacé")
        ADD_MEDIUM = "add_medium", gettext_lazy("Support de stockage ajouté")
        ERASURE = "erasure", gettext_lazy("Effacement enregistré")
        HARDWARE_REPORT = "hardware_report", gettext_lazy("Rapport matériel joint")
        ERASURE_LOG = "erasure_log", gettext_lazy("Journal d'effacement nwipe joint")
        REPAIR = "repair", gettext_lazy("Réparation")
        # The lifecycle transitions (Device's methods of the same names).
        START_TRIAGE = "start_triage", gettext_lazy("Diagnostic commencé")
        WIPE = "wipe", gettext_lazy("Effacement des données validé")
        START_REFURBISHMENT = "start_refurbishment", gettext_lazy("Reconditionnement commencé")
        MARK_READY = "mark_ready", gettext_lazy("Déclaré disponible")
        ALLOCATE = "allocate", gettext_lazy("Attribué")
        RELEASE = "release", gettext_lazy("Attribution libérée")
        LEND = "lend", gettext_lazy("Prêté")
        SELL = "sell", gettext_lazy("Cédé (vente ou don)")
        TAKE_BACK = "take_back", gettext_lazy("Repris")
        TRANSFER_TO_BORROWER = "transfer_to_borrower", gettext_lazy("Cédé à l'emprunteur")
        DISMANTLE = "dismantle", gettext_lazy("Démonté pour pièces")
        RECYCLE = "recycle", gettext_lazy("Envoyé au recyclage (DEEE)")
        DECLARE_LOST = "declare_lost", gettext_lazy("Déclaré perdu ou volé")

    STATES = State

    # Its lookups are served by the index event_device_id (device, -id) below.
    device = models.ForeignKey(
        Device,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=gettext_lazy("appareil"),
        db_index=False,
    )

    class Meta(Event.Meta):
        verbose_name = gettext_lazy("événement")
        verbose_name_plural = gettext_lazy("historique")
        indexes = [
            models.Index(fields=["device", "-id"], name="event_device_id"),
            models.Index(fields=["at", "action"], name="event_at_action"),
        ]

    def __str__(self):
        return f"{self.device_id} {self.action} {self.at:%d/%m/%Y %H:%M}"

    # --- how the device's history reads this event: an emphasised headline (a change of
    # state, a repair) and its detail, both from the action and what it recorded.

    @property
    def headline(self) -> str:
        if self.changes_state:
            return f"{self.source_label} → {self.target_label}"
        if self.action == self.Action.REPAIR:
            return self.action_label
        return ""

    @property
    def kept_elsewhere(self) -> str:
        """What the history says instead of a note that stays with the loan (a household's
        words are not copied here: technicians read this history)."""
        data = self.data or {}
        if not data.get("note_on_loan"):
            return ""
        if self.action == self.Action.TAKE_BACK:
            return _("Note de retour, conservée avec le prêt n° %(n)s") % {"n": data.get("loan")}
        return _("Note conservée avec le prêt n° %(n)s") % {"n": data.get("loan")}

    @property
    def detail(self) -> str:
        if self.changes_state:
            return ""
        if self.action == self.Action.MOVE:
            return _("Déplacé vers %(to)s") % {
                "to": (self.data or {}).get("to") or _("aucun emplacement")
            }
        if self.action == self.Action.REPAIR:
            return str(REPAIR_STATUS_WORDS.get((self.data or {}).get("status"), ""))
        return self.action_label

"""The pool: devices and their lifecycle, storage media, erasure and refurbishment records,
stock locations and the append-only event log.

Transitions hold their source, target, conditions and the changes to the device's own row.
Conditions may read the device's storage media and records (to hold the erasure invariants
whoever calls), but nothing here writes another row: services do that (parc/services.py).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Replace, Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from acteurs.models import Organisation
from acteurs.permissions import POOL_MANAGER_ROLES, POOL_ROLES, has_role

from ..checklists import checklist_for


class DeviceKind(models.TextChoices):
    LAPTOP = "laptop", _("ordinateur portable")
    DESKTOP = "desktop", _("ordinateur fixe")
    SCREEN = "screen", _("écran")
    TABLET = "tablet", _("tablette")
    SMARTPHONE = "smartphone", _("smartphone")
    PRINTER = "printer", _("imprimante")
    OTHER = "other", _("autre")


# Kinds that always hold user data somewhere: they cannot be wiped without a storage medium
# on record, unless the device came without one.
KINDS_WITH_STORAGE = frozenset(
    {DeviceKind.LAPTOP, DeviceKind.DESKTOP, DeviceKind.TABLET, DeviceKind.SMARTPHONE}
)


class Grade(models.TextChoices):
    A = "A", _("A – très bon état")
    B = "B", _("B – bon état")
    C = "C", _("C – état correct")


class State(models.TextChoices):
    REGISTERED = "registered", _("Enregistré")
    TRIAGE = "triage", _("En diagnostic")
    WIPED = "wiped", _("Données effacées")
    REFURBISHING = "refurbishing", _("En reconditionnement")
    READY = "ready", _("Disponible")
    ALLOCATED = "allocated", _("Attribué")
    ON_LOAN = "on_loan", _("En prêt")
    TRANSFERRED = "transferred", _("Cédé (vendu ou donné)")
    RETURNED = "returned", _("Retourné")
    PARTS = "parts", _("Démonté pour pièces")
    RECYCLED = "recycled", _("Recyclé (DEEE)")
    LOST = "lost", _("Perdu ou volé")


TERMINAL_STATES = frozenset({State.TRANSFERRED, State.PARTS, State.RECYCLED, State.LOST})


class StockLocation(models.Model):
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="stock_locations",
        verbose_name=_("organisation"),
    )
    name = models.CharField(_("nom"), max_length=100)
    description = models.CharField(_("description"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("emplacement de stock")
        verbose_name_plural = _("emplacements de stock")
        ordering = ["organisation", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="stocklocation_unique_name"
            )
        ]

    def __str__(self):
        return self.name


def can_run_workshop_transition(device, user) -> bool:
    return user.is_superuser or has_role(user, device.owner_id, POOL_ROLES)


def can_run_any_transition(device, user) -> bool:
    return user.is_superuser or has_role(user, device.owner_id, POOL_MANAGER_ROLES)


def _label(text, form=None):
    custom = {"label": text, "admin": True}
    if form:
        custom["form_kind"] = form
    return custom


def search_key(field_name: str):
    """Upper case without spaces, dashes, dots or slashes: what users type varies."""
    expression = Upper(F(field_name))
    for char in SEARCH_KEY_IGNORED:
        expression = Replace(expression, Value(char), Value(""))
    return expression


SEARCH_KEY_IGNORED = (" ", "-", ".", "/", "_")


def to_search_key(text: str) -> str:
    """The same normalisation as ``search_key``, for the text a user searches."""
    text = text.upper()
    for char in SEARCH_KEY_IGNORED:
        text = text.replace(char, "")
    return text


class StateChangeWithoutEvent(RuntimeError):
    """A device's state was changed and saved without its event row: use parc.services."""


class Device(ConcurrentTransitionMixin, models.Model):
    public_code = models.CharField(_("code"), max_length=12, unique=True, editable=False)
    kind = models.CharField(_("type"), max_length=20, choices=DeviceKind.choices)
    brand = models.CharField(_("marque"), max_length=100, blank=True)
    model = models.CharField(_("modèle"), max_length=150, blank=True)
    serial = models.CharField(_("numéro de série"), max_length=100, blank=True)
    cpu = models.CharField(_("processeur"), max_length=150, blank=True)
    ram_gb = models.DecimalField(
        _("mémoire vive (Go)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    os = models.CharField(_("système d'exploitation"), max_length=100, blank=True)
    grade = models.CharField(_("état esthétique"), max_length=1, choices=Grade.choices, blank=True)
    owner = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="devices",
        verbose_name=_("organisation propriétaire"),
    )
    location = models.ForeignKey(
        StockLocation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="devices",
        verbose_name=_("emplacement"),
    )
    donation = models.ForeignKey(
        "dons.Donation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="devices",
        verbose_name=_("don"),
        db_index=False,  # covered by the index (donation, -id)
    )
    received_without_storage = models.BooleanField(
        _("reçu sans support de stockage"),
        default=False,
        help_text=_("Cochez si le donateur a retiré les disques avant le don."),
    )
    notes = models.TextField(_("remarques"), blank=True)
    state = FSMField(_("état"), default=State.REGISTERED, choices=State.choices, protected=True)
    # Incremented each time the device comes back from a household: erasures and tests of an
    # earlier cycle no longer count, since the borrower's data is now on the device.
    cycle = models.PositiveSmallIntegerField(_("cycle"), default=1, editable=False)
    state_changed_at = models.DateTimeField(_("état depuis le"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("vu en inventaire le"), null=True, blank=True)
    created_at = models.DateTimeField(_("enregistré le"), default=timezone.now)
    # Search keys computed by the database (upper case, no spaces or dashes), so a prefix
    # search is an index range whoever wrote the row.
    serial_key = models.GeneratedField(
        expression=search_key("serial"),
        output_field=models.CharField(max_length=100),
        db_persist=True,
    )
    brand_key = models.GeneratedField(
        expression=search_key("brand"),
        output_field=models.CharField(max_length=100),
        db_persist=True,
    )
    model_key = models.GeneratedField(
        expression=search_key("model"),
        output_field=models.CharField(max_length=150),
        db_persist=True,
    )

    class Meta:
        verbose_name = _("appareil")
        verbose_name_plural = _("appareils")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["owner", "-id"], name="device_owner_id"),
            models.Index(fields=["owner", "state", "-id"], name="device_owner_state_id"),
            models.Index(fields=["owner", "kind", "-id"], name="device_owner_kind_id"),
            # The list filtered by state and kind together (the workshop's daily view): its
            # capped count reads this index alone instead of scanning the table.
            models.Index(
                fields=["owner", "state", "kind", "-id"], name="device_owner_state_kind_id"
            ),
            models.Index(fields=["state", "-id"], name="device_state_id"),
            models.Index(fields=["location", "-id"], name="device_location_id"),
            models.Index(fields=["donation", "-id"], name="device_donation_id"),
            # The gisement report counts a donation's devices by kind and outcome: on
            # PostgreSQL an index-only scan of this index (id included for the sale's join)
            # instead of the whole table (rapports.selectors.gisement_report).
            models.Index(
                fields=["donation", "kind", "state"],
                include=["id"],
                name="device_donation_kind_state",
            ),
            # Prefix searches (parc.selectors.device_search): PostgreSQL's LIKE 'ABC%' can
            # use an index only with the pattern operator class (the database collation is
            # not "C"); SQLite ignores opclasses and searches the same index by range.
            models.Index(
                fields=["serial_key"],
                name="device_serial_prefix",
                opclasses=["varchar_pattern_ops"],
            ),
            models.Index(
                fields=["brand_key"], name="device_brand_prefix", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(
                fields=["model_key"], name="device_model_prefix", opclasses=["varchar_pattern_ops"]
            ),
            # The pool dashboard's "stuck for more than 30 days" list, longest first: an
            # ordered range per organisation over the states where a device waits for the
            # team (rapports.dashboard_selectors.STUCK_STATES), not a sort of the whole pool.
            models.Index(
                fields=["owner", "state_changed_at"],
                name="device_stuck",
                condition=Q(
                    state__in=[
                        "registered",
                        "triage",
                        "wiped",
                        "refurbishing",
                        "ready",
                        "allocated",
                        "returned",
                    ]
                ),
            ),
        ]

    def __str__(self):
        label = " ".join(part for part in (self.brand, self.model) if part)
        return f"{self.public_code} {label}".strip()

    # --- guard: a state change is saved only together with its event (see save_transition)

    def save(self, *args, **kwargs):
        saved_state = getattr(self, "_saved_state", None)
        if (
            saved_state is not None
            and saved_state != self.state
            and not getattr(self, "_saving_transition", False)
        ):
            raise StateChangeWithoutEvent(
                "Device state changes must go through parc.services (event log)."
            )
        super().save(*args, **kwargs)
        self._saved_state = self.state

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._saved_state = instance.__dict__.get("state")
        return instance

    def refresh_from_db(self, *args, **kwargs):
        super().refresh_from_db(*args, **kwargs)
        self._saved_state = self.__dict__.get("state")

    def save_transition(
        self, *, action: str, source: str, actor, note: str = "", data=None, changed=None
    ):
        """Save the device and append its event row. Callers hold a transaction.

        ``changed``: the other columns the transition changed, if the caller knows them; the
        update then writes only those, the state and its date (otherwise every column).
        """
        self.state_changed_at = timezone.now()
        self._saving_transition = True
        try:
            if changed is None:
                self.save()
            else:
                self.save(update_fields=sorted({*changed, "state", "state_changed_at"}))
        finally:
            self._saving_transition = False
        return DeviceEvent.objects.create(
            device=self,
            action=action,
            source_state=source,
            target_state=self.state,
            actor=actor,
            note=note,
            data=data or {},
        )

    # --- invariants read by the transitions

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    def media_lacking_erasure(self) -> list["StorageMedium"]:
        """Media of the device with no successful erasure (or destruction) this cycle.

        Uses prefetched rows when the caller prefetched ``storage_media__erasures``.
        """
        return [
            medium
            for medium in self.storage_media.all()
            if not any(
                record.result == ErasureResult.ERASED and record.device_cycle == self.cycle
                for record in medium.erasures.all()
            )
        ]

    def storage_missing(self) -> bool:
        """A kind that holds data, with no medium on record and not declared without one."""
        return (
            self.kind in KINDS_WITH_STORAGE
            and not self.received_without_storage
            and not self.storage_media.all()
        )

    def all_data_erased(self) -> bool:
        return not self.storage_missing() and not self.media_lacking_erasure()

    def functional_test_passed(self) -> bool:
        return any(
            record.device_cycle == self.cycle and record.passed
            for record in self.refurbishments.all()
        )

    # --- the lifecycle (docs/state-machines/)

    @transition(
        field=state,
        source=[State.REGISTERED, State.RETURNED],
        target=State.TRIAGE,
        permission=can_run_workshop_transition,
        custom=_label(_("Commencer le diagnostic")),
    )
    def start_triage(self):
        pass

    @transition(
        field=state,
        source=State.TRIAGE,
        target=State.WIPED,
        conditions=[all_data_erased],
        permission=can_run_workshop_transition,
        custom=_label(_("Valider l'effacement des données"), form="wipe"),
    )
    def wipe(self):
        pass

    @transition(
        field=state,
        source=State.WIPED,
        target=State.REFURBISHING,
        permission=can_run_workshop_transition,
        custom=_label(_("Commencer le reconditionnement")),
    )
    def start_refurbishment(self):
        pass

    @transition(
        field=state,
        source=State.REFURBISHING,
        target=State.READY,
        conditions=[all_data_erased, functional_test_passed],
        permission=can_run_workshop_transition,
        custom=_label(_("Déclarer disponible"), form="mark_ready"),
    )
    def mark_ready(self, grade: str, os_installed: str = ""):
        self.grade = grade
        if os_installed:
            self.os = os_installed

    @transition(
        field=state,
        source=State.READY,
        target=State.ALLOCATED,
        permission=can_run_any_transition,
        custom={"label": _("Attribuer"), "admin": False},
    )
    def allocate(self):
        pass

    @transition(
        field=state,
        source=State.ALLOCATED,
        target=State.READY,
        permission=can_run_any_transition,
        custom={"label": _("Libérer l'attribution"), "admin": False},
    )
    def release(self):
        pass

    @transition(
        field=state,
        source=State.ALLOCATED,
        target=State.ON_LOAN,
        permission=can_run_any_transition,
        custom={"label": _("Prêter"), "admin": False},
    )
    def lend(self):
        self.location = None  # it leaves the shelves

    @transition(
        field=state,
        source=State.ALLOCATED,
        target=State.TRANSFERRED,
        permission=can_run_any_transition,
        custom={"label": _("Céder (vente ou don)"), "admin": False},
    )
    def sell(self):
        self.location = None

    @transition(
        field=state,
        source=State.ON_LOAN,
        target=State.RETURNED,
        permission=can_run_any_transition,
        custom={"label": _("Reprendre"), "admin": False},
    )
    def take_back(self):
        # The borrower's data is now on the device: earlier erasures no longer count.
        self.cycle += 1

    @transition(
        field=state,
        source=State.ON_LOAN,
        target=State.TRANSFERRED,
        permission=can_run_any_transition,
        custom={"label": _("Céder à l'emprunteur"), "admin": False},
    )
    def transfer_to_borrower(self):
        pass

    @transition(
        field=state,
        source=[State.TRIAGE, State.WIPED, State.REFURBISHING, State.RETURNED],
        target=State.PARTS,
        conditions=[all_data_erased],
        permission=can_run_workshop_transition,
        custom=_label(_("Démonter pour pièces"), form="note"),
    )
    def dismantle(self):
        self.location = None

    @transition(
        field=state,
        source=[
            State.REGISTERED,
            State.TRIAGE,
            State.WIPED,
            State.REFURBISHING,
            State.RETURNED,
            State.PARTS,
        ],
        target=State.RECYCLED,
        conditions=[all_data_erased],
        permission=can_run_workshop_transition,
        custom=_label(_("Envoyer au recyclage (DEEE)"), form="note"),
    )
    def recycle(self):
        self.location = None

    @transition(
        field=state,
        source=[State.ALLOCATED, State.ON_LOAN],
        target=State.LOST,
        permission=can_run_any_transition,
        custom=_label(_("Déclarer perdu ou volé"), form="note"),
    )
    def declare_lost(self):
        self.location = None


class MediaType(models.TextChoices):
    HDD = "hdd", _("disque dur (HDD)")
    SSD = "ssd", _("SSD SATA")
    NVME = "nvme", _("SSD NVMe")
    EMMC = "emmc", _("eMMC")
    FLASH = "flash", _("mémoire flash")


class StorageMedium(models.Model):
    device = models.ForeignKey(
        Device, on_delete=models.PROTECT, related_name="storage_media", verbose_name=_("appareil")
    )
    media_type = models.CharField(_("type de support"), max_length=10, choices=MediaType.choices)
    manufacturer = models.CharField(_("fabricant"), max_length=100, blank=True)
    model = models.CharField(_("modèle"), max_length=150, blank=True)
    serial = models.CharField(_("numéro de série"), max_length=100, blank=True)
    capacity_gb = models.PositiveIntegerField(_("capacité (Go)"), null=True, blank=True)

    class Meta:
        verbose_name = _("support de stockage")
        verbose_name_plural = _("supports de stockage")
        ordering = ["id"]

    def __str__(self):
        parts = [self.get_media_type_display(), self.manufacturer, self.model]
        label = " ".join(str(p) for p in parts if p)
        if self.serial:
            label += f" (n° {self.serial})"
        return label


class SanitizationLevel(models.TextChoices):
    CLEAR = "clear", _("Clear (effacement logique)")
    PURGE = "purge", _("Purge (effacement renforcé)")
    DESTROY = "destroy", _("Destroy (destruction physique)")


class SanitizationMethod(models.TextChoices):
    OVERWRITE = "overwrite", _("réécriture")
    BLOCK_ERASE = "block_erase", _("effacement par blocs (block erase)")
    CRYPTO_ERASE = "crypto_erase", _("effacement cryptographique")
    FIRMWARE_SECURE_ERASE = "firmware_secure_erase", _("secure erase du micrologiciel")
    FACTORY_RESET = "factory_reset", _("réinitialisation d'usine chiffrée")
    DEGAUSS = "degauss", _("démagnétisation")
    SHRED = "shred", _("broyage")
    DRILL = "drill", _("perçage ou déformation")
    INCINERATE = "incinerate", _("incinération")


class Verification(models.TextChoices):
    NONE = "none", _("aucune")
    SAMPLE = "sample", _("par échantillonnage")
    FULL = "full", _("complète")


class ErasureResult(models.TextChoices):
    ERASED = "erased", _("effacé")
    FAILED = "failed", _("échec")
    ABORTED = "aborted", _("interrompu")


class PostSanitizationDestination(models.TextChoices):
    REUSE = "reuse", _("réemploi dans l'appareil")
    STOCK = "stock", _("stock de pièces")
    RECYCLING = "recycling", _("recyclage")
    DESTROYED = "destroyed", _("détruit")
    RETURNED = "returned", _("rendu au donateur")


class ErasureRecord(models.Model):
    """One sanitization of one storage medium (NIST SP 800-88 Rev. 1, appendix G)."""

    medium = models.ForeignKey(
        StorageMedium,
        on_delete=models.PROTECT,
        related_name="erasures",
        verbose_name=_("support"),
    )
    device_cycle = models.PositiveSmallIntegerField(_("cycle de l'appareil"), editable=False)
    # Copied from the medium so the certificate stays true if the medium's record is edited.
    manufacturer = models.CharField(_("fabricant"), max_length=100, blank=True)
    model = models.CharField(_("modèle"), max_length=150, blank=True)
    serial = models.CharField(_("numéro de série"), max_length=100, blank=True)
    media_type = models.CharField(_("type de support"), max_length=10, choices=MediaType.choices)
    level = models.CharField(
        _("niveau d'assainissement"), max_length=10, choices=SanitizationLevel.choices
    )
    method = models.CharField(_("méthode"), max_length=30, choices=SanitizationMethod.choices)
    tool = models.CharField(_("outil"), max_length=100, help_text=_("ex. nwipe, Blancco"))
    tool_version = models.CharField(_("version de l'outil"), max_length=50, blank=True)
    verification = models.CharField(_("vérification"), max_length=10, choices=Verification.choices)
    result = models.CharField(_("résultat"), max_length=10, choices=ErasureResult.choices)
    started_at = models.DateTimeField(_("début"))
    ended_at = models.DateTimeField(_("fin"))
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("opérateur"),
    )
    destination = models.CharField(
        _("destination après effacement"),
        max_length=20,
        choices=PostSanitizationDestination.choices,
        default=PostSanitizationDestination.REUSE,
    )
    report = models.FileField(
        _("rapport de l'outil"), upload_to="erasure-reports/%Y/%m/", blank=True
    )
    recorded_at = models.DateTimeField(_("enregistré le"), auto_now_add=True)

    class Meta:
        verbose_name = _("effacement")
        verbose_name_plural = _("effacements")
        ordering = ["-id"]
        indexes = [
            # The failed erasures (a few percent) and what was done with their media, for the
            # gisement report: without it, a scan of every erasure.
            models.Index(
                fields=["medium", "id"],
                name="erasure_failed_medium",
                condition=~Q(result="erased"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__gte=models.F("started_at")),
                name="erasure_ends_after_start",
            )
        ]

    def __str__(self):
        return f"{self.serial or self.medium_id} – {self.get_result_display()}"


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


# --- intake of a donor's inventory list (parc/intake.py) -------------------------------------


class ImportStatus(models.TextChoices):
    MAPPING = "mapping", _("colonnes à préciser")
    ANALYSING = "analysing", _("analyse en cours")
    PREVIEWED = "previewed", _("aperçu prêt")
    IMPORTING = "importing", _("import en cours")
    DONE = "done", _("importé")
    FAILED = "failed", _("échec")


class ImportJob(models.Model):
    """One donor inventory file: its reading settings, its preview, then its import."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    donation = models.ForeignKey(
        "dons.Donation",
        on_delete=models.PROTECT,
        related_name="import_jobs",
        verbose_name=_("don"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("par")
    )
    file = models.FileField(_("fichier"), upload_to="intake/%Y/%m/")
    original_name = models.CharField(_("nom du fichier"), max_length=255)
    file_format = models.CharField(_("format"), max_length=10)
    encoding = models.CharField(_("encodage"), max_length=20, blank=True)
    delimiter = models.CharField(_("séparateur"), max_length=1, blank=True)
    headers = models.JSONField(_("en-têtes"), default=list)
    mapping = models.JSONField(_("correspondance des colonnes"), default=dict)
    default_kind = models.CharField(
        _("type par défaut"), max_length=20, choices=DeviceKind.choices, blank=True
    )
    status = models.CharField(
        _("état"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.MAPPING
    )
    total_rows = models.PositiveIntegerField(_("lignes"), default=0)
    processed_rows = models.PositiveIntegerField(_("lignes traitées"), default=0)
    counts = models.JSONField(_("bilan"), default=dict)
    created_count = models.PositiveIntegerField(_("appareils créés"), default=0)
    error = models.TextField(_("erreur"), blank=True)
    created_at = models.DateTimeField(_("déposé le"), default=timezone.now)
    analysed_at = models.DateTimeField(_("analysé le"), null=True, blank=True)
    imported_at = models.DateTimeField(_("importé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("import de liste d'inventaire")
        verbose_name_plural = _("imports de listes d'inventaire")
        ordering = ["-id"]
        indexes = [models.Index(fields=["donation", "-id"], name="importjob_donation_id")]

    def __str__(self):
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        return (
            100
            if not self.total_rows
            else min(100, round(100 * self.processed_rows / self.total_rows))
        )


class ImportOutcome(models.TextChoices):
    NEW = "new", _("à créer")
    EXISTING = "existing", _("déjà enregistré dans ce don (inchangé)")
    ERROR = "error", _("erreur")
    CREATED = "created", _("créé")


class ImportRow(models.Model):
    """One line of an inventory file as the preview read it (staging, not a device)."""

    job = models.ForeignKey(
        ImportJob, on_delete=models.CASCADE, related_name="rows", verbose_name=_("import")
    )
    line = models.PositiveIntegerField(_("ligne"))
    outcome = models.CharField(_("résultat"), max_length=10, choices=ImportOutcome.choices)
    data = models.JSONField(_("valeurs lues"), default=dict)
    cells = models.JSONField(_("cellules d'origine"), default=list)
    messages = models.TextField(_("messages"), blank=True)
    match_key = models.CharField(_("clé de rapprochement"), max_length=100, blank=True)
    public_code = models.CharField(_("code prévu"), max_length=12, blank=True)

    class Meta:
        verbose_name = _("ligne importée")
        verbose_name_plural = _("lignes importées")
        ordering = ["job", "line"]
        constraints = [
            models.UniqueConstraint(fields=["job", "line"], name="importrow_unique_line")
        ]
        indexes = [
            models.Index(fields=["job", "match_key"], name="importrow_job_key"),
            models.Index(fields=["job", "outcome", "line"], name="importrow_job_outcome"),
        ]

    def __str__(self):
        return f"{self.job_id}:{self.line} {self.outcome}"

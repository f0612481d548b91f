"""Devices and their lifecycle, their vocabulary (kinds, grades, states) and stock locations.

Transitions hold their source, target, conditions and the changes to the device's own row.
Conditions may read the device's storage media and records (to hold the erasure invariants
whoever calls), but nothing here writes another row: services do that (parc/services.py).
"""

from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Replace, Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from acteurs.models import Organisation
from acteurs.permissions import POOL_MANAGER_ROLES, POOL_ROLES, has_role
from core.statemachine import StatefulModel
from dons.models import DeviceKind  # defined once, where donors declare kinds; re-exported

from .media import ErasureResult, StorageMedium

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
# Where a device waits for someone of the team, not for a household (on loan is the
# household's time). The partial index ``device_stuck`` covers exactly these states and the
# pool dashboard's "stuck" list reads them (rapports.dashboard_selectors). An ordered tuple:
# the index condition keeps this order, so reordering it would write a migration.
WAITING_STATES = (
    State.REGISTERED,
    State.TRIAGE,
    State.WIPED,
    State.REFURBISHING,
    State.READY,
    State.ALLOCATED,
    State.RETURNED,
)


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


class Device(StatefulModel):
    """A device of the pool. Its state is saved only together with its event row
    (``core.statemachine``), through the transitions of ``parc.transitions.DEVICE``."""

    EVENT_MODEL = "parc.DeviceEvent"
    EVENT_SUBJECT = "device"

    # Unique by the constraint in Meta, not unique=True: on PostgreSQL Django would add a
    # second index (varchar_pattern_ops, for LIKE 'ABC%') that no lookup of a code uses.
    public_code = models.CharField(_("code"), max_length=12, editable=False)
    kind = models.CharField(_("type"), max_length=20, choices=DeviceKind.choices)
    brand = models.CharField(_("marque"), max_length=100, blank=True)
    model = models.CharField(_("modèle"), max_length=150, blank=True)
    serial = models.CharField(_("numéro de série"), max_length=100, blank=True)
    cpu = models.CharField(_("processeur"), max_length=150, blank=True)
    ram_gb = models.DecimalField(
        _("mémoire vive (Go)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    os = models.CharField(_("système d'exploitation"), max_length=100, blank=True)
    # What a donor's list says of the device (intake): kept as the donor wrote it.
    serial_raw = models.CharField(
        _("numéro de série tel que reçu"),
        max_length=100,
        blank=True,
        help_text=_("Tel qu'écrit dans la liste du donateur, quand il diffère du numéro retenu."),
    )
    asset_tag = models.CharField(_("numéro d'inventaire du donateur"), max_length=100, blank=True)
    weight_kg = models.DecimalField(
        _("poids (kg)"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    purchase_date = models.DateField(_("date d'achat"), null=True, blank=True)
    grade = models.CharField(_("état esthétique"), max_length=1, choices=Grade.choices, blank=True)
    # owner and location lead composite indexes (Meta.indexes: device_owner_id…,
    # device_location_id) that serve their lookups: no single-column index of their own.
    owner = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="devices",
        verbose_name=_("organisation propriétaire"),
        db_index=False,
    )
    location = models.ForeignKey(
        StockLocation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="devices",
        verbose_name=_("emplacement"),
        db_index=False,
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
    # What the device is set up for (parc.models.profiles): chosen when it is made ready.
    usage_profile = models.ForeignKey(
        "parc.UsageProfile",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("profil d'usage"),
    )
    # A bit mask of parc.models.profiles.Adaptation (0: none). A database default, so the
    # bulk registration's INSERTs, which name their columns, need not know it.
    adaptations = models.PositiveIntegerField(
        _("adaptations"), default=0, db_default=0, editable=False
    )
    state = FSMField(_("état"), default=State.REGISTERED, choices=State.choices, protected=True)
    # Incremented each time the device comes back from a household: erasures and tests of an
    # earlier cycle no longer count, since the borrower's data is now on the device.
    cycle = models.PositiveSmallIntegerField(_("cycle"), default=1, editable=False)
    # state_changed_at (core.statemachine.StatefulModel): when the last transition ran.
    last_seen_at = models.DateTimeField(_("vu en inventaire le"), null=True, blank=True)
    created_at = models.DateTimeField(_("enregistré le"), default=timezone.now)
    # Every word of the device's specifications, media, tests and reports, folded (lower
    # case, no accents): what full-text search indexes (parc/search.py). Written by the
    # services that change those rows; the database indexes it (migration 0014).
    search_document = models.TextField(
        _("mots de recherche"), blank=True, default="", editable=False
    )
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
        constraints = [
            models.UniqueConstraint(fields=["public_code"], name="parc_device_public_code_key"),
        ]
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
            # The device list sorted by make and model, or by state then time in it: each
            # sort walks its index from the row at the page's edge (core.keyset).
            models.Index(fields=["brand", "model", "id"], name="device_brand_model_id"),
            models.Index(fields=["state", "state_changed_at", "id"], name="device_state_since_id"),
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
            # team (WAITING_STATES), not a sort of the whole pool.
            models.Index(
                fields=["owner", "state_changed_at"],
                name="device_stuck",
                # Plain strings, as migration 0007 wrote them (not enum members).
                condition=Q(state__in=[str(state) for state in WAITING_STATES]),
            ),
        ]

    def __str__(self):
        label = " ".join(part for part in (self.brand, self.model) if part)
        return f"{self.public_code} {label}".strip()

    @property
    def adaptation_labels(self) -> list[str]:
        from .profiles import adaptation_labels

        return adaptation_labels(self.adaptations)

    # --- invariants read by the transitions

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    def media_lacking_erasure(self) -> list[StorageMedium]:
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
    def mark_ready(
        self,
        grade: str,
        os_installed: str = "",
        usage_profile_id: int | None = None,
        adaptations: int = 0,
    ):
        self.grade = grade
        if os_installed:
            self.os = os_installed
        self.usage_profile_id = usage_profile_id
        self.adaptations = adaptations

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

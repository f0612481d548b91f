"""Demonstration data: a believable refurbishing scheme in Eure-et-Loir (28).

Everything goes through the real services (``parc.services``), so the demo pool holds the
same invariants and event log as real use. Dates are spread over the last eight months by
running each step under a fake clock (see ``_fake_clock``): the event log is append-only,
so events cannot be back-dated afterwards.

Deterministic: one ``random.Random(SEED)`` draws every choice, in a fixed order (public
codes excepted: they come from ``secrets``).
"""

import random
from collections import Counter
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from unittest import mock

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from acteurs.models import Commune, Membership, Organisation, Role
from acteurs.services import territories_load

from .checklists import checklist_for
from .models import (
    KINDS_WITH_STORAGE,
    Device,
    DeviceEvent,
    DeviceKind,
    ErasureResult,
    Grade,
    MediaType,
    PostSanitizationDestination,
    SanitizationLevel,
    SanitizationMethod,
    State,
    StockLocation,
    StorageMedium,
    Verification,
)
from .services import (
    device_declare_lost,
    device_dismantle,
    device_mark_ready,
    device_move,
    device_recycle,
    device_register,
    device_start_refurbishment,
    device_start_triage,
    device_wipe,
    erasure_record,
    run_transition,
)

SEED = 28
DEMO_PASSWORD = "filiere-demo"
DEMO_DEPARTEMENT = "28"
HISTORY_DAYS = 240

# --- organisations and people -----------------------------------------------------------------

RNEL = "Recyclerie numérique d'Eure-et-Loir"
DEPARTEMENT = "Conseil départemental d'Eure-et-Loir"
CCAS_CHARTRES = "CCAS de Chartres"
# Its presence means the demo data is loaded.
DEMO_ORGANISATION_NAME = RNEL


@dataclass(frozen=True)
class DemoOrganisation:
    name: str
    short_name: str
    insee_code: str
    flags: tuple[str, ...]


ORGANISATIONS = (
    DemoOrganisation(RNEL, "RNEL", "28218", ("is_refurbisher",)),
    DemoOrganisation(
        DEPARTEMENT,
        "CD28",
        "28085",
        ("is_coordinator", "is_funder", "is_prescriber", "is_donor"),
    ),
    DemoOrganisation(CCAS_CHARTRES, "CCAS Chartres", "28085", ("is_prescriber",)),
    DemoOrganisation("France services de Dreux", "FS Dreux", "28134", ("is_prescriber",)),
    DemoOrganisation("CCAS de Vernouillet", "CCAS Vernouillet", "28404", ("is_prescriber",)),
    DemoOrganisation(
        "France services de Nogent-le-Rotrou", "FS Nogent", "28280", ("is_prescriber",)
    ),
    DemoOrganisation("Médiathèque L'Apostrophe", "L'Apostrophe", "28085", ("is_prescriber",)),
    DemoOrganisation("Crédit Agricole Val de France", "CA Val de France", "28085", ("is_donor",)),
    DemoOrganisation("Axereal", "Axereal", "28088", ("is_donor",)),
    DemoOrganisation("Groupe Novo Nordisk Chartres", "Novo Nordisk", "28085", ("is_donor",)),
    DemoOrganisation("Préfecture d'Eure-et-Loir", "Préfecture 28", "28085", ("is_donor",)),
)
DEMO_COMMUNES = ("28085", "28088", "28134", "28218", "28280", "28404")


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: Role
    organisation: str
    # May open the admin (its permissions follow the role: acteurs.auth_backends). Nobody in
    # the demo is a superuser: superusers are operators, created with `createsuperuser`.
    is_staff: bool = False


DEMO_USERS = (
    DemoUser("admin", "Claire", "Marchand", Role.ADMIN, DEPARTEMENT, is_staff=True),
    DemoUser("equipe", "Julien", "Lefèvre", Role.STAFF, RNEL),
    DemoUser("technicien", "Karim", "Benali", Role.TECHNICIAN, RNEL),
    DemoUser("prescripteur", "Sophie", "Durand", Role.PRESCRIBER, CCAS_CHARTRES),
    DemoUser("animateur", "Émilie", "Roux", Role.FACILITATOR, RNEL),
    DemoUser("financeur", "Bernard", "Petit", Role.FUNDER, DEPARTEMENT),
)
# (username, role label, organisation): what the Makefile and README print.
DEMO_ACCOUNTS = tuple((u.username, u.role.label, u.organisation) for u in DEMO_USERS)

SHELF_A = "Atelier – étagère A"
SHELF_B = "Atelier – étagère B"
RESERVE = "Réserve"
SORTING = "Salle de tri"
STOCK_LOCATIONS = (
    (SHELF_A, "Portables, tablettes et smartphones prêts"),
    (SHELF_B, "Unités centrales, écrans et imprimantes prêts"),
    (RESERVE, "Arrivages en attente de diagnostic"),
    (SORTING, "Diagnostic, effacement et retours de prêt"),
)

# How many devices end in each state (about 300 in all).
STATE_TARGETS = {
    State.REGISTERED: 40,
    State.TRIAGE: 30,
    State.WIPED: 20,
    State.REFURBISHING: 25,
    State.READY: 60,
    State.ALLOCATED: 15,
    State.ON_LOAN: 45,
    State.TRANSFERRED: 25,
    State.RETURNED: 10,
    State.PARTS: 10,
    State.RECYCLED: 15,
    State.LOST: 5,
}

# --- the catalogue --------------------------------------------------------------------------

BUILT_IN = "="  # the medium's serial is the device's own (soldered storage)


@dataclass(frozen=True)
class Medium:
    media_type: str
    manufacturer: str
    model: str
    capacity_gb: int
    serial: str  # pattern for _fill: "#" digit, "X" letter or digit, "@" letter


@dataclass(frozen=True)
class Product:
    kind: str
    brand: str
    model: str
    serial: str
    weight: int
    cpu: str = ""
    ram_gb: str = ""
    media: tuple[Medium, ...] = ()  # one of them is fitted
    systems: tuple[str, ...] = ()  # installed at refurbishment


SSD_SAMSUNG = Medium(MediaType.SSD, "Samsung", "PM871b MZ7LN256HAJQ", 256, "S3Z9NX0K######")
SSD_SANDISK = Medium(MediaType.SSD, "SanDisk", "X400 SD8SN8U-256G", 256, "############")
NVME_SAMSUNG = Medium(MediaType.NVME, "Samsung", "PM961 MZVLW256HEHP", 256, "S35ENX0J######")
HDD_TOSHIBA = Medium(MediaType.HDD, "Toshiba", "MQ01ACF050", 500, "#####@@@T")
HDD_SEAGATE_25 = Medium(MediaType.HDD, "Seagate", "ST500LM021", 500, "W@@#XXXX")
HDD_SEAGATE_35 = Medium(MediaType.HDD, "Seagate", "ST500DM002", 500, "Z@@#XXXX")
HDD_WD = Medium(MediaType.HDD, "Western Digital", "WD5000AAKX", 500, "WCC2E#######")
PC_SYSTEMS = (
    "Linux Mint 22",
    "Linux Mint 22",
    "Linux Mint 22",
    "Emmabuntüs DE5",
    "Ubuntu 24.04 LTS",
)

# fmt: off
CATALOGUE = (
    Product(
        DeviceKind.LAPTOP, "Dell", "Latitude E5470", "XXXXXXX", 14,
        cpu="Intel Core i5-6300U", ram_gb="8", media=(SSD_SAMSUNG, HDD_TOSHIBA),
        systems=PC_SYSTEMS,
    ),
    Product(
        DeviceKind.LAPTOP, "Lenovo", "ThinkPad T460", "PF0XXXXX", 14,
        cpu="Intel Core i5-6200U", ram_gb="8", media=(SSD_SANDISK, HDD_SEAGATE_25),
        systems=PC_SYSTEMS,
    ),
    Product(
        DeviceKind.LAPTOP, "HP", "EliteBook 840 G3", "5CG6##XXXX", 12,
        cpu="Intel Core i5-6300U", ram_gb="8", media=(SSD_SAMSUNG, SSD_SANDISK),
        systems=PC_SYSTEMS,
    ),
    Product(
        DeviceKind.LAPTOP, "Lenovo", "ThinkPad T470", "PF1XXXXX", 6,
        cpu="Intel Core i5-7300U", ram_gb="8", media=(NVME_SAMSUNG,),
        systems=PC_SYSTEMS,
    ),
    Product(
        DeviceKind.DESKTOP, "HP", "ProDesk 600 G2 SFF", "CZC6##XXXX", 9,
        cpu="Intel Core i5-6500", ram_gb="8", media=(HDD_SEAGATE_35, HDD_WD),
        systems=PC_SYSTEMS,
    ),
    Product(
        DeviceKind.DESKTOP, "Dell", "OptiPlex 7040", "XXXXXXX", 9,
        cpu="Intel Core i5-6500", ram_gb="8", media=(SSD_SAMSUNG, HDD_SEAGATE_35),
        systems=PC_SYSTEMS,
    ),
    Product(
        DeviceKind.DESKTOP, "Lenovo", "ThinkCentre M710q Tiny", "MJ0XXXXX", 4,
        cpu="Intel Core i5-7400T", ram_gb="8", media=(NVME_SAMSUNG,),
        systems=PC_SYSTEMS,
    ),
    Product(DeviceKind.SCREEN, "Dell", "P2219H", "CN0@@###XXXX", 10),
    Product(DeviceKind.SCREEN, "HP", "EliteDisplay E223", "CNC7##XXXX", 6),
    Product(DeviceKind.SCREEN, "iiyama", "ProLite XU2294HSU", "11########", 4),
    Product(
        DeviceKind.TABLET, "Samsung", "Galaxy Tab A 10.1 (SM-T510)", "R52M#XXXXXX", 5,
        cpu="Samsung Exynos 7904", ram_gb="2",
        media=(Medium(MediaType.EMMC, "Samsung", "eMMC intégrée", 32, BUILT_IN),),
        systems=("Android 11",),
    ),
    Product(
        DeviceKind.TABLET, "Apple", "iPad 6 (A1893)", "DMPXXXXXXXXX", 4,
        cpu="Apple A10 Fusion", ram_gb="2",
        media=(Medium(MediaType.FLASH, "Apple", "Flash NAND intégrée", 32, BUILT_IN),),
        systems=("iPadOS 17",),
    ),
    Product(
        DeviceKind.SMARTPHONE, "Samsung", "Galaxy A52 (SM-A525F)", "R58R#XXXXXX", 6,
        cpu="Qualcomm Snapdragon 720G", ram_gb="6",
        media=(Medium(MediaType.FLASH, "Samsung", "UFS 2.1 intégrée", 128, BUILT_IN),),
        systems=("Android 14",),
    ),
    Product(
        DeviceKind.SMARTPHONE, "Apple", "iPhone 8 (A1905)", "F17XXXXXXXXX", 5,
        cpu="Apple A11 Bionic", ram_gb="2",
        media=(Medium(MediaType.FLASH, "Apple", "Flash NAND intégrée", 64, BUILT_IN),),
        systems=("iOS 16",),
    ),
    Product(DeviceKind.PRINTER, "HP", "LaserJet Pro M404dn", "PHB@######", 5),
    Product(DeviceKind.PRINTER, "Brother", "HL-L2350DW", "E78###@#N######", 3),
)
# fmt: on

# Solidarity prices (euros) by kind: below the caps of the decree of 7 November 2022.
PRICES = {
    DeviceKind.LAPTOP: (80, 180),
    DeviceKind.DESKTOP: (60, 150),
    DeviceKind.TABLET: (40, 100),
    DeviceKind.SMARTPHONE: (40, 100),
    DeviceKind.SCREEN: (10, 30),
    DeviceKind.PRINTER: (10, 30),
}
DONORS = (
    ("Crédit Agricole Val de France", 5),
    ("Axereal", 3),
    ("Groupe Novo Nordisk Chartres", 4),
    ("Préfecture d'Eure-et-Loir", 3),
    (DEPARTEMENT, 5),
)
DONATION_REASONS = (
    "renouvellement du parc informatique",
    "fin de contrat de location",
    "déménagement de services",
    "matériel de réserve",
)
PRESCRIBERS = (
    CCAS_CHARTRES,
    "France services de Dreux",
    "CCAS de Vernouillet",
    "France services de Nogent-le-Rotrou",
    "Médiathèque L'Apostrophe",
    DEPARTEMENT + " (Maison départementale des solidarités)",
)
NOTES = {
    "release": (
        "Attribution annulée : le foyer s'est équipé entre-temps",
        "Attribution annulée : rendez-vous de remise non honoré",
    ),
    "take_back": (
        "Retour en fin de prêt, appareil en bon état",
        "Retour anticipé : le foyer a acheté un appareil",
        "Retour en fin de prêt : batterie fatiguée",
    ),
    "transfer_to_borrower": (
        "Fin de prêt : le foyer garde l'appareil (cession gratuite)",
        "Fin de prêt : formation d'initiation suivie, appareil cédé au foyer",
    ),
    "dismantle": (
        "Carte mère hors service : démonté pour pièces",
        "Dalle cassée, réparation trop coûteuse : pièces récupérées",
        "Charnières cassées : démonté pour pièces",
    ),
    "recycle": (
        "Remis à la filière DEEE (ecosystem)",
        "Trop ancien pour le réemploi : filière DEEE",
        "Hors service après diagnostic : filière DEEE",
    ),
    "lost_on_loan": (
        "Vol déclaré par le foyer (récépissé de plainte reçu)",
        "Appareil non restitué malgré trois relances",
    ),
    "lost_allocated": ("Introuvable lors de l'inventaire de l'atelier",),
    "parts_replaced": (
        "",
        "",
        "",
        "Batterie neuve",
        "Clavier AZERTY remplacé",
        "Pâte thermique renouvelée, ventilateur nettoyé",
        "Chargeur remplacé",
    ),
}

# Hours between the previous step and this one (min, max).
GAPS = {
    "start_triage": (24, 24 * 20),
    "erase": (1, 30),
    "erase_failed": (1, 30),
    "erase_stock": (1, 30),
    "erase_destroy": (24, 24 * 10),
    "wipe": (0.2, 2),
    "start_refurbishment": (2, 24 * 7),
    "mark_ready": (24, 24 * 12),
    "allocate": (24 * 2, 24 * 35),
    "release": (24 * 2, 24 * 12),
    "lend": (24, 24 * 10),
    "sell": (24, 24 * 10),
    "take_back": (24 * 30, 24 * 110),
    "transfer_to_borrower": (24 * 60, 24 * 140),
    "dismantle": (24, 24 * 20),
    "recycle": (24 * 3, 24 * 40),
    "declare_lost": (24 * 7, 24 * 80),
}
# Hours between a device's last step and now, by final state (min, max).
TAILS = {
    State.REGISTERED: (2, 24 * 45),
    State.TRIAGE: (2, 24 * 20),
    State.WIPED: (2, 24 * 15),
    State.REFURBISHING: (2, 24 * 20),
    State.READY: (2, 24 * 60),
    State.ALLOCATED: (2, 24 * 12),
    State.ON_LOAN: (24, 24 * 80),
    State.RETURNED: (24, 24 * 25),
}
TERMINAL_TAIL = (24, 24 * 90)
ERASE_STEPS = frozenset({"erase", "erase_failed", "erase_stock", "erase_destroy"})
WORKSHOP = ["start_triage", "erase", "wipe", "start_refurbishment", "mark_ready"]


# --- the fake clock ---------------------------------------------------------------------------


class _Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@contextmanager
def _fake_clock(clock: _Clock):
    """Make ``timezone.now()`` and every ``default=timezone.now`` field read ``clock``.

    Patching ``django.utils.timezone.now`` alone is not enough: a field declared with
    ``default=timezone.now`` holds the original function (``DeviceEvent.at``,
    ``Device.created_at``, ``User.date_joined``…).
    """
    real_now = timezone.now
    with ExitStack() as stack:
        stack.enter_context(mock.patch("django.utils.timezone.now", clock))
        for model in apps.get_models():
            for field in model._meta.concrete_fields:
                if field.default is real_now:
                    field._get_default  # noqa: B018 - cache it, so the patch below restores it
                    stack.enter_context(mock.patch.object(field, "_get_default", clock))
        yield clock


# --- small helpers ----------------------------------------------------------------------------


def _luhn_key(payload: str) -> str:
    """The digit that makes ``payload`` + digit pass the Luhn check."""
    for digit in "0123456789":
        number = payload + digit
        total = 0
        for position, char in enumerate(reversed(number)):
            value = int(char) * (2 if position % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return digit
    raise AssertionError("unreachable")


def fake_siret(rng: random.Random) -> str:
    """A made-up SIRET whose SIREN and SIRET keys are both valid."""
    siren = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(7))
    siren += _luhn_key(siren)
    nic = f"{rng.randint(1, 60):04d}"  # establishment number
    return siren + nic + _luhn_key(siren + nic)


def _fill(pattern: str, rng: random.Random) -> str:
    letters = "ABCDEFGHJKLMNPRSTVWXYZ"
    out = []
    for char in pattern:
        if char == "#":
            out.append(rng.choice("0123456789"))
        elif char == "@":
            out.append(rng.choice(letters))
        elif char == "X":
            out.append(rng.choice(letters + "0123456789"))
        else:
            out.append(char)
    return "".join(out)


def _hours(rng: random.Random, bounds: tuple[float, float]) -> float:
    return rng.uniform(*bounds)


# --- the builder ------------------------------------------------------------------------------


@dataclass
class _Donation:
    at: datetime
    donor: str
    reason: str


class _DemoBuilder:
    def __init__(self, now: datetime, clock: _Clock):
        self.rng = random.Random(SEED)
        self.now = now
        self.clock = clock
        self.window_start = now - timedelta(days=HISTORY_DAYS)
        self.donations: list[_Donation] = []
        # The last moment of the device being built: its steps never go back in time.
        self.last = now

    # organisations, users, stock locations

    def organisations(self) -> dict[str, Organisation]:
        self.clock.now = self.window_start - timedelta(days=30)
        communes = Commune.objects.in_bulk(DEMO_COMMUNES)
        organisations = {}
        for spec in ORGANISATIONS:
            siret = fake_siret(self.rng)
            # An organisation someone already created under that name is kept as it is.
            organisation = Organisation.objects.filter(name=spec.name).first()
            if organisation is None:
                organisation = Organisation(
                    name=spec.name,
                    short_name=spec.short_name,
                    siret=siret,
                    commune=communes[spec.insee_code],
                    **dict.fromkeys(spec.flags, True),
                )
                organisation.full_clean()
                organisation.save()
            organisations[spec.name] = organisation
        return organisations

    def users(self, organisations: dict[str, Organisation]) -> dict[str, object]:
        user_model = get_user_model()
        # Hashing is slow on purpose: hash the shared password once.
        password_hash = make_password(DEMO_PASSWORD)
        users = {}
        for spec in DEMO_USERS:
            user, _created = user_model.objects.get_or_create(username=spec.username)
            user.first_name = spec.first_name
            user.last_name = spec.last_name
            user.email = f"{spec.username}@demo.filiere.invalid"
            user.is_superuser = False
            user.is_staff = spec.is_staff
            user.password = password_hash
            user.save()
            Membership.objects.update_or_create(
                user=user,
                organisation=organisations[spec.organisation],
                defaults={"role": spec.role},
            )
            users[spec.username] = user
        return users

    def stock_locations(self, owner: Organisation) -> dict[str, StockLocation]:
        return {
            name: StockLocation.objects.create(organisation=owner, name=name, description=text)
            for name, text in STOCK_LOCATIONS
        }

    # devices

    def plan_donations(self) -> list[_Donation]:
        names = [name for name, _weight in DONORS]
        weights = [weight for _name, weight in DONORS]
        donations = []
        day = self.window_start
        while day < self.now - timedelta(days=2):
            moment = self.later(day, 24)
            donor = self.rng.choices(names, weights)[0]
            donations.append(_Donation(moment, donor, self.rng.choice(DONATION_REASONS)))
            day += timedelta(days=self.rng.uniform(4, 12))
        return donations

    def plan(self, state: str, has_media: bool, kind: str) -> list[str]:
        rng = self.rng

        def ready_path() -> list[str]:
            steps = ["register", *WORKSHOP]
            if rng.random() < 0.15:  # a first loan, then back through the workshop
                steps += ["allocate", "lend", "take_back", *WORKSHOP]
            if rng.random() < 0.1:
                steps += ["allocate", "release"]
            return steps

        match state:
            case State.REGISTERED:
                steps = ["register"]
            case State.TRIAGE:
                steps = ["register", "start_triage"]
                if rng.random() < 0.15:
                    steps.append("erase_failed")  # to be tried again
            case State.WIPED:
                steps = ["register", *WORKSHOP[:3]]
            case State.REFURBISHING:
                steps = ["register", *WORKSHOP[:4]]
            case State.READY:
                steps = ready_path()
            case State.ALLOCATED:
                steps = [*ready_path(), "allocate"]
            case State.ON_LOAN:
                steps = [*ready_path(), "allocate", "lend"]
            case State.TRANSFERRED:
                ending = ["sell"] if rng.random() < 0.4 else ["lend", "transfer_to_borrower"]
                steps = [*ready_path(), "allocate", *ending]
            case State.RETURNED:
                steps = [*ready_path(), "allocate", "lend", "take_back"]
            case State.PARTS:
                steps = rng.choice(
                    [
                        ["register", "start_triage", "erase_stock", "dismantle"],
                        ["register", *WORKSHOP[:4], "dismantle"],
                        [
                            *ready_path(),
                            "allocate",
                            "lend",
                            "take_back",
                            "erase_stock",
                            "dismantle",
                        ],
                    ]
                )
            case State.RECYCLED:
                if not has_media and kind not in KINDS_WITH_STORAGE:
                    steps = rng.choice(
                        [["register", "recycle"], ["register", "start_triage", "recycle"]]
                    )
                else:
                    steps = rng.choice(
                        [
                            ["register", "start_triage", "erase_destroy", "recycle"],
                            ["register", "start_triage", "erase_stock", "dismantle", "recycle"],
                        ]
                    )
            case State.LOST:
                ending = ["declare_lost"] if rng.random() < 0.3 else ["lend", "declare_lost"]
                steps = [*ready_path(), "allocate", *ending]
            case _:
                raise ValueError(state)
        if not has_media:
            steps = [step for step in steps if step not in ERASE_STEPS]
        return steps

    def schedule(self, steps: list[str], state: str) -> tuple[_Donation, list[float]]:
        """The donation the device came with, and the hours before each later step."""
        rng = self.rng
        gaps = [_hours(rng, GAPS[step]) for step in steps[1:]]
        tail = _hours(rng, TAILS.get(state, TERMINAL_TAIL))
        # Erasures take a few hours and the workshop closes at night and at weekends.
        estimate = sum(gaps) + 4 * sum(step in ERASE_STEPS for step in steps) + 12 * len(steps)
        room = (HISTORY_DAYS - 3) * 24 - tail
        if estimate > room:
            factor = room / estimate
            gaps = [gap * factor for gap in gaps]
            estimate = room
        latest = self.now - timedelta(hours=tail + estimate)
        # One of the last donations that leaves room for the whole history.
        eligible = [d for d in self.donations if d.at <= latest][-2:] or self.donations[:1]
        return rng.choice(eligible), gaps

    def device(self, state: str, ctx: dict) -> Device:
        rng = self.rng
        product = rng.choices(CATALOGUE, [p.weight for p in CATALOGUE])[0]
        serial = _fill(product.serial, rng)
        without_storage = product.kind == DeviceKind.DESKTOP and rng.random() < 0.1
        media = []
        if product.media and not without_storage:
            fitted = [rng.choice(product.media)]
            if product.kind == DeviceKind.DESKTOP and rng.random() < 0.05:
                fitted.append(HDD_SEAGATE_35)  # a second disk
            for medium in fitted:
                media.append(
                    {
                        "media_type": medium.media_type,
                        "manufacturer": medium.manufacturer,
                        "model": medium.model,
                        "serial": serial
                        if medium.serial == BUILT_IN
                        else _fill(medium.serial, rng),
                        "capacity_gb": medium.capacity_gb,
                    }
                )
        steps = self.plan(state, bool(media), product.kind)
        donation, gaps = self.schedule(steps, state)
        moment = donation.at + timedelta(minutes=rng.randint(0, 50))
        self.clock.now = self.last = moment
        device = device_register(
            owner=ctx["owner"],
            actor=ctx["staff"],
            media=media,
            kind=product.kind,
            brand=product.brand,
            model=product.model,
            serial=serial,
            cpu=product.cpu,
            ram_gb=Decimal(product.ram_gb) if product.ram_gb else None,
            received_without_storage=without_storage,
            location=ctx["locations"][RESERVE if rng.random() < 0.7 else SORTING],
            notes=f"Don {donation.donor} ({donation.reason})",
        )
        for previous, step, gap in zip(steps, steps[1:], gaps, strict=False):
            moment = self.later(moment, gap)
            moment = self.run_step(step, previous, device, product, moment, ctx)
        return device

    def later(self, moment: datetime, hours: float) -> datetime:
        """``hours`` after ``moment``, moved into the workshop's hours (weekdays, 9–18 h)."""
        rng = self.rng
        target = timezone.localtime(moment + timedelta(hours=hours))
        if hours >= 20:  # another day: any time of that working day
            target = target.replace(hour=rng.randint(9, 17), minute=rng.randint(0, 59))
        elif target.hour < 9:
            target = target.replace(hour=9, minute=rng.randint(0, 59))
        elif target.hour >= 18:
            target = (target + timedelta(days=1)).replace(hour=9, minute=rng.randint(0, 59))
        if target.weekday() >= 5:  # Saturday to Monday, Sunday to Tuesday
            target += timedelta(days=2)
        return target

    def tick(self, moment: datetime) -> datetime:
        """Set the clock; never beyond now, never backwards."""
        moment = min(moment, self.now - timedelta(minutes=1))
        moment = max(moment, self.last + timedelta(seconds=30))
        self.clock.now = self.last = moment
        return moment

    def run_step(self, step, previous, device, product, moment, ctx) -> datetime:
        """Run one step at ``moment``; returns when it ended."""
        rng = self.rng
        tech, staff = ctx["technician"], ctx["staff"]
        if step in ERASE_STEPS:
            return self.erase(step, device, moment, ctx)
        moment = self.tick(moment)
        pk = device.pk
        match step:
            case "start_triage":
                device_start_triage(pk, tech)
            case "wipe":
                device_wipe(pk, tech)
            case "start_refurbishment":
                device_start_refurbishment(pk, tech)
            case "mark_ready":
                device_mark_ready(
                    pk,
                    tech,
                    checklist={key: True for key, _label in checklist_for(product.kind)},
                    grade=rng.choices([Grade.A, Grade.B, Grade.C], [3, 5, 2])[0],
                    os_installed=rng.choice(product.systems) if product.systems else "",
                    parts_replaced=rng.choice(NOTES["parts_replaced"]),
                )
                shelf = SHELF_B if product.kind in ("desktop", "screen", "printer") else SHELF_A
                self.tick(moment + timedelta(minutes=rng.randint(2, 20)))
                device_move(pk, tech, ctx["locations"][shelf])
            case "allocate":
                run_transition(pk, "allocate", staff, note=f"Demande : {rng.choice(PRESCRIBERS)}")
            case "release":
                run_transition(pk, "release", staff, note=rng.choice(NOTES["release"]))
            case "lend":
                device_move(pk, staff, None)
                run_transition(pk, "lend", staff, note="Remis au foyer avec la convention de prêt")
            case "sell":
                low, high = PRICES.get(product.kind, (10, 30))
                price = rng.randrange(low, high + 1, 10) if high >= 50 else rng.choice([10, 20, 30])
                device_move(pk, staff, None)
                run_transition(pk, "sell", staff, note=f"Vente solidaire : {price} €")
            case "take_back":
                run_transition(pk, "take_back", staff, note=rng.choice(NOTES["take_back"]))
                device_move(pk, staff, ctx["locations"][SORTING])
            case "transfer_to_borrower":
                run_transition(
                    pk,
                    "transfer_to_borrower",
                    staff,
                    note=rng.choice(NOTES["transfer_to_borrower"]),
                )
            case "dismantle":
                device_dismantle(pk, tech, note=rng.choice(NOTES["dismantle"]))
            case "recycle":
                device_recycle(pk, tech, note=rng.choice(NOTES["recycle"]))
            case "declare_lost":
                key = "lost_on_loan" if previous == "lend" else "lost_allocated"
                device_declare_lost(pk, staff, note=rng.choice(NOTES[key]))
            case _:
                raise ValueError(step)
        return self.last

    def erase(self, step, device, moment, ctx) -> datetime:
        """Erase every medium of the device (they run side by side); returns when recorded."""
        rng = self.rng
        started = moment
        ended = started
        pending = []
        retry_first = step == "erase" and rng.random() < 0.06
        for index, medium in enumerate(StorageMedium.objects.filter(device=device)):
            fields, duration = self.erasure_fields(step, medium)
            if step == "erase_failed" or (retry_first and index == 0):
                cut = duration * rng.uniform(0.1, 0.7)
                failed = {**fields, "result": ErasureResult.FAILED}
                pending.append((medium, failed, started, started + cut))
                if step == "erase_failed":
                    ended = max(ended, started + cut)
                    continue
                retry_at = started + cut + timedelta(minutes=rng.randint(10, 60))
                pending.append((medium, fields, retry_at, retry_at + duration))
                ended = max(ended, retry_at + duration)
            else:
                pending.append((medium, fields, started, started + duration))
                ended = max(ended, started + duration)
        recorded = self.later(ended, rng.uniform(0.05, 0.4))
        for medium, fields, begin, end in pending:
            self.tick(recorded)
            erasure_record(medium.pk, ctx["technician"], started_at=begin, ended_at=end, **fields)
            recorded += timedelta(minutes=rng.randint(1, 4))
        return self.last

    def erasure_fields(self, step, medium) -> tuple[dict, timedelta]:
        rng = self.rng
        if step == "erase_destroy":
            method = (
                SanitizationMethod.SHRED
                if medium.media_type in (MediaType.HDD, MediaType.SSD, MediaType.NVME)
                else SanitizationMethod.DRILL
            )
            return {
                "level": SanitizationLevel.DESTROY,
                "method": method,
                "tool": "Broyeur du prestataire DEEE"
                if method == "shred"
                else "Perceuse à colonne",
                "tool_version": "",
                "verification": Verification.FULL,
                "result": ErasureResult.ERASED,
                "destination": PostSanitizationDestination.DESTROYED,
            }, timedelta(minutes=rng.randint(5, 20))
        destination = (
            PostSanitizationDestination.STOCK
            if step == "erase_stock"
            else PostSanitizationDestination.REUSE
        )
        common = {"result": ErasureResult.ERASED, "destination": destination}
        capacity = medium.capacity_gb or 256
        if medium.media_type == MediaType.HDD or (
            medium.media_type == MediaType.SSD and rng.random() < 0.6
        ):
            full = rng.random() < 0.7
            speed_mb_s = 120 if medium.media_type == MediaType.HDD else 350
            minutes = capacity * 1000 / speed_mb_s / 60 * (2 if full else 1.05)
            return {
                **common,
                "level": SanitizationLevel.CLEAR,
                "method": SanitizationMethod.OVERWRITE,
                "tool": "nwipe",
                "tool_version": "0.35",
                "verification": Verification.FULL if full else Verification.SAMPLE,
            }, timedelta(minutes=minutes * rng.uniform(0.9, 1.2))
        if medium.media_type == MediaType.SSD:
            return {
                **common,
                "level": SanitizationLevel.PURGE,
                "method": SanitizationMethod.FIRMWARE_SECURE_ERASE,
                "tool": "hdparm",
                "tool_version": "9.65",
                "verification": Verification.SAMPLE,
            }, timedelta(minutes=rng.randint(2, 8))
        if medium.media_type == MediaType.NVME:
            return {
                **common,
                "level": SanitizationLevel.PURGE,
                "method": SanitizationMethod.CRYPTO_ERASE,
                "tool": "nvme-cli",
                "tool_version": "2.8",
                "verification": Verification.SAMPLE,
            }, timedelta(minutes=rng.randint(1, 4))
        # Phones and tablets: encrypted storage, so a factory reset is a cryptographic erase.
        apple = medium.manufacturer == "Apple"
        return {
            **common,
            "level": SanitizationLevel.PURGE,
            "method": SanitizationMethod.FACTORY_RESET,
            "tool": "Apple Configurator" if apple else "Android Recovery",
            "tool_version": "2.17" if apple else "",
            "verification": Verification.SAMPLE,
        }, timedelta(minutes=rng.randint(10, 30))

    def build(self) -> dict:
        organisations = self.organisations()
        users = self.users(organisations)
        owner = organisations[RNEL]
        ctx = {
            "owner": owner,
            "staff": users["equipe"],
            "technician": users["technicien"],
            "locations": self.stock_locations(owner),
        }
        self.donations = self.plan_donations()
        states = [state for state, count in STATE_TARGETS.items() for _ in range(count)]
        self.rng.shuffle(states)
        for state in states:
            self.device(state, ctx)
        return {
            "organisations": len(organisations),
            "users": len(users),
            "devices": len(states),
            "events": DeviceEvent.objects.filter(device__owner=owner).count(),
            "by_state": Counter(Device.objects.filter(owner=owner).values_list("state", flat=True)),
        }


def demo_is_loaded() -> bool:
    return Organisation.objects.filter(name=DEMO_ORGANISATION_NAME).exists()


def load_demo() -> dict | None:
    """Create the demonstration data; ``None`` if it is already there (nothing changes).

    Loads the Eure-et-Loir territories first if the communes it needs are missing. Demo
    accounts that already exist get the demo password and membership: never run this on a
    production database.
    """
    if demo_is_loaded():
        return None
    now = timezone.now()
    clock = _Clock(now)
    with transaction.atomic():
        if Commune.objects.filter(pk__in=DEMO_COMMUNES).count() < len(DEMO_COMMUNES):
            territories_load(departement=DEMO_DEPARTEMENT)
        with _fake_clock(clock):
            return _DemoBuilder(now, clock).build()

"""The demonstration world: who and what the Eure-et-Loir (28) demo is made of.

Organisations, accounts, the catalogue of donated devices, the states the pool ends in, the
households, the workshops and the notes staff write; ``demo.builder`` plays them through the
services along a timeline. Plain data and small helpers only: nothing here writes a row.
"""

import random
from dataclasses import dataclass

from acteurs.models import Role
from parc.models import DeviceKind, MediaType, State

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
    # Contact details (made up: the phone numbers are in ARCEP's range kept for fiction,
    # 02 61 91 xx xx, the e-mail domains are example.org's).
    street_address: str = ""
    postcode: str = ""
    phone: str = ""
    email: str = ""


ORGANISATIONS = (
    DemoOrganisation(
        RNEL,
        "RNEL",
        "28218",
        ("is_refurbisher",),
        "12 rue des Artisans",
        "28110",
        "02 61 91 28 10",
        "contact@recyclerie-numerique-28.example.org",
    ),
    DemoOrganisation(
        DEPARTEMENT,
        "CD28",
        "28085",
        ("is_coordinator", "is_funder", "is_prescriber", "is_donor"),
        "1 place du Département",
        "28000",
        "02 61 91 28 00",
        "inclusion-numerique@cd28.example.org",
    ),
    DemoOrganisation(
        CCAS_CHARTRES,
        "CCAS Chartres",
        "28085",
        ("is_prescriber",),
        "5 rue de la Solidarité",
        "28000",
        "02 61 91 28 01",
        "ccas@chartres.example.org",
    ),
    DemoOrganisation(
        "France services de Dreux",
        "FS Dreux",
        "28134",
        ("is_prescriber",),
        "8 place des Services publics",
        "28100",
        "02 61 91 28 02",
        "franceservices@dreux.example.org",
    ),
    DemoOrganisation(
        "CCAS de Vernouillet",
        "CCAS Vernouillet",
        "28404",
        ("is_prescriber",),
        "2 rue de la Mairie",
        "28500",
        "02 61 91 28 03",
        "ccas@vernouillet.example.org",
    ),
    DemoOrganisation(
        "France services de Nogent-le-Rotrou",
        "FS Nogent",
        "28280",
        ("is_prescriber",),
        "3 rue du Perche",
        "28400",
        "02 61 91 28 04",
        "franceservices@nogent.example.org",
    ),
    DemoOrganisation(
        "Médiathèque L'Apostrophe",
        "L'Apostrophe",
        "28085",
        ("is_prescriber",),
        "1 boulevard de la Lecture",
        "28000",
        "02 61 91 28 05",
        "mediatheque@chartres.example.org",
    ),
    DemoOrganisation(
        "Crédit Agricole Val de France",
        "CA Val de France",
        "28085",
        ("is_donor",),
        "10 avenue de la Banque",
        "28000",
        "02 61 91 28 06",
        "rse@ca-valdefrance.example.org",
    ),
    DemoOrganisation(
        "Axereal",
        "Axereal",
        "28088",
        ("is_donor",),
        "4 rue des Silos",
        "28200",
        "02 61 91 28 07",
        "informatique@axereal.example.org",
    ),
    DemoOrganisation(
        "Groupe Novo Nordisk Chartres",
        "Novo Nordisk",
        "28085",
        ("is_donor",),
        "20 rue de l'Industrie",
        "28000",
        "02 61 91 28 08",
        "it@novonordisk-chartres.example.org",
    ),
    DemoOrganisation(
        "Préfecture d'Eure-et-Loir",
        "Préfecture 28",
        "28085",
        ("is_donor",),
        "15 place de la République",
        "28000",
        "02 61 91 28 09",
        "sg@eure-et-loir.example.org",
    ),
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
FOUNDATION = "Fondation pour l'inclusion numérique (démo)"
# The foundation funding the whole refurbisher, with its own funder account.
FOUNDATION_USER = DemoUser("fondation", "Nadia", "Girard", Role.FUNDER, FOUNDATION)
# (username, role label, organisation): what the Makefile and README print.
DEMO_ACCOUNTS = tuple(
    (u.username, u.role.label, u.organisation) for u in (*DEMO_USERS, FOUNDATION_USER)
)

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


# --- households, workshops, reports -----------------------------------------------------------

LUCE = "28218"
CHARTRES = "28085"
# The CCAS de Chartres' households that come to the workshops: name, commune, size,
# categories. They are created first, ten weeks ago; other households are created when the
# prescriber first sends a request for them.
HOUSEHOLDS = (
    ("Mme Lefebvre", CHARTRES, 1, ("is_senior",)),
    ("M. Moreau", CHARTRES, 1, ("is_jobseeker", "receives_social_minimum")),
    ("Mme Garcia", LUCE, 3, ("is_single_parent",)),
    ("M. Fontaine", CHARTRES, 2, ("is_senior",)),
    ("Mme Chevalier", CHARTRES, 4, ("is_single_parent", "receives_social_minimum")),
    ("M. Robin", LUCE, 1, ("is_young", "is_jobseeker")),
    ("Mme Gauthier", CHARTRES, 1, ("is_senior",)),
    ("M. Perrin", CHARTRES, 2, ("receives_social_minimum",)),
    ("Mme Morin", LUCE, 1, ("is_young",)),
    ("M. Mercier", CHARTRES, 5, ()),
    ("Mme Blanc", CHARTRES, 2, ("is_jobseeker",)),
    ("M. Guérin", LUCE, 1, ("is_senior", "receives_social_minimum")),
)
FIRST_NAMES = (
    "Mme Martin", "M. Bernard", "Mme Thomas", "M. Petit", "Mme Richard", "M. Durand",
    "Mme Dubois", "M. Laurent", "Mme Simon", "M. Michel", "Mme Leroy", "M. Roux",
    "Mme David", "M. Bertrand", "Mme Morel", "M. Girard", "Mme André", "M. Mercier",
    "Mme Dupont", "M. Lambert", "Mme Bonnet", "M. François", "Mme Martinez", "M. Legrand",
    "Mme Faure", "M. Rousseau", "Mme Clément", "M. Gauthier", "Mme Henry", "M. Perrin",
)  # fmt: skip
# Categories of the households created along the way (drawn at random).
CATEGORIES = (
    ("is_senior",),
    ("is_jobseeker",),
    ("is_single_parent",),
    ("receives_social_minimum",),
    ("is_young", "is_jobseeker"),
    ("is_jobseeker", "receives_social_minimum"),
    (),
)
# Household category → eligibility criterion code (prets migration 0002).
CRITERION_OF = (
    ("is_single_parent", "parent-isole"),
    ("is_senior", "senior-isole"),
    ("is_jobseeker", "demandeur-emploi"),
    ("receives_social_minimum", "minimum-social"),
)
FALLBACK_CRITERION = "quotient-familial"
REJECTION = (
    "Le foyer a déjà reçu un ordinateur de la Recyclerie l'an dernier : orientez-le vers "
    "l'atelier de réparation."
)
RECYCLERIE_ROOM = "Espace numérique de la Recyclerie, 5 rue des Artisans"
MEDIATHEQUE_ROOM = "Médiathèque L'Apostrophe, 1 boulevard Maurice-Violette"
# The gisement whose report the funders read (rapports).
GISEMENT = "Renouvellement du parc des agences 2025"
GISEMENT_DONOR = "Crédit Agricole Val de France"
# A donor's inventory list as it is sent (imported through intake): laptops at end of lease.
IMPORTED_HEADER = ("Marque", "Modèle", "N° de série", "Processeur", "Mémoire")
IMPORTED_LIST = tuple(
    ("Dell", "Latitude 5490", f"{serial}", "Intel Core i5-8350U", "8 Go")
    for serial in (
        "7HQ3KX2", "9BXW1Y2", "3LMN8Z2", "F4KT9X2", "C2RP5W2", "8DVJ7Y2",
        "B6QS3Z2", "H1GM4X2", "5NWC2W2", "D9FT6Y2", "2JXK8Z2", "G7PL1X2",
    )
)  # fmt: skip

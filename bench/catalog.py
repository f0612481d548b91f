"""What the synthetic pool is made of: shares of kinds and states, brands, models, disks.

Figures are plausible for a French refurbishing association some years in, not measured:
most devices have left the pool (lent, given, recycled), a tenth waits in the workshop.
"""

# (value, weight)
KINDS = [
    ("laptop", 50),
    ("desktop", 20),
    ("screen", 10),
    ("tablet", 8),
    ("smartphone", 8),
    ("printer", 2),
    ("other", 2),
]

STATES = [
    ("registered", 8),
    ("triage", 5),
    ("wiped", 3),
    ("refurbishing", 4),
    ("ready", 10),
    ("allocated", 2),
    ("on_loan", 20),
    ("transferred", 18),
    ("returned", 2),
    ("parts", 6),
    ("recycled", 20),
    ("lost", 2),
]

# Organisations: (name, short name, share of the devices). The first one is the big
# refurbisher whose technician browses the pool.
ORGANISATIONS = [
    ("Bench – Grande Recyclerie numérique", "BGR", 85),
    ("Bench – Atelier solidaire du Nord", "BAN", 7),
    ("Bench – Repair café du Sud", "BRS", 5),
    ("Bench – Régie de quartier Est", "BRE", 3),
]
BIG_ORGANISATION_LOCATIONS = 24
SMALL_ORGANISATION_LOCATIONS = 4

# kind: [(brand, [models], serial prefix, serial length)]
MODELS = {
    "laptop": [
        ("Dell", ["Latitude E5470", "Latitude 5490", "Latitude 7490", "Latitude 5500"], "", 7),
        ("Lenovo", ["ThinkPad T470", "ThinkPad T480", "ThinkPad X270", "ThinkPad L480"], "PF", 8),
        ("HP", ["EliteBook 840 G5", "ProBook 450 G6", "EliteBook 820 G3"], "5CG", 10),
        ("Apple", ["MacBook Air 13 2017", "MacBook Pro 13 2016"], "C02", 12),
        ("Fujitsu", ["Lifebook E548", "Lifebook U747"], "DSB", 10),
    ],
    "desktop": [
        ("Dell", ["OptiPlex 7050", "OptiPlex 3060", "OptiPlex 5060 Micro"], "", 7),
        ("HP", ["ProDesk 600 G3", "EliteDesk 800 G4"], "CZC", 10),
        ("Lenovo", ["ThinkCentre M710q", "ThinkCentre M920s"], "MJ", 8),
    ],
    "screen": [
        ("Dell", ["P2419H", "P2217", "E2216H"], "CN0", 20),
        ("HP", ["E24 G4", "EliteDisplay E233"], "CN4", 10),
        ("iiyama", ["ProLite XU2493HS", "ProLite B2283HS"], "11", 13),
    ],
    "tablet": [
        ("Samsung", ["Galaxy Tab A 10.1", "Galaxy Tab S6 Lite"], "R52", 11),
        ("Apple", ["iPad 6", "iPad 7"], "DMP", 12),
        ("Lenovo", ["Tab M10"], "HA", 8),
    ],
    "smartphone": [
        ("Samsung", ["Galaxy A52", "Galaxy S10", "Galaxy A40"], "R58", 11),
        ("Apple", ["iPhone 8", "iPhone SE 2020", "iPhone XR"], "F17", 12),
        ("Fairphone", ["Fairphone 3", "Fairphone 4"], "FP", 10),
    ],
    "printer": [
        ("HP", ["LaserJet Pro M404dn", "OfficeJet Pro 8210"], "PHB", 10),
        ("Brother", ["HL-L2350DW", "MFC-L2710DW"], "E7", 15),
    ],
    "other": [
        ("Logitech", ["Clavier K120", "Souris M90"], "", 0),
        ("TP-Link", ["Archer C6", "TL-SG108"], "22", 13),
    ],
}

CPUS = {
    "laptop": [
        "Intel Core i5-7300U",
        "Intel Core i5-8350U",
        "Intel Core i7-8650U",
        "Intel Core i3-7100U",
    ],
    "desktop": ["Intel Core i5-7500", "Intel Core i5-8500T", "Intel Core i3-8100"],
    "tablet": ["Exynos 7904", "Apple A10 Fusion"],
    "smartphone": ["Snapdragon 720G", "Apple A13 Bionic", "Exynos 9611"],
}
RAM_GB = {
    "laptop": ["4.0", "8.0", "8.0", "16.0"],
    "desktop": ["4.0", "8.0", "16.0"],
    "tablet": ["2.0", "3.0", "4.0"],
    "smartphone": ["3.0", "4.0", "6.0"],
}
OS = {
    "laptop": ["Windows 10 Pro", "Windows 11 Pro", "", "macOS 12"],
    "desktop": ["Windows 10 Pro", "Windows 11 Pro", ""],
    "tablet": ["Android 11", "iPadOS 15"],
    "smartphone": ["Android 12", "iOS 16"],
}

# media type: [(manufacturer, model, serial prefix, [capacities])]
MEDIA = {
    "hdd": [
        ("Seagate", "ST500LM030", "WCC", [500, 1000]),
        ("Western Digital", "WD5000LPLX", "WX", [500]),
        ("Toshiba", "MQ01ABF050", "Y6", [500]),
    ],
    "ssd": [
        ("Samsung", "PM871", "S2", [128, 256, 512]),
        ("Crucial", "MX500", "19", [250, 500]),
        ("SK hynix", "SC311", "MI", [128, 256]),
    ],
    "nvme": [
        ("Samsung", "PM981", "S4", [256, 512]),
        ("Toshiba", "KBG40ZNS256G", "Z9", [256]),
        ("Western Digital", "SN520", "19", [256, 512]),
    ],
    "emmc": [("Samsung", "KLMBG2JETD", "", [32, 64]), ("Toshiba", "THGBMHG8C2", "", [32])],
    "flash": [("Apple", "NAND", "", [64, 128]), ("Samsung", "UFS 2.1", "", [64, 128])],
}
MEDIA_TYPES = {
    "laptop": [("ssd", 50), ("nvme", 25), ("hdd", 25)],
    "desktop": [("hdd", 50), ("ssd", 40), ("nvme", 10)],
    "tablet": [("emmc", 60), ("flash", 40)],
    "smartphone": [("flash", 70), ("emmc", 30)],
}
# media type: [(level, method, tool, tool version)]
ERASURES = {
    "hdd": [("clear", "overwrite", "nwipe", "0.35"), ("clear", "overwrite", "ShredOS", "2024.02")],
    "ssd": [
        ("purge", "block_erase", "hdparm", "9.65"),
        ("purge", "crypto_erase", "ShredOS", "2024.02"),
    ],
    "nvme": [
        ("purge", "crypto_erase", "nvme-cli", "2.4"),
        ("purge", "block_erase", "nvme-cli", "2.4"),
    ],
    "emmc": [("purge", "factory_reset", "réinitialisation d'usine", "")],
    "flash": [("purge", "factory_reset", "réinitialisation d'usine", "")],
}

# The steps that lead from registration to each state. "erase" records one erasure per
# storage medium (with an event each); the others are transitions (one event each).
WORKSHOP = ["start_triage", "erase", "wipe", "start_refurbishment", "mark_ready"]
PATHS = {
    "registered": [[]],
    "triage": [["start_triage"]],
    "wiped": [WORKSHOP[:3]],
    "refurbishing": [WORKSHOP[:4]],
    "ready": [WORKSHOP],
    "allocated": [[*WORKSHOP, "allocate"]],
    "on_loan": [[*WORKSHOP, "allocate", "lend"]],
    "transferred": [
        [*WORKSHOP, "allocate", "sell"],
        [*WORKSHOP, "allocate", "lend", "transfer_to_borrower"],
    ],
    "returned": [[*WORKSHOP, "allocate", "lend", "take_back"]],
    "parts": [["start_triage", "erase", "dismantle"]],
    "recycled": [["start_triage", "erase", "recycle"]],
    "lost": [[*WORKSHOP, "allocate", "lend", "declare_lost"]],
}
# Kinds without storage may go to recycling straight from registration.
RECYCLE_WITHOUT_TRIAGE = [["recycle"], ["start_triage", "recycle"]]
TARGETS = {
    "start_triage": "triage",
    "wipe": "wiped",
    "start_refurbishment": "refurbishing",
    "mark_ready": "ready",
    "allocate": "allocated",
    "lend": "on_loan",
    "sell": "transferred",
    "transfer_to_borrower": "transferred",
    "take_back": "returned",
    "dismantle": "parts",
    "recycle": "recycled",
    "declare_lost": "lost",
}
# Transitions run by the association's staff rather than the technician.
STAFF_ACTIONS = frozenset(
    {"allocate", "lend", "sell", "transfer_to_borrower", "take_back", "declare_lost"}
)
# Transitions that clear the stock location.
LEAVES_SHELVES = frozenset({"lend", "sell", "dismantle", "recycle", "declare_lost"})
# Remarks written at registration on one device in seven (searchable words, with accents).
REMARKS = (
    "Écran rayé en bas à gauche",
    "Charnière gauche fêlée",
    "Batterie faible, autonomie une heure",
    "Clavier AZERTY, touche É manquante",
    "Chargeur non fourni",
    "Coque arrière marquée",
    "Ventilateur bruyant au démarrage",
    "Étiquette d'inventaire du donateur à retirer",
)
REMARK_SHARE = 1 / 7
# What mark_ready installs (it becomes the device's OS).
OS_INSTALLED = {"laptop": "Linux Mint 22", "desktop": "Linux Mint 22"}
NOTES = {
    "dismantle": "Carte mère HS, pièces récupérées.",
    "recycle": "Trop ancien pour le réemploi, benne DEEE.",
    "declare_lost": "Vol déclaré par l'emprunteur, récépissé de plainte reçu.",
}

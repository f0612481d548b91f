"""Functional test checklists by device kind (Code de la consommation R122-4: every function
tested before a device is called refurbished). Data, not code: add a line to add a check."""

from django.utils.translation import gettext_lazy as _

COMMON = [
    ("powers_on", _("Démarre et s'éteint correctement")),
    ("os_boots", _("Le système d'exploitation démarre")),
]
COMPUTER = [
    ("screen", _("Écran sans pixel mort ni défaut d'affichage")),
    ("keyboard", _("Toutes les touches du clavier répondent")),
    ("usb_ports", _("Ports USB fonctionnels")),
    ("network", _("Réseau (Wi-Fi ou Ethernet) fonctionnel")),
    ("audio", _("Son (haut-parleurs et prise casque)")),
]
CHECKLISTS = {
    "laptop": COMMON
    + COMPUTER
    + [
        ("touchpad", _("Pavé tactile fonctionnel")),
        ("battery", _("Batterie : autonomie d'au moins une heure")),
        ("charger", _("Chargeur fourni et fonctionnel")),
        ("webcam", _("Webcam et micro fonctionnels")),
    ],
    "desktop": COMMON + COMPUTER,
    "tablet": COMMON
    + [
        ("touchscreen", _("Écran tactile réactif sur toute la surface")),
        ("battery", _("Batterie : autonomie d'au moins trois heures")),
        ("charger", _("Chargeur fourni et fonctionnel")),
        ("wifi", _("Wi-Fi fonctionnel")),
        ("camera", _("Caméras et micro fonctionnels")),
    ],
    "smartphone": COMMON
    + [
        ("touchscreen", _("Écran tactile réactif sur toute la surface")),
        ("battery", _("Batterie : état de santé d'au moins 80 %")),
        ("charger", _("Câble de charge fourni et fonctionnel")),
        ("calls", _("Appels, réseau mobile et SMS")),
        ("wifi", _("Wi-Fi fonctionnel")),
        ("camera", _("Caméras et micro fonctionnels")),
        ("factory_reset", _("Réinitialisé, aucun compte lié (iCloud, Google)")),
    ],
    "screen": [
        ("powers_on", _("S'allume")),
        ("display", _("Affichage sans pixel mort ni défaut")),
        ("inputs", _("Entrées vidéo fonctionnelles")),
        ("cables", _("Câbles d'alimentation et vidéo fournis")),
    ],
    "printer": [
        ("powers_on", _("S'allume")),
        ("prints", _("Page de test imprimée correctement")),
        ("consumables", _("Consommables présents")),
        ("cables", _("Câbles fournis")),
    ],
    "other": [
        ("powers_on", _("S'allume")),
        ("functions", _("Toutes les fonctions testées")),
    ],
}


def checklist_for(kind: str):
    return CHECKLISTS.get(kind, CHECKLISTS["other"])

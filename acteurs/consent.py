"""What a household is told before its data is recorded, by version.

A wording once used is never edited (households agreed to that text): add a new version and
point ``CURRENT_CONSENT_VERSION`` at it. ``tests/acteurs/test_households.py`` pins the text of
every version, so an edit in place fails the tests.
"""

from django.utils.translation import gettext_lazy as _

CONSENT_WORDINGS = {
    "2025-1": _(
        "Les informations de votre foyer (nom, coordonnées, commune, nombre de personnes et "
        "situation) sont enregistrées par %(organisation)s dans Filière, pour organiser votre "
        "accompagnement numérique : prêt ou achat solidaire d'un appareil, ateliers "
        "d'initiation et de réparation. Seules les personnes de %(organisation)s qui vous "
        "accompagnent les voient ; l'équipe d'un atelier auquel vous êtes inscrit voit "
        "seulement votre nom. Elles sont anonymisées deux ans après votre dernier contact. "
        "Vous pouvez les consulter, les faire corriger ou supprimer en vous adressant à "
        "%(organisation)s."
    ),
}
CURRENT_CONSENT_VERSION = "2025-1"


def consent_text(version: str, organisation_name: str) -> str:
    """The wording of ``version`` as it was shown, with the organisation's name."""
    return str(CONSENT_WORDINGS[version]) % {"organisation": organisation_name}

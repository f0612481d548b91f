"""The PIX framework (référentiel du cadre de référence des compétences numériques, CRCN):
5 domains, 16 competences. Reference data, kept as a constant: it changes with a decree,
not with use. Workshop types list the competences they work on; autonomy assessments give
one level per domain.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

DOMAINS = (
    ("1", _("Informations et données")),
    ("2", _("Communication et collaboration")),
    ("3", _("Création de contenu")),
    ("4", _("Protection et sécurité")),
    ("5", _("Environnement numérique")),
)

COMPETENCES = (
    ("1.1", _("Mener une recherche et une veille d'information")),
    ("1.2", _("Gérer des données")),
    ("1.3", _("Traiter des données")),
    ("2.1", _("Interagir")),
    ("2.2", _("Partager et publier")),
    ("2.3", _("Collaborer")),
    ("2.4", _("S'insérer dans le monde numérique")),
    ("3.1", _("Développer des documents textuels")),
    ("3.2", _("Développer des documents multimédia")),
    ("3.3", _("Adapter les documents à leur finalité")),
    ("3.4", _("Programmer")),
    ("4.1", _("Sécuriser l'environnement numérique")),
    ("4.2", _("Protéger les données personnelles et la vie privée")),
    ("4.3", _("Protéger la santé, le bien-être et l'environnement")),
    ("5.1", _("Résoudre des problèmes techniques")),
    ("5.2", _("Construire un environnement numérique")),
)

DOMAIN_LABELS = dict(DOMAINS)
COMPETENCE_LABELS = dict(COMPETENCES)
DOMAIN_CODES = tuple(code for code, _label in DOMAINS)


class Domain(models.TextChoices):
    INFORMATION = "1", DOMAIN_LABELS["1"]
    COMMUNICATION = "2", DOMAIN_LABELS["2"]
    CONTENT = "3", DOMAIN_LABELS["3"]
    SECURITY = "4", DOMAIN_LABELS["4"]
    ENVIRONMENT = "5", DOMAIN_LABELS["5"]


class Level(models.IntegerChoices):
    """Autonomy in a domain, from least to most autonomous (ordered: averages make sense)."""

    WITH_HELP = 1, _("avec aide")
    WITHOUT_HELP = 2, _("sans aide")
    AUTONOMOUS = 3, _("en autonomie")


def domain_of(competence: str) -> str:
    return competence.split(".", 1)[0]


def competences_by_domain(codes) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """[(domain code, domain label, [(competence code, label)…])…] for the given codes."""
    wanted = set(codes)
    grouped = []
    for domain, label in DOMAINS:
        items = [(c, str(lbl)) for c, lbl in COMPETENCES if domain_of(c) == domain and c in wanted]
        if items:
            grouped.append((domain, str(label), items))
    return grouped

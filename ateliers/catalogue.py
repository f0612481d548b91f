"""The standard workshop types of the scheme and the PIX competences each works on.

Migration ``0002_workshop_types`` seeded the same list (a migration keeps its own copy, so
it stays true to what it created; a test checks both agree). ``ensure_workshop_types``
recreates any that are missing, e.g. after a test flushed the database.
"""

WORKSHOP_TYPES = [
    {
        "code": "initiation",
        "name": "Initiation : prise en main",
        "kind": "training",
        "position": 1,
        "default_duration_minutes": 120,
        "description": (
            "Allumer et éteindre, clavier et souris, fichiers et dossiers, naviguer sur "
            "internet, créer et utiliser une adresse électronique, premiers réflexes de "
            "sécurité."
        ),
        "competences": ["1.1", "1.2", "2.1", "3.1", "4.1", "5.2"],
    },
    {
        "code": "linux",
        "name": "Passer à Linux",
        "kind": "training",
        "position": 2,
        "default_duration_minutes": 150,
        "description": (
            "Découvrir le système libre installé sur les appareils reconditionnés : bureau, "
            "logiciels, mises à jour, retrouver ses fichiers et ses habitudes."
        ),
        "competences": ["1.2", "3.1", "5.1", "5.2"],
    },
    {
        "code": "securite",
        "name": "Sécurité et cyber-hygiène",
        "kind": "training",
        "position": 3,
        "default_duration_minutes": 120,
        "description": (
            "Mots de passe, arnaques et hameçonnage, mises à jour, sauvegardes, protéger ses "
            "données personnelles et sa vie privée, bon usage des écrans."
        ),
        "competences": ["2.4", "4.1", "4.2", "4.3"],
    },
    {
        "code": "repair_cafe",
        "name": "Atelier de réparation (repair café)",
        "kind": "repair",
        "position": 4,
        "default_duration_minutes": 180,
        "description": (
            "Chacun apporte un objet en panne et le répare avec l'aide de bénévoles ; "
            "chaque objet est enregistré au format Open Repair Data Standard."
        ),
        "competences": ["5.1"],
    },
    {
        "code": "maintenance",
        "name": "Entretien des appareils prêtés",
        "kind": "repair",
        "position": 5,
        "default_duration_minutes": 120,
        "description": (
            "Les foyers emprunteurs apportent l'appareil prêté : nettoyage, mises à jour, "
            "petites réparations ; l'intervention rejoint l'historique de l'appareil."
        ),
        "competences": ["4.1", "5.1", "5.2"],
    },
]


def ensure_workshop_types() -> None:
    """Create the standard workshop types that are missing; leaves existing ones alone."""
    from .models import WorkshopType

    existing = set(WorkshopType.objects.values_list("code", flat=True))
    WorkshopType.objects.bulk_create(
        WorkshopType(**fields) for fields in WORKSHOP_TYPES if fields["code"] not in existing
    )

"""The columns of a donor's list: the fields a column can fill, their French and English
aliases, and the mapping of each column to a field (guessed, then checked)."""

import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import ImportJob


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    aliases: tuple[str, ...]


FIELDS = (
    FieldSpec(
        "serial",
        gettext_lazy("N° de série"),
        (
            "n° de série",
            "no de série",
            "n° série",
            "numéro de série",
            "num série",
            "num de série",
            "serial number",
            "serial",
            "serial no",
            "s/n",
            "sn",
            "n/s",
            "service tag",
            "numéro de série constructeur",
        ),
    ),
    FieldSpec(
        "brand",
        gettext_lazy("Marque"),
        ("marque", "fabricant", "constructeur", "manufacturer", "brand", "make", "vendor"),
    ),
    FieldSpec(
        "model",
        gettext_lazy("Modèle"),
        ("modèle", "model", "désignation", "référence", "product", "produit", "model name"),
    ),
    FieldSpec(
        "kind",
        gettext_lazy("Type d'appareil"),
        (
            "type",
            "catégorie",
            "category",
            "type d'appareil",
            "type de matériel",
            "type de materiel",
            "matériel",
            "device type",
            "kind",
            "famille",
            "nature",
        ),
    ),
    FieldSpec(
        "cpu",
        gettext_lazy("Processeur"),
        ("processeur", "cpu", "processor", "proc", "cpu model"),
    ),
    FieldSpec(
        "ram",
        gettext_lazy("Mémoire vive (Go)"),
        ("mémoire", "mémoire vive", "ram", "memory", "ram go", "ram gb", "mem"),
    ),
    FieldSpec(
        "storage",
        gettext_lazy("Disque / stockage"),
        (
            "disque",
            "disque dur",
            "disques",
            "stockage",
            "hdd",
            "ssd",
            "storage",
            "disk",
            "hard drive",
            "hard disk",
            "capacité disque",
            "capacité",
            "disk size",
        ),
    ),
    FieldSpec(
        "notes",
        gettext_lazy("Remarques"),
        (
            "remarques",
            "remarque",
            "commentaire",
            "commentaires",
            "notes",
            "observations",
            "comment",
        ),
    ),
)
FIELDS_BY_NAME = {f.name: f for f in FIELDS}
IGNORE = "ignore"
REQUIRED = ("serial",)


def normalise_header(text) -> str:
    """Lower case, no accents, no parentheses ("RAM (Go)"), no punctuation but "/"."""
    text = str(text or "").strip().lower()
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("°", "").replace("º", "")
    text = re.sub(r"\(.*?\)", " ", text)
    text = re.sub(r"[^a-z0-9/' ]+", " ", text)
    return " ".join(text.split())


ALIASES = {normalise_header(alias): f.name for f in FIELDS for alias in f.aliases}
ALIASES.update({normalise_header(str(f.label)): f.name for f in FIELDS})


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """{column index (str): field name}; the first column of a field wins."""
    mapping: dict[str, str] = {}
    taken = set()
    for index, header in enumerate(headers):
        name = ALIASES.get(normalise_header(header))
        if name and name not in taken:
            mapping[str(index)] = name
            taken.add(name)
    return mapping


def mapping_problems(job: ImportJob) -> list[str]:
    names = set(job.mapping.values())
    problems = []
    if "serial" not in names:
        problems.append(_("Aucune colonne n'est reconnue comme numéro de série."))
    if "kind" not in names and not job.default_kind:
        problems.append(
            _(
                "Aucune colonne n'indique le type d'appareil : choisissez-en une, ou le type "
                "de tous les appareils du fichier."
            )
        )
    return problems


def unmapped_columns(job: ImportJob) -> list[int]:
    return [
        index
        for index, header in enumerate(job.headers)
        if str(index) not in job.mapping and str(header or "").strip()
    ]

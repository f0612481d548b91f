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
        "os",
        gettext_lazy("Système d'exploitation"),
        (
            "système d'exploitation",
            "système d'exploitation - nom",
            "système",
            "os",
            "operating system",
            "operating system - name",
            "os name",
            "se",
        ),
    ),
    FieldSpec(
        "asset_tag",
        gettext_lazy("N° d'inventaire du donateur"),
        (
            "numéro d'inventaire",
            "n° d'inventaire",
            "n° inventaire",
            "num inventaire",
            "inventaire",
            "code inventaire",
            "étiquette",
            "n° immobilisation",
            "numéro d'immobilisation",
            "immobilisation",
            "asset tag",
            "asset number",
            "asset id",
            "inventory number",
        ),
    ),
    FieldSpec(
        "weight",
        gettext_lazy("Poids (kg)"),
        ("poids", "poids kg", "masse", "weight", "weight kg"),
    ),
    FieldSpec(
        "purchase_date",
        gettext_lazy("Date d'achat"),
        (
            "date d'achat",
            "date achat",
            "achat",
            "date d'acquisition",
            "acquisition",
            "date de livraison",
            "purchase date",
            "date of purchase",
            "acquired",
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
            "comments",
        ),
    ),
)
# Columns that go to the remarks too, each value prefixed by its column's title ("Statut :
# En stock"): what the donor says of the device that has no field of its own.
REMARK_COLUMNS = (
    "nom",
    "name",
    "hostname",
    "nom de l'ordinateur",
    "entité",
    "entity",
    "statut",
    "status",
    "état",
    "lieu",
    "site",
    "localisation",
    "location",
    "service",
)
# Columns recognised and left out: the error column of our own rejected-rows file, and the
# donor's staff (personal data that the pool has no use for).
IGNORED_COLUMNS = (
    "erreur",
    "erreurs",
    "ligne",
    "utilisateur",
    "usager",
    "responsable",
    "responsable technique",
    "technicien",
    "contact",
    "e-mail",
    "email",
    "courriel",
    "user",
    "assigned to",
)
FIELDS_BY_NAME = {f.name: f for f in FIELDS}
IGNORE = "ignore"
REQUIRED = ("serial",)
# Fields that several columns may fill (their values are joined).
MULTIPLE = frozenset({"notes"})


def normalise_header(text) -> str:
    """Lower case, no accents, no parentheses ("RAM (Go)"), no punctuation but "/"."""
    text = str(text or "").strip().lower().replace("\u2019", "'").replace("`", "'")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("°", "").replace("º", "")
    text = re.sub(r"\(.*?\)", " ", text)
    text = re.sub(r"[^a-z0-9/' ]+", " ", text)
    return " ".join(text.split())


ALIASES = {normalise_header(alias): f.name for f in FIELDS for alias in f.aliases}
ALIASES.update({normalise_header(str(f.label)): f.name for f in FIELDS})
# GLPI prefixes component columns with their family: "Composants - Processeur".
for _prefix in ("composants", "composant", "components"):
    for _alias, _name in list(ALIASES.items()):
        if _name in ("cpu", "ram", "storage"):
            ALIASES.setdefault(f"{_prefix} {_alias}", _name)
ALIASES.update({normalise_header(alias): "notes" for alias in REMARK_COLUMNS})
ALIASES.update({normalise_header(alias): IGNORE for alias in IGNORED_COLUMNS})
REMARKS_AS_SUCH = frozenset(normalise_header(alias) for alias in FIELDS[-1].aliases) | {
    normalise_header(str(FIELDS[-1].label))
}


def guess_mapping(headers: list[str], remembered: dict[str, str] | None = None) -> dict[str, str]:
    """{column index (str): field name or IGNORE}; what the donor's last file said first
    (``remembered``: {normalised header: field}), then the aliases; the first column of a
    field wins (but remarks, which take several)."""
    remembered = remembered or {}
    mapping: dict[str, str] = {}
    taken = set()
    for index, header in enumerate(headers):
        key = normalise_header(header)
        if not key:
            continue
        name = remembered.get(key) or ALIASES.get(key)
        if name and name not in FIELDS_BY_NAME and name != IGNORE:
            name = None
        if not name:
            continue
        if name in taken:
            continue
        mapping[str(index)] = name
        if name not in MULTIPLE and name != IGNORE:
            taken.add(name)
    return mapping


def header_score(cells: list[str], remembered: dict[str, str] | None = None) -> tuple[int, bool]:
    """How much a row looks like the titles of a donor's list: the number of fields its cells
    name (aliases, or the titles of the donor's last file), and whether one names the serial."""
    remembered = remembered or {}
    fields = {
        remembered.get(normalise_header(cell)) or ALIASES.get(normalise_header(cell))
        for cell in cells
        if cell
    }
    fields.discard(None)
    fields.discard(IGNORE)
    return len(fields), "serial" in fields


def guess_header(
    rows: list[tuple[int, list[str]]], remembered: dict[str, str] | None = None
) -> tuple[int, bool]:
    """(line of the header, sure?) among the first rows holding something: the row whose cells
    name the most fields (the serial among them, on a tie); titles, merged cells and notes (one
    cell filled) are skipped. Sure when it names at least two fields and no other row names
    as many."""
    scored = []
    for line, cells in rows:
        if sum(1 for cell in cells if cell) < 2:
            continue
        count, serial = header_score(cells, remembered)
        scored.append((count, serial, line))
    if not scored:
        return (rows[0][0] if rows else 1), False
    best = max(scored, key=lambda item: (item[0], item[1], -item[2]))
    if best[0] == 0:
        return scored[0][2], False
    rivals = [item for item in scored if item[:2] == best[:2] and item is not best]
    return best[2], best[0] >= 2 and not rivals


def remember_key(header: str) -> str:
    return normalise_header(header)


def mapping_to_remember(job: ImportJob) -> dict[str, str]:
    """{normalised header: field or IGNORE} of every titled column of the job."""
    return {
        normalise_header(header): job.mapping.get(str(index), IGNORE)
        for index, header in enumerate(job.headers)
        if normalise_header(header)
    }


def is_remark_as_such(header: str) -> bool:
    """A remarks column by name ("Commentaires"): its values go as written, without a prefix."""
    return normalise_header(header) in REMARKS_AS_SUCH


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
    """Titled columns that no alias, no remembered mapping and no user placed yet."""
    return [
        index
        for index, header in enumerate(job.headers)
        if str(index) not in job.mapping and str(header or "").strip()
    ]

"""Use cases of the acteurs app."""

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, InvalidInput, NotFound, NotPermitted

from . import signals
from .consent import CURRENT_CONSENT_VERSION
from .models import (
    HOUSEHOLD_CATEGORY_FIELDS,
    Commune,
    Departement,
    Epci,
    Household,
    Organisation,
    Role,
    SavedListFilters,
    to_name_key,
)
from .permissions import HOUSEHOLD_ROLES, has_role
from .personal_data import require_not_anonymised

TERRITORIES_DIR = Path(__file__).resolve().parent / "data" / "territoires"
BATCH_SIZE = 2000


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        yield from csv.DictReader(handle)


def _int_or_none(text: str) -> int | None:
    text = (text or "").strip()
    return int(text) if text else None


def _upsert(model, objects: Iterable, update_fields: list[str]) -> int:
    """Insert or update ``objects`` in batches; returns how many rows were sent."""
    pk_name = model._meta.pk.name
    sent = 0
    batch = []
    for obj in objects:
        batch.append(obj)
        if len(batch) >= BATCH_SIZE:
            sent += _flush(model, batch, pk_name, update_fields)
            batch = []
    if batch:
        sent += _flush(model, batch, pk_name, update_fields)
    return sent


def _flush(model, batch: list, pk_name: str, update_fields: list[str]) -> int:
    model.objects.bulk_create(
        batch, update_conflicts=True, unique_fields=[pk_name], update_fields=update_fields
    )
    return len(batch)


def normalize_departement_code(code: str) -> str:
    """``"1"`` → ``"01"``, ``"2a"`` → ``"2A"``; other codes are returned as typed."""
    code = code.strip().upper()
    return code.zfill(2) if code.isdigit() and len(code) == 1 else code


def territories_load(path: Path | str | None = None, departement: str | None = None) -> dict:
    """Load or refresh départements, EPCI and communes from Etalab CSV files.

    ``path`` is a folder holding ``departements.csv``, ``epci.csv`` and ``communes.csv``
    (see acteurs/data/territoires/README.md). Every département and EPCI is loaded; with
    ``departement``, only that département's communes. Running it again changes nothing but
    the names and figures that changed in the files.

    Returns counts: rows read per table (``departements``, ``epci``, ``communes``) and rows
    created (``*_created``).
    """
    folder = Path(path) if path else TERRITORIES_DIR
    only = normalize_departement_code(departement) if departement else None
    before = {
        "departements": Departement.objects.count(),
        "epci": Epci.objects.count(),
        "communes": Commune.objects.count(),
    }
    with transaction.atomic():
        departement_codes = {row["code"] for row in _rows(folder / "departements.csv")}
        if only and only not in departement_codes:
            raise ValueError(_("Département inconnu : %(code)s.") % {"code": only})
        counts = {
            "departements": _upsert(
                Departement,
                (
                    Departement(code=row["code"], name=row["nom"], region_code=row["region"])
                    for row in _rows(folder / "departements.csv")
                ),
                ["name", "region_code"],
            )
        }
        epci_sirens: set[str] = set()

        def epcis():
            for row in _rows(folder / "epci.csv"):
                epci_sirens.add(row["siren"])
                yield Epci(
                    siren=row["siren"],
                    name=row["nom"],
                    name_key=to_name_key(row["nom"]),
                    kind=row["type"],
                    population=_int_or_none(row["population"]),
                )

        counts["epci"] = _upsert(Epci, epcis(), ["name", "name_key", "kind", "population"])

        def communes():
            for row in _rows(folder / "communes.csv"):
                if only and row["departement"] != only:
                    continue
                siren = (row.get("epci") or "").strip()
                yield Commune(
                    insee_code=row["code_insee"],
                    name=row["nom"],
                    name_key=to_name_key(row["nom"]),
                    departement_id=row["departement"],
                    # An EPCI missing from epci.csv would break the foreign key: leave it empty.
                    epci_id=siren if siren in epci_sirens else None,
                    postcodes=row["codes_postaux"].strip(),
                    population=_int_or_none(row["population"]),
                )

        counts["communes"] = _upsert(
            Commune,
            communes(),
            ["name", "name_key", "departement", "epci", "postcodes", "population"],
        )
    counts["departements_created"] = Departement.objects.count() - before["departements"]
    counts["epci_created"] = Epci.objects.count() - before["epci"]
    counts["communes_created"] = Commune.objects.count() - before["communes"]
    return counts


# --- households -------------------------------------------------------------------------------


# The kernel's refusals (core.errors); the old name stays for the pages that catch it.
HouseholdError = ApplicationError


HOUSEHOLD_FIELDS = (
    "name",
    "phone",
    "email",
    "commune",
    "size",
    *HOUSEHOLD_CATEGORY_FIELDS,
)


def household_create(*, actor, organisation, informed: bool, **fields) -> Household:
    """Record a household, with the wording it was told and the moment it agreed.

    ``informed`` is the box the social worker ticks once the household has been told the
    current wording (acteurs.consent) and agreed; without it nothing is recorded.
    """
    if not has_role(actor, organisation.pk, HOUSEHOLD_ROLES):
        raise NotPermitted(_("Vous ne pouvez pas enregistrer de foyer pour cette organisation."))
    if not informed:
        raise InvalidInput(
            _("Le foyer doit avoir été informé et avoir donné son accord avant l'enregistrement."),
            code="consent_missing",
            field="informed",
        )
    unknown = set(fields) - set(HOUSEHOLD_FIELDS)
    if unknown:
        raise TypeError(f"Unknown household fields: {sorted(unknown)}")
    now = timezone.now()
    household = Household(
        organisation=organisation,
        consent_at=now,
        consent_version=CURRENT_CONSENT_VERSION,
        consent_recorded_by=actor,
        created_at=now,
        last_contact_at=now,
        **fields,
    )
    household.full_clean()
    household.save()
    return household


def household_update(household_id: int, *, actor, **fields) -> Household:
    """Correct a household's data; counts as a contact (the anonymisation clock restarts)."""
    unknown = set(fields) - set(HOUSEHOLD_FIELDS)
    if unknown:
        raise TypeError(f"Unknown household fields: {sorted(unknown)}")
    with transaction.atomic():
        try:
            household = Household.objects.select_for_update().get(pk=household_id)
        except Household.DoesNotExist:
            raise NotFound(_("Ce foyer n'existe pas.")) from None
        if not has_role(actor, household.organisation_id, HOUSEHOLD_ROLES):
            raise NotFound(_("Ce foyer n'existe pas."))
        # Anonymised is final: its name cannot be typed back (acteurs.personal_data).
        require_not_anonymised(household.pk)
        counted = ("commune_id", *HOUSEHOLD_CATEGORY_FIELDS)
        before = [getattr(household, name) for name in counted]
        for name, value in fields.items():
            setattr(household, name, value)
        household.last_contact_at = timezone.now()
        household.full_clean()
        household.save()
        if [getattr(household, name) for name in counted] != before:
            # What the reports count about the households equipped (rapports listens).
            signals.figures_changed(household.pk)
        return household


# --- filters remembered per list --------------------------------------------------------------

MAX_SAVED_QUERY = SavedListFilters._meta.get_field("query").max_length


def list_filters_remember(user, list_name: str, query: str, *, saved: str | None = None) -> None:
    """Keep ``query`` (a list's query string) as the user's filters of ``list_name``; an
    empty query forgets them. ``saved``: what the caller already read, to write only on a
    change. A query too long to keep is not kept (the list still shows it)."""
    if not user.is_authenticated or query == saved or len(query) > MAX_SAVED_QUERY:
        return
    if not query:
        list_filters_forget(user, list_name)
        return
    # One statement, committed on its own (bulk_create would wrap it in BEGIN … COMMIT): a
    # list view writes only this, and only when the filters change.
    table = SavedListFilters._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (user_id, list_name, query, updated_at) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (user_id, list_name) "
            "DO UPDATE SET query = excluded.query, updated_at = excluded.updated_at",
            [user.pk, list_name, query, connection.ops.adapt_datetimefield_value(timezone.now())],
        )


def list_filters_forget(user, list_name: str) -> None:
    SavedListFilters.objects.filter(user=user, list_name=list_name).delete()


# --- the organisation's data-protection contacts ------------------------------------------------

PRIVACY_CONTACT_FIELDS = ("street_address", "postcode", "privacy_email", "dpo_contact")


def organisation_privacy_contact_update(organisation_id: int, *, actor, **fields) -> Organisation:
    """The contacts printed on the organisation's information notice (its admins set them)."""
    unknown = set(fields) - set(PRIVACY_CONTACT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown contact fields: {sorted(unknown)}")
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().filter(pk=organisation_id).first()
        if organisation is None or not has_role(actor, organisation_id, {Role.ADMIN}):
            raise NotFound(_("Cette organisation n'existe pas."))
        for name, value in fields.items():
            setattr(organisation, name, (value or "").strip())
        others = [f.name for f in Organisation._meta.fields if f.name not in fields]
        organisation.full_clean(exclude=others, validate_unique=False, validate_constraints=False)
        organisation.save(update_fields=list(fields))
        return organisation

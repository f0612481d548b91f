"""Reads of the acteurs app, scoped to what the user may see."""

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from .models import Commune, Epci, Household, Organisation, SavedListFilters, to_name_key
from .permissions import HOUSEHOLD_ROLES, organisations_with_role


def household_organisation_ids(user) -> list[int]:
    """Organisations whose households the user sees: only their own, whatever their rank."""
    return organisations_with_role(user, HOUSEHOLD_ROLES)


def households_visible_to(user) -> QuerySet[Household]:
    return Household.objects.filter(organisation_id__in=household_organisation_ids(user))


# The sorts the household list offers (``?tri=``): {key: (label, columns)}. A household list
# is one organisation's (hundreds, a few thousand rows): pages by offset.
HOUSEHOLD_ORDERINGS = {
    "nom": (_("Nom (A → Z)"), ("name", "id")),
    "-nom": (_("Nom (Z → A)"), ("-name", "-id")),
    "-contact": (_("Dernier contact, le plus récent d'abord"), ("-last_contact_at", "-id")),
    "contact": (_("Dernier contact, le plus ancien d'abord"), ("last_contact_at", "id")),
    "commune": (_("Commune"), ("commune__name", "name", "id")),
}


def household_list(
    user, *, q: str = "", organisation_id: int | None = None, order: str = "nom"
) -> QuerySet[Household]:
    queryset = households_visible_to(user).select_related(
        "commune", "organisation", "anonymisation"
    )
    if q:
        queryset = queryset.filter(name__icontains=q.strip())
    if organisation_id:
        queryset = queryset.filter(organisation_id=organisation_id)
    _label, columns = HOUSEHOLD_ORDERINGS.get(order) or HOUSEHOLD_ORDERINGS["nom"]
    return queryset.order_by(*columns)


def household_for(user, pk: int) -> Household:
    """One household the user may see, or 404 (another organisation's is not disclosed)."""
    try:
        return (
            households_visible_to(user)
            .select_related("commune", "organisation", "consent_recorded_by", "anonymisation")
            .get(pk=pk)
        )
    except Household.DoesNotExist:
        raise Http404 from None


def household_organisations_for(user) -> QuerySet[Organisation]:
    return Organisation.objects.filter(pk__in=household_organisation_ids(user)).order_by("name")


def communes_for(user) -> QuerySet[Commune]:
    """Communes offered on household forms: those of the départements of the user's
    organisations (a whole-France list would be 35,000 options)."""
    org_ids = household_organisation_ids(user)
    departements = Organisation.objects.filter(pk__in=org_ids, commune__isnull=False).values(
        "commune__departement_id"
    )
    if not departements.exists():
        # Organisations without a commune on record: offer every loaded commune.
        return Commune.objects.order_by("name")
    return Commune.objects.filter(departement_id__in=departements).order_by("name")


# --- territories: found by name as people type it ---------------------------------------------

TERRITORY_MATCHES = 10


def communes_matching(text: str, *, departement: str = "", limit: int = TERRITORY_MATCHES):
    """Communes whose name starts with ``text`` (accents, capitals, dashes and apostrophes
    ignored), or whose INSEE code or a postcode starts with it when it is a number; the most
    populated first. One query on an index range, whatever the 35,000 communes."""
    key = to_name_key(text.strip())
    if not key:
        return []
    queryset = Commune.objects.select_related("departement")
    if departement:
        queryset = queryset.filter(departement_id=departement)
    if key.isdigit() or (key[:2] in ("2A", "2B") and key[2:].isdigit()):
        queryset = queryset.filter(Q(insee_code__startswith=key) | Q(postcodes__startswith=key))
    else:
        queryset = queryset.filter(name_key__startswith=key)
    return list(queryset.order_by(F("population").desc(nulls_last=True), "name")[:limit])


def epcis_matching(text: str, *, departement: str = "", limit: int = TERRITORY_MATCHES):
    """EPCI whose name holds ``text`` anywhere ("chartres" finds « Chartres Métropole », "perche"
    « Communauté de communes du Perche »), or whose SIREN starts with it; the most populated
    first. Within a département: the EPCI with at least one commune there."""
    key = to_name_key(text.strip())
    if not key:
        return []
    queryset = Epci.objects.all()
    if departement:
        queryset = queryset.filter(
            Exists(Commune.objects.filter(epci_id=OuterRef("pk"), departement_id=departement))
        )
    if key.isdigit():
        queryset = queryset.filter(siren__startswith=key)
    else:
        queryset = queryset.filter(name_key__contains=key)
    return list(queryset.order_by(F("population").desc(nulls_last=True), "name")[:limit])


def communes_named(text: str, *, departement: str = "") -> list[Commune]:
    """The communes whose whole name is ``text`` (several communes share a name)."""
    queryset = Commune.objects.filter(name_key=to_name_key(text.strip()))
    if departement:
        queryset = queryset.filter(departement_id=departement)
    return list(queryset.select_related("epci").order_by("departement_id")[:TERRITORY_MATCHES])


def epcis_named(text: str) -> list[Epci]:
    """The EPCI whose whole name is ``text``."""
    return list(Epci.objects.filter(name_key=to_name_key(text.strip()))[:TERRITORY_MATCHES])


def saved_list_filters(user, list_name: str) -> str:
    """The query string the user last filtered ``list_name`` with ("" if none). One query."""
    if not user.is_authenticated:
        return ""
    row = SavedListFilters.objects.filter(user=user, list_name=list_name).values("query").first()
    return row["query"] if row else ""

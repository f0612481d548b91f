"""Reads of the acteurs app, scoped to what the user may see."""

from django.db.models import QuerySet
from django.http import Http404

from .models import Commune, Household, Organisation
from .permissions import HOUSEHOLD_ROLES, organisations_with_role


def household_organisation_ids(user) -> list[int]:
    """Organisations whose households the user sees: only their own, whatever their rank."""
    return organisations_with_role(user, HOUSEHOLD_ROLES)


def households_visible_to(user) -> QuerySet[Household]:
    return Household.objects.filter(organisation_id__in=household_organisation_ids(user))


def household_list(user, *, q: str = "", organisation_id: int | None = None):
    queryset = households_visible_to(user).select_related(
        "commune", "organisation", "anonymisation"
    )
    if q:
        queryset = queryset.filter(name__icontains=q.strip())
    if organisation_id:
        queryset = queryset.filter(organisation_id=organisation_id)
    return queryset.order_by("name", "id")


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

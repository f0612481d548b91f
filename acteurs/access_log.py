"""The record of who read a household's personal data (``PersonalDataAccess``).

``record_personal_data_access`` is the one way to write it. Today it is called for every read
by an operator (a superuser) of a household page or of a household in the Django admin; the
organisation's admins see those records on their page "Accès aux données personnelles".
"""

from collections.abc import Iterable

from django.db.models import QuerySet

from .models import Household, PersonalDataAccess, Role
from .permissions import organisations_with_role

MAX_PAGE_LENGTH = PersonalDataAccess._meta.get_field("page").max_length


def record_personal_data_access(
    *,
    user,
    households: Iterable[Household],
    action: str,
    what: str,
    page: str,
) -> int:
    """One record per household read (a list page records each household it showed).

    ``page`` is the path the person was on. Returns how many records were written.
    """
    label = (user.get_full_name() or user.get_username()).strip()[:300]
    records = [
        PersonalDataAccess(
            user=user,
            user_label=label,
            by_operator=user.is_superuser,
            organisation_id=household.organisation_id,
            household_id=household.pk,
            action=action,
            what=what[:200],
            page=page[:MAX_PAGE_LENGTH],
        )
        for household in households
    ]
    PersonalDataAccess.objects.bulk_create(records)
    return len(records)


def should_record(user) -> bool:
    """Whose reads are recorded: operators (superusers), who see households without being
    members of their organisation."""
    return bool(user.is_authenticated and user.is_superuser)


def admin_organisation_ids(user) -> list[int]:
    """The organisations whose records the user reads: those where they are an admin."""
    return organisations_with_role(user, {Role.ADMIN})


def accesses_visible_to(user) -> QuerySet[PersonalDataAccess]:
    """The records of the organisations where the user is an admin, newest first."""
    return (
        PersonalDataAccess.objects.filter(organisation_id__in=admin_organisation_ids(user))
        .select_related("organisation", "household")
        .order_by("-accessed_at", "-id")
    )

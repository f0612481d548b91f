"""Who may do what, from a user's memberships. Results are cached on the user object so a
page asking many times costs one query."""

from collections.abc import Iterable

from .models import Membership, Organisation, Role

# Roles that work on the pool of an organisation.
POOL_ROLES = frozenset({Role.ADMIN, Role.STAFF, Role.TECHNICIAN})
# Roles that may run every device transition, not only the workshop ones.
POOL_MANAGER_ROLES = frozenset({Role.ADMIN, Role.STAFF})


def roles_by_organisation(user) -> dict[int, str]:
    """{organisation_id: role} for an authenticated user; empty for anyone else."""
    if user is None or not user.is_authenticated:
        return {}
    cached = getattr(user, "_filiere_roles", None)
    if cached is None:
        _load_memberships(user)
        cached = user._filiere_roles
    return cached


def _load_memberships(user) -> None:
    """One query answers both "which role where" and "is this user coordination", which
    the menu asks on every page."""
    rows = Membership.objects.filter(user=user).values_list(
        "organisation_id", "role", "organisation__is_coordinator"
    )
    roles, coordinating = {}, []
    for organisation_id, role, is_coordinating in rows:
        roles[organisation_id] = role
        if role == Role.ADMIN and is_coordinating:
            coordinating.append(organisation_id)
    user._filiere_roles = roles
    user._filiere_is_coordinator = bool(coordinating)
    user._filiere_coordinating = coordinating


def is_coordinator(user) -> bool:
    """Superusers and admins of a coordinating organisation see the whole département."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if getattr(user, "_filiere_is_coordinator", None) is None:
        _load_memberships(user)
    return user._filiere_is_coordinator


def coordinated_departements(user) -> frozenset[str] | None:
    """The départements (codes) a coordination member sees (issue 15): None for every one
    (a superuser, or a coordinating organisation with no territory chosen: national), an
    empty set for anyone who is not coordination. One query, cached for the request."""
    if not is_coordinator(user):
        return frozenset()
    if user.is_superuser:
        return None
    cached = getattr(user, "_filiere_departements", False)
    if cached is not False:
        return cached
    coordinating = set(user._filiere_coordinating)
    by_org: dict[int, set[str]] = {pk: set() for pk in coordinating}
    through = Organisation.territories.through
    for organisation_id, code in through.objects.filter(
        organisation_id__in=coordinating
    ).values_list("organisation_id", "departement_id"):
        by_org[organisation_id].add(code)
    found = (
        None if any(not codes for codes in by_org.values()) else frozenset().union(*by_org.values())
    )
    user._filiere_departements = found
    return found


def organisations_with_role(user, roles: Iterable[str]) -> list[int]:
    wanted = set(roles)
    return [org_id for org_id, role in roles_by_organisation(user).items() if role in wanted]


def has_role(user, organisation_id: int, roles: Iterable[str]) -> bool:
    return roles_by_organisation(user).get(organisation_id) in set(roles)


# Roles that see, create and enrol the beneficiary households of their own organisation.
# Households are never visible across organisations, not even to the coordination.
HOUSEHOLD_ROLES = frozenset({Role.ADMIN, Role.STAFF, Role.PRESCRIBER, Role.FACILITATOR})

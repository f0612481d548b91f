"""Who may do what, from a user's memberships. Results are cached on the user object so a
page asking many times costs one query."""

from collections.abc import Iterable

from .models import Membership, Role

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
        cached = dict(Membership.objects.filter(user=user).values_list("organisation_id", "role"))
        user._filiere_roles = cached
    return cached


def is_coordinator(user) -> bool:
    """Superusers and admins of a coordinating organisation see the whole département."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_filiere_is_coordinator", None)
    if cached is None:
        cached = Membership.objects.filter(
            user=user, role=Role.ADMIN, organisation__is_coordinator=True
        ).exists()
        user._filiere_is_coordinator = cached
    return cached


def organisations_with_role(user, roles: Iterable[str]) -> list[int]:
    wanted = set(roles)
    return [org_id for org_id, role in roles_by_organisation(user).items() if role in wanted]


def has_role(user, organisation_id: int, roles: Iterable[str]) -> bool:
    return roles_by_organisation(user).get(organisation_id) in set(roles)


# Roles that see, create and enrol the beneficiary households of their own organisation.
# Households are never visible across organisations, not even to the coordination.
HOUSEHOLD_ROLES = frozenset({Role.ADMIN, Role.STAFF, Role.PRESCRIBER, Role.FACILITATOR})

"""Who may read and manage gisements and donations."""

from acteurs.permissions import (
    POOL_MANAGER_ROLES,
    POOL_ROLES,
    has_role,
    is_coordinator,
    organisations_with_role,
)


def can_read(user) -> bool:
    """Members of a refurbishing organisation's pool (and the coordination) see gisements and
    donations; prescribers, facilitators and funders do not."""
    # The roles are cached per request; the coordinator check may cost a query: asked last.
    return bool(organisations_with_role(user, POOL_ROLES)) or is_coordinator(user)


def can_manage(user, refurbisher_id: int) -> bool:
    """Staff and admins of the refurbishing organisation (and superusers)."""
    return user.is_superuser or has_role(user, refurbisher_id, POOL_MANAGER_ROLES)

"""Who may do what in the workshops, from memberships (acteurs.permissions)."""

from acteurs.models import Role
from acteurs.permissions import has_role, organisations_with_role, roles_by_organisation

# Roles that run the workshops of their organisation: create sessions, take attendance,
# record repairs and assessments, see every enrolment of its sessions.
TEAM_ROLES = frozenset({Role.ADMIN, Role.STAFF, Role.FACILITATOR})


def team_organisation_ids(user) -> list[int]:
    return organisations_with_role(user, TEAM_ROLES)


def is_team(user, organisation_id: int) -> bool:
    return has_role(user, organisation_id, TEAM_ROLES)


def sees_sessions(user) -> bool:
    """The workshop offer is not personal data: any member of an organisation sees it."""
    return bool(user.is_authenticated and (user.is_superuser or roles_by_organisation(user)))

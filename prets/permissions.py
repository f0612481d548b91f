"""Who may do what in the loan scheme, from memberships (acteurs.permissions).

- The household's side: the prescribers (and the admins and staff) of the organisation the
  household belongs to write and follow its requests, record eligibility, export or erase
  its data.
- The association's side: the staff and admins of the refurbishing organisation a request is
  addressed to work the queue, allocate, hand over, follow loans and sell.
- Nobody else sees a household: not the technicians, not the funders, not the coordination.
"""

from acteurs.models import Role
from acteurs.permissions import POOL_MANAGER_ROLES, has_role, organisations_with_role

# Roles that write requests and record eligibility for the households of their organisation.
PRESCRIBING_ROLES = frozenset({Role.ADMIN, Role.STAFF, Role.PRESCRIBER})
# Roles that work the incoming queue of a refurbishing organisation.
DESK_ROLES = POOL_MANAGER_ROLES


def prescribing_organisation_ids(user) -> list[int]:
    return organisations_with_role(user, PRESCRIBING_ROLES)


def desk_organisation_ids(user) -> list[int]:
    return organisations_with_role(user, DESK_ROLES)


def is_prescriber_for(user, organisation_id: int) -> bool:
    return has_role(user, organisation_id, PRESCRIBING_ROLES)


def is_desk_for(user, organisation_id: int) -> bool:
    return has_role(user, organisation_id, DESK_ROLES)


def can_follow_request(user, request) -> bool:
    """The household's side of a request."""
    return is_prescriber_for(user, request.prescriber_org_id)


def can_work_request(user, request) -> bool:
    """The association's side of a request."""
    return is_desk_for(user, request.refurbisher_id)

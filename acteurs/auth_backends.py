"""Django permissions that follow from a Filière role, so nobody needs to be a superuser to do
their job in the admin.

- The coordination (admins of a coordinating organisation) manages the platform's settings:
  organisations, users and their roles, stock locations, eligibility criteria, handover
  policies, prices, workshop types and fundings; it reads the territories, and reads and
  exports the devices, gisements and donations (no change: those go through the pages).
- Every organisation's admins may open the admin's household list, which shows them their own
  organisation's households only (acteurs.admin.HouseholdAdmin).

The admin itself still needs ``is_staff`` (the account's "accès à l'administration").
"""

from django.contrib.auth.backends import BaseBackend

from .models import Role
from .permissions import is_coordinator, organisations_with_role


def _permissions(app_label: str, model: str, actions: str) -> set[str]:
    return {f"{app_label}.{action}_{model}" for action in actions.split()}


COORDINATION_PERMISSIONS = frozenset(
    set()
    | _permissions("acteurs", "organisation", "view add change")
    | _permissions("acteurs", "user", "view add change")
    | _permissions("acteurs", "membership", "view add change delete")
    | _permissions("acteurs", "commune", "view")
    | _permissions("acteurs", "epci", "view")
    | _permissions("acteurs", "departement", "view")
    | _permissions("parc", "stocklocation", "view add change")
    | _permissions("prets", "eligibilitycriterion", "view add change")
    | _permissions("prets", "handoverpolicy", "view add change")
    | _permissions("prets", "pricesuggestion", "view add change delete")
    | _permissions("ateliers", "workshoptype", "view add change")
    | _permissions("rapports", "funding", "view add change delete")
    # Read and export the pools, gisements and donations (documents.resources): no changes.
    | _permissions("parc", "device", "view export")
    | _permissions("dons", "gisement", "view export")
    | _permissions("dons", "donation", "view export")
)
ORGANISATION_ADMIN_PERMISSIONS = frozenset({"acteurs.view_household"})


class RolePermissionBackend(BaseBackend):
    """Grants no login: only the permissions above, computed once per request."""

    def get_all_permissions(self, user_obj, obj=None):
        if obj is not None or not user_obj.is_active or user_obj.is_anonymous:
            return set()
        cached = getattr(user_obj, "_filiere_role_permissions", None)
        if cached is None:
            cached = set()
            if is_coordinator(user_obj):
                cached |= COORDINATION_PERMISSIONS
            if organisations_with_role(user_obj, {Role.ADMIN}):
                cached |= ORGANISATION_ADMIN_PERMISSIONS
            user_obj._filiere_role_permissions = cached
        return cached

    def has_perm(self, user_obj, perm, obj=None):
        return perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj, app_label):
        prefix = f"{app_label}."
        return any(perm.startswith(prefix) for perm in self.get_all_permissions(user_obj))

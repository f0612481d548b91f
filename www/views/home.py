"""The home page: sends each user where their work is."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from acteurs.models import Role
from acteurs.permissions import (
    HOUSEHOLD_ROLES,
    POOL_ROLES,
    is_coordinator,
    organisations_with_role,
    roles_by_organisation,
)


@login_required
def home(request):
    """Send each user where their work is."""
    if is_coordinator(request.user) or organisations_with_role(request.user, POOL_ROLES):
        return redirect("parc:list")
    if organisations_with_role(request.user, {Role.FACILITATOR}):
        return redirect("ateliers:sessions")
    if organisations_with_role(request.user, HOUSEHOLD_ROLES):
        return redirect("households")
    return render(
        request,
        "www/home.html",
        {
            "memberships": request.user.memberships.select_related("organisation"),
            "has_roles": bool(roles_by_organisation(request.user)),
        },
    )

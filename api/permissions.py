"""What a token's scope lets through, before the services check the user's own rights.

A view declares ``write_scopes`` (the scopes that may use its POST/PUT/PATCH/DELETE) and
``agent_methods`` (what an agent token may call on it: registration, reports, erasures and
reading its own devices). Reads are open to every scope but ``agent``. The browser's session
is not narrowed: it does what the user does on the pages.
"""

from django.utils.translation import gettext as _
from rest_framework import permissions

from acteurs.permissions import POOL_ROLES, has_role

from .models import ApiToken, Scope


def token_of(request) -> ApiToken | None:
    return request.auth if isinstance(request.auth, ApiToken) else None


class TokenScope(permissions.BasePermission):
    message = _("La portée de ce jeton ne permet pas cette action.")
    code = "scope_insufficient"

    def has_permission(self, request, view):
        token = token_of(request)
        if token is None:
            return True
        if token.scope == Scope.AGENT:
            if request.method not in getattr(view, "agent_methods", ()):
                return False
            # The agent acts for its organisation while its creator is still a member there.
            return token.user.is_superuser or has_role(
                token.user, token.organisation_id, POOL_ROLES
            )
        if request.method in permissions.SAFE_METHODS:
            return True
        return token.scope in getattr(view, "write_scopes", ())

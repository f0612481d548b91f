"""How a request proves who it comes from.

- Programs send ``Authorization: Bearer fil_…`` (a token from the account page). The token
  authenticates its user: the API sees what that user sees on the pages, narrowed by the
  token's scope (``permissions.TokenScope``). No session, no CSRF, no second factor: the
  token replaces the login, and the login's protections (lockout, OTP) guard the account
  page where tokens are created.
- The browser (Swagger UI, a page's script) uses its session, with Django's CSRF check on
  writes.
"""

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication

from .tokens import TokenRefused, token_authenticate


class TokenAuthenticationFailed(exceptions.AuthenticationFailed):
    def __init__(self, message, code):
        super().__init__(message, code=code)
        self.filiere_code = code


class BearerTokenAuthentication(BaseAuthentication):
    keywords = ("bearer", "token")

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        parts = header.split()
        if parts[0].lower() not in self.keywords:
            return None
        if len(parts) != 2:
            raise TokenAuthenticationFailed(
                _("En-tête Authorization invalide : « Bearer <jeton> » attendu."),
                "token_malformed",
            )
        try:
            token = token_authenticate(parts[1])
        except TokenRefused as refusal:
            raise TokenAuthenticationFailed(refusal.message, refusal.code) from None
        return token.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class CsrfSessionAuthentication(SessionAuthentication):
    """The browser's session; writes need the CSRF token (DRF enforces it here)."""

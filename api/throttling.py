"""Throttling per token (each token its own budget), per session user, per address."""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from .permissions import token_of


class TokenRateThrottle(SimpleRateThrottle):
    def allow_request(self, request, view):
        token = token_of(request)
        if token is not None:
            self.scope, ident = "token", f"token-{token.pk}"
        elif request.user and request.user.is_authenticated:
            self.scope, ident = "session", f"user-{request.user.pk}"
        else:
            self.scope, ident = "anonymous", self.get_ident(request)
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self.key = self.cache_format % {"scope": self.scope, "ident": ident}
        return super().allow_request(request, view)

    def __init__(self):
        # The rate depends on the request (token, session or address): set in allow_request.
        pass

    def get_rate(self):
        # Read at each request (the class attribute is frozen at import): settings may change.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def get_cache_key(self, request, view):
        return self.key

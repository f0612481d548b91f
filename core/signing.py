"""Signed, expiring links for people without an account (a donor's page, a shared report).

One helper for every such link: a ``TimestampSigner`` with a salt per kind of link (a token
made for one cannot be replayed on another), a compact payload, a maximum age, and two
refusals with stable codes. What a token names is checked again when it is opened (the
donation's share key still current, the report's author still allowed).
"""

import datetime as dt
from dataclasses import dataclass

from django.core import signing
from django.utils.translation import gettext_lazy as _

from .errors import ApplicationError


class LinkInvalid(ApplicationError):
    """Tampered, truncated, revoked, or its author may no longer share it."""

    code = "link_invalid"
    status = 404

    def __init__(self, message=None, **kwargs):
        super().__init__(message or _("Ce lien n'est pas valide ou a été révoqué."), **kwargs)


class LinkExpired(ApplicationError):
    """Well signed, but older than its lifetime."""

    code = "link_expired"
    status = 410

    def __init__(self, message=None, **kwargs):
        super().__init__(message or _("Ce lien a expiré : demandez-en un nouveau."), **kwargs)


@dataclass(frozen=True)
class SignedLink:
    salt: str

    def _signer(self) -> signing.TimestampSigner:
        return signing.TimestampSigner(salt=self.salt)

    def make(self, payload) -> str:
        """A token for a JSON-serialisable payload (a string stays a plain signed string)."""
        if isinstance(payload, str):
            return self._signer().sign(payload)
        return self._signer().sign_object(payload, compress=True)

    def read(self, token: str, *, max_age: dt.timedelta, as_object: bool = True):
        """The payload of a valid token; LinkExpired or LinkInvalid otherwise."""
        signer = self._signer()
        try:
            if as_object:
                return signer.unsign_object(token, max_age=max_age)
            return signer.unsign(token, max_age=max_age)
        except signing.SignatureExpired:
            raise LinkExpired from None
        except (signing.BadSignature, ValueError, TypeError):
            raise LinkInvalid from None

    def peek(self, token: str):
        """The payload of a well-signed token whatever its age (to read its own lifetime)."""
        try:
            return self._signer().unsign_object(token)
        except (signing.BadSignature, ValueError, TypeError):
            raise LinkInvalid from None

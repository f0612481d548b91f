"""The donor's link: a signed, expiring token naming a donation's ``share_key``.

``TimestampSigner`` with its own salt, so a token signed elsewhere in the project cannot be
replayed here. The token carries the donation's random ``share_key`` (not its id); staff
revoke every link already sent by changing the key (dons.services.donation_share_link_revoke).
"""

import datetime as dt
import uuid

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "filiere.dons.donor-page"
DEFAULT_MAX_AGE_DAYS = 90


class LinkInvalid(Exception):
    """Tampered, truncated or revoked."""


class LinkExpired(Exception):
    """Well signed, but older than the allowed age."""


def max_age() -> dt.timedelta:
    return dt.timedelta(
        days=getattr(settings, "DONS_DONOR_LINK_MAX_AGE_DAYS", DEFAULT_MAX_AGE_DAYS)
    )


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def make_token(donation) -> str:
    return _signer().sign(donation.share_key.hex)


def donor_url(donation) -> str:
    return settings.SITE_BASE_URL + reverse("dons:donor_page", args=[make_token(donation)])


def read_token(token: str) -> uuid.UUID:
    """The share key a token names; LinkExpired or LinkInvalid otherwise."""
    try:
        value = _signer().unsign(token, max_age=max_age())
    except signing.SignatureExpired:
        raise LinkExpired from None
    except signing.BadSignature:
        raise LinkInvalid from None
    try:
        return uuid.UUID(hex=value)
    except ValueError:
        raise LinkInvalid from None

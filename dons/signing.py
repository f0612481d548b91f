"""The donor's link: a signed, expiring token naming a donation's ``share_key``.

The kernel's ``SignedLink`` with its own salt, so a token signed elsewhere in the project
cannot be replayed here. The token carries the donation's random ``share_key`` (not its id);
staff revoke every link already sent by changing the key
(dons.services.donation_share_link_revoke). The page the token opens is composed above
(``www``: the donation's progress is its devices'), which also builds the link's address.
"""

import datetime as dt
import uuid

from django.conf import settings

from core.signing import LinkExpired, LinkInvalid, SignedLink

__all__ = ["LinkExpired", "LinkInvalid", "make_token", "max_age", "read_token"]

DONOR_LINK = SignedLink(salt="filiere.dons.donor-page")
DEFAULT_MAX_AGE_DAYS = 90


def max_age() -> dt.timedelta:
    return dt.timedelta(
        days=getattr(settings, "DONS_DONOR_LINK_MAX_AGE_DAYS", DEFAULT_MAX_AGE_DAYS)
    )


def make_token(donation) -> str:
    return DONOR_LINK.make(donation.share_key.hex)


def read_token(token: str) -> uuid.UUID:
    """The share key a token names; LinkExpired or LinkInvalid otherwise."""
    value = DONOR_LINK.read(token, max_age=max_age(), as_object=False)
    try:
        return uuid.UUID(hex=value)
    except ValueError:
        raise LinkInvalid from None

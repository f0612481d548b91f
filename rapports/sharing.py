"""Signed links to a report's read-only page, for a donor or a funder who has no account.

The token carries the subject, the period, the lifetime chosen and the user who made the link
(``TimestampSigner``, a salt of its own: a token signed elsewhere in the project cannot be
replayed here). Opening the link checks the signature, the age, and that the person who made
it still may read that report: removing them from their organisation revokes their links.
"""

import datetime as dt

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .selectors import Period

SALT = "filiere.rapports.shared-report"
MAX_DAYS = 90


class LinkInvalid(Exception):
    """Tampered, truncated, or its author may no longer read the report."""


class LinkExpired(Exception):
    """Well signed, but older than the lifetime chosen when it was made."""


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def make_token(*, kind: str, pk: int, period: Period, days: int, user_id: int) -> str:
    payload = {
        "k": kind,
        "p": pk,
        "d": min(int(days), MAX_DAYS),
        "u": user_id,
        "s": period.start.isoformat() if period.start else "",
        "e": period.end.isoformat() if period.end else "",
    }
    return _signer().sign_object(payload, compress=True)


def share_url(token: str) -> str:
    return settings.SITE_BASE_URL + reverse("rapports:shared", args=[token])


def read_token(token: str) -> dict:
    """The payload of a valid link: kind, pk, period, user_id. LinkInvalid/LinkExpired else."""
    signer = _signer()
    try:
        payload = signer.unsign_object(token)
        days = min(int(payload["d"]), MAX_DAYS)
        signer.unsign_object(token, max_age=dt.timedelta(days=days))
    except signing.SignatureExpired:
        raise LinkExpired from None
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise LinkInvalid from None
    try:
        period = Period(
            dt.date.fromisoformat(payload["s"]) if payload["s"] else None,
            dt.date.fromisoformat(payload["e"]) if payload["e"] else None,
        )
        return {
            "kind": str(payload["k"]),
            "pk": int(payload["p"]),
            "period": period,
            "user_id": int(payload["u"]),
            "days": days,
        }
    except (KeyError, TypeError, ValueError):
        raise LinkInvalid from None

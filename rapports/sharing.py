"""Signed links to a report's read-only page, for a donor or a funder who has no account.

The token carries the subject, the period, the lifetime chosen and the user who made the link
(``TimestampSigner``, a salt of its own: a token signed elsewhere in the project cannot be
replayed here). Opening the link checks the signature, the age, and that the person who made
it still may read that report: removing them from their organisation revokes their links.
"""

import datetime as dt

from django.conf import settings
from django.urls import reverse

from core.signing import LinkExpired, LinkInvalid, SignedLink

from .selectors import Period

__all__ = ["LinkExpired", "LinkInvalid", "make_token", "read_token", "share_url"]

SHARED_REPORT = SignedLink(salt="filiere.rapports.shared-report")
MAX_DAYS = 90


def make_token(*, kind: str, pk: int, period: Period, days: int, user_id: int) -> str:
    payload = {
        "k": kind,
        "p": pk,
        "d": min(int(days), MAX_DAYS),
        "u": user_id,
        "s": period.start.isoformat() if period.start else "",
        "e": period.end.isoformat() if period.end else "",
    }
    return SHARED_REPORT.make(payload)


def share_url(token: str) -> str:
    return settings.SITE_BASE_URL + reverse("rapports:shared", args=[token])


def read_token(token: str) -> dict:
    """The payload of a valid link: kind, pk, period, user_id. LinkInvalid/LinkExpired else."""
    try:
        # The lifetime chosen when the link was made is in the link itself.
        days = min(int(SHARED_REPORT.peek(token)["d"]), MAX_DAYS)
    except (KeyError, TypeError, ValueError):
        raise LinkInvalid from None
    payload = SHARED_REPORT.read(token, max_age=dt.timedelta(days=days))
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

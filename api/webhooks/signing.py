"""The signature of a webhook delivery: HMAC-SHA256, with the webhook's secret, over the
timestamp, a dot and the body, sent as ``X-Filiere-Signature: t=<timestamp>,v1=<hex>``.

A receiver recomputes it over the raw body it received, compares in constant time, and
refuses a timestamp more than five minutes away from its clock (a replayed delivery).
``verify`` does that and is what docs/api.md shows.
"""

import hashlib
import hmac
import time

HEADER = "X-Filiere-Signature"
TOLERANCE_S = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def header_value(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, *, now: float | None = None) -> bool:
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > TOLERANCE_S:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), given)

"""Login lockout (django-axes): per account, and per client address with a higher limit.

axes knows one limit for all its lockout parameters; a CCAS desk or a France services office is
many people behind one address, where five mistakes between them must not lock everybody out.
``LoginLockoutHandler`` counts the two separately and scales the address's count onto the
account's limit, so axes' single comparison applies both limits.
"""

import ipaddress

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


def client_address(request) -> str | None:
    """The client's address: REMOTE_ADDR, or behind ``TRUSTED_PROXY_COUNT`` reverse proxies,
    the address the nearest proxy appended to X-Forwarded-For (each proxy appends the address
    it received the request from; whatever stands further left was written by the client)."""
    remote = request.META.get("REMOTE_ADDR")
    hops = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if hops <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < hops:
        return remote
    candidate = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def failure_limit(request=None, credentials=None) -> int:
    """AXES_FAILURE_LIMIT: the account's limit (the address's is scaled onto it below)."""
    return settings.LOGIN_FAILURES_PER_ACCOUNT


def _failures(attempts) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class LoginLockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        recent = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))
        username = get_client_username(request, credentials)
        by_account = _failures(recent.filter(username=username)) if username else 0
        by_address = _failures(recent.filter(ip_address=request.axes_ip_address))
        account_limit = failure_limit()
        address_limit = max(settings.LOGIN_FAILURES_PER_ADDRESS, 1)
        # by_address reaches account_limit exactly when it reaches address_limit.
        return max(by_account, by_address * account_limit // address_limit)

    def user_logged_in(self, sender, request, user, **kwargs):
        super().user_logged_in(sender, request, user, **kwargs)
        # The person's own typos, from this address, are forgiven; not other addresses'
        # attempts on the account, nor other accounts' attempts from this address.
        AccessAttempt.objects.filter(
            username=user.get_username(), ip_address=request.axes_ip_address
        ).delete()

"""Session rules applied to every request: timeouts, the second-factor gate, and no caching of
pages that show people's data.

- ``SessionTimeoutMiddleware``: an idle timeout (``SESSION_IDLE_MINUTES_HOUSEHOLD_ROLES``,
  30 minutes by default, for the roles that see households and for operators;
  ``SESSION_IDLE_MINUTES_OTHER_ROLES``, 2 hours, for technicians and funders) and an
  absolute one (``SESSION_MAX_HOURS``, 12 hours) from the login. The clock is the server's
  (``time.time``), kept in the session.
- ``SecondFactorMiddleware``: until the code is typed (or the authenticator set up, when it is
  required), every page leads to that step.
- ``PrivatePagesMiddleware``: ``Cache-Control: private, no-store`` on every response to a
  logged-in person (see docs/ARCHITECTURE.md, "Security").
"""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from . import second_factor
from .models import Role
from .permissions import HOUSEHOLD_ROLES, roles_by_organisation

STARTED_AT = "filiere_started_at"
SEEN_AT = "filiere_seen_at"
# The last-seen time is written at most this often (seconds): a page is not a session write.
SEEN_RESOLUTION = 60


def start_session_clock(session) -> None:
    now = time.time()
    session[STARTED_AT] = now
    session[SEEN_AT] = now


def idle_limit_seconds(user) -> int:
    sees_households = user.is_superuser or bool(
        set(roles_by_organisation(user).values()) & (HOUSEHOLD_ROLES | {Role.ADMIN})
    )
    minutes = (
        settings.SESSION_IDLE_MINUTES_HOUSEHOLD_ROLES
        if sees_households
        else settings.SESSION_IDLE_MINUTES_OTHER_ROLES
    )
    return minutes * 60


def _is_htmx(request) -> bool:
    # These run before django-htmx's middleware: read the header itself.
    return request.headers.get("HX-Request") == "true"


def _to_login(request, message: str):
    logout(request)
    messages.info(request, message)
    url = reverse(settings.LOGIN_URL)
    if request.method == "GET" and not _is_htmx(request):
        url += "?" + urlencode({"next": request.get_full_path()})
    if _is_htmx(request):
        return HttpResponseClientRedirect(url)
    return redirect(url)


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            expired = self._check(request, user)
            if expired is not None:
                return expired
        return self.get_response(request)

    def _check(self, request, user):
        session = request.session
        now = time.time()
        started, seen = session.get(STARTED_AT), session.get(SEEN_AT)
        if started is None or seen is None:
            start_session_clock(session)  # a session from before these rules
            return None
        if now - started > settings.SESSION_MAX_HOURS * 3600:
            return _to_login(
                request,
                _("Votre session a duré %(hours)s heures : reconnectez-vous.")
                % {"hours": settings.SESSION_MAX_HOURS},
            )
        limit = idle_limit_seconds(user)
        if now - seen > limit:
            return _to_login(
                request,
                _(
                    "Votre session s'est fermée après %(minutes)s minutes sans activité, pour "
                    "protéger les données affichées : reconnectez-vous."
                )
                % {"minutes": limit // 60},
            )
        if now - seen >= SEEN_RESOLUTION:
            session[SEEN_AT] = now
        return None


# Paths a person who still owes the second factor may open (besides the step itself).
def _second_factor_exempt_paths() -> tuple[str, ...]:
    return (
        reverse("logout"),
        reverse("second_factor_verify"),
        reverse("second_factor_enrol"),
        settings.STATIC_URL,
    )


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            step = request.session.get(second_factor.SESSION_KEY)
            if step in (second_factor.VERIFY, second_factor.ENROL) and not request.path.startswith(
                _second_factor_exempt_paths()
            ):
                name = (
                    "second_factor_verify"
                    if step == second_factor.VERIFY
                    else "second_factor_enrol"
                )
                url = reverse(name)
                if request.method == "GET" and not _is_htmx(request):
                    url += "?" + urlencode({"next": request.get_full_path()})
                if _is_htmx(request):
                    return HttpResponseClientRedirect(url)
                return redirect(url)
        return self.get_response(request)


class PrivatePagesMiddleware:
    """Every page and file served to a logged-in person may show someone's personal data
    (a household, a colleague's name), and CCAS desks share computers: nothing is kept in the
    browser's cache (``no-store``, so the Back button after logging out shows nothing) nor in a
    shared proxy (``private``). Pages served without login set their own headers (shared
    links: the same; static files: cached by WhiteNoise, which answers before this runs)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        was_authenticated = bool(user is not None and user.is_authenticated)
        response = self.get_response(request)
        if was_authenticated or (user is not None and user.is_authenticated):
            # Replaces whatever the view said: nothing may allow storing these responses.
            response.headers["Cache-Control"] = "private, no-store"
        return response

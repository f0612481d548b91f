"""The error pages in the site's layout, in French, with a way back (config/urls.py's
handler400/403/404/500 and CSRF_FAILURE_VIEW in the settings).

Each page says what happened in plain words, links to the home page and, when the person
came from a page of this site, back to it. The server-error page must not fail in turn: if
the layout cannot be rendered (its menu reads the database), a bare French page is sent.
"""

import logging
from urllib.parse import urlsplit

from django.http import HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

PAGES = {
    400: (
        "Demande incomprise",
        "La demande envoyée n'a pas pu être lue. Revenez à la page précédente et réessayez.",
    ),
    403: (
        "Accès refusé",
        "Votre compte ne donne pas accès à cette page. Si vous pensez que c'est une erreur, "
        "demandez à l'administrateur de votre structure.",
    ),
    404: (
        "Page introuvable",
        "Cette page n'existe pas, ou plus, ou elle appartient à une autre structure que la "
        "vôtre (par exemple l'étiquette d'un appareil d'une autre association).",
    ),
    500: (
        "Erreur du serveur",
        "Une erreur est survenue de notre côté et l'équipe technique en est informée. "
        "Ce que vous faisiez n'a peut-être pas été enregistré : vérifiez, puis réessayez.",
    ),
}

PLAIN_500 = (
    '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>Erreur du serveur – Filière</title></head><body><main>"
    "<h1>Erreur du serveur</h1><p>Une erreur est survenue de notre côté. Réessayez dans "
    'un instant.</p><p><a href="/">Revenir à l\'accueil</a></p></main></body></html>'
)


def _back_url(request) -> str:
    """The page the person came from, if it is one of this site's (never another site's)."""
    referer = request.META.get("HTTP_REFERER", "")
    if not referer:
        return ""
    parts = urlsplit(referer)
    if parts.netloc and parts.netloc != request.get_host():
        return ""
    if parts.path == request.path:
        return ""
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _page(request, status: int, *, title: str = "", message: str = "", extra: str = ""):
    default_title, default_message = PAGES[status]
    return render(
        request,
        "errors/error.html",
        {
            "status": status,
            "title": title or _(default_title),
            "message": message or _(default_message),
            "extra": extra,
            "back_url": _back_url(request),
        },
        status=status,
    )


def bad_request(request, exception=None):
    return _page(request, 400)


def permission_denied(request, exception=None):
    return _page(request, 403)


def page_not_found(request, exception=None):
    return _page(request, 404)


def server_error(request):
    # A service that went away (the database restarting, Redis down) before the view ran —
    # in a middleware — reaches here rather than the service-failure middleware: same page.
    import sys

    from exploitation.middleware import ServiceFailureMiddleware

    failed = sys.exc_info()[1]
    if failed is not None:
        response = ServiceFailureMiddleware(None).process_exception(request, failed)
        if response is not None:
            return response
    try:
        return _page(request, 500)
    except Exception:  # the layout itself failed: say it plainly anyway
        logger.exception("the server-error page could not be rendered")
        return HttpResponseServerError(PLAIN_500)


def csrf_failure(request, reason="") -> HttpResponse:
    """A form refused by the CSRF check: most often a page left open too long, or cookies
    refused. Django's reason is logged by its middleware, not shown."""
    return _page(
        request,
        403,
        title=_("Formulaire expiré"),
        message=_(
            "Le formulaire n'a pas pu être accepté : la page était peut-être ouverte depuis "
            "trop longtemps, ou votre navigateur refuse les cookies de ce site."
        ),
        extra=_(
            "Revenez à la page précédente, rechargez-la, puis envoyez à nouveau le formulaire."
        ),
    )

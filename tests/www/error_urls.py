"""The project's URLs plus four views that fail on purpose (tests/www/test_error_pages.py)."""

from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404
from django.urls import path

from config.urls import handler400, handler403, handler404, handler500, urlpatterns


def _raise(exception):
    def view(request):
        raise exception

    return view


urlpatterns = [
    path("essai/400/", _raise(BadRequest("bad"))),
    path("essai/403/", _raise(PermissionDenied("no"))),
    path("essai/404/", _raise(Http404("none"))),
    path("essai/500/", _raise(RuntimeError("boom"))),
    *urlpatterns,
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]

"""The schema's readers, Swagger UI and ReDoc, from our own static files (drf-spectacular-
sidecar) and without inline code: the site's Content-Security-Policy allows only this origin.
Swagger UI's start-up script is a separate response (``SpectacularSwaggerSplitView``)."""

from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView


class SwaggerView(SpectacularSwaggerSplitView):
    template_name = "api/swagger_ui.html"
    url_self = None


class RedocView(SpectacularRedocView):
    template_name = "api/redoc.html"

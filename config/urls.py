from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    # One login for everything: the site's (lockout, « poste partagé », second factor).
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="login", query_string=True, permanent=False),
    ),
    path("admin/", admin.site.urls),
    # The top floor: pages that compose several apps (home, household, donation, navigation).
    path("", include("www.urls")),
    path("", include("acteurs.urls")),
    path("", include("parc.urls")),
    path("", include("intake.urls")),
    path("dons/", include("dons.urls")),
    path("", include("ateliers.urls")),
    path("", include("prets.urls")),
    path("rapports/", include("rapports.urls")),
    path("", include("exploitation.urls")),
    path("api/v1/", include("api.urls")),
    path("", include("api.pages_urls")),
]

# The error pages in the site's layout, in French, with a way back (www/views/errors.py);
# CSRF_FAILURE_VIEW in config/settings/base.py.
handler400 = "www.views.errors.bad_request"
handler403 = "www.views.errors.permission_denied"
handler404 = "www.views.errors.page_not_found"
handler500 = "www.views.errors.server_error"

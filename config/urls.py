from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("acteurs.urls")),
    path("", include("parc.urls")),
    path("", include("intake.urls")),
    path("dons/", include("dons.urls")),
    path("", include("ateliers.urls")),
    path("", include("prets.urls")),
    path("rapports/", include("rapports.urls")),
    path("api/v1/", include("api.urls")),
    path("", include("api.pages_urls")),
]

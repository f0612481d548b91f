"""Routes of the dashboards and the roadmap indicators."""

from django.urls import path

from . import dashboard_views

urlpatterns = [
    path("tableaux-de-bord/", dashboard_views.index, name="dashboards"),
    path("tableaux-de-bord/parc/", dashboard_views.pool, name="pool_dashboard"),
    path("tableaux-de-bord/prets/", dashboard_views.loans, name="loan_report"),
    path("tableaux-de-bord/feuille-de-route/", dashboard_views.roadmap, name="roadmap"),
    path(
        "tableaux-de-bord/modele-economique/",
        dashboard_views.economics_dashboard,
        name="economics",
    ),
    path(
        "tableaux-de-bord/territoires/<str:level>/",
        dashboard_views.territory_search,
        name="territory_search",
    ),
]

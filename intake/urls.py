"""Pages of the inventory-list import, under the pool's addresses (/appareils/import/…)."""

from django.urls import path

from . import views

app_name = "intake"

urlpatterns = [
    path("appareils/import/", views.intake_start, name="start"),
    path("appareils/import/<int:pk>/", views.intake_job, name="job"),
    path("appareils/import/<int:pk>/colonnes/", views.intake_mapping, name="mapping"),
    path("appareils/import/<int:pk>/analyser/", views.intake_reanalyse, name="reanalyse"),
    path("appareils/import/<int:pk>/importer/", views.intake_import, name="import"),
    path("appareils/import/<int:pk>/relancer/", views.intake_restart, name="restart"),
    path("appareils/import/<int:pk>/lignes-rejetees/", views.intake_rejected, name="rejected"),
    path("appareils/import/<int:pk>/etiquettes/", views.intake_labels, name="labels"),
]

from django.urls import path

from . import views

app_name = "ateliers"

urlpatterns = [
    path("ateliers/", views.session_list, name="sessions"),
    path("ateliers/semaine/", views.session_week, name="week"),
    path("ateliers/types/", views.workshop_types, name="types"),
    path("ateliers/seances/nouvelle/", views.session_create, name="session_create"),
    path("ateliers/seances/<int:pk>/", views.session_detail, name="session"),
    path("ateliers/seances/<int:pk>/modifier/", views.session_edit, name="session_edit"),
    path("ateliers/seances/<int:pk>/inscrire/", views.enrol, name="enrol"),
    path("ateliers/seances/<int:pk>/presences/", views.attendance, name="attendance"),
    path("ateliers/seances/<int:pk>/emargement.pdf", views.attendance_sheet, name="sheet"),
    path(
        "ateliers/seances/<int:pk>/evaluation/<int:household_pk>/",
        views.assessment_create,
        name="assessment_create",
    ),
    path("ateliers/seances/<int:pk>/reparation/", views.repair_create, name="repair_create"),
    path("ateliers/inscriptions/<int:pk>/annuler/", views.enrolment_cancel, name="cancel"),
    path("ateliers/foyers/<int:pk>/", views.household_workshops, name="household"),
    path(
        "ateliers/foyers/<int:pk>/partage-autonomie/",
        views.autonomy_sharing_add,
        name="sharing_add",
    ),
    path(
        "ateliers/partages/<int:pk>/retirer/",
        views.autonomy_sharing_withdraw,
        name="sharing_withdraw",
    ),
    path("ateliers/progression/", views.group_progress, name="progress"),
    path("ateliers/reparations/", views.repairs, name="repairs"),
    path("ateliers/reparations/imports/<int:pk>/", views.repair_import, name="repair_import"),
    path(
        "ateliers/reparations/imports/<int:pk>/lignes-rejetees.csv",
        views.repair_import_rejected,
        name="repair_import_rejected",
    ),
    path(
        "ateliers/reparations/ords-<int:organisation_pk>.csv",
        views.repairs_export,
        name="repairs_export",
    ),
]

from django.urls import path

from . import views

app_name = "dons"

urlpatterns = [
    path("", views.gisement_list, name="gisements"),
    path("gisements/nouveau/", views.gisement_create, name="gisement_create"),
    path("gisements/<int:pk>/", views.gisement_detail, name="gisement"),
    path("gisements/<int:pk>/modifier/", views.gisement_edit, name="gisement_edit"),
    path(
        "gisements/<int:gisement_pk>/conventions/nouvelle/",
        views.convention_create,
        name="convention_create",
    ),
    path("conventions/<int:pk>/modifier/", views.convention_edit, name="convention_edit"),
    path("conventions/<int:pk>/document/", views.convention_document, name="convention_document"),
    path(
        "gisements/<int:gisement_pk>/dons/nouveau/", views.donation_create, name="donation_create"
    ),
    path("don/<int:pk>/", views.donation_detail, name="donation"),
    path("don/<int:pk>/modifier/", views.donation_edit, name="donation_edit"),
    path("don/<int:pk>/action/<str:name>/", views.donation_transition, name="transition"),
    path("don/<int:pk>/documents/", views.document_add, name="document_add"),
    path(
        "don/<int:pk>/documents/<int:document_pk>/",
        views.document_download,
        name="document",
    ),
    path("don/<int:pk>/attestation.pdf", views.donation_receipt, name="receipt"),
    path("don/<int:pk>/lien-donateur/", views.donor_link, name="donor_link"),
    path("don/<int:pk>/lien-donateur/revoquer/", views.donor_link_revoke, name="donor_link_revoke"),
    # The donor's page: no login, a signed expiring token.
    path("suivi/<str:token>/", views.donor_page, name="donor_page"),
]

from django.urls import path

from . import views

app_name = "dons"

# The gisement's page, the donation's page with its actions, the receipt and the donor's link
# and page show devices: they are www's (same addresses, under /dons/, names "www:…").
urlpatterns = [
    path("", views.gisement_list, name="gisements"),
    path("gisements/nouveau/", views.gisement_create, name="gisement_create"),
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
    path("don/<int:pk>/modifier/", views.donation_edit, name="donation_edit"),
    path(
        "don/<int:pk>/documents/<int:document_pk>/",
        views.document_download,
        name="document",
    ),
    path("don/<int:pk>/lien-donateur/revoquer/", views.donor_link_revoke, name="donor_link_revoke"),
]

"""The top floor's pages. Their addresses are those the pages had in their apps (the
donation pages under /dons/, the household's under /foyers/); their names are "www:…"."""

from django.urls import path

from .views import donations, home, households

app_name = "www"

urlpatterns = [
    path("", home.home, name="home"),
    path("foyers/<int:pk>/", households.household, name="household"),
    path("dons/gisements/<int:pk>/", donations.gisement, name="gisement"),
    path("dons/don/<int:pk>/", donations.donation, name="donation"),
    path(
        "dons/don/<int:pk>/action/<str:name>/",
        donations.donation_transition,
        name="donation_transition",
    ),
    path(
        "dons/don/<int:pk>/documents/",
        donations.donation_document_add,
        name="donation_document_add",
    ),
    path("dons/don/<int:pk>/attestation.pdf", donations.donation_receipt, name="donation_receipt"),
    path("dons/don/<int:pk>/lien-donateur/", donations.donor_link, name="donor_link"),
    # The donor's page: no login, a signed expiring token.
    path("dons/suivi/<str:token>/", donations.donor_page, name="donor_page"),
]

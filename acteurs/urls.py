from django.urls import include, path

from . import auth_views, privacy_views, views

urlpatterns = [
    # Before Django's own: the login with lockout and « poste partagé », the throttled reset.
    path("comptes/login/", auth_views.LoginView.as_view(), name="login"),
    path("comptes/password_reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path("comptes/verification/", auth_views.second_factor_verify, name="second_factor_verify"),
    path("comptes/securite/", auth_views.account_security, name="account_security"),
    path(
        "comptes/securite/double-authentification/",
        auth_views.second_factor_enrol,
        name="second_factor_enrol",
    ),
    path(
        "comptes/securite/codes-de-secours/",
        auth_views.recovery_codes_renew,
        name="recovery_codes_renew",
    ),
    path(
        "comptes/securite/desactiver/",
        auth_views.second_factor_disable,
        name="second_factor_disable",
    ),
    path("comptes/", include("django.contrib.auth.urls")),
    # Personal data: the record of accesses, the record of processing, the notices.
    path(
        "organisation/acces-aux-donnees/",
        privacy_views.personal_data_accesses,
        name="personal_data_accesses",
    ),
    path(
        "organisation/acces-aux-donnees/export.csv",
        privacy_views.personal_data_accesses_csv,
        name="personal_data_accesses_csv",
    ),
    path(
        "organisation/registre-des-traitements/",
        privacy_views.record_of_processing,
        name="record_of_processing",
    ),
    path(
        "organisation/registre-des-traitements.pdf",
        privacy_views.record_of_processing,
        {"pdf": True},
        name="record_of_processing_pdf",
    ),
    path(
        "organisation/donnees-personnelles/",
        privacy_views.privacy_contact,
        name="privacy_contact",
    ),
    path(
        "organisation/<int:pk>/notice-information/",
        privacy_views.information_notice,
        name="information_notice",
    ),
    path(
        "organisation/<int:pk>/notice-information.pdf",
        privacy_views.information_notice,
        {"pdf": True},
        name="information_notice_pdf",
    ),
    path("foyers/", views.household_list, name="households"),
    path("foyers/nouveau/", views.household_create, name="household_create"),
    # foyers/<pk>/, the household's page, is www's ("www:household").
    path("foyers/<int:pk>/modifier/", views.household_edit, name="household_edit"),
    path("foyers/<int:pk>/export.json", privacy_views.household_export, name="household_export"),
    path("foyers/<int:pk>/effacer/", privacy_views.household_erase, name="household_erase"),
]

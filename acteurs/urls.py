from django.urls import include, path

from . import auth_views, views

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
    path(
        "organisation/acces-aux-donnees/",
        auth_views.personal_data_accesses,
        name="personal_data_accesses",
    ),
    path("foyers/", views.household_list, name="households"),
    path("foyers/nouveau/", views.household_create, name="household_create"),
    # foyers/<pk>/, the household's page, is www's ("www:household").
    path("foyers/<int:pk>/modifier/", views.household_edit, name="household_edit"),
]

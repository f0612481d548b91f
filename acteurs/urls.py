from django.urls import include, path

from . import views

urlpatterns = [
    path("comptes/", include("django.contrib.auth.urls")),
    path("foyers/", views.household_list, name="households"),
    path("foyers/nouveau/", views.household_create, name="household_create"),
    # foyers/<pk>/, the household's page, is www's ("www:household").
    path("foyers/<int:pk>/modifier/", views.household_edit, name="household_edit"),
]

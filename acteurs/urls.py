from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("comptes/", include("django.contrib.auth.urls")),
    path("foyers/", views.household_list, name="households"),
    path("foyers/nouveau/", views.household_create, name="household_create"),
    path("foyers/<int:pk>/", views.household_detail, name="household"),
    path("foyers/<int:pk>/modifier/", views.household_edit, name="household_edit"),
]

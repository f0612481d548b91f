"""Routes of the gisement reports, their files, shared links, background PDFs and open data."""

from django.urls import path

from . import views

FORMATS = ("pdf", "xlsx", "csv", "annexe")
# A shared link carries the report, not the certificate annex (device serials, operators'
# names): that is for the people who may read the report when logged in.
SHARED_FORMATS = ("pdf", "xlsx", "csv")

urlpatterns = [
    path("", views.index, name="index"),
    path("travaux/<int:pk>/", views.job, name="job"),
    path("travaux/<int:pk>/pdf/", views.job_file, name="job_file"),
    path("travaux/<int:pk>/relancer/", views.job_restart, name="job_restart"),
    path("partage/<str:token>/", views.shared, name="shared"),
    path("donnees-ouvertes/", views.open_data, name="open_data"),
    path(
        "donnees-ouvertes/appareils.csv",
        views.open_data_file,
        {"fmt": "csv"},
        name="open_data_csv",
    ),
    path(
        "donnees-ouvertes/appareils.json",
        views.open_data_file,
        {"fmt": "json"},
        name="open_data_json",
    ),
]

for fmt in SHARED_FORMATS:
    urlpatterns.append(
        path(f"partage/<str:token>/{fmt}/", views.shared_file, {"fmt": fmt}, name=f"shared_{fmt}")
    )

for kind in ("gisement", "don", "donateur"):
    urlpatterns += [
        path(f"{kind}/<int:pk>/", views.report, {"kind": kind}, name=kind),
        path(f"{kind}/<int:pk>/partager/", views.share, {"kind": kind}, name=f"{kind}_share"),
        path(f"{kind}/<int:pk>/complet/", views.job_start, {"kind": kind}, name=f"{kind}_job"),
    ]
    urlpatterns += [
        path(
            f"{kind}/<int:pk>/{fmt}/",
            views.report_file,
            {"kind": kind, "fmt": fmt},
            name=f"{kind}_{fmt}",
        )
        for fmt in FORMATS
    ]

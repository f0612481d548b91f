from django.urls import path

from . import export_views, views
from .evidence import views as evidence_views
from .labels import views as label_views
from .scanning import views as scan_views

app_name = "parc"

urlpatterns = [
    path("appareils/", views.device_list, name="list"),
    path("appareils/nouveau/", views.device_register, name="register"),
    # Ticked devices of the list: confirm, then one action device by device.
    path("appareils/action/", views.device_bulk, name="bulk"),
    # The filtered list as a spreadsheet (parc/export_views.py)
    path(
        "appareils/export.csv",
        export_views.device_export,
        {"file_format": "csv"},
        name="export_csv",
    ),
    path(
        "appareils/export.xlsx",
        export_views.device_export,
        {"file_format": "xlsx"},
        name="export_xlsx",
    ),
    # Short address: it is the one encoded in the QR code of the label.
    path("e/<str:code>/", views.device_detail, name="device"),
    path("e/<str:code>/action/<str:name>/", views.device_transition, name="transition"),
    path("e/<str:code>/effacement/", views.erasure_add, name="erasure_add"),
    path("e/<str:code>/support/", views.medium_add, name="medium_add"),
    path("e/<str:code>/deplacer/", views.device_move, name="move"),
    path("e/<str:code>/temps-et-pieces/", views.work_and_parts, name="work_and_parts"),
    # Label sheets (parc/labels/views.py)
    path("etiquettes/", label_views.labels, name="labels"),
    path("etiquettes/travaux/<int:pk>/", label_views.label_job, name="label_job"),
    path("etiquettes/travaux/<int:pk>/pdf/", label_views.label_job_pdf, name="label_job_pdf"),
    path(
        "etiquettes/travaux/<int:pk>/relancer/",
        label_views.label_job_restart,
        name="label_job_restart",
    ),
    # Scanning and batch mode (parc/scanning/views.py)
    path("scan/", scan_views.scan, name="scan"),
    path("scan/serie/", scan_views.batch_start, name="scan_batch_start"),
    path("scan/serie/<int:batch_id>/", scan_views.batch_detail, name="scan_batch"),
    path("scan/serie/<int:batch_id>/terminer/", scan_views.batch_close, name="scan_batch_close"),
    path(
        "scan/serie/<int:batch_id>/deplacer-ici/",
        scan_views.batch_move_here,
        name="scan_batch_move_here",
    ),
    # Hardware and erasure evidence (parc/evidence/views.py)
    path("e/<str:code>/rapport-materiel/", evidence_views.hardware_report, name="hardware_report"),
    path("e/<str:code>/journal-effacement/", evidence_views.erasure_log, name="erasure_log"),
    path(
        "e/<str:code>/journal-effacement/<int:pk>/",
        evidence_views.erasure_log_confirm,
        name="erasure_log_confirm",
    ),
    path(
        "e/<str:code>/justificatifs/<int:pk>/",
        evidence_views.evidence_download,
        name="evidence_download",
    ),
]

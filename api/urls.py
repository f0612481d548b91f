from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from .views import agent, devices, docs

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs.SwaggerView.as_view(), name="swagger"),
    path("redoc/", docs.RedocView.as_view(), name="redoc"),
    # devices
    path("devices/", devices.DeviceListView.as_view(), name="devices"),
    path("devices/bulk/", devices.DeviceBulkView.as_view(), name="devices_bulk"),
    path("devices/<str:code>/", devices.DeviceDetailView.as_view(), name="device"),
    path("devices/<str:code>/history/", devices.DeviceHistoryView.as_view(), name="device_history"),
    path("devices/<str:code>/media/", devices.DeviceMediaView.as_view(), name="device_media"),
    path(
        "devices/<str:code>/erasures/", devices.DeviceErasuresView.as_view(), name="device_erasures"
    ),
    path(
        "devices/<str:code>/hardware-reports/",
        devices.DeviceHardwareReportView.as_view(),
        name="device_hardware_reports",
    ),
    path(
        "devices/<str:code>/erasure-logs/",
        devices.DeviceErasureLogView.as_view(),
        name="device_erasure_logs",
    ),
    path(
        "devices/<str:code>/evidence/", devices.DeviceEvidenceView.as_view(), name="device_evidence"
    ),
    path(
        "devices/<str:code>/transitions/<str:name>/",
        devices.DeviceTransitionView.as_view(),
        name="device_transition",
    ),
    path("devices/<str:code>/moves/", devices.DeviceMoveView.as_view(), name="device_moves"),
    # the registration agent
    path("agent/", agent.AgentInfoView.as_view(), name="agent"),
    path("agent/bundles/", agent.AgentBundleView.as_view(), name="agent_bundles"),
]

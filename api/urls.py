from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from .views import agent, ateliers, devices, docs, dons, prets, rapports

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
    # gisements and donations
    path("gisements/", dons.GisementListView.as_view(), name="gisements"),
    path("gisements/<str:pk>/", dons.GisementDetailView.as_view(), name="gisement"),
    path("donations/", dons.DonationListView.as_view(), name="donations"),
    path("donations/<str:pk>/", dons.DonationDetailView.as_view(), name="donation"),
    path(
        "donations/<str:pk>/transitions/<str:name>/",
        dons.DonationTransitionView.as_view(),
        name="donation_transition",
    ),
    # households, requests, loans
    path("households/", prets.HouseholdListView.as_view(), name="households"),
    path("households/<str:pk>/", prets.HouseholdDetailView.as_view(), name="household"),
    path(
        "households/<str:pk>/eligibility-checks/",
        prets.EligibilityCheckView.as_view(),
        name="household_eligibility",
    ),
    path("requests/", prets.RequestListView.as_view(), name="requests"),
    path("requests/<str:pk>/", prets.RequestDetailView.as_view(), name="request"),
    path(
        "requests/<str:pk>/transitions/<str:name>/",
        prets.RequestTransitionView.as_view(),
        name="request_transition",
    ),
    path("loans/", prets.LoanListView.as_view(), name="loans"),
    path("loans/<str:pk>/", prets.LoanDetailView.as_view(), name="loan"),
    # workshops
    path("workshops/sessions/", ateliers.SessionListView.as_view(), name="sessions"),
    path("workshops/sessions/<str:pk>/", ateliers.SessionDetailView.as_view(), name="session"),
    path(
        "workshops/sessions/<str:pk>/enrolments/",
        ateliers.EnrolmentListView.as_view(),
        name="session_enrolments",
    ),
    path(
        "workshops/sessions/<str:pk>/repairs/",
        ateliers.SessionRepairView.as_view(),
        name="session_repairs",
    ),
    path("workshops/repairs/", ateliers.RepairListView.as_view(), name="repairs"),
    # reports
    path(
        "reports/gisements/<str:kind>/<str:pk>/",
        rapports.GisementReportView.as_view(),
        name="report_gisement",
    ),
    path("reports/pool/", rapports.PoolDashboardView.as_view(), name="report_pool"),
    path("reports/roadmap/", rapports.RoadmapView.as_view(), name="report_roadmap"),
    path("reports/open-data/", rapports.OpenDataView.as_view(), name="report_open_data"),
    # the registration agent
    path("agent/", agent.AgentInfoView.as_view(), name="agent"),
    path("agent/bundles/", agent.AgentBundleView.as_view(), name="agent_bundles"),
]

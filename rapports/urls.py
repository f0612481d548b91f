"""Reports live in two modules so each area owns its routes: gisement reports, exports and
shared links (report_urls), dashboards and roadmap indicators (dashboard_urls)."""

from .dashboard_urls import urlpatterns as dashboard_patterns
from .report_urls import urlpatterns as report_patterns

app_name = "rapports"
urlpatterns = report_patterns + dashboard_patterns

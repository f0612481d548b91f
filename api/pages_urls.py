"""The account's API pages (outside /api/v1/: they are HTML pages of the site)."""

from django.urls import path

from . import pages

urlpatterns = [
    path("compte/api/", pages.token_list, name="api_tokens"),
    path("compte/api/jetons/<int:pk>/revoquer/", pages.token_revoke, name="api_token_revoke"),
    path("compte/api/agent/", pages.agent_page, name="api_agent"),
    path("compte/api/agent/filiere_agent.py", pages.agent_download, name="api_agent_download"),
    path("compte/api/webhooks/", pages.webhook_list, name="api_webhooks"),
    path("compte/api/webhooks/<int:pk>/", pages.webhook_detail, name="api_webhook"),
    path(
        "compte/api/webhooks/<int:pk>/supprimer/", pages.webhook_delete, name="api_webhook_delete"
    ),
    path("e/<str:code>/paquet-agent/", pages.bundle_upload, name="api_bundle_upload"),
]

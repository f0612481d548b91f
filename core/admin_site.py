"""The project's admin site: Django's, with French titles and one guard.

``?_to_field=`` left empty on an object's page made Django look up a field named "" (a 500,
found by tests/config/test_every_get_url.py): an empty value is dropped before any admin view
reads it.
"""

from functools import wraps

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.options import TO_FIELD_VAR
from django.utils.translation import gettext_lazy as _


class FiliereAdminSite(admin.AdminSite):
    site_header = _("Filière – administration")
    site_title = _("Filière – administration")
    index_title = _("Réglages de la plateforme")

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @wraps(view)
        def guarded(request, *args, **kwargs):
            for query in ("GET", "POST"):
                data = getattr(request, query)
                if TO_FIELD_VAR in data and not data.get(TO_FIELD_VAR):
                    data = data.copy()
                    del data[TO_FIELD_VAR]
                    setattr(request, query, data)
            return inner(request, *args, **kwargs)

        return guarded


class FiliereAdminConfig(AdminConfig):
    default_site = "core.admin_site.FiliereAdminSite"

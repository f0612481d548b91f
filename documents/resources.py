"""Bases for the django-import-export resources and admin exports of the project.

django-import-export serves the exports: the device list's CSV/XLSX (``parc.resources``) and
the coordination's admin exports. Imports of donors' lists do not go through it (see
``intake.reading``: it reads files as a stream, which tablib does not).

The library's own ``IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT`` only drops a leading ``=``;
a cell starting with ``+``, ``-`` or ``@`` still runs as a formula. Resources here pass their
text cells through ``documents.spreadsheets.neutralise`` like every other export.
"""

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from import_export.formats.base_formats import CSV, XLSX

from .spreadsheets import neutralise

# What an admin export may hold: the library builds the whole file in memory (tablib).
ADMIN_EXPORT_MAX_ROWS = 100_000


class NeutralisedExportMixin:
    """For a ``Resource``: every text cell exported is neutralised (formula injection).

    Numbers and dates keep their type in binary formats (XLSX), where they cannot be formulas.
    """

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        return neutralise(value) if isinstance(value, str) else value


class CoordinationExportMixin:
    """For a ``ModelAdmin`` with django-import-export's ``ExportMixin``: exports of the
    filtered change list in CSV or XLSX, bounded, for operators (superusers) and whoever holds
    the ``<app>.export_<model>`` permission (the coordination: acteurs.auth_backends)."""

    export_formats = [CSV, XLSX]

    def has_export_permission(self, request):
        user = request.user
        opts = self.opts
        return user.is_active and (
            user.is_superuser or user.has_perm(f"{opts.app_label}.export_{opts.model_name}")
        )

    def export_action(self, request):
        try:
            return super().export_action(request)
        except IncorrectLookupParameters:
            # A filter that does not exist (an edited address): the change list's own answer.
            messages.error(request, _("Ce filtre n'existe pas : la liste est affichée sans."))
            return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")

    def init_request_context_data(self, request, form):
        context = super().init_request_context_data(request, form)
        # The library's form posts to ``export_url``, set only on its admin-action path: here
        # it is this page with its query string (the change list's filters).
        context.setdefault("export_url", request.get_full_path())
        return context

    def get_export_data(self, file_format, request, queryset, **kwargs):
        if not self.has_export_permission(request):
            raise PermissionDenied
        # A bounded count; the library shows a ValueError's text as an error message.
        if queryset.order_by()[: ADMIN_EXPORT_MAX_ROWS + 1].count() > ADMIN_EXPORT_MAX_ROWS:
            raise ValueError(
                _("La sélection dépasse %(max)s lignes : filtrez la liste avant d'exporter.")
                % {"max": number_format(ADMIN_EXPORT_MAX_ROWS, force_grouping=True)}
            )
        return super().get_export_data(file_format, request, queryset, **kwargs)

"""The device list as a spreadsheet: the same filters and the same scope as the list page
(read through ``parc.selectors``), its rows by ``parc.resources``, the file by
``documents.responses``."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from documents.responses import csv_response, xlsx_response

from . import resources, selectors
from .forms import DeviceFilterForm


def _back_to_list(request):
    query = request.GET.urlencode()
    return redirect(reverse("parc:list") + (f"?{query}" if query else ""))


@login_required
@require_GET
def device_export(request, file_format):
    # Who sees a pool (technicians, staff and admins; the coordination) may export it.
    if selectors.visible_organisation_ids(request.user) == []:
        raise PermissionDenied
    if file_format not in ("csv", "xlsx"):
        raise Http404
    form = DeviceFilterForm(
        request.GET or None,
        organisations=selectors.organisations_for_filter(request.user),
        locations=selectors.stock_locations_for(request.user),
    )
    if form.is_bound and not form.is_valid():
        messages.error(
            request, _("Ces filtres ne sont pas valides : corrigez-les avant d'exporter la liste.")
        )
        return _back_to_list(request)
    devices = selectors.device_list(
        request.user, filters=form.cleaned_data if form.is_bound else {}
    )
    filename = f"appareils-{timezone.localdate():%Y-%m-%d}.{file_format}"

    if file_format == "csv":
        return csv_response(resources.export_rows(devices), filename)

    if resources.exceeds_xlsx_limit(devices):
        messages.error(
            request,
            _(
                "Ces filtres sélectionnent plus de %(max)s appareils, le maximum d'un fichier "
                "XLSX : affinez les filtres, ou exportez en CSV (sans limite)."
            )
            % {"max": number_format(resources.XLSX_MAX_ROWS, force_grouping=True)},
        )
        return _back_to_list(request)
    # Assembled in a temporary file (openpyxl's write-only mode), then sent from the disk.
    # Bounded again: rows registered since the count are left out, not a failure.
    rows = resources.export_rows(devices, native=True, limit=resources.XLSX_MAX_ROWS)
    return xlsx_response([(_("Appareils"), rows)], filename, max_rows=resources.XLSX_MAX_ROWS)

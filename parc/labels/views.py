"""Label pages: choose the devices and the options, get the PDF or follow the background job.

Thin: validate the forms, resolve the selection through scoped reads, call
``sheets.request_labels``, turn a refusal into a French message.
"""

from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from core.bounds import parse_id

from .. import selectors
from ..forms import DeviceFilterForm
from ..models import LabelJobStatus
from . import sheets
from .forms import LabelOptionsForm, LabelSelectionForm
from .layouts import LAYOUTS

PREVIEW = 8


@dataclass
class Selection:
    """The devices a label request is about, and how the user chose them."""

    ids: list[int] = field(default_factory=list)
    from_filter: bool = False
    query: str = ""
    preview: list = field(default_factory=list)
    error: str = ""
    donation: object = None

    @property
    def count(self) -> int:
        return len(self.ids)

    @property
    def more(self) -> int:
        return max(0, self.count - len(self.preview))


def _selection(request) -> Selection:
    """Ticked devices (``?appareil=<id>``, repeated; ``selection=cochee`` when they come from
    the list's check boxes, so ticking none is an empty selection), the devices of a donation
    (``?don=<id>``, from the donation page), or else the list's filter."""
    query = request.GET.copy()
    for cursor in ("apres", "avant"):
        query.pop(cursor, None)
    selection = Selection(query=query.urlencode())
    user = request.user
    try:
        if "appareil" in request.GET or request.GET.get("selection") == "cochee":
            form = LabelSelectionForm(request.GET)
            if not form.is_valid():
                selection.error = " ".join(form.errors["appareil"])
                return selection
            selection.ids = form.cleaned_data["appareil"]
            # Every ticked device must be visible: checked here already, not only when printing.
            selection.preview = sheets.devices_for_labels(user, selection.ids)[:PREVIEW]
        elif "don" in request.GET:
            donation_id = parse_id(request.GET["don"])
            if donation_id is None:
                selection.error = _("Don invalide : revenez à la page du don.")
                return selection
            selection.donation = sheets.donation_for_labels(user, donation_id)
            selection.ids = sheets.device_ids_from_donation(user, selection.donation)
            if not selection.ids:
                selection.error = _(
                    "Aucun appareil n'est encore enregistré pour ce don : enregistrez-les ou "
                    "importez la liste du donateur."
                )
                return selection
            selection.preview = sheets.devices_for_labels(user, selection.ids[:PREVIEW])
        else:
            selection.from_filter = True
            filters = DeviceFilterForm(
                request.GET,
                organisations=selectors.organisations_for_filter(user),
                locations=selectors.stock_locations_for(user),
            )
            if not filters.is_valid():
                selection.error = _(
                    "Ce filtre n'est pas valide : revenez à la liste et refaites-le."
                )
                return selection
            selection.ids = sheets.device_ids_from_filter(user, filters.cleaned_data)
            if selection.ids:
                selection.preview = sheets.devices_for_labels(user, selection.ids[:PREVIEW])
    except sheets.LabelRequestError as error:
        selection.error = error.message
        return selection
    if not selection.ids:
        selection.error = (
            _("Aucun appareil ne correspond à ce filtre.")
            if selection.from_filter
            else _("Aucun appareil sélectionné : cochez-en au moins un.")
        )
    return selection


@login_required
@require_http_methods(["GET", "POST"])
def labels(request):
    sheets.check_pool_access(request.user)
    selection = _selection(request)
    form = LabelOptionsForm(request.POST or None)
    if request.method == "POST":
        if selection.error:
            messages.error(request, selection.error)
        elif not form.is_valid():
            messages.error(
                request, _("Les étiquettes n'ont pas été préparées : corrigez le formulaire.")
            )
        else:
            try:
                outcome = sheets.request_labels(
                    request.user,
                    selection.ids,
                    layout_key=form.cleaned_data["layout"],
                    start=form.cleaned_data["start"],
                    copies=form.cleaned_data["copies"],
                )
            except sheets.LabelRequestError as error:
                messages.error(request, error.message)
            else:
                if outcome.job is not None:
                    messages.success(
                        request,
                        ngettext(
                            "%(count)s étiquette est en préparation.",
                            "%(count)s étiquettes sont en préparation.",
                            outcome.total,
                        )
                        % {"count": outcome.total},
                    )
                    return redirect("parc:label_job", pk=outcome.job.pk)
                response = HttpResponse(outcome.pdf, content_type="application/pdf")
                response["Content-Disposition"] = f'attachment; filename="{outcome.filename}"'
                return response
    back = reverse("parc:list")
    if selection.donation is not None:
        back = selection.donation.get_absolute_url()
    elif selection.from_filter and selection.query:
        back += f"?{selection.query}"
    return render(
        request,
        "parc/labels_form.html",
        {"selection": selection, "form": form, "back_url": back},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_GET
def label_job(request, pk):
    """The job page; htmx polls it every second for its progress fragment until it ends."""
    job = sheets.label_job_for(request.user, pk)
    context = {
        "job": job,
        "layout_name": LAYOUTS[job.layout].name if job.layout in LAYOUTS else job.layout,
        "in_progress": job.status in (LabelJobStatus.PENDING, LabelJobStatus.RUNNING),
        "oob": bool(request.htmx),
    }
    template = "parc/_label_job_status.html" if request.htmx else "parc/label_job.html"
    return render(request, template, context)


@login_required
@require_GET
def label_job_pdf(request, pk):
    job = sheets.label_job_for(request.user, pk)
    if job.status != LabelJobStatus.DONE or not job.pdf:
        raise Http404
    layout = LAYOUTS.get(job.layout)
    filename = (
        sheets.pdf_filename(layout, timezone.localdate(job.created_at))
        if layout
        else "etiquettes.pdf"
    )
    return FileResponse(
        job.pdf.open("rb"),
        as_attachment=True,
        filename=filename,
        content_type="application/pdf",
    )

"""Pages of the inventory-list import: the file, its header row and columns, its preview, the
import of its valid rows, its rejected rows to download, and the labels of the devices it
created. Thin: validate a form, read through ``intake.selectors`` (scoped to the user's
organisations), call one step of ``intake.services``, turn a refusal into a French message.
"""

import codecs
from pathlib import PurePath

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from acteurs.permissions import POOL_MANAGER_ROLES, organisations_with_role
from core.bounds import parse_id
from core.jobs import job_status
from core.views import attempt
from documents.responses import private, xlsx_response
from documents.spreadsheets import csv_lines
from dons.selectors import donations_open_for_registration
from parc.labels import sheets as label_sheets
from parc.labels.forms import LabelOptionsForm
from parc.labels.views import PREVIEW, Selection

from . import columns, reading, selectors, services
from .errors import IntakeError
from .forms import HeaderChoiceForm, IntakeUploadForm, MappingForm, RowFilterForm
from .models import ImportOutcome, ImportStage

# What the mapping page shows of the file: a bounded preview whatever the file holds.
PREVIEW_COLUMNS = 12
PREVIEW_CELL_CHARS = 40


def _managed_donations(user):
    org_ids = None if user.is_superuser else organisations_with_role(user, POOL_MANAGER_ROLES)
    if org_ids is not None and not org_ids:
        raise PermissionDenied
    return donations_open_for_registration(user, org_ids)


@login_required
@require_http_methods(["GET", "POST"])
def intake_start(request):
    donations = _managed_donations(request.user)
    initial = {}
    donation_id = parse_id(request.GET.get("don"))
    if donation_id is not None:
        initial["donation"] = donation_id
    form = IntakeUploadForm(
        request.POST or None, request.FILES or None, donations=donations, initial=initial
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                job = services.job_create(
                    request.user, form.cleaned_data["donation"], form.cleaned_data["file"]
                )
            except IntakeError as error:
                form.add_error("file", error.message)
            else:
                if job.mapping_remembered:
                    messages.info(
                        request,
                        _(
                            "Colonnes reconnues comme dans le dernier fichier de ce donateur : "
                            "vérifiez-les sur l'aperçu."
                        ),
                    )
                if services.job_needs_columns(job):
                    return redirect("intake:mapping", pk=job.pk)
                return _analyse_and_go(request, job)
        status = 400
    recent = selectors.jobs_visible_to(request.user).order_by("-id")[:10]
    return render(request, "intake/start.html", {"form": form, "recent": recent}, status=status)


def _analyse_and_go(request, job):
    try:
        background = services.start_analysis(request.user, job)
    except IntakeError as error:
        messages.error(request, error.message)
        return redirect("intake:mapping", pk=job.pk)
    if background:
        messages.info(
            request,
            _("Le fichier compte %(count)s lignes : l'aperçu se prépare, cette page le suit.")
            % {"count": reading.french_int(job.total_rows)},
        )
    return redirect("intake:job", pk=job.pk)


def _bounded(rows: list[tuple[int, list[str]]]) -> list[tuple[int, list[str], bool]]:
    """The first rows as the header choice shows them: a few columns, short cells."""
    shown = []
    for line, cells in rows:
        cut = [
            cell if len(cell) <= PREVIEW_CELL_CHARS else cell[: PREVIEW_CELL_CHARS - 1] + "…"
            for cell in cells[:PREVIEW_COLUMNS]
        ]
        shown.append((line, cut, len(cells) > PREVIEW_COLUMNS))
    return shown


@login_required
@require_http_methods(["GET", "POST"])
def intake_mapping(request, pk):
    job = selectors.job_for(request.user, pk)
    if job.in_progress or job.imported:
        return redirect("intake:job", pk=job.pk)
    try:
        head = reading.head_rows(job)
        # Examples below the header, from the rows already read when they hold three.
        samples = [cells for line, cells in head if line > job.header_line][:3]
        if len(samples) < 3 and len(head) >= reading.HEADER_SCAN_ROWS:
            samples = reading.sample_rows(job)
    except IntakeError as error:
        messages.error(request, error.message)
        head, samples = [], []
    header_form = HeaderChoiceForm(
        request.POST if "header_line" in request.POST else None,
        lines=[line for line, _cells in head],
        initial={"header_line": job.header_line},
    )
    posted_columns = request.method == "POST" and "header_line" not in request.POST
    form = MappingForm(request.POST if posted_columns else None, job=job, samples=samples)
    if request.method == "POST":
        if "header_line" in request.POST:
            if header_form.is_valid() and attempt(
                request,
                services.job_set_header,
                request.user,
                job,
                header_form.cleaned_data["header_line"],
            ):
                return redirect("intake:mapping", pk=job.pk)
        elif form.is_valid():
            outcome = attempt(
                request,
                services.job_set_mapping,
                request.user,
                job,
                form.cleaned_data["mapping"],
                form.cleaned_data["default_kind"],
            )
            if outcome:
                return _analyse_and_go(request, job)
    return render(
        request,
        "intake/mapping.html",
        {
            "job": job,
            "form": form,
            "header_form": header_form,
            "head": _bounded(head),
            "choose_header": not job.header_certain or request.GET.get("entetes") == "1",
            "problems": columns.mapping_problems(job) if job.header_certain else [],
        },
        status=400 if request.method == "POST" else 200,
    )


def _progress_context(job) -> dict:
    importing = job.stage == ImportStage.IMPORT
    return {
        "job": job,
        "poll_url": reverse("intake:job", kwargs={"pk": job.pk}) + "?suivi=1",
        "restart_url": reverse("intake:restart", kwargs={"pk": job.pk}),
        "unit": _("appareils") if importing else _("lignes"),
        "finishing_text": _("Enregistrement de l'import…")
        if importing
        else _("Lecture terminée : bilan de l'aperçu…"),
        "done_text": _("Import terminé.") if importing else _("Aperçu prêt."),
        "failed_text": job.error,
    }


@login_required
@require_GET
def intake_job(request, pk):
    """The preview, the progress bar (htmx polls it), or the outcome of an import."""
    job = job_status(selectors.job_for(request.user, pk))
    if request.htmx and request.GET.get("suivi"):
        if not job.in_progress:
            # Finished: reload the whole page, which now shows the preview or the outcome.
            return HttpResponseClientRefresh()
        return render(request, "core/_job_progress.html", _progress_context(job))
    filters = RowFilterForm(request.GET)
    data = filters.cleaned_data if filters.is_valid() else {}
    rows, has_more = ([], False)
    if job.previewed or job.stage == ImportStage.IMPORT:
        rows, has_more = selectors.rows_page(
            job, outcome=data.get("resultat") or "", after=data.get("apres") or 0
        )
    query = request.GET.copy()
    query.pop("apres", None)
    counts = job.counts or {}
    context = {
        **_progress_context(job),
        "filters": filters,
        "rows": rows,
        "next_after": rows[-1].line if rows and has_more else None,
        "query": query.urlencode(),
        "errors": counts.get(ImportOutcome.ERROR, 0),
        "new": counts.get(ImportOutcome.NEW, 0),
        "existing": counts.get(ImportOutcome.EXISTING, 0),
        "can_import": job.previewed
        and counts.get(ImportOutcome.NEW)
        and job.donation.accepts_devices,
        "rejected_format": "XLSX" if job.file_format == "xlsx" else "CSV",
    }
    template = "intake/_rows.html" if request.htmx else "intake/job.html"
    return render(request, template, context)


@login_required
@require_POST
def intake_import(request, pk):
    job = selectors.job_for(request.user, pk)
    try:
        background = services.start_import(job, request.user)
    except IntakeError as error:
        messages.error(request, error.message)
        return redirect("intake:job", pk=job.pk)
    if background:
        messages.info(request, _("L'import a commencé : cette page suit sa progression."))
    elif job.imported:
        messages.success(
            request,
            ngettext(
                "%(count)s appareil importé.", "%(count)s appareils importés.", job.created_count
            )
            % {"count": reading.french_int(job.created_count)},
        )
    elif job.error:
        messages.error(request, job.error)
    return redirect("intake:job", pk=job.pk)


@login_required
@require_POST
def intake_reanalyse(request, pk):
    job = selectors.job_for(request.user, pk)
    if job.in_progress or job.imported:
        return redirect("intake:job", pk=job.pk)
    return _analyse_and_go(request, job)


@login_required
@require_POST
def intake_restart(request, pk):
    """A failed step (its worker died, the database was unreachable…) started again."""
    job = selectors.job_for(request.user, pk)
    attempt(request, services.restart, request.user, job)
    return redirect("intake:job", pk=job.pk)


CSV_ENCODINGS = {"": "utf-8-sig", reading.MIXED: "utf-8-sig"}


@login_required
@require_GET
def intake_rejected(request, pk):
    """The rows left out, in the donor's own format (CSV in its encoding and separator, or
    XLSX) with an added « Erreur » column; every cell neutralised (the import reads the
    apostrophe away)."""
    job = selectors.job_for(request.user, pk)
    stem = PurePath(job.original_name).stem[:60] or "liste"
    if job.file_format == "xlsx":
        return xlsx_response(
            [(_("Lignes rejetées"), selectors.rejected_rows(job))],
            f"{stem}-lignes-rejetees.xlsx",
            max_rows=reading.MAX_ROWS,
        )
    encoding = CSV_ENCODINGS.get(job.encoding, job.encoding)
    encoder = codecs.getincrementalencoder(encoding)(errors="replace")

    def chunks():
        lines = csv_lines(selectors.rejected_rows(job), delimiter=job.delimiter or ";", bom=False)
        for line in lines:
            yield encoder.encode(line)
        yield encoder.encode("", final=True)

    charset = "utf-8" if encoding.startswith("utf-8") else encoding
    response = StreamingHttpResponse(chunks(), content_type=f"text/csv; charset={charset}")
    response["Content-Disposition"] = content_disposition_header(
        True, f"{stem}-lignes-rejetees.csv"
    )
    return private(response)


@login_required
@require_http_methods(["GET", "POST"])
def intake_labels(request, pk):
    """Labels of the devices this import created, with the label pages' options and PDF."""
    job = selectors.job_for(request.user, pk)
    label_sheets.check_pool_access(request.user)
    selection = Selection(query="")
    selection.ids = selectors.imported_device_ids(job)
    if not selection.ids:
        selection.error = _("Cet import n'a créé aucun appareil.")
    else:
        try:
            selection.preview = label_sheets.devices_for_labels(
                request.user, selection.ids[:PREVIEW]
            )
        except label_sheets.LabelRequestError as error:
            selection.error = error.message
    form = LabelOptionsForm(request.POST or None)
    if request.method == "POST" and not selection.error:
        if form.is_valid():
            try:
                outcome = label_sheets.request_labels(
                    request.user,
                    selection.ids,
                    layout_key=form.cleaned_data["layout"],
                    start=form.cleaned_data["start"],
                    copies=form.cleaned_data["copies"],
                )
            except label_sheets.LabelRequestError as error:
                messages.error(request, error.message)
            else:
                if outcome.job is not None:
                    return redirect("parc:label_job", pk=outcome.job.pk)
                response = HttpResponse(outcome.pdf, content_type="application/pdf")
                response["Content-Disposition"] = f'attachment; filename="{outcome.filename}"'
                return response
        else:
            messages.error(
                request, _("Les étiquettes n'ont pas été préparées : corrigez le formulaire.")
            )
    return render(
        request,
        "parc/labels_form.html",
        {
            "selection": selection,
            "form": form,
            "back_url": reverse("intake:job", kwargs={"pk": job.pk}),
        },
        status=400 if request.method == "POST" else 200,
    )

"""Pages of the inventory-list import: the file, its columns, its preview, its import, and the
labels of the devices it created. Thin: validate a form, read through ``intake.selectors``
(scoped to the user's organisations), call one step of ``intake.services``, turn a refusal
into a French message.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from acteurs.permissions import POOL_MANAGER_ROLES, organisations_with_role
from core.bounds import parse_id
from documents.spreadsheets import csv_lines
from dons.selectors import donations_open_for_registration
from parc.labels import sheets as label_sheets
from parc.labels.forms import LabelOptionsForm
from parc.labels.views import PREVIEW, Selection

from . import columns, errors, reading, selectors, services
from .forms import IntakeUploadForm, MappingForm, RowFilterForm
from .models import ImportOutcome, ImportStatus

IN_PROGRESS = (ImportStatus.ANALYSING, ImportStatus.IMPORTING)


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
            except errors.IntakeError as error:
                form.add_error("file", error.message)
            else:
                if columns.mapping_problems(job) or columns.unmapped_columns(job):
                    return redirect("intake:mapping", pk=job.pk)
                return _analyse_and_go(request, job)
        status = 400
    recent = selectors.jobs_visible_to(request.user).order_by("-id")[:10]
    return render(request, "intake/start.html", {"form": form, "recent": recent}, status=status)


def _analyse_and_go(request, job):
    try:
        background = services.start_analysis(job)
    except errors.IntakeError as error:
        messages.error(request, error.message)
        return redirect("intake:mapping", pk=job.pk)
    if background:
        messages.info(
            request,
            _("Le fichier compte %(count)s lignes : l'aperçu se prépare, cette page le suit.")
            % {"count": job.total_rows},
        )
    return redirect("intake:job", pk=job.pk)


@login_required
@require_http_methods(["GET", "POST"])
def intake_mapping(request, pk):
    job = selectors.job_for(request.user, pk)
    if job.status in IN_PROGRESS or job.status == ImportStatus.DONE:
        return redirect("intake:job", pk=job.pk)
    try:
        samples = reading.sample_rows(job)
    except errors.IntakeError as error:
        messages.error(request, error.message)
        samples = []
    form = MappingForm(request.POST or None, job=job, samples=samples)
    if request.method == "POST":
        try:
            services.check_permission(request.user, job.organisation_id)
        except errors.IntakeError as error:
            messages.error(request, error.message)
            return redirect("intake:job", pk=job.pk)
        if form.is_valid():
            services.job_set_mapping(
                job, form.cleaned_data["mapping"], form.cleaned_data["default_kind"]
            )
            return _analyse_and_go(request, job)
    return render(
        request,
        "intake/mapping.html",
        {"job": job, "form": form, "problems": columns.mapping_problems(job)},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_GET
def intake_job(request, pk):
    """The preview, the progress bar (htmx polls it), or the outcome of an import."""
    job = selectors.job_for(request.user, pk)
    in_progress = job.status in IN_PROGRESS
    if request.htmx and request.GET.get("suivi"):
        if not in_progress:
            # Finished: reload the whole page, which now shows the preview or the outcome.
            return HttpResponseClientRefresh()
        return render(request, "intake/_status.html", _status_context(job))
    filters = RowFilterForm(request.GET)
    data = filters.cleaned_data if filters.is_valid() else {}
    rows, has_more = ([], False)
    if job.status in (ImportStatus.PREVIEWED, ImportStatus.DONE, ImportStatus.FAILED):
        rows, has_more = selectors.rows_page(
            job, outcome=data.get("resultat") or "", after=data.get("apres") or 0
        )
    query = request.GET.copy()
    query.pop("apres", None)
    context = {
        **_status_context(job),
        "filters": filters,
        "rows": rows,
        "next_after": rows[-1].line if rows and has_more else None,
        "query": query.urlencode(),
        "in_progress": in_progress,
        "can_import": job.status == ImportStatus.PREVIEWED
        and not job.counts.get(ImportOutcome.ERROR)
        and job.counts.get(ImportOutcome.NEW),
    }
    template = "intake/_rows.html" if request.htmx else "intake/job.html"
    return render(request, template, context)


def _status_context(job):
    done = job.processed_rows
    total = job.total_rows
    if job.status == ImportStatus.IMPORTING:
        done = selectors.import_progress(job)
        total = job.counts.get(ImportOutcome.NEW, 0)
    percent = 100 if not total else min(100, round(100 * done / total))
    return {
        "job": job,
        "done": done,
        "total": total,
        "percent": percent,
        "polling": job.status in IN_PROGRESS,
        "errors": job.counts.get(ImportOutcome.ERROR, 0),
        "new": job.counts.get(ImportOutcome.NEW, 0),
        "existing": job.counts.get(ImportOutcome.EXISTING, 0),
    }


@login_required
@require_POST
def intake_import(request, pk):
    job = selectors.job_for(request.user, pk)
    try:
        background = services.start_import(job, request.user)
    except errors.IntakeError as error:
        messages.error(request, error.message)
        return redirect("intake:job", pk=job.pk)
    if background:
        messages.info(request, _("L'import a commencé : cette page suit sa progression."))
    else:
        job.refresh_from_db()
        messages.success(
            request,
            ngettext(
                "%(count)s appareil importé.", "%(count)s appareils importés.", job.created_count
            )
            % {"count": job.created_count},
        )
    return redirect("intake:job", pk=job.pk)


@login_required
@require_POST
def intake_reanalyse(request, pk):
    job = selectors.job_for(request.user, pk)
    try:
        services.check_permission(request.user, job.organisation_id)
    except errors.IntakeError as error:
        messages.error(request, error.message)
        return redirect("intake:job", pk=job.pk)
    if job.status in IN_PROGRESS or job.status == ImportStatus.DONE:
        return redirect("intake:job", pk=job.pk)
    return _analyse_and_go(request, job)


@login_required
@require_GET
def intake_errors_csv(request, pk):
    """The rows in error with their messages and original cells, every cell neutralised."""
    job = selectors.job_for(request.user, pk)
    response = StreamingHttpResponse(
        csv_lines(selectors.error_report_rows(job)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="erreurs-import-{job.pk}.csv"'
    return response


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

"""Pages and files of the gisement report, its shared link, its background PDF and the open
data export. Thin: read the period, resolve the subject through the scope (404 outside it),
call one selector or service, render."""

import dataclasses
import json

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import (
    Http404,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.bounds import parse_id
from core.jobs import job_status
from core.views import attempt
from documents.responses import PDF_TYPE, file_response
from documents.spreadsheets import csv_lines

from . import charts, exports, selectors, sharing
from .access import report_scope
from .forms import PeriodForm, ShareForm
from .models import ReportJob, ReportSubjectKind
from .services import ReportRefused, report_job_start, shared_link_create

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _private(response):
    # A report is not for search engines or shared caches; a shared link's address carries
    # its token: keep it out of other sites' referrers. Not "no-referrer": with it, Chromium
    # sends `Origin: null` with the page's own forms and the CSRF check refuses them
    # (« Créer le lien », « Préparer le PDF… »). "same-origin" gives the address only to
    # this site, which knows it already.
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response


def _attachment(response, name: str):
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return _private(response)


def _kind(kind: str) -> str:
    if kind not in ReportSubjectKind.values:
        raise Http404
    return kind


def _query(period: selectors.Period) -> str:
    parts = []
    if period.start:
        parts.append(f"du={period.start.isoformat()}")
    if period.end:
        parts.append(f"au={period.end.isoformat()}")
    return ("?" + "&".join(parts)) if parts else ""


def _bad_period(request, form, subject=None):
    return render(
        request,
        "rapports/bad_period.html",
        {"form": form, "subject": subject},
        status=400,
    )


# --- the list of reports -------------------------------------------------------------------------


@login_required
def index(request):
    return _private(render(request, "rapports/index.html", selectors.report_index(request.user)))


# --- one report ---------------------------------------------------------------------------------


@login_required
def report(request, kind, pk):
    subject = selectors.subject_for(request.user, _kind(kind), pk)
    form = PeriodForm(request.GET or None)
    if request.GET and not form.is_valid():
        return _private(
            render(
                request,
                "rapports/report.html",
                {"subject": subject, "form": form, "report": None},
                status=400,
            )
        )
    period = form.period
    data = selectors.gisement_report(subject, period)
    rows, next_cursor = selectors.annex_page(
        subject, period, after=_cursor(request), size=selectors.ANNEX_PAGE_SIZE
    )
    return _private(
        render(
            request,
            "rapports/report.html",
            {
                "subject": subject,
                "form": form,
                "report": data,
                "query": _query(period),
                "period_text": exports.period_text(period),
                "chart": charts.bar_chart(_("Devenir des appareils reçus"), data.outcome_chart),
                "annex": rows,
                "annex_next": next_cursor,
                "annex_columns": selectors.ANNEX_COLUMNS,
                "annex_first_page": _cursor(request) is None,
                "share_form": ShareForm(),
                "pdf_annex_limit": exports.PDF_ANNEX_LIMIT,
                "background_limit": exports.BACKGROUND_ANNEX_LIMIT,
                "base": reverse(f"rapports:{kind}", args=[pk]),
            },
        )
    )


def _cursor(request) -> int | None:
    return parse_id(request.GET.get("apres"))


def _period_or_none(request):
    form = PeriodForm(request.GET or None)
    if request.GET and not form.is_valid():
        return form, None
    return form, form.period


@login_required
def report_file(request, kind, pk, fmt):
    subject = selectors.subject_for(request.user, _kind(kind), pk)
    form, period = _period_or_none(request)
    if period is None:
        return _bad_period(request, form, subject)
    return _report_file(subject, period, fmt)


def _report_file(subject, period, fmt, *, with_annex=True):
    """A report file. ``with_annex=False`` (shared links): no certificate annex at all, in any
    format — no device serial, no operator's name."""
    if fmt == "annexe" and with_annex:
        response = StreamingHttpResponse(exports.annex_csv(subject, period), content_type=CSV_TYPE)
        return _attachment(response, exports.filename(subject, period, "csv", "annexe"))
    data = selectors.gisement_report(subject, period)
    if fmt == "csv":
        response = StreamingHttpResponse(exports.report_csv(data), content_type=CSV_TYPE)
        return _attachment(response, exports.filename(subject, period, "csv"))
    if fmt == "xlsx":
        response = HttpResponse(
            exports.report_xlsx(data, with_annex=with_annex), content_type=XLSX_TYPE
        )
        return _attachment(response, exports.filename(subject, period, "xlsx"))
    if fmt == "pdf":
        response = HttpResponse(
            exports.report_pdf(data, with_annex=with_annex), content_type="application/pdf"
        )
        return _attachment(response, exports.filename(subject, period, "pdf"))
    raise Http404


# --- sharing --------------------------------------------------------------------------------------


@login_required
@require_POST
def share(request, kind, pk):
    subject = selectors.subject_for(request.user, _kind(kind), pk)
    form, period = _period_or_none(request)
    if period is None:
        return _bad_period(request, form, subject)
    share_form = ShareForm(request.POST)
    if not share_form.is_valid():
        messages.error(request, _("Choisissez une durée de validité proposée."))
        return redirect(reverse(f"rapports:{kind}", args=[pk]) + _query(period))
    days = share_form.cleaned_data["days"]
    link = shared_link_create(request.user, subject, period, days)
    return _private(
        render(
            request,
            "rapports/share_link.html",
            {
                "subject": subject,
                "url": sharing.share_url(link.token),
                "days": days,
                "period_text": exports.period_text(period),
                "back": reverse(f"rapports:{kind}", args=[pk]) + _query(period),
            },
        )
    )


def _shared_subject(request, token):
    """(payload, subject) or an error response: expired 410, anything else 404."""
    try:
        payload = sharing.read_token(token)
    except sharing.LinkExpired:
        return None, render(request, "rapports/link_invalid.html", {"expired": True}, status=410)
    except sharing.LinkInvalid:
        return None, render(request, "rapports/link_invalid.html", {"expired": False}, status=404)
    author = get_user_model().objects.filter(pk=payload["user_id"], is_active=True).first()
    try:
        if author is None or payload["kind"] not in ReportSubjectKind.values:
            raise Http404
        # The reader is whoever holds the link, not its author: nobody's name (no operator,
        # no private donor), whatever the author may see. A link's files have no annex
        # either: defence in depth.
        scope = dataclasses.replace(report_scope(author), names_of=frozenset())
        subject = selectors.subject_in_scope(scope, payload["kind"], payload["pk"])
    except Http404:
        return None, render(request, "rapports/link_invalid.html", {"expired": False}, status=404)
    return (payload, subject), None


def shared(request, token):
    """The read-only page behind a signed link. No login; no personal data; no certificate
    annex (device serials, operators' names) on the page nor in its files."""
    found, error = _shared_subject(request, token)
    if error is not None:
        return _private(error)
    payload, subject = found
    period = payload["period"]
    data = selectors.gisement_report(subject, period)
    return _private(
        render(
            request,
            "rapports/shared.html",
            {
                "subject": subject,
                "report": data,
                "period_text": exports.period_text(period),
                "chart": charts.bar_chart(_("Devenir des appareils reçus"), data.outcome_chart),
                "token": token,
            },
        )
    )


def shared_file(request, token, fmt):
    found, error = _shared_subject(request, token)
    if error is not None:
        return _private(error)
    payload, subject = found
    return _report_file(subject, payload["period"], fmt, with_annex=False)


# --- the full PDF in the background ------------------------------------------------------------


@login_required
@require_POST
def job_start(request, kind, pk):
    subject = selectors.subject_for(request.user, _kind(kind), pk)
    form, period = _period_or_none(request)
    if period is None:
        return _bad_period(request, form, subject)
    data = selectors.gisement_report(subject, period)
    try:
        job = report_job_start(request.user, data)
    except ReportRefused as refusal:
        messages.error(request, refusal.message)
        return redirect(reverse(f"rapports:{kind}", args=[pk]) + _query(period))
    return redirect("rapports:job", pk=job.pk)


@login_required
def job(request, pk):
    job = job_status(get_object_or_404(ReportJob, pk=pk, requested_by=request.user))
    context = {"job": job, **_job_context(job)}
    if request.headers.get("HX-Request"):
        context["oob"] = True
        return _private(render(request, "core/_job_progress.html", context))
    return _private(render(request, "rapports/job.html", context))


def _job_context(job) -> dict:
    return {
        "poll_url": reverse("rapports:job", args=[job.pk]),
        "download_url": reverse("rapports:job_file", args=[job.pk]),
        "restart_url": reverse("rapports:job_restart", args=[job.pk]),
        "unit": _("lignes d'annexe mises en page"),
        "done_text": _("Le rapport est prêt : le PDF peut être téléchargé."),
        "failed_text": _("La préparation du rapport a échoué."),
    }


@login_required
@require_POST
def job_restart(request, pk):
    job = get_object_or_404(ReportJob, pk=pk, requested_by=request.user)
    # Access is checked again: someone who lost access since asking cannot restart it.
    selectors.subject_for(request.user, job.subject_kind, job.subject_id)
    attempt(request, job.restart)
    return redirect("rapports:job", pk=job.pk)


@login_required
def job_file(request, pk):
    job = get_object_or_404(ReportJob, pk=pk, requested_by=request.user, status="done")
    # Access is checked again: someone who lost access since asking no longer downloads.
    selectors.subject_for(request.user, job.subject_kind, job.subject_id)
    if not job.file:
        raise Http404
    return file_response(
        job.file.open("rb"), job.file.name.rsplit("/", 1)[-1], content_type=PDF_TYPE
    )


# --- open data --------------------------------------------------------------------------------

OPEN_DATA_FIELDS = (
    "trimestre",
    "departement",
    "epci_siren",
    "epci",
    "commune_insee",
    "commune",
    "type_appareil",
    "devenir",
    "appareils",
    "secret_statistique",
)


def _open_data_scope(request):
    scope = report_scope(request.user)
    if scope.is_empty:
        raise Http404
    return scope


@login_required
def open_data(request):
    _open_data_scope(request)
    return _private(render(request, "rapports/open_data.html", {"fields": OPEN_DATA_FIELDS}))


@login_required
def open_data_file(request, fmt):
    rows = selectors.open_data_devices(_open_data_scope(request))
    if fmt == "json":
        body = {
            "schema": request.build_absolute_uri(reverse("rapports:open_data")),
            "licence": "Licence Ouverte / Open Licence 2.0",
            "seuil_secret_statistique": selectors.SMALL_COUNT,
            "donnees": rows,
        }
        response = HttpResponse(
            json.dumps(body, ensure_ascii=False, indent=1),
            content_type="application/json; charset=utf-8",
        )
        return _attachment(response, "filiere-appareils.json")
    lines = [list(OPEN_DATA_FIELDS)] + [
        [_open_cell(row[name]) for name in OPEN_DATA_FIELDS] for row in rows
    ]
    response = StreamingHttpResponse(
        csv_lines(lines, delimiter=",", bom=False), content_type=CSV_TYPE
    )
    return _attachment(response, "filiere-appareils.csv")


def _open_cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    return value

"""The report's one write: a long report (the PDF with its whole certificate annex) asked for,
then built in the background (rapports.tasks) and kept for download."""

import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .exports import BACKGROUND_ANNEX_LIMIT, filename, period_text
from .models import ReportJob, ReportJobStatus
from .selectors import (
    GisementReport,
    Period,
    ReportSubject,
    annex_rows,
    gisement_report,
    subject_in_scope,
)

logger = logging.getLogger(__name__)

ANNEX_ROWS_PER_PART = 500


class ReportRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def report_job_start(user, report: GisementReport) -> ReportJob:
    """Ask for the full PDF of a report; the task runs after the commit (at once when Celery
    is eager). Refused, with a French message, when the annex is too long for a PDF."""
    from .tasks import build_report_job

    if report.is_empty:
        raise ReportRefused(_("Aucun appareil sur cette période : il n'y a rien à mettre en page."))
    if report.annex_total > BACKGROUND_ANNEX_LIMIT:
        raise ReportRefused(
            _(
                "L'annexe compte %(n)s effacements : au-delà de %(limit)s lignes, un PDF n'est "
                "plus lisible. Téléchargez l'annexe au format CSV (toutes les lignes), ou "
                "choisissez une période plus courte."
            )
            % {"n": report.annex_total, "limit": BACKGROUND_ANNEX_LIMIT}
        )
    subject, period = report.subject, report.period
    with transaction.atomic():
        job = ReportJob.objects.create(
            requested_by=user,
            subject_kind=subject.kind,
            subject_id=subject.pk,
            starts_on=period.start,
            ends_on=period.end,
            title=f"{subject.title} — {period_text(period)}"[:300],
            total=report.annex_total,
        )
        transaction.on_commit(lambda: build_report_job.delay(job.pk))
    return job


def run_report_job(job_id: int) -> None:
    """Lay the report out, then the annex by parts of 500 rows, saving progress after each
    part; a job already started is left alone. The scope is checked again: a user who lost
    access since asking gets a failed job, not the report."""
    from documents.rendering import render_pdf_in_parts

    from .access import report_scope
    from .exports import pdf_context

    if not ReportJob.objects.filter(pk=job_id, status=ReportJobStatus.PENDING).update(
        status=ReportJobStatus.RUNNING
    ):
        return
    job = ReportJob.objects.select_related("requested_by").get(pk=job_id)
    try:
        subject: ReportSubject = subject_in_scope(
            report_scope(job.requested_by), job.subject_kind, job.subject_id
        )
        period = Period(job.starts_on, job.ends_on)
        report = gisement_report(subject, period)
        context = pdf_context(report, annex_limit=0)
        context["annex_follows"] = True
        parts = [("rapports/pdf/gisement_report.html", context)]
        chunk = []
        for row in annex_rows(subject, period, limit=BACKGROUND_ANNEX_LIMIT):
            chunk.append(row)
            if len(chunk) == ANNEX_ROWS_PER_PART:
                parts.append(_annex_part(chunk, report))
                chunk = []
        if chunk:
            parts.append(_annex_part(chunk, report))

        def progress(done_parts: int) -> None:
            done = min(job.total, max(0, done_parts - 1) * ANNEX_ROWS_PER_PART)
            ReportJob.objects.filter(pk=job_id).update(done=done)

        pdf = render_pdf_in_parts(parts, progress=progress)
        job.file.save(filename(subject, period, "pdf", "complet"), ContentFile(pdf), save=False)
    except Exception as error:
        logger.exception("Report job %s failed", job_id)
        ReportJob.objects.filter(pk=job_id).update(
            status=ReportJobStatus.FAILED, error=str(error)[:2000], finished_at=timezone.now()
        )
        return
    ReportJob.objects.filter(pk=job_id).update(
        status=ReportJobStatus.DONE, done=job.total, file=job.file.name, finished_at=timezone.now()
    )


def _annex_part(rows: list, report: GisementReport):
    from .selectors import ANNEX_COLUMNS

    return (
        "rapports/pdf/annex_part.html",
        {"report": report, "annex": rows, "annex_columns": ANNEX_COLUMNS},
    )

"""Reads of the import, scoped to the user's organisations: another organisation's import is
a 404."""

from collections.abc import Iterator

from django.http import Http404
from django.utils.translation import gettext as _

from parc.models import Device
from parc.selectors import visible_organisation_ids

from . import analysis
from .models import ImportJob, ImportOutcome, ImportRow, ImportStatus


def import_task_id(job: ImportJob) -> str:
    """The Celery task id of a background import, from which its progress is read."""
    return f"parc-import-{job.pk}"


def jobs_visible_to(user):
    org_ids = visible_organisation_ids(user)
    queryset = ImportJob.objects.select_related("donation__gisement__donor", "created_by")
    if org_ids is not None:
        queryset = queryset.filter(organisation_id__in=org_ids)
    return queryset


def job_for(user, pk: int) -> ImportJob:
    """The job, or 404: another organisation's import does not exist for this user."""
    try:
        return jobs_visible_to(user).get(pk=pk)
    except ImportJob.DoesNotExist:
        raise Http404 from None


ROWS_PAGE = 100


def rows_page(job: ImportJob, *, outcome: str = "", after: int = 0) -> tuple[list[ImportRow], bool]:
    """One page of the preview, by line number (keyset): the same cost for page 1 and 100."""
    queryset = job.rows.filter(line__gt=after).order_by("line")
    if outcome:
        queryset = queryset.filter(outcome=outcome)
    rows = list(
        queryset.only("line", "outcome", "data", "messages", "public_code", "job_id")[
            : ROWS_PAGE + 1
        ]
    )
    return rows[:ROWS_PAGE], len(rows) > ROWS_PAGE


def error_report_rows(job: ImportJob) -> Iterator[list]:
    """The error report: header, then each row in error with its message and its cells."""
    yield [_("Ligne"), _("Erreurs"), *job.headers]
    queryset = job.rows.filter(outcome=ImportOutcome.ERROR).order_by("line")
    for row in queryset.values_list("line", "messages", "cells").iterator(
        chunk_size=analysis.CHUNK
    ):
        line, messages, cells = row
        yield [line, messages, *cells]


def imported_device_ids(job: ImportJob) -> list[int]:
    codes = job.rows.filter(outcome=ImportOutcome.CREATED).values("public_code")
    return list(
        Device.objects.filter(public_code__in=codes).order_by("id").values_list("id", flat=True)
    )


def import_progress(job: ImportJob) -> int:
    """Devices created so far by a background import (from Celery's result backend)."""
    if job.status != ImportStatus.IMPORTING:
        return job.created_count
    try:
        from celery.result import AsyncResult

        info = AsyncResult(import_task_id(job)).info
    except Exception:  # no result backend reachable: the bar just waits
        return 0
    return int(info.get("done", 0)) if isinstance(info, dict) else 0

"""Reads of the import, scoped to the user's organisations: another organisation's import is
a 404."""

from collections.abc import Iterator

from django.http import Http404
from django.utils.translation import gettext as _

from parc.models import Device
from parc.selectors import visible_organisation_ids

from . import analysis
from .models import ImportJob, ImportOutcome, ImportRow


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
        queryset.only("line", "outcome", "data", "messages", "notes", "public_code", "job_id")[
            : ROWS_PAGE + 1
        ]
    )
    return rows[:ROWS_PAGE], len(rows) > ROWS_PAGE


def rejected_rows(job: ImportJob) -> Iterator[list]:
    """The rows left out, as the donor's file had them (its header, its cells) with an added
    « Erreur » column: to fix and import again (the column is then ignored)."""
    width = len(job.headers)
    yield [*job.headers, _("Erreur")]
    queryset = job.rows.filter(outcome=ImportOutcome.ERROR).order_by("line")
    for messages, cells in queryset.values_list("messages", "cells").iterator(
        chunk_size=analysis.CHUNK
    ):
        cells = list(cells[:width]) + [""] * max(0, width - len(cells))
        yield [*cells, messages]


def imported_device_ids(job: ImportJob) -> list[int]:
    codes = job.rows.filter(outcome=ImportOutcome.CREATED).values("public_code")
    return list(
        Device.objects.filter(public_code__in=codes).order_by("id").values_list("id", flat=True)
    )

"""The dry run: every row of the file read, cleaned and staged as an ``ImportRow`` with its
outcome (to create, already in this donation, error), in chunks; nothing written to the pool.
Duplicates are found by querying the rows already staged, not by keeping every serial in
memory. Each new row gets the public code its device will have (drawn free now, checked
again at the import)."""

import contextlib

from django.utils import timezone
from django.utils.translation import gettext as _

from parc.bulk import raw_insert
from parc.codes import generate_code
from parc.models import Device

from .cleaning import RowResult, clean_row, same_device
from .columns import mapping_problems
from .errors import IntakeError
from .models import ImportJob, ImportOutcome, ImportRow
from .reading import iter_rows

# Rows per database round trip (staging, import, error report).
CHUNK = 500


def job_analyse(job: ImportJob) -> dict:
    """Read every row, stage it with its outcome; nothing is written to the pool. The work of
    the preview step (``core.jobs.run_job``): beats as it goes, returns the fields saved with
    its success."""
    problems = mapping_problems(job)
    if problems:
        raise IntakeError(" ".join(problems))
    job.rows.all().delete()
    counts = {ImportOutcome.NEW: 0, ImportOutcome.EXISTING: 0, ImportOutcome.ERROR: 0}
    chunk: list[RowResult] = []
    done = 0
    with contextlib.closing(iter_rows(job)) as rows:
        for line, cells in rows:
            result = clean_row(job, line, cells)
            if result is not None:
                chunk.append(result)
            if len(chunk) >= CHUNK:
                done += _stage(job, chunk, counts)
                chunk = []
                job.beat(done)
    if chunk:
        done += _stage(job, chunk, counts)
    return {
        "counts": {str(k): v for k, v in counts.items()},
        "analysed_at": timezone.now(),
        "total_rows": done,
        "total": done,
        "done": done,
    }


ROW_FIELDS = [
    "job",
    "line",
    "outcome",
    "data",
    "cells",
    "messages",
    "notes",
    "match_key",
    "public_code",
]


def _stage(job: ImportJob, chunk: list[RowResult], counts: dict) -> int:
    keys = {r.key for r in chunk if r.key}
    first_lines: dict[str, list[tuple[int, str]]] = {}
    for key, line, data in ImportRow.objects.filter(job=job, match_key__in=keys).values_list(
        "match_key", "line", "data"
    ):
        first_lines.setdefault(key, []).append((line, data.get("brand", "")))
    existing: dict[str, list[dict]] = {}
    for device in Device.objects.filter(owner_id=job.organisation_id, serial_key__in=keys).values(
        "serial_key", "brand", "donation_id", "public_code"
    ):
        existing.setdefault(device["serial_key"], []).append(device)
    rows = []
    for result in chunk:
        outcome = ImportOutcome.NEW
        messages = list(result.errors)
        key = result.key
        brand = result.data.get("brand", "")
        if key and not result.errors:
            earlier = [
                line for line, other in first_lines.get(key, []) if same_device(brand, other)
            ]
            known = [d for d in existing.get(key, []) if same_device(brand, d["brand"])]
            if earlier:
                messages.append(
                    _("doublon : même numéro de série que la ligne %(line)s") % {"line": earlier[0]}
                )
            elif any(d["donation_id"] == job.donation_id for d in known):
                outcome = ImportOutcome.EXISTING
            elif known:
                other = known[0]
                messages.append(
                    _("numéro de série déjà enregistré (%(code)s) dans %(where)s")
                    % {
                        "code": other["public_code"],
                        "where": _("un autre don")
                        if other["donation_id"]
                        else _("le parc, sans don"),
                    }
                )
        if key:
            first_lines.setdefault(key, []).append((result.line, brand))
        if messages:
            outcome = ImportOutcome.ERROR
        counts[outcome] += 1
        rows.append(
            (
                job.pk,
                result.line,
                outcome,
                result.data,
                result.cells if outcome == ImportOutcome.ERROR else [],
                " ; ".join(messages),
                " ; ".join(result.notes),
                key,
                generate_code() if outcome == ImportOutcome.NEW else "",
            )
        )
    raw_insert(ImportRow, ROW_FIELDS, rows)
    return len(chunk)

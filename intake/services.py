"""The use cases of the import of a donor's inventory list (the donor's own spreadsheet, CSV
or XLSX, read as it comes, previewed row by row, then its valid rows imported into the
donation, all of them or none), each a function the views and the Celery tasks call:

1. ``job_create`` holds the file to the limits (``reading``: an XLSX inspected before it is
   opened, a CSV while its rows are counted), stores it, finds its header among the first
   rows (``columns.guess_header``: titles, merged cells and blank rows skipped) and maps
   each column to a field: what the team chose for this donor's last file first
   (``SavedMapping``), then French and English aliases. An uncertain header or a column it
   cannot place leaves the job on the mapping screen (``job_set_header``,
   ``job_set_mapping``, which remembers the choice for the donor).
2. ``start_analysis`` runs the preview (``analysis.job_analyse``) now or in the background:
   every row read as a stream, cleaned (``cleaning``), flagged, staged as an ``ImportRow``.
   Nothing is written to the pool.
3. ``start_import`` runs ``job_import`` now or in the background: the valid rows of the
   preview (those in error are left out, downloadable to be fixed) in one transaction,
   through ``parc.services.devices_register_bulk`` (a free random public code per device,
   its storage media, one ``register`` event each), after checking again, under a lock on
   the donation, that the donation still accepts devices and that no serial was registered
   since the preview. This app writes only its own rows; ``parc`` writes the devices.

Both long steps are background jobs of the kernel (``ImportJob`` is a
``core.jobs.BackgroundJob``; the task runs them through ``core.jobs.run_job``): progress,
heartbeat, a dead worker's job failed and restartable.

Memory: the file is never loaded whole; rows go to the database in chunks.

django-import-export: its ``import_data`` loads the whole file into a tablib ``Dataset`` and
saves rows one by one, which neither streams nor keeps the pool's invariants (public codes,
events); its widgets clean the text cells here (``import_export.widgets.CharWidget``).
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from acteurs.permissions import POOL_MANAGER_ROLES, has_role
from core.jobs import JobStatus, run_job
from dons.models import Donation
from parc.models import Device
from parc.services import DeviceRow, MediumRow, devices_register_bulk

from . import analysis
from .cleaning import same_device
from .columns import (
    IGNORE,
    guess_header,
    guess_mapping,
    mapping_problems,
    mapping_to_remember,
    unmapped_columns,
)
from .errors import IntakeError
from .models import ImportJob, ImportOutcome, ImportRow, ImportStage, SavedMapping
from .reading import (
    count_rows,
    detect_delimiter,
    detect_encoding,
    first_lines,
    head_rows,
    header_at,
    inspect_xlsx,
    sniff,
)

# From this many rows, the preview and the import run in the background (Celery).
BACKGROUND_FROM = getattr(settings, "INTAKE_BACKGROUND_FROM", 1000)
MAX_FILE_BYTES = getattr(settings, "INTAKE_MAX_FILE_BYTES", 10 * 1024 * 1024)


# --- step 1: the file ------------------------------------------------------------------------


def check_permission(user, organisation_id: int) -> None:
    if not user.is_superuser and not has_role(user, organisation_id, POOL_MANAGER_ROLES):
        raise IntakeError(
            _("Seuls l'équipe et les administrateurs de la structure importent des listes."),
            code="intake_not_permitted",
        )


def check_donation_accepts_devices(donation: Donation) -> None:
    if not donation.accepts_devices:
        raise IntakeError(
            _(
                "Le %(donation)s est %(state)s : on n'y importe plus d'appareils. Choisissez "
                "un don en cours."
            )
            % {"donation": donation, "state": donation.get_state_display().lower()},
            code="intake_donation_closed",
        )


def job_create(user, donation, upload) -> ImportJob:
    """Hold the file to the limits, store it, find its header and map its columns; the job
    then waits for the mapping screen or the preview."""
    organisation_id = donation.gisement.refurbisher_id
    check_permission(user, organisation_id)
    check_donation_accepts_devices(donation)
    size = getattr(upload, "size", 0) or 0
    if size > MAX_FILE_BYTES:
        raise IntakeError(
            _(
                "Le fichier fait %(size)s Mo : la limite est de %(limit)s Mo. Découpez la liste "
                "en plusieurs fichiers, ou enregistrez-la en CSV (bien plus léger que XLSX)."
            )
            % {
                "size": number_format(size / 2**20, 1),
                "limit": number_format(MAX_FILE_BYTES / 2**20, 0),
            },
            code="intake_too_large",
        )
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    file_format = sniff(head)
    job = ImportJob(
        organisation_id=organisation_id,
        donation=donation,
        created_by=user,
        original_name=str(getattr(upload, "name", "liste"))[-255:],
        file_format=file_format,
        stage=ImportStage.MAPPING,
        status=JobStatus.DONE,
    )
    if file_format == "xlsx":
        # Before anything opens it or stores it: sizes, XML, rows, columns, cells.
        job.sheet_facts = inspect_xlsx(upload)
    else:
        job.encoding = detect_encoding(upload)
        job.delimiter = detect_delimiter(first_lines(upload, job.encoding))
    job.file.save(_storage_name(job.original_name), upload, save=False)
    try:
        rows = head_rows(job)
        if not rows:
            raise IntakeError(_("Le fichier est vide."))
        remembered = saved_mapping_for(job)
        job.header_line, job.header_certain = guess_header(
            rows, remembered.columns if remembered else None
        )
        _read_columns(job, remembered, rows)
        if job.total_rows == 0:
            raise IntakeError(
                _("Le fichier ne contient que des en-têtes, aucune ligne d'appareil.")
            )
    except IntakeError:
        job.file.delete(save=False)
        raise
    job.save()
    return job


def _storage_name(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-")[-80:] or "liste"
    return stem


def _read_columns(job: ImportJob, remembered: SavedMapping | None, head: list) -> None:
    """Headers at ``job.header_line`` (among ``head``, the first rows), their mapping
    (remembered for the donor, else aliases), the rows below them counted (a CSV held to the
    limits on the way)."""
    job.headers = header_at(job, job.header_line, head)
    job.mapping = guess_mapping(job.headers, remembered.columns if remembered else None)
    job.mapping_remembered = remembered is not None and any(
        key in remembered.columns for key in mapping_to_remember(job)
    )
    if remembered is not None and not job.default_kind:
        job.default_kind = remembered.default_kind
    job.total_rows = count_rows(job, head)


def saved_mapping_for(job: ImportJob) -> SavedMapping | None:
    return SavedMapping.objects.filter(
        organisation_id=job.organisation_id, donor_id=job.donation.gisement.donor_id
    ).first()


def job_needs_columns(job: ImportJob) -> bool:
    """Whether the mapping screen must be seen before the preview."""
    return not job.header_certain or bool(mapping_problems(job)) or bool(unmapped_columns(job))


def job_set_header(user, job: ImportJob, line: int) -> None:
    """The user's choice of the header row: columns read again from it."""
    check_permission(user, job.organisation_id)
    _check_not_started(job)
    head = head_rows(job)
    if line not in {row_line for row_line, _cells in head}:
        raise IntakeError(_("Choisissez une des lignes montrées."), code="intake_bad_header")
    job.header_line = line
    job.header_certain = True
    job.default_kind = ""
    _read_columns(job, saved_mapping_for(job), head)
    if job.total_rows == 0:
        raise IntakeError(_("Aucune ligne d'appareil sous la ligne choisie."))
    job.save(
        update_fields=[
            "header_line",
            "header_certain",
            "headers",
            "mapping",
            "mapping_remembered",
            "default_kind",
            "total_rows",
        ]
    )


def job_set_mapping(user, job: ImportJob, mapping: dict[str, str], default_kind: str = "") -> None:
    """The user's mapping (columns left out kept as such); remembered for this donor's next
    file once previewed."""
    check_permission(user, job.organisation_id)
    _check_not_started(job)
    job.mapping = {
        str(index): mapping.get(str(index)) or IGNORE
        for index, header in enumerate(job.headers)
        if str(header or "").strip() or mapping.get(str(index))
    }
    job.default_kind = default_kind or ""
    job.header_certain = True
    job.save(update_fields=["mapping", "default_kind", "header_certain"])


def _remember_mapping(user, job: ImportJob) -> None:
    """The columns of the file previewed, proposed for the donor's next file (merged with
    what was remembered of earlier files: a column this file lacks is not forgotten)."""
    saved = saved_mapping_for(job)
    columns = {**(saved.columns if saved else {}), **mapping_to_remember(job)}
    SavedMapping.objects.update_or_create(
        organisation_id=job.organisation_id,
        donor_id=job.donation.gisement.donor_id,
        defaults={
            "columns": columns,
            "default_kind": job.default_kind,
            "updated_by": user,
            "updated_at": timezone.now(),
        },
    )


def _check_not_started(job: ImportJob) -> None:
    if job.in_progress or job.imported:
        raise IntakeError(
            _("Cet import est déjà lancé : ses colonnes ne changent plus."),
            code="intake_already_started",
        )


# --- step 2: the preview -----------------------------------------------------------------------


def start_analysis(user, job: ImportJob) -> bool:
    """Run the preview now, or hand it to Celery; True when it runs in the background."""
    check_permission(user, job.organisation_id)
    _check_not_started(job)
    problems = mapping_problems(job)
    if problems:
        raise IntakeError(" ".join(problems), code="intake_mapping_incomplete")
    _remember_mapping(user, job)
    ImportJob.objects.filter(pk=job.pk).update(
        stage=ImportStage.PREVIEW,
        status=JobStatus.PENDING,
        total=job.total_rows,
        done=0,
        attempts=0,
        error="",
        created_at=timezone.now(),
        started_at=None,
        heartbeat_at=None,
        finished_at=None,
    )
    job.refresh_from_db()
    if job.total_rows >= BACKGROUND_FROM:
        job.enqueue()
        return True
    run_step(job.pk)
    job.refresh_from_db()
    return False


# --- step 3: the import ------------------------------------------------------------------------


def start_import(job: ImportJob, actor) -> bool:
    """Import the valid rows now, or hand it to Celery; True when it runs in the background."""
    check_permission(actor, job.organisation_id)
    if job.imported or (job.stage == ImportStage.IMPORT and job.in_progress):
        return job.in_progress
    if not job.previewed:
        raise IntakeError(_("L'aperçu de ce fichier n'est pas prêt."), code="intake_not_previewed")
    new = job.counts.get(ImportOutcome.NEW, 0)
    if not new:
        raise IntakeError(
            _("Aucune ligne valide à importer dans ce fichier."), code="intake_nothing_to_import"
        )
    check_donation_accepts_devices(job.donation)
    # From the preview only, once: a second click finds the import started.
    started = ImportJob.objects.filter(
        pk=job.pk, stage=ImportStage.PREVIEW, status=JobStatus.DONE
    ).update(
        stage=ImportStage.IMPORT,
        status=JobStatus.PENDING,
        imported_by=actor,
        total=new,
        done=0,
        attempts=0,
        error="",
        created_at=timezone.now(),
        started_at=None,
        heartbeat_at=None,
        finished_at=None,
    )
    job.refresh_from_db()
    if not started:
        return job.in_progress
    if new >= BACKGROUND_FROM:
        job.enqueue()
        return True
    run_step(job.pk)
    job.refresh_from_db()
    return False


def job_import(job: ImportJob) -> dict:
    """Create the devices of the preview's valid rows, all or none (the work of the import
    step: ``core.jobs.run_job``)."""
    actor = job.imported_by
    if actor is None:  # a job started before imports recorded who asked for them
        raise IntakeError(
            _("On ne sait pas qui a demandé cet import : refaites l'aperçu puis importez."),
            code="intake_not_previewed",
        )
    with transaction.atomic():
        check_permission(actor, job.organisation_id)
        # One import at a time per donation: the second waits, then finds the devices.
        donation = Donation.objects.select_for_update().get(pk=job.donation_id)
        check_donation_accepts_devices(donation)
        created = 0
        after = 0
        while True:
            chunk = list(
                ImportRow.objects.filter(job=job, outcome=ImportOutcome.NEW, line__gt=after)
                .order_by("line")
                .only("pk", "line", "data", "match_key", "public_code")[: analysis.CHUNK]
            )
            if not chunk:
                break
            after = chunk[-1].line
            created += _create_chunk(job, donation, chunk, actor)
            job.beat(created)
        # Counted from the rows: a restart after a worker died past the commit adds nothing.
        total = ImportRow.objects.filter(job=job, outcome=ImportOutcome.CREATED).count()
        now = timezone.now()
        ImportJob.objects.filter(pk=job.pk).update(created_count=total, imported_at=now)
    return {"created_count": total, "imported_at": now, "done": job.total}


def _create_chunk(job: ImportJob, donation, chunk: list[ImportRow], actor) -> int:
    keys = {row.match_key for row in chunk}
    known = {}
    for device in Device.objects.filter(owner_id=job.organisation_id, serial_key__in=keys).values(
        "serial_key", "brand", "donation_id", "public_code"
    ):
        known.setdefault(device["serial_key"], []).append(device)
    for row in chunk:
        clash = [
            d for d in known.get(row.match_key, []) if same_device(row.data["brand"], d["brand"])
        ]
        if clash:
            raise IntakeError(
                _(
                    "Ligne %(line)s : le numéro de série %(serial)s a été enregistré entre-temps "
                    "(%(code)s). Relancez l'aperçu. Rien n'a été importé."
                )
                % {"line": row.line, "serial": row.data["serial"], "code": clash[0]["public_code"]},
                code="intake_serial_taken",
            )
    note = _("Importé de la liste « %(name)s », ligne %(line)s.")
    devices = [_device_row(job, row, note) for row in chunk]
    registered = devices_register_bulk(
        owner=job.organisation, actor=actor, donation=donation, rows=devices
    )
    # Each row keeps the code its device got: the preview and the labels read it.
    redrawn = []
    for row, (_device_id, code) in zip(chunk, registered, strict=True):
        if row.public_code != code:
            row.public_code = code
            redrawn.append(row)
    if redrawn:
        ImportRow.objects.bulk_update(redrawn, ["public_code"])
    ImportRow.objects.filter(pk__in=[row.pk for row in chunk]).update(outcome=ImportOutcome.CREATED)
    return len(registered)


def _device_row(job: ImportJob, row: ImportRow, note: str) -> DeviceRow:
    data = row.data
    return DeviceRow(
        kind=data["kind"],
        brand=data.get("brand", ""),
        model=data.get("model", ""),
        serial=data.get("serial", ""),
        serial_raw=data.get("serial_raw", ""),
        cpu=data.get("cpu", ""),
        ram_gb=Decimal(data["ram_gb"]) if data.get("ram_gb") else None,
        os=data.get("os", ""),
        asset_tag=data.get("asset_tag", ""),
        weight_kg=Decimal(data["weight_kg"]) if data.get("weight_kg") else None,
        purchase_date=data.get("purchase_date") or None,
        notes=data.get("notes", ""),
        received_without_storage=bool(data.get("without_storage")),
        media=tuple(
            MediumRow(media_type=medium["media_type"], capacity_gb=medium["capacity_gb"])
            for medium in data.get("media", [])
        ),
        # Drawn free at the preview, where the user saw it; parc draws again if taken since.
        public_code=row.public_code,
        event_note=note % {"name": job.original_name, "line": row.line},
        event_data={"import_job": job.pk, "line": row.line},
    )


# --- running the steps (inline for small files, in the background from BACKGROUND_FROM) ----


def run_step(job_id: int) -> None:
    """What the task runs: the job's current step, through the kernel's ``run_job`` (claim,
    work, success or failure with a French message)."""
    stage = ImportJob.objects.filter(pk=job_id).values_list("stage", flat=True).first()
    if stage == ImportStage.PREVIEW:
        run_job(ImportJob, job_id, analysis.job_analyse)
    elif stage == ImportStage.IMPORT:
        run_job(ImportJob, job_id, job_import)


def restart(user, job: ImportJob) -> None:
    """A failed step started again (the preview from the start; the import, which wrote
    nothing, likewise)."""
    check_permission(user, job.organisation_id)
    job.restart()

"""The use cases of the import of a donor's inventory list (the donor's own spreadsheet, CSV
or XLSX, read as it comes, previewed row by row, then imported all or nothing into the
donation), each a function the views and the Celery tasks call:

1. ``job_create`` stores the file, recognises its format (``reading``: XLSX, or CSV with its
   encoding and separator), reads its header and maps each column to a field through French
   and English aliases (``columns``). Columns it cannot place leave the job waiting for the
   mapping screen (``job_set_mapping``).
2. ``start_analysis`` runs the dry run (``analysis.job_analyse``) now or in the background:
   every row read as a stream, cleaned (``cleaning``), flagged, staged as an ``ImportRow``.
   Nothing is written to the pool.
3. ``start_import`` runs ``job_import`` now or in the background: the devices of a clean
   preview, in one transaction, through ``parc.services.devices_register_bulk`` (a free
   random public code per device, its storage media, one ``register`` event each), after
   checking again, under a lock on the donation, that nothing changed since the preview.
   This app writes only its own rows (jobs and staged rows); ``parc`` writes the devices.

Memory: the file is never loaded whole; rows go to the database in chunks.

django-import-export: its ``import_data`` loads the whole file into a tablib ``Dataset`` and
saves rows one by one, which neither streams nor keeps the pool's invariants (public codes,
events); its widgets clean the text cells here (``import_export.widgets.CharWidget``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from acteurs.permissions import POOL_MANAGER_ROLES, has_role
from dons.models import Donation
from parc.models import Device
from parc.services import DeviceRow, MediumRow, devices_register_bulk

from . import analysis
from .analysis import job_analyse
from .cleaning import same_device
from .columns import IGNORE, guess_mapping, mapping_problems
from .errors import IntakeError
from .models import ImportJob, ImportOutcome, ImportRow, ImportStatus
from .reading import count_rows, detect_delimiter, detect_encoding, first_line, read_header, sniff
from .selectors import import_task_id

# From this many rows, the analysis and the import run in the background (Celery).
BACKGROUND_FROM = getattr(settings, "INTAKE_BACKGROUND_FROM", 1000)
MAX_FILE_BYTES = getattr(settings, "INTAKE_MAX_FILE_BYTES", 10 * 1024 * 1024)
MAX_ROWS = 50_000

logger = logging.getLogger(__name__)


# --- step 1: the file ------------------------------------------------------------------------


def check_permission(user, organisation_id: int) -> None:
    if not user.is_superuser and not has_role(user, organisation_id, POOL_MANAGER_ROLES):
        raise IntakeError(
            _("Seuls l'équipe et les administrateurs de la structure importent des listes.")
        )


def job_create(user, donation, upload) -> ImportJob:
    """Store the file and read its header; the job is ready for the mapping or the analysis."""
    organisation_id = donation.gisement.refurbisher_id
    check_permission(user, organisation_id)
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
            }
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
    )
    if file_format == "csv":
        job.encoding = detect_encoding(upload)
        job.delimiter = detect_delimiter(first_line(upload, job.encoding))
    job.file.save(_storage_name(job.original_name), upload, save=False)
    headers = read_header(job)
    job.headers = headers
    job.mapping = guess_mapping(headers)
    job.total_rows = count_rows(job)
    if job.total_rows == 0:
        job.file.delete(save=False)
        raise IntakeError(_("Le fichier ne contient que des en-têtes, aucune ligne d'appareil."))
    if job.total_rows > MAX_ROWS:
        job.file.delete(save=False)
        raise IntakeError(
            _("Le fichier compte %(count)s lignes : découpez-le en fichiers de %(max)s au plus.")
            % {"count": job.total_rows, "max": MAX_ROWS}
        )
    job.status = ImportStatus.MAPPING
    job.save()
    return job


def _storage_name(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-")[-80:] or "liste"
    return stem


def job_set_mapping(job: ImportJob, mapping: dict[str, str], default_kind: str = "") -> None:
    job.mapping = {k: v for k, v in mapping.items() if v and v != IGNORE}
    job.default_kind = default_kind or ""
    job.save(update_fields=["mapping", "default_kind"])


# --- step 3: the import ----------------------------------------------------------------------


def job_import(job_id: int, actor, progress: Callable[[int], None] | None = None) -> ImportJob:
    """Create the devices of a clean preview, all or none."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        check_permission(actor, job.organisation_id)
        if job.status == ImportStatus.DONE:
            return job
        if job.status not in (ImportStatus.PREVIEWED, ImportStatus.IMPORTING):
            raise IntakeError(_("L'aperçu de ce fichier n'est pas prêt."))
        if job.counts.get(ImportOutcome.ERROR, 0):
            raise IntakeError(
                _(
                    "L'aperçu signale des erreurs : corrigez le fichier et déposez-le à nouveau. "
                    "Rien n'a été importé."
                )
            )
        # One import at a time per donation: the second waits, then finds the devices.
        donation = Donation.objects.select_for_update().get(pk=job.donation_id)
        if donation.state == "cancelled":
            raise IntakeError(_("Ce don est annulé : on n'y importe plus d'appareils."))
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
            if progress:
                progress(created)
        job.status = ImportStatus.DONE
        job.created_count = created
        job.imported_at = timezone.now()
        job.save(update_fields=["status", "created_count", "imported_at"])
    return job


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
                % {"line": row.line, "serial": row.data["serial"], "code": clash[0]["public_code"]}
            )
    note = _("Importé de la liste « %(name)s », ligne %(line)s.")
    devices = [
        DeviceRow(
            kind=row.data["kind"],
            brand=row.data.get("brand", ""),
            model=row.data.get("model", ""),
            serial=row.data.get("serial", ""),
            cpu=row.data.get("cpu", ""),
            ram_gb=Decimal(row.data["ram_gb"]) if row.data.get("ram_gb") else None,
            notes=row.data.get("notes", ""),
            received_without_storage=bool(row.data.get("without_storage")),
            media=tuple(
                MediumRow(media_type=medium["media_type"], capacity_gb=medium["capacity_gb"])
                for medium in row.data.get("media", [])
            ),
            # Drawn free at the preview, where the user saw it; parc draws again if taken since.
            public_code=row.public_code,
            event_note=note % {"name": job.original_name, "line": row.line},
            event_data={"import_job": job.pk, "line": row.line},
        )
        for row in chunk
    ]
    registered = devices_register_bulk(
        owner=job.organisation, actor=actor, donation=donation, rows=devices
    )
    # Each row keeps the code its device got: the error report and the labels read it.
    redrawn = []
    for row, (_device_id, code) in zip(chunk, registered, strict=True):
        if row.public_code != code:
            row.public_code = code
            redrawn.append(row)
    if redrawn:
        ImportRow.objects.bulk_update(redrawn, ["public_code"])
    ImportRow.objects.filter(pk__in=[row.pk for row in chunk]).update(outcome=ImportOutcome.CREATED)
    return len(registered)


# --- running the steps (inline for small files, in the background from BACKGROUND_FROM) ----


def start_analysis(job: ImportJob) -> bool:
    """Run the dry run now, or hand it to Celery; True when it runs in the background."""
    problems = mapping_problems(job)
    if problems:
        raise IntakeError(" ".join(problems))
    job.status = ImportStatus.ANALYSING
    job.processed_rows = 0
    job.error = ""
    job.save(update_fields=["status", "processed_rows", "error"])
    if job.total_rows >= BACKGROUND_FROM:
        from .tasks import analyse_import_job

        analyse_import_job.delay(job.pk)
        return True
    run_analysis(job.pk)
    return False


def run_analysis(job_id: int) -> None:
    try:
        job_analyse(job_id)
    except IntakeError:
        pass  # job_analyse saved the message on the job
    except Exception:
        logger.exception("Analysis of import job %s failed", job_id)
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportStatus.FAILED,
            error=_(
                "L'analyse du fichier a échoué. Déposez-le à nouveau ; si cela recommence, "
                "prévenez l'administrateur."
            ),
        )


def start_import(job: ImportJob, actor) -> bool:
    """Import now, or hand it to Celery; True when it runs in the background."""
    check_permission(actor, job.organisation_id)
    if job.status != ImportStatus.PREVIEWED:
        raise IntakeError(_("L'aperçu de ce fichier n'est pas prêt."))
    if job.counts.get(ImportOutcome.ERROR, 0):
        raise IntakeError(
            _(
                "L'aperçu signale des erreurs : corrigez le fichier et déposez-le à nouveau. "
                "Rien n'a été importé."
            )
        )
    if job.counts.get(ImportOutcome.NEW, 0) >= BACKGROUND_FROM:
        updated = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.PREVIEWED).update(
            status=ImportStatus.IMPORTING, processed_rows=0
        )
        if updated:
            from .tasks import run_import_job

            run_import_job.apply_async((job.pk, actor.pk), task_id=import_task_id(job))
        return True
    run_import(job.pk, actor.pk)
    job.refresh_from_db()
    if job.status == ImportStatus.FAILED:
        raise IntakeError(job.error)
    return False


def run_import(job_id: int, actor_id: int, progress=None) -> None:
    from acteurs.models import User

    actor = User.objects.get(pk=actor_id)
    try:
        job_import(job_id, actor, progress=progress)
    except IntakeError as error:
        ImportJob.objects.filter(pk=job_id).update(status=ImportStatus.FAILED, error=error.message)
    except Exception:
        logger.exception("Import job %s failed", job_id)
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportStatus.FAILED,
            error=_(
                "L'import a échoué et rien n'a été enregistré. Relancez-le ; si cela "
                "recommence, prévenez l'administrateur."
            ),
        )

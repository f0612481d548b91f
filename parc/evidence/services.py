"""Hardware and erasure evidence attached to a device. A hardware report (lshw, inxi,
smartctl, dmidecode) fills the device's empty specs and creates its storage media; an nwipe
log creates one erasure record per disk, matched to the device's media by serial (or created
from the log when the technician confirms it), and is kept as their evidence.

Each file is kept as an ``EvidenceFile`` with its SHA-256. An erasure log is *staged* at
upload (stored on the server, owned by its uploader and the device, expiring after
``STAGING_TTL``) and confirmed in a second step that names it by id: the log never travels back
through the browser.

Each use case is all or nothing: one transaction, the device row locked, the media and erasures
created through ``parc.services`` (so they write their own events), then one event for the
evidence itself. A refusal raises ``EvidenceError`` (``core.errors.InvalidInput``) or one of
``parc.services``' errors with a French message; nothing is left half applied, and a file
stored for a refused action is removed.
"""

from __future__ import annotations

import hashlib
import posixpath
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.errors import InvalidInput, NotFound, Refused

from .. import events
from .. import services as device_services
from ..models import (
    TERMINAL_STATES,
    Device,
    DeviceEvent,
    ErasureRecord,
    EvidenceFile,
    EvidenceKind,
    StorageMedium,
)
from ..models import to_search_key as key
from ..search import hardware_report_text, refresh_search_document
from ..transitions import DEVICE, check_pool_access
from .erasure_logs import MAX_LOG_BYTES, DiskErasure, LogError, NwipeLog, parse_log
from .hardware import MAX_REPORT_BYTES, HardwareReport, MediumSpec, ReportError, parse_report
from .summary import hardware_summary

# Long enough for a lunch break between reading a log and confirming it.
STAGING_TTL = timedelta(hours=24)


class EvidenceError(InvalidInput):
    code = "evidence_refused"


def read_upload(upload, limit: int) -> bytes:
    """The bytes of an uploaded file, refused past ``limit`` without reading it all."""
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise EvidenceError(
            _("Le fichier est trop gros (%(size)s Mo ; au plus %(limit)s Mo).")
            % {"size": str(round(size / 2**20, 1)).replace(".", ","), "limit": limit // 2**20},
            code="file_too_large",
        )
    raw = upload.read(limit + 1)
    if len(raw) > limit:
        raise EvidenceError(
            _("Le fichier est trop gros (au plus %(limit)s Mo).") % {"limit": limit // 2**20},
            code="file_too_large",
        )
    return raw


def _check_actor(actor, device: Device) -> None:
    check_pool_access(device, actor)
    if device.state in TERMINAL_STATES:
        raise Refused(
            _("L'appareil %(code)s est sorti du parc : on n'y joint plus de preuve.")
            % {"code": device.public_code}
        )


def _lock_for(actor, device_id: int) -> Device:
    device = DEVICE.lock(device_id)
    _check_actor(actor, device)
    return device


def _safe_name(filename: str, default: str) -> str:
    name = posixpath.basename(str(filename).replace("\\", "/"))
    safe = "".join(c for c in name if c.isalnum() or c in "._-")[:80].lstrip(".")
    return safe or default


def _storage_path(kind: str, device: Device, filename: str) -> str:
    return f"evidence/{kind}/{timezone.localdate():%Y/%m}/{device.public_code}-{filename}"


class _HashingReader:
    """A file read once by chunks (by the parser) while its size and SHA-256 are computed."""

    def __init__(self, file):
        self.file = file
        self.digest = hashlib.sha256()
        self.size = 0

    def seek(self, position):
        self.file.seek(position)
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size=-1):
        chunk = self.file.read(size)
        self.digest.update(chunk)
        self.size += len(chunk)
        return chunk


# --- hardware reports ----------------------------------------------------------------------

SPEC_FIELDS = ("brand", "model", "serial", "cpu", "ram_gb")


@dataclass
class HardwareOutcome:
    report: HardwareReport
    filled: dict = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)
    media_created: list[StorageMedium] = field(default_factory=list)
    media_known: list[MediumSpec] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    evidence: EvidenceFile | None = None
    event: DeviceEvent | None = None


def _known_medium(existing: list[StorageMedium], spec: MediumSpec) -> StorageMedium | None:
    if spec.serial:
        return next((m for m in existing if m.serial and key(m.serial) == key(spec.serial)), None)
    return next(
        (
            m
            for m in existing
            if not m.serial
            and m.media_type == spec.media_type
            and m.capacity_gb == spec.capacity_gb
        ),
        None,
    )


def hardware_report_apply(
    device_id: int, actor, raw: bytes, *, filename: str = "rapport.json"
) -> HardwareOutcome:
    """Fill the device's empty specs and create its storage media from a hardware report;
    the report is kept as evidence and its French summary in the device's history."""
    try:
        report = parse_report(raw)
    except ReportError as error:
        raise EvidenceError(error.message, code=error.code) from None
    stored = ""
    try:
        with transaction.atomic():
            device = _lock_for(actor, device_id)
            if report.serial and device.serial and key(report.serial) != key(device.serial):
                raise EvidenceError(
                    _(
                        "Ce rapport décrit la machine n° %(report)s, or l'appareil %(code)s "
                        "porte le n° %(device)s : vérifiez que c'est le bon appareil."
                    )
                    % {
                        "report": report.serial,
                        "code": device.public_code,
                        "device": device.serial,
                    },
                    code="report_other_machine",
                )
            outcome = HardwareOutcome(report=report)
            specs = report.specs()
            for name in SPEC_FIELDS:
                if specs[name] in ("", None):
                    continue
                if getattr(device, name) in ("", None):
                    setattr(device, name, specs[name])
                    outcome.filled[name] = specs[name]
                else:
                    outcome.kept.append(name)
            if outcome.filled:
                device.full_clean(exclude=["public_code", "state", "donation", "location"])
                device.save(update_fields=list(outcome.filled))
            existing = list(device.storage_media.all())
            created_specs = []
            for spec in report.media:
                known = _known_medium(existing, spec)
                if known is not None:
                    outcome.media_known.append(spec)
                    if spec.smart_status and known.smart_status != spec.smart_status:
                        # The drive's latest verdict: a disk that fails now is to be destroyed.
                        known.smart_status = spec.smart_status
                        known.save(update_fields=["smart_status"])
                    continue
                medium = device_services.storage_medium_add(device.pk, actor, **spec.as_fields())
                existing.append(medium)
                outcome.media_created.append(medium)
                created_specs.append(spec)
            outcome.summary = hardware_summary(
                report,
                filled=outcome.filled,
                kept=outcome.kept,
                media_created=created_specs,
                media_known=outcome.media_known,
            )
            extension = "txt" if report.format == "dmidecode" else "json"
            name = _safe_name(filename, f"{report.format}.{extension}")
            stored = default_storage.save(
                _storage_path("hardware-reports", device, name), ContentFile(raw)
            )
            outcome.evidence = EvidenceFile.objects.create(
                device=device,
                kind=EvidenceKind.HARDWARE_REPORT,
                file=stored,
                original_name=str(filename)[:255] or name,
                size=len(raw),
                sha256=hashlib.sha256(raw).hexdigest(),
                tool=report.format,
                tool_version=report.tool_version[:30],
                uploaded_by=actor,
            )
            outcome.event = events.hardware_report_attached(
                device,
                actor,
                note=" ".join(outcome.summary),
                data={
                    "format": report.format,
                    "file": stored,
                    "evidence": outcome.evidence.pk,
                    "sha256": outcome.evidence.sha256,
                    "filled": {name: str(value) for name, value in outcome.filled.items()},
                    "media_created": [m.pk for m in outcome.media_created],
                    "virtual": report.virtual,
                    "warnings": report.warnings,
                    "summary": outcome.summary,
                    # What the report says of the machine, for the full-text search.
                    "text": hardware_report_text(report),
                },
            )
            refresh_search_document(device.pk)
            return outcome
    except Exception:
        if stored:
            default_storage.delete(stored)
        raise


# --- nwipe logs ----------------------------------------------------------------------------

IGNORE = "ignore"
CREATE = "creer"


@dataclass
class DiskMatch:
    disk: DiskErasure
    medium: StorageMedium | None = None
    by_serial: bool = False
    already_recorded: bool = False
    ignored: bool = False
    create: bool = False


@dataclass
class LogAnalysis:
    log: NwipeLog
    matches: list[DiskMatch]

    @property
    def unmatched(self) -> list[DiskMatch]:
        return [m for m in self.matches if m.medium is None and not m.ignored and not m.create]


def erasure_log_parse(source) -> NwipeLog:
    try:
        return parse_log(source)
    except LogError as error:
        raise EvidenceError(error.message, code=error.code) from None


def erasure_log_analyse(
    device: Device, log: NwipeLog, assignments: dict[str, object] | None = None
) -> LogAnalysis:
    """Match each wiped disk to one of the device's media: by serial, else as the user chose
    (``assignments``: disk path -> medium id, ``"creer"`` to create the medium from the log,
    or ``"ignore"`` for a disk of another machine)."""
    assignments = assignments or {}
    media = list(device.storage_media.all())
    by_id = {m.pk: m for m in media}
    matches = []
    for disk in log.disks:
        match = DiskMatch(disk=disk)
        if disk.serial:
            match.medium = next(
                (m for m in media if m.serial and key(m.serial) == key(disk.serial)), None
            )
            match.by_serial = match.medium is not None
        choice = assignments.get(disk.path)
        if match.medium is None and choice == IGNORE:
            match.ignored = True
        elif match.medium is None and choice == CREATE:
            match.create = True
        elif match.medium is None and choice not in (None, ""):
            try:
                match.medium = by_id.get(int(choice))
            except (TypeError, ValueError):
                match.medium = None
        if match.medium is not None:
            match.already_recorded = ErasureRecord.objects.filter(
                medium=match.medium,
                tool=log.tool,
                started_at=disk.started_at,
                result=disk.result,
            ).exists()
        matches.append(match)
    return LogAnalysis(log=log, matches=matches)


def erasure_log_stage(device_id: int, actor, upload, *, filename: str = "nwipe.log"):
    """Step 1: read the uploaded log (streamed, never whole in memory) and keep it on the
    server for its uploader, for ``STAGING_TTL``. Returns (the staged EvidenceFile, the log
    read). Nothing is stored for a file that is not an nwipe log."""
    try:
        device = Device.objects.get(pk=device_id)
    except Device.DoesNotExist:
        raise NotFound(_("Cet appareil n'existe pas.")) from None
    _check_actor(actor, device)
    if isinstance(upload, (bytes, bytearray)):
        upload = ContentFile(bytes(upload), name=filename)
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_LOG_BYTES:
        raise EvidenceError(
            _("Ce fichier est trop gros pour un journal nwipe (plus de %(max)s Mo).")
            % {"max": MAX_LOG_BYTES // 2**20},
            code="log_too_large",
        )
    reader = _HashingReader(upload)
    log = erasure_log_parse(reader)
    staged_evidence_purge()
    name = _safe_name(filename, "nwipe.log")
    upload.seek(0)
    stored = default_storage.save(
        _storage_path("erasure-logs", device, name), File(upload, name=name)
    )
    try:
        evidence = EvidenceFile.objects.create(
            device=device,
            kind=EvidenceKind.ERASURE_LOG,
            file=stored,
            original_name=str(filename)[:255] or name,
            size=reader.size,
            sha256=reader.digest.hexdigest(),
            tool=log.tool,
            tool_version=log.tool_version[:30],
            uploaded_by=actor,
            staged_until=timezone.now() + STAGING_TTL,
        )
    except Exception:
        default_storage.delete(stored)
        raise
    return evidence, log


def staged_log_read(evidence: EvidenceFile) -> NwipeLog:
    """The log of a staged (or kept) erasure log, read again from storage."""
    try:
        with default_storage.open(evidence.file.name, "rb") as stored:
            return erasure_log_parse(stored)
    except FileNotFoundError:
        raise EvidenceError(
            _("Le journal déposé n'est plus disponible : joignez-le à nouveau."),
            code="staged_log_gone",
        ) from None


@dataclass
class LogOutcome:
    analysis: LogAnalysis
    evidence: EvidenceFile | None = None
    records: list[ErasureRecord] = field(default_factory=list)
    media_created: list[StorageMedium] = field(default_factory=list)
    event: DeviceEvent | None = None


def erasure_log_confirm(
    evidence_id: int, actor, *, assignments: dict[str, object] | None = None
) -> LogOutcome:
    """Step 2: record the erasures of a staged log, all or none, with the log as their
    evidence. A disk whose serial matches none of the device's media, and that the user did
    not assign, create or ignore, refuses the whole log (its list is in the message). An
    erasure already recorded from the same log is not recorded twice."""
    with transaction.atomic():
        try:
            evidence = EvidenceFile.objects.select_for_update().get(
                pk=evidence_id, kind=EvidenceKind.ERASURE_LOG
            )
        except EvidenceFile.DoesNotExist:
            raise _staged_gone() from None
        if (
            evidence.staged_until is None
            or evidence.staged_until < timezone.now()
            or evidence.uploaded_by_id != actor.pk
        ):
            raise _staged_gone()
        device = _lock_for(actor, evidence.device_id)
        log = staged_log_read(evidence)
        return _record_log(device, actor, log, evidence, assignments)


def _staged_gone() -> EvidenceError:
    return EvidenceError(
        _(
            "Ce journal n'est plus en attente (déjà enregistré, expiré, ou déposé par "
            "quelqu'un d'autre) : joignez-le à nouveau."
        ),
        code="staged_log_gone",
    )


def _record_log(device, actor, log: NwipeLog, evidence, assignments) -> LogOutcome:
    analysis = erasure_log_analyse(device, log, assignments)
    if analysis.unmatched:
        raise EvidenceError(
            _(
                "Ces disques du journal ne correspondent à aucun support de %(code)s "
                "(numéro de série inconnu ou illisible) : %(disks)s. Choisissez le "
                "support de chacun, créez-le à partir du journal, ou ignorez-le s'il "
                "appartient à une autre machine."
            )
            % {
                "code": device.public_code,
                "disks": " ; ".join(m.disk.label for m in analysis.unmatched),
            },
            code="log_disks_unmatched",
        )
    chosen = [m for m in analysis.matches if m.medium is not None]
    media_ids = [m.medium.pk for m in chosen]
    if len(set(media_ids)) != len(media_ids):
        raise EvidenceError(
            _("Deux disques du journal sont attribués au même support."),
            code="log_disks_same_medium",
        )
    outcome = LogOutcome(analysis=analysis, evidence=evidence)
    for match in analysis.matches:
        if match.create:
            match.medium = device_services.storage_medium_add(
                device.pk, actor, **match.disk.medium_fields()
            )
            outcome.media_created.append(match.medium)
    to_record = [m for m in analysis.matches if m.medium is not None and not m.already_recorded]
    for match in to_record:
        fields = log.record_fields(match.disk)
        outcome.records.append(
            device_services.erasure_record(
                match.medium.pk,
                actor,
                report=evidence.file.name,
                evidence=evidence,
                **fields,
            )
        )
    if to_record or outcome.media_created:
        evidence.staged_until = None
        evidence.save(update_fields=["staged_until"])
    else:
        # Every erasure of this log is already on record: the copy is not kept twice.
        _discard(evidence)
        outcome.evidence = evidence = None
    outcome.event = events.erasure_log_attached(
        device,
        actor,
        note=ngettext(
            "Journal %(tool)s %(version)s (%(method)s) : %(count)s effacement enregistré.",
            "Journal %(tool)s %(version)s (%(method)s) : %(count)s effacements enregistrés.",
            len(outcome.records),
        )
        % {
            "tool": log.tool,
            "version": log.tool_version,
            "method": log.method_label,
            "count": len(outcome.records),
        },
        data={
            "file": evidence.file.name if evidence else "",
            "evidence": evidence.pk if evidence else None,
            "sha256": evidence.sha256 if evidence else "",
            "erasures": [r.pk for r in outcome.records],
            "media_created": [m.pk for m in outcome.media_created],
            "ignored": [m.disk.path for m in analysis.matches if m.ignored],
            "already_recorded": [m.disk.path for m in analysis.matches if m.already_recorded],
            "warnings": log.warnings,
        },
    )
    return outcome


def erasure_log_attach(
    device_id: int,
    actor,
    raw,
    *,
    filename: str = "nwipe.log",
    assignments: dict[str, object] | None = None,
) -> LogOutcome:
    """Stage and confirm in one call (a program that already knows the assignments): the
    same checks and the same all-or-nothing as the two steps of the page."""
    evidence, _log = erasure_log_stage(device_id, actor, raw, filename=filename)
    try:
        return erasure_log_confirm(evidence.pk, actor, assignments=assignments)
    except Exception:
        _discard(evidence)
        raise


def _discard(evidence: EvidenceFile) -> None:
    """A staged upload that will not be confirmed: its row goes now, its file once the
    transaction is committed (a rollback keeps both)."""
    name = evidence.file.name
    EvidenceFile.objects.filter(pk=evidence.pk, staged_until__isnull=False).delete()

    def delete_file():
        if not EvidenceFile.objects.filter(file=name).exists():
            default_storage.delete(name)

    transaction.on_commit(delete_file)


def staged_evidence_purge(*, limit: int = 100) -> int:
    """Remove staged uploads past their expiry (row and file), at most ``limit`` per call;
    called at each staging, so a station that uploads keeps the staging area small."""
    expired = list(
        EvidenceFile.objects.filter(staged_until__lt=timezone.now()).order_by("staged_until")[
            :limit
        ]
    )
    for evidence in expired:
        _discard(evidence)
    return len(expired)


__all__ = [
    "CREATE",
    "IGNORE",
    "MAX_LOG_BYTES",
    "MAX_REPORT_BYTES",
    "EvidenceError",
    "erasure_log_analyse",
    "erasure_log_attach",
    "erasure_log_confirm",
    "erasure_log_stage",
    "hardware_report_apply",
    "read_upload",
    "staged_evidence_purge",
    "staged_log_read",
]

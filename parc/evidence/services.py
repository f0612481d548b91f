"""Hardware and erasure evidence attached to a device: a hardware report (lshw or inxi JSON)
fills the device's empty specs and creates its storage media; an nwipe log creates one erasure
record per disk, matched to the device's media by serial, and is kept as their report.

Each use case is all or nothing: one transaction, the device row locked, the media and erasures
created through ``parc.services`` (so they write their own events), then one event for the
evidence itself. A refusal raises ``EvidenceError`` (a ``DeviceActionError``) with a French
message; nothing is left half applied.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from acteurs.permissions import POOL_ROLES, has_role

from .. import services as device_services
from ..models import TERMINAL_STATES, Device, DeviceEvent, ErasureRecord, StorageMedium
from ..models import to_search_key as key
from ..search import hardware_report_text, refresh_search_document
from .erasure_logs import DiskErasure, LogError, NwipeLog, parse_log
from .hardware import HardwareReport, MediumSpec, ReportError, parse_report


class EvidenceError(device_services.DeviceActionError):
    pass


def read_upload(upload, limit: int) -> bytes:
    """The bytes of an uploaded file, refused past ``limit`` without reading it all."""
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise EvidenceError(
            _("Le fichier est trop gros (%(size)s Mo ; au plus %(limit)s Mo).")
            % {"size": round(size / 2**20, 1), "limit": round(limit / 2**20)}
        )
    raw = upload.read(limit + 1)
    if len(raw) > limit:
        raise EvidenceError(
            _("Le fichier est trop gros (au plus %(limit)s Mo).") % {"limit": round(limit / 2**20)}
        )
    return raw


def _lock_for(actor, device_id: int) -> Device:
    try:
        device = Device.objects.select_for_update().get(pk=device_id)
    except Device.DoesNotExist:
        raise EvidenceError(_("Cet appareil n'existe pas.")) from None
    if not actor.is_superuser and not has_role(actor, device.owner_id, POOL_ROLES):
        raise device_services.ActionNotPermitted(_("Vous n'avez pas accès à cet appareil."))
    if device.state in TERMINAL_STATES:
        raise device_services.TransitionRefused(
            _("L'appareil %(code)s est sorti du parc : on n'y joint plus de preuve.")
            % {"code": device.public_code}
        )
    return device


def _store(directory: str, name: str, raw: bytes) -> str:
    path = f"{directory}/{timezone.localdate():%Y/%m}/{name}"
    return default_storage.save(path, ContentFile(raw))


# --- hardware reports ----------------------------------------------------------------------

SPEC_FIELDS = ("brand", "model", "serial", "cpu", "ram_gb")


@dataclass
class HardwareOutcome:
    report: HardwareReport
    filled: dict = field(default_factory=dict)
    media_created: list[StorageMedium] = field(default_factory=list)
    media_known: list[MediumSpec] = field(default_factory=list)
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


def hardware_report_apply(device_id: int, actor, raw: bytes) -> HardwareOutcome:
    """Fill the device's empty specs and create its storage media from a hardware report."""
    try:
        report = parse_report(raw)
    except ReportError as error:
        raise EvidenceError(error.message) from None
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
                    % {"report": report.serial, "code": device.public_code, "device": device.serial}
                )
            outcome = HardwareOutcome(report=report)
            specs = report.specs()
            for name in SPEC_FIELDS:
                if specs[name] not in ("", None) and getattr(device, name) in ("", None):
                    setattr(device, name, specs[name])
                    outcome.filled[name] = str(specs[name])
            if outcome.filled:
                device.full_clean(exclude=["public_code", "state", "donation", "location"])
                device.save(update_fields=list(outcome.filled))
            existing = list(device.storage_media.all())
            for spec in report.media:
                if _known_medium(existing, spec) is not None:
                    outcome.media_known.append(spec)
                    continue
                medium = device_services.storage_medium_add(device.pk, actor, **spec.as_fields())
                existing.append(medium)
                outcome.media_created.append(medium)
            stored = _store("hardware-reports", f"{device.public_code}-{report.format}.json", raw)
            outcome.event = DeviceEvent.objects.create(
                device=device,
                action="hardware_report",
                source_state=device.state,
                target_state=device.state,
                actor=actor,
                note=_hardware_note(outcome),
                data={
                    "format": report.format,
                    "file": stored,
                    "filled": outcome.filled,
                    "media_created": [m.pk for m in outcome.media_created],
                    "warnings": report.warnings,
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


def _hardware_note(outcome: HardwareOutcome) -> str:
    parts = [_("Rapport %(format)s") % {"format": outcome.report.format}]
    if outcome.filled:
        parts.append(
            _("caractéristiques complétées : %(fields)s") % {"fields": ", ".join(outcome.filled)}
        )
    parts.append(
        ngettext(
            "%(count)s support ajouté",
            "%(count)s supports ajoutés",
            len(outcome.media_created),
        )
        % {"count": len(outcome.media_created)}
    )
    return " ; ".join(parts) + "."


# --- nwipe logs ----------------------------------------------------------------------------

IGNORE = "ignore"


@dataclass
class DiskMatch:
    disk: DiskErasure
    medium: StorageMedium | None = None
    by_serial: bool = False
    already_recorded: bool = False
    ignored: bool = False

    @property
    def field_name(self) -> str:
        return "disque_" + hashlib.sha1(self.disk.path.encode()).hexdigest()[:10]


@dataclass
class LogAnalysis:
    log: NwipeLog
    matches: list[DiskMatch]

    @property
    def unmatched(self) -> list[DiskMatch]:
        return [m for m in self.matches if m.medium is None and not m.ignored]


def erasure_log_parse(raw: bytes) -> NwipeLog:
    try:
        return parse_log(raw)
    except LogError as error:
        raise EvidenceError(error.message) from None


def erasure_log_analyse(
    device: Device, log: NwipeLog, assignments: dict[str, object] | None = None
) -> LogAnalysis:
    """Match each wiped disk to one of the device's media: by serial, else as the user chose
    (``assignments``: disk path -> medium id, or ``"ignore"`` for a disk of another machine)."""
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


@dataclass
class LogOutcome:
    analysis: LogAnalysis
    records: list[ErasureRecord] = field(default_factory=list)
    event: DeviceEvent | None = None


def erasure_log_attach(
    device_id: int,
    actor,
    raw: bytes,
    *,
    filename: str = "nwipe.log",
    assignments: dict[str, object] | None = None,
) -> LogOutcome:
    """Create the erasure records of an nwipe log, all or none, with the log as their report.

    A disk whose serial matches none of the device's media, and that the user did not assign
    or ignore, refuses the whole log (its list is in the message). An erasure already recorded
    from the same log is not recorded twice.
    """
    log = erasure_log_parse(raw)
    stored = ""
    try:
        with transaction.atomic():
            device = _lock_for(actor, device_id)
            analysis = erasure_log_analyse(device, log, assignments)
            if analysis.unmatched:
                raise EvidenceError(
                    _(
                        "Ces disques du journal ne correspondent à aucun support de %(code)s "
                        "(numéro de série inconnu ou illisible) : %(disks)s. Choisissez le "
                        "support de chacun, ou ignorez-le s'il appartient à une autre machine."
                    )
                    % {
                        "code": device.public_code,
                        "disks": " ; ".join(m.disk.label for m in analysis.unmatched),
                    }
                )
            chosen = [m for m in analysis.matches if m.medium is not None]
            media_ids = [m.medium.pk for m in chosen]
            if len(set(media_ids)) != len(media_ids):
                raise EvidenceError(_("Deux disques du journal sont attribués au même support."))
            outcome = LogOutcome(analysis=analysis)
            to_record = [m for m in chosen if not m.already_recorded]
            if to_record:
                safe_name = "".join(c for c in filename if c.isalnum() or c in "._-")[:60]
                stored = _store("erasure-reports", f"{device.public_code}-{safe_name}", raw)
            for match in to_record:
                fields = log.record_fields(match.disk)
                outcome.records.append(
                    device_services.erasure_record(match.medium.pk, actor, report=stored, **fields)
                )
            outcome.event = DeviceEvent.objects.create(
                device=device,
                action="erasure_log",
                source_state=device.state,
                target_state=device.state,
                actor=actor,
                note=ngettext(
                    "Journal %(tool)s %(version)s (%(method)s) : %(count)s effacement enregistré.",
                    "Journal %(tool)s %(version)s (%(method)s) : %(count)s effacements "
                    "enregistrés.",
                    len(outcome.records),
                )
                % {
                    "tool": log.tool,
                    "version": log.tool_version,
                    "method": log.method_label,
                    "count": len(outcome.records),
                },
                data={
                    "file": stored,
                    "erasures": [r.pk for r in outcome.records],
                    "ignored": [m.disk.path for m in analysis.matches if m.ignored],
                    "already_recorded": [
                        m.disk.path for m in analysis.matches if m.already_recorded
                    ],
                },
            )
            return outcome
    except Exception:
        if stored:
            default_storage.delete(stored)
        raise


def encode_for_form(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def decode_from_form(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        raise EvidenceError(
            _("Le journal transmis est illisible : joignez-le à nouveau.")
        ) from None

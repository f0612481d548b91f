"""What the registration agent sends about one device, applied through the pool's services.

The hardware report (lshw or inxi) goes to ``parc.evidence.services.hardware_report_apply``,
the nwipe log to ``erasure_log_attach``; smartctl and dmidecode outputs are offered to the
same parser (``parc.evidence.hardware.parse_report``) and reported as "not read" when it does
not know their format. The reports are applied in one transaction (all or none); the log in
its own, so that a disk the server cannot match refuses the log alone (reported as "refused",
to be assigned on the device page), not the hardware reports.
Nothing here parses a report itself.
"""

import json
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from parc import selectors as parc_selectors
from parc.evidence import services as evidence_services
from parc.evidence.hardware import ReportError, parse_report
from parc.evidence.services import SPEC_FIELDS


def as_bytes(value) -> bytes:
    """A report given as a JSON value or as its text."""
    if isinstance(value, str):
        return value.encode("utf-8")
    return json.dumps(value).encode("utf-8")


@dataclass
class EvidenceOutcome:
    code: str
    files: list[dict] = field(default_factory=list)
    filled: dict = field(default_factory=dict)
    media_created: list = field(default_factory=list)
    erasures: list = field(default_factory=list)
    missing: dict = field(default_factory=dict)


def missing_for(user, code: str) -> dict:
    """What the device still lacks after the agent's reports: specs, media serials, erasures."""
    device = parc_selectors.device_with_records(user, code)
    media = list(device.storage_media.all())
    return {
        "specs": [name for name in SPEC_FIELDS if getattr(device, name) in ("", None)],
        "storage_missing": device.storage_missing(),
        "media_without_serial": [m.pk for m in media if not m.serial],
        "media_lacking_erasure": [m.pk for m in device.media_lacking_erasure()],
    }


def evidence_apply(user, device, data: dict) -> EvidenceOutcome:
    outcome = EvidenceOutcome(code=device.public_code)
    with transaction.atomic():
        for name in ("lshw", "inxi"):
            if data.get(name) in (None, "", {}):
                continue
            applied = evidence_services.hardware_report_apply(device.pk, user, as_bytes(data[name]))
            outcome.filled.update(applied.filled)
            outcome.media_created += applied.media_created
            outcome.files.append(
                {
                    "name": name,
                    "status": "applied",
                    "message": " ".join(applied.report.warnings),
                }
            )
        extras = [(f"smartctl[{i}]", raw) for i, raw in enumerate(data.get("smartctl") or [])]
        if data.get("dmidecode"):
            extras.append(("dmidecode", data["dmidecode"]))
        for name, raw in extras:
            outcome.files.append(_offer_to_parser(user, device, name, raw, outcome))
    if data.get("nwipe_raw"):
        outcome.files.append(_attach_log(user, device, data["nwipe_raw"], outcome))
    outcome.missing = missing_for(user, device.public_code)
    return outcome


def _attach_log(user, device, raw: bytes, outcome: EvidenceOutcome) -> dict:
    """The nwipe log in its own transaction: a disk the server cannot match refuses the log
    (the technician assigns it on the device page), not the hardware reports before it."""
    try:
        logged = evidence_services.erasure_log_attach(device.pk, user, raw, filename="nwipe.log")
    except ApplicationError as refusal:
        return {"name": "nwipe_log", "status": "refused", "message": refusal.message}
    outcome.erasures = logged.records
    return {
        "name": "nwipe_log",
        "status": "applied" if logged.records else "already_known",
        "message": logged.event.note if logged.event else "",
    }


def _offer_to_parser(user, device, name: str, raw, outcome: EvidenceOutcome) -> dict:
    raw_bytes = as_bytes(raw)
    try:
        parse_report(raw_bytes)
    except ReportError:
        return {
            "name": name,
            "status": "not_read",
            "message": _("Format non lu par ce serveur : la sortie est ignorée."),
        }
    applied = evidence_services.hardware_report_apply(device.pk, user, raw_bytes)
    outcome.filled.update(applied.filled)
    outcome.media_created += applied.media_created
    return {"name": name, "status": "applied", "message": ""}

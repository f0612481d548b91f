"""``smartctl -j -a /dev/sdX`` (smartmontools 7.0 and later): one disk per output, several
outputs may follow each other in one file. Read into storage media: model, serial, capacity,
kind (NVMe, SSD when the disk does not spin, HDD) and the SMART verdict. smartctl says nothing
of the machine, so the report fills no device spec.

smartctl writes its JSON even when it could not read the disk (a virtual disk, a USB bridge
without pass-through, no root): then ``smartctl.messages`` says why and there is no model;
such a file is refused with that reason.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from .hardware import (
    SCOPE_DISKS,
    VIRTUAL_DISKS,
    HardwareReport,
    MediumSpec,
    ReportError,
    _skip_virtual_disk,
    bytes_to_disk_gb,
    clean,
    media_type_for,
    vendor_from_model,
    vendor_name,
)


def looks_like(data) -> bool:
    items = data if isinstance(data, list) else [data]
    return bool(items) and all(
        isinstance(item, dict) and isinstance(item.get("smartctl"), dict) for item in items
    )


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _version(info: dict) -> str:
    version = info.get("version")
    if isinstance(version, list) and all(isinstance(part, int) for part in version):
        return ".".join(str(part) for part in version[:3])
    return ""


def _messages(info: dict) -> str:
    messages = info.get("messages")
    texts = [
        clean(message.get("string"))
        for message in (messages if isinstance(messages, list) else [])
        if isinstance(message, dict)
    ]
    return " ; ".join(text for text in texts if text)[:300]


def _capacity_bytes(item: dict):
    for value in (
        _dict(item.get("user_capacity")).get("bytes"),
        item.get("nvme_total_capacity"),
    ):
        if isinstance(value, int) and value > 0:
            return value
    namespaces = item.get("nvme_namespaces")
    if isinstance(namespaces, list) and namespaces:
        size = _dict(_dict(namespaces[0]).get("size")).get("bytes")
        if isinstance(size, int):
            return size
    return None


def _media_type(item: dict, path: str, model: str) -> str:
    from ..models import MediaType

    device = _dict(item.get("device"))
    if "nvme" in f"{device.get('type', '')} {device.get('protocol', '')}".lower():
        return MediaType.NVME
    rotation = item.get("rotation_rate")
    if rotation == 0:
        return MediaType.NVME if "nvme" in path else MediaType.SSD
    if isinstance(rotation, int) and rotation > 0:
        return MediaType.HDD
    return media_type_for(path, model)


def parse(data) -> HardwareReport:
    from ..models import SmartStatus

    items = data if isinstance(data, list) else [data]
    report = HardwareReport(format="smartctl", scope=SCOPE_DISKS)
    failures = []
    for item in items:
        info = item["smartctl"]
        report.tool_version = report.tool_version or _version(info)
        device = _dict(item.get("device"))
        path = clean(device.get("name"))
        model = clean(item.get("model_name")) or clean(item.get("product"))
        serial = clean(item.get("serial_number"))
        if not model and not serial:
            failures.append(
                f"{path} : {_messages(info)}" if path else _messages(info) or _("aucune donnée")
            )
            continue
        vendor = vendor_name(item.get("vendor")) or vendor_from_model(model)
        label = " ".join(part for part in (vendor, model, path) if part)
        if VIRTUAL_DISKS.search(f"{vendor} {model}"):
            _skip_virtual_disk(report, label)
            continue
        if str(device.get("type", "")).lower().startswith("usb"):
            report.skipped_disks += 1
            report.warnings.append(
                _("Clé ou disque USB ignoré (ce n'est pas un disque de l'appareil) : %(disk)s.")
                % {"disk": label}
            )
            continue
        passed = _dict(item.get("smart_status")).get("passed")
        smart_status = ""
        if passed is True:
            smart_status = SmartStatus.PASSED
        elif passed is False:
            smart_status = SmartStatus.FAILED
            report.warnings.append(
                _(
                    "Le disque %(disk)s se déclare défaillant (état SMART) : effacez-le puis "
                    "détruisez-le plutôt que de le réemployer."
                )
                % {"disk": label}
            )
        hours = _dict(item.get("power_on_time")).get("hours")
        report.media.append(
            MediumSpec(
                media_type=_media_type(item, path, model),
                manufacturer=vendor,
                model=model,
                serial=serial,
                capacity_gb=bytes_to_disk_gb(_capacity_bytes(item)),
                path=path,
                smart_status=smart_status,
                power_on_hours=hours if isinstance(hours, int) and hours >= 0 else None,
            )
        )
    if not report.media and not report.skipped_disks:
        raise ReportError(
            _(
                "smartctl n'a pu lire aucun disque (%(reason)s). Sur une machine virtuelle, les "
                "disques n'ont pas de données SMART ; sur un vrai disque, relancez « sudo "
                "smartctl -j -a /dev/sdX » (ajoutez « -d sat » pour un disque en boîtier USB)."
            )
            % {"reason": " ; ".join(failures) or _("aucune donnée")},
            code="report_tool_failed",
        )
    for failure in failures:
        report.warnings.append(_("Disque illisible par smartctl : %(why)s.") % {"why": failure})
    return report

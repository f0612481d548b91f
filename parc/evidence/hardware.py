"""Hardware reports: read ``lshw -json``, ``inxi --output json``, ``smartctl -j`` and
``dmidecode`` (text) into the specs of a device and its storage media. Pure functions, no
database: the service that applies a report to a device is
``parc.evidence.services.hardware_report_apply``; the French summary of what a report filled,
lacked and looked like is ``parc.evidence.summary``.

Every input is bounded before it is parsed (size here, JSON depth, item count and integer
length in ``json_limits``): a refusal is a ``ReportError`` (``core.errors.InvalidInput``) with
a French message and a stable code, never a Python error.

What a report says and what it does not:

- lshw reads DMI (vendor, product, serial), the CPU, the memory arrays and the block devices.
  An NVMe drive is a ``storage`` node ("NVMe device", model and serial) whose ``namespace``
  child holds the size. lshw does not say whether a SATA disk spins: a model naming an SSD
  makes it an SSD, anything else on SATA an HDD (the technician can correct it).
- inxi's JSON keys carry a sort prefix (``"005#1#0#Drives"``); ``-z`` filters serial numbers
  (``<filter>``): run it without ``-z`` to get them. Its ``type`` says SSD or HDD when the
  kernel knows.
- USB sticks (the live system the report was taken from), optical drives and virtual disks
  (a virtual machine's ``/dev/vda``) are not the device's storage: they are left out, with a
  warning.
- smartctl describes one disk (``smartctl -j -a /dev/sda``; several outputs may follow each
  other in one file): model, serial, capacity and the SMART verdict. It says nothing of the
  machine: ``smartctl.py``.
- dmidecode describes the machine (system maker, product, serial, processor, memory) and no
  disk: ``dmidecode.py``.
- A virtual machine shows itself by its DMI strings (QEMU, VirtualBox, VMware…), a processor
  flagged ``hypervisor`` or virtio disks: the report is still read, and the summary says so.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from core.errors import InvalidInput

from . import json_limits

# A report larger than this is not a hardware report (lshw's JSON is 10 to 200 kB).
MAX_REPORT_BYTES = 5 * 1024 * 1024

FORMAT_LABELS = {
    "lshw": "lshw",
    "inxi": "inxi",
    "smartctl": "smartctl",
    "dmidecode": "dmidecode",
}

# DMI strings of hypervisors (system vendor, product or version).
VIRTUAL_MACHINE = re.compile(
    r"qemu|kvm|virtualbox|innotek|vmware|bochs|\bxen\b|parallels|hyper-v|"
    r"virtual machine|standard pc \(|firecracker|openstack|amazon ec2|google compute|"
    r"cloud hypervisor",
    re.I,
)

# DMI fields that manufacturers leave filled with a template value.
PLACEHOLDERS = {
    "",
    "0",
    "00000000",
    "0123456789",
    "123456789",
    "1234567890",
    "default string",
    "n/a",
    "na",
    "none",
    "not applicable",
    "not available",
    "not specified",
    "null",
    "o.e.m.",
    "oem",
    "system manufacturer",
    "system product name",
    "system serial number",
    "system version",
    "to be filled by o.e.m.",
    "type1productconfigid",
    "unknown",
    "x.x",
    "<filter>",
    "<superuser required>",
    "<root required>",
}

VENDOR_NAMES = {
    "acer": "Acer",
    "apple inc.": "Apple",
    "asustek computer inc.": "ASUS",
    "asus": "ASUS",
    "dell inc.": "Dell",
    "dell": "Dell",
    "fujitsu": "Fujitsu",
    "fujitsu siemens": "Fujitsu Siemens",
    "hewlett-packard": "HP",
    "hp": "HP",
    "lenovo": "Lenovo",
    "medion": "Medion",
    "microsoft corporation": "Microsoft",
    "msi": "MSI",
    "micro-star international co., ltd.": "MSI",
    "samsung electronics co., ltd.": "Samsung",
    "samsung electronics co ltd": "Samsung",
    "samsung": "Samsung",
    "sony corporation": "Sony",
    "toshiba": "Toshiba",
    "intel corp.": "Intel",
    "intel corporation": "Intel",
    "seagate": "Seagate",
    "western digital": "Western Digital",
    "wdc": "Western Digital",
    "kingston": "Kingston",
    "sandisk": "SanDisk",
    "crucial": "Crucial",
    "micron technology inc": "Micron",
    "sk hynix": "SK hynix",
    "toshiba corporation": "Toshiba",
    "kioxia": "Kioxia",
}

# Disk model prefixes that name their maker (lshw often reports "ATA" as the vendor).
MODEL_PREFIX_VENDORS = (
    (re.compile(r"^(ST\d|SEAGATE)", re.I), "Seagate"),
    (re.compile(r"^(WDC|WD\d|WD )", re.I), "Western Digital"),
    (re.compile(r"^(SAMSUNG|MZ|PM\d{3})", re.I), "Samsung"),
    (re.compile(r"^(HGST|HTS|HTE|HUS)", re.I), "HGST"),
    (re.compile(r"^(TOSHIBA|MQ\d|MK\d|THNS|KXG)", re.I), "Toshiba"),
    (re.compile(r"^(KINGSTON|SA400|SKC|SUV)", re.I), "Kingston"),
    (re.compile(r"^(SANDISK|SD\d|SDSSD)", re.I), "SanDisk"),
    (re.compile(r"^(CT\d|CRUCIAL)", re.I), "Crucial"),
    (re.compile(r"^(MICRON|MTFD)", re.I), "Micron"),
    (re.compile(r"^(LITEON|LITEONIT)", re.I), "Lite-On"),
    (re.compile(r"^(INTEL|SSDSC)", re.I), "Intel"),
    (re.compile(r"^(HFS|HFM|SK ?HYNIX)", re.I), "SK hynix"),
)

SSD_WORDS = re.compile(r"\b(SSD|SOLID STATE|FLASH)\b|^(SA400|MZ7|SDSSD|CT\d+MX|THNS|SSDSC)", re.I)
VIRTUAL_DISKS = re.compile(r"virtual|vbox|qemu|vmware|virtio|msft", re.I)


class ReportError(InvalidInput):
    """The file is not a hardware report this module can read: ``message`` is French,
    ``code`` stable (``report_empty``, ``report_too_large``, ``report_not_json``,
    ``report_too_deep``, ``report_too_many_items``, ``report_number_too_long``,
    ``report_unknown_format``, ``report_tool_failed``, ``report_no_dmi``)."""

    code = "report_invalid"


@dataclass
class MediumSpec:
    media_type: str  # parc.models.MediaType value
    manufacturer: str = ""
    model: str = ""
    serial: str = ""
    capacity_gb: int | None = None
    path: str = ""
    smart_status: str = ""  # parc.models.SmartStatus value, "" when the report does not say
    power_on_hours: int | None = None

    def as_fields(self) -> dict:
        return {
            "media_type": self.media_type,
            "manufacturer": self.manufacturer[:100],
            "model": self.model[:150],
            "serial": self.serial[:100],
            "capacity_gb": self.capacity_gb,
            "smart_status": self.smart_status,
        }


# What a report describes: the machine and its disks (lshw, inxi), the disks only
# (smartctl) or the machine only (dmidecode).
SCOPE_ALL = "all"
SCOPE_DISKS = "disks"
SCOPE_SYSTEM = "system"


@dataclass
class HardwareReport:
    format: str  # a key of FORMAT_LABELS
    scope: str = SCOPE_ALL
    tool_version: str = ""
    brand: str = ""
    model: str = ""
    serial: str = ""
    cpu: str = ""
    ram_gb: Decimal | None = None
    chassis: str = ""
    media: list[MediumSpec] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Why the report looks taken in a virtual machine (French phrases), empty otherwise.
    virtual: list[str] = field(default_factory=list)
    # Disks left out (virtual, USB, optical): the summary counts them apart.
    skipped_disks: int = 0

    @property
    def label(self) -> str:
        return FORMAT_LABELS.get(self.format, self.format)

    def note_virtual(self, reason: str) -> None:
        if reason and reason not in self.virtual:
            self.virtual.append(reason)

    def note_dmi(self, *values) -> None:
        text = " ".join(str(v) for v in values if v)
        match = VIRTUAL_MACHINE.search(text)
        if match:
            self.note_virtual(
                _("le fabricant ou le modèle annoncé est « %(value)s »")
                % {"value": " ".join(text.split())[:80]}
            )

    def specs(self) -> dict:
        return {
            "brand": self.brand[:100],
            "model": self.model[:150],
            "serial": self.serial[:100],
            "cpu": self.cpu[:150],
            "ram_gb": self.ram_gb,
        }


# --- helpers -------------------------------------------------------------------------------


def clean(value) -> str:
    """A DMI or device string without padding, or "" for a template value."""
    if value is None or isinstance(value, (dict, list)):
        return ""
    text = " ".join(str(value).split())
    if text.lower() in PLACEHOLDERS or not any(c.isalnum() for c in text):
        return ""
    # Unprintable bytes: a serial read from uninitialised memory, never a real one.
    if any(not c.isprintable() or c == "\ufffd" for c in text):
        return ""
    return text


def vendor_name(value) -> str:
    text = clean(value)
    return VENDOR_NAMES.get(text.lower(), text)


def vendor_from_model(model: str) -> str:
    for pattern, name in MODEL_PREFIX_VENDORS:
        if pattern.match(model):
            return name
    return ""


def clean_cpu(value) -> str:
    text = clean(value)
    text = re.sub(r"\((R|TM|tm|r)\)", "", text)
    text = re.sub(r"\s+CPU\s+@", " @", text)
    return " ".join(text.split())


def gib_to_gb_ram(size_bytes: int) -> Decimal:
    """Memory in GB as sold (binary): 8589934592 bytes -> 8.0."""
    gib = Decimal(size_bytes) / Decimal(1024**3)
    return gib.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def bytes_to_disk_gb(size_bytes) -> int | None:
    """Disk capacity in GB as sold (decimal): 500107862016 bytes -> 500."""
    try:
        size = int(size_bytes)
    except (TypeError, ValueError):
        return None
    if size <= 0 or size >= 2**63:  # lshw prints 2**64-512 for some unreadable volumes
        return None
    return max(1, round(size / 1e9))


UNIT_FACTORS = {
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}


def parse_size(text) -> int | None:
    """'476.94 GiB' -> bytes."""
    match = re.match(r"^\s*([\d.,]+)\s*([KMGT]?i?B)\b", str(text or ""), re.I)
    if not match:
        return None
    number = Decimal(match.group(1).replace(",", "."))
    return int(number * UNIT_FACTORS[match.group(2).lower()])


def media_type_for(path: str, model: str, declared: str = "") -> str:
    from ..models import MediaType

    path = path or ""
    if "nvme" in path or "nvme" in model.lower():
        return MediaType.NVME
    if "mmcblk" in path:
        return MediaType.EMMC
    if declared.upper() == "SSD" or SSD_WORDS.search(model):
        return MediaType.SSD
    return MediaType.HDD


# --- entry point ---------------------------------------------------------------------------


ACCEPTED = (
    "« lshw -json », « inxi -Fxxx --output json --output-file print », « smartctl -j -a » "
    "ou « dmidecode »"
)


def decode_report(raw: bytes | str) -> str:
    """The text of a report, refused past ``MAX_REPORT_BYTES`` or when empty."""
    if isinstance(raw, bytes):
        if len(raw) > MAX_REPORT_BYTES:
            raise ReportError(
                _("Ce fichier est trop gros pour un rapport matériel (plus de %(max)s Mo).")
                % {"max": MAX_REPORT_BYTES // 2**20},
                code="report_too_large",
            )
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
    else:
        if len(raw) > MAX_REPORT_BYTES:
            raise ReportError(
                _("Ce fichier est trop gros pour un rapport matériel (plus de %(max)s Mo).")
                % {"max": MAX_REPORT_BYTES // 2**20},
                code="report_too_large",
            )
        text = raw
    text = text.strip()
    if not text:
        raise ReportError(_("Le fichier est vide."), code="report_empty")
    if "\x00" in text[:4096]:
        raise ReportError(
            _(
                "Ce fichier est binaire : ce n'est pas un rapport matériel. Joignez la sortie "
                "texte de %(tools)s."
            )
            % {"tools": ACCEPTED},
            code="report_not_json",
        )
    return text


def parse_report(raw: bytes | str) -> HardwareReport:
    """Read a hardware report of any accepted tool, or raise ReportError (French message,
    stable code). Never raises anything else on any input."""
    text = decode_report(raw)
    try:
        report = _parse_text(text)
    except (TypeError, AttributeError, ValueError, ArithmeticError, LookupError):
        # A report of a known tool whose values have the wrong types (edited by hand or
        # truncated): refused as a whole rather than half read.
        raise ReportError(
            _(
                "Ce rapport a la forme d'une sortie d'outil connu, mais certaines valeurs sont "
                "d'un type inattendu (fichier modifié ou tronqué ?) : joignez la sortie "
                "originale de l'outil."
            ),
            code="report_malformed",
        ) from None
    if report is None:
        raise ReportError(
            _("Format de rapport inconnu : joignez la sortie de %(tools)s.") % {"tools": ACCEPTED},
            code="report_unknown_format",
        )
    return report


def _parse_text(text: str) -> HardwareReport | None:
    from . import dmidecode, smartctl

    if text[0] not in "[{":
        return dmidecode.parse(text) if dmidecode.looks_like(text) else None
    data = _load_json(text)
    if smartctl.looks_like(data):
        return smartctl.parse(data)
    if _is_inxi(data):
        return parse_inxi(data)
    if _is_lshw(data):
        return parse_lshw(data)
    return None


def _load_json(text: str):
    """One JSON value, or several printed one after the other (lshw on some versions,
    ``smartctl -j`` run once per disk into one file): then a list of them."""
    try:
        try:
            return json_limits.loads(text)
        except json.JSONDecodeError:
            pass
        values = json_limits.loads_many(text)
    except json_limits.JsonRefused as refusal:
        raise ReportError(refusal.message, code=refusal.code) from None
    if values is None:
        raise ReportError(
            _("Ce fichier n'est pas un JSON valide. Joignez la sortie de %(tools)s.")
            % {"tools": ACCEPTED},
            code="report_not_json",
        )
    return values


def _is_lshw(data) -> bool:
    node = data[0] if isinstance(data, list) and data else data
    return isinstance(node, dict) and "class" in node and ("children" in node or "id" in node)


INXI_KEY = re.compile(r"^\d{3}#\d+#\d+#(.*)$")


def _is_inxi(data) -> bool:
    return (
        isinstance(data, list)
        and bool(data)
        and all(isinstance(item, dict) for item in data)
        and all(INXI_KEY.match(key) for item in data for key in item)
    )


# --- lshw ----------------------------------------------------------------------------------


def _walk(node, parents=()):
    """Every node under ``node`` (depth bounded by json_limits.MAX_DEPTH)."""
    if not isinstance(node, dict):
        return
    yield node, parents
    children = node.get("children")
    for child in children if isinstance(children, list) else []:
        yield from _walk(child, (*parents, node))


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _logicalnames(node) -> list[str]:
    names = node.get("logicalname") or []
    return [names] if isinstance(names, str) else [n for n in names if isinstance(n, str)]


def _on_usb(node, parents) -> bool:
    return any(str(n.get("businfo", "")).startswith("usb@") for n in (*parents, node))


def parse_lshw(data) -> HardwareReport:
    roots = data if isinstance(data, list) else [data]
    system = next(
        (r for r in roots if isinstance(r, dict) and r.get("class") == "system"), roots[0]
    )
    report = HardwareReport(format="lshw")
    configuration = _dict(system.get("configuration"))
    report.chassis = clean(configuration.get("chassis"))
    report.brand = vendor_name(system.get("vendor"))
    report.model = _lshw_model(system)
    report.serial = clean(system.get("serial"))
    report.note_dmi(system.get("vendor"), system.get("product"), system.get("version"))

    ram = 0
    cpus = []
    for node, parents in _walk(system):
        cls = node.get("class")
        description = str(node.get("description", ""))
        if cls == "memory" and description.lower() == "system memory":
            with contextlib.suppress(TypeError, ValueError):
                ram += int(node.get("size") or 0)
        elif cls == "processor" and description.lower() != "logical cpu" and node.get("product"):
            if not node.get("disabled"):
                cpus.append(clean_cpu(node.get("product")))
            capabilities = node.get("capabilities")
            if isinstance(capabilities, dict) and "hypervisor" in capabilities:
                report.note_virtual(_("le processeur signale un hyperviseur"))
        elif cls == "storage" and (
            "nvme" in description.lower() or str(node.get("id", "")).startswith("nvme")
        ):
            report.media.append(_lshw_nvme(node))
        elif cls == "disk":
            medium = _lshw_disk(node, parents, report)
            if medium is not None:
                report.media.append(medium)
    if ram:
        report.ram_gb = gib_to_gb_ram(ram)
    if cpus:
        report.cpu = cpus[0] if len(cpus) == 1 else f"{len(cpus)} × {cpus[0]}"
    if not report.media:
        report.warnings.append(
            _(
                "Aucun disque interne n'apparaît dans ce rapport (un eMMC ou un disque en RAID "
                "peut échapper à lshw) : ajoutez les supports de stockage à la main."
            )
        )
    return report


def _lshw_model(system) -> str:
    product = clean(system.get("product"))
    sku = clean(_dict(system.get("configuration")).get("sku"))
    if sku and product.endswith(f"({sku})"):
        product = product[: -len(sku) - 2].strip()
    version = clean(system.get("version"))
    # Lenovo puts the machine type in "product" and the commercial name in "version".
    if vendor_name(system.get("vendor")) == "Lenovo" and re.search(r"[a-z]", version):
        return version
    return product


def _lshw_nvme(node) -> MediumSpec:
    from ..models import MediaType

    size = None
    path = ""
    for child, _parents in _walk(node):
        if child is not node and child.get("class") == "disk":
            size = size or bytes_to_disk_gb(child.get("size"))
            path = path or next(iter(_logicalnames(child)), "")
    model = clean(node.get("product"))
    vendor = vendor_name(node.get("vendor")) or vendor_from_model(model)
    if size is None:
        size = bytes_to_disk_gb(node.get("size"))
    return MediumSpec(
        media_type=MediaType.NVME,
        manufacturer=vendor,
        model=model,
        serial=clean(node.get("serial")),
        capacity_gb=size,
        path=path or next(iter(_logicalnames(node)), ""),
    )


def _lshw_disk(node, parents, report) -> MediumSpec | None:
    names = _logicalnames(node)
    path = next((n for n in names if n.startswith("/dev/")), "")
    if not path or any(p.get("class") == "disk" for p in parents):
        return None  # a volume or the medium of a removable drive: its parent is the disk
    if any(
        p.get("class") == "storage" and "nvme" in str(p.get("description", "")).lower()
        for p in parents
    ):
        return None  # an NVMe namespace: counted with its controller
    description = str(node.get("description", ""))
    model = clean(node.get("product"))
    vendor = clean(node.get("vendor"))
    label = " ".join(part for part in (vendor, model, path) if part)
    if str(node.get("id", "")).startswith("cdrom") or re.search(
        r"dvd|cd-rom|cdrom|optical", description, re.I
    ):
        return None
    if _on_usb(node, parents):
        report.skipped_disks += 1
        report.warnings.append(
            _("Clé ou disque USB ignoré (ce n'est pas un disque de l'appareil) : %(disk)s.")
            % {"disk": label}
        )
        return None
    if VIRTUAL_DISKS.search(f"{description} {model} {vendor}") or re.match(r"/dev/(vd|xvd)", path):
        _skip_virtual_disk(report, label)
        return None
    if vendor.upper() in ("ATA", "SCSI", "") or vendor.lower() == "generic":
        vendor = vendor_from_model(model)
    else:
        vendor = vendor_name(vendor)
    return MediumSpec(
        media_type=media_type_for(path, model),
        manufacturer=vendor,
        model=model,
        serial=clean(node.get("serial")),
        capacity_gb=bytes_to_disk_gb(node.get("size")),
        path=path,
    )


def _skip_virtual_disk(report: HardwareReport, label: str) -> None:
    report.skipped_disks += 1
    report.warnings.append(
        _("Disque virtuel ignoré (rapport pris dans une machine virtuelle) : %(disk)s.")
        % {"disk": label}
    )
    report.note_virtual(_("ses disques sont virtuels (%(disk)s)") % {"disk": label})


# --- inxi ----------------------------------------------------------------------------------


def _inxi_sections(data) -> dict[str, list[dict]]:
    """{"Drives": [{"ID": "/dev/nvme0n1", ...}, ...]} without the sort prefixes."""
    sections: dict[str, list[dict]] = {}
    for item in data:
        for key, value in item.items():
            name = INXI_KEY.match(key).group(1)
            rows = []
            for row in value if isinstance(value, list) else []:
                if isinstance(row, dict):
                    rows.append({_inxi_name(k): v for k, v in row.items()})
            sections.setdefault(name, []).extend(rows)
    return sections


def _inxi_name(key: str) -> str:
    match = INXI_KEY.match(key)
    return match.group(1) if match else key


def parse_inxi(data) -> HardwareReport:
    sections = _inxi_sections(data)
    report = HardwareReport(format="inxi")
    machine = {}
    for row in sections.get("Machine", []):
        for key, value in row.items():
            machine.setdefault(key, value)
    report.chassis = clean(machine.get("Type"))
    report.brand = vendor_name(machine.get("System"))
    product = clean(machine.get("product"))
    version = clean(machine.get("v"))
    report.model = version if report.brand == "Lenovo" and version else product
    report.serial = clean(machine.get("serial"))
    report.note_dmi(machine.get("System"), machine.get("product"), machine.get("v"))
    message = str(machine.get("Message", ""))
    if "no machine data" in message.lower():
        report.warnings.append(
            _(
                "inxi n'a trouvé aucune donnée de la machine (DMI) : machine virtuelle, ou inxi "
                "lancé sans sudo."
            )
        )
    if str(machine.get("serial", "")).strip() == "<filter>":
        report.warnings.append(
            _("inxi a masqué le numéro de série (option -z) : relancez-le sans -z pour l'obtenir.")
        )

    cpu_rows = sections.get("CPU", [])
    info = next((r for r in cpu_rows if "model" in r), {})
    cpu = clean_cpu(info.get("model"))
    cores = clean(info.get("Info"))
    report.cpu = f"{cpu} ({cores})" if cpu and cores else cpu

    report.ram_gb = _inxi_ram(sections)

    for row in sections.get("Drives", []):
        path = clean(row.get("ID"))
        if not path.startswith("/dev/"):
            continue
        model = clean(row.get("model"))
        vendor = vendor_name(row.get("vendor")) or vendor_from_model(model)
        label = " ".join(part for part in (vendor, model, path) if part)
        if re.match(r"/dev/(vd|xvd)", path) or VIRTUAL_DISKS.search(f"{vendor} {model}"):
            _skip_virtual_disk(report, label)
            continue
        if str(row.get("type", "")).upper() == "USB" or "usb" in str(row.get("tech", "")).lower():
            report.skipped_disks += 1
            report.warnings.append(
                _("Clé ou disque USB ignoré (ce n'est pas un disque de l'appareil) : %(disk)s.")
                % {"disk": label}
            )
            continue
        size = parse_size(row.get("size"))
        report.media.append(
            MediumSpec(
                media_type=media_type_for(path, model, str(row.get("type", ""))),
                manufacturer=vendor,
                model=model,
                serial=clean(row.get("serial")),
                capacity_gb=bytes_to_disk_gb(size) if size else None,
                path=path,
            )
        )
    if not report.media:
        report.warnings.append(
            _(
                "Aucun disque interne n'apparaît dans ce rapport : ajoutez les supports de "
                "stockage à la main."
            )
        )
    return report


def _inxi_ram(sections) -> Decimal | None:
    """Installed memory ("total" of the Memory section), else the memory the system sees
    (Info), rounded to the gigabyte: the firmware and the graphics keep a little."""
    for row in sections.get("Memory", []):
        size = parse_size(row.get("total"))
        if size:
            return gib_to_gb_ram(size)
    for row in sections.get("Info", []):
        size = parse_size(row.get("Memory"))
        if size:
            return Decimal(round(size / 2**30)).quantize(Decimal("0.1"))
    return None

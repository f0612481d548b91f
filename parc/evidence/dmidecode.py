"""The text output of ``dmidecode`` (3.x): the machine's maker, product, version, serial,
chassis, processors and memory modules, read from the SMBIOS/DMI tables. No disk: the summary
says so. A machine without DMI tables (some virtual machines) makes dmidecode print only its
banner and "Scanning /dev/mem for entry point.": refused with that reason.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from .hardware import (
    SCOPE_SYSTEM,
    HardwareReport,
    ReportError,
    clean,
    clean_cpu,
    gib_to_gb_ram,
    vendor_name,
)

HANDLE = re.compile(r"^Handle 0x[0-9A-Fa-f]+, DMI type (\d+)")
BANNER = re.compile(r"^# dmidecode (\S+)")
# dmidecode sizes are binary whatever the unit says ("8 GB" is 8 GiB).
MEMORY_SIZE = re.compile(r"^(\d+)\s*(kB|KB|MB|GB|TB)\b")
MEMORY_UNITS = {"kb": 2**10, "mb": 2**20, "gb": 2**30, "tb": 2**40}

SYSTEM, CHASSIS, PROCESSOR, MEMORY_DEVICE = 1, 3, 4, 17


def looks_like(text: str) -> bool:
    return text.startswith("# dmidecode") or bool(
        re.search(r"^Handle 0x[0-9A-Fa-f]+, DMI type \d+", text[:65536], re.M)
    )


def _blocks(text: str) -> list[tuple[int, dict[str, str]]]:
    """[(DMI type, {first-level key: value})]; list items (flags, characteristics) are
    indented deeper and left out."""
    blocks: list[tuple[int, dict[str, str]]] = []
    fields: dict[str, str] | None = None
    for line in text.splitlines():
        handle = HANDLE.match(line)
        if handle:
            fields = {}
            blocks.append((int(handle.group(1)), fields))
            continue
        if fields is None or not line.strip():
            continue
        indent = line[: len(line) - len(line.lstrip())].replace("\t", " " * 8)
        if len(indent) != 8 or ":" not in line:
            continue
        key, _sep, value = line.strip().partition(":")
        fields.setdefault(key.strip(), value.strip())
    return blocks


def _memory_bytes(value: str) -> int:
    match = MEMORY_SIZE.match(value)
    if not match:
        return 0
    return int(match.group(1)) * MEMORY_UNITS[match.group(2).lower()]


def parse(text: str) -> HardwareReport:
    report = HardwareReport(format="dmidecode", scope=SCOPE_SYSTEM)
    banner = BANNER.match(text)
    report.tool_version = banner.group(1) if banner else ""
    blocks = _blocks(text)
    if not any(kind == SYSTEM for kind, _fields in blocks):
        raise ReportError(
            _(
                "dmidecode n'a trouvé aucune table DMI : rien à lire (machine virtuelle sans "
                "DMI, ou commande lancée sans sudo). Joignez plutôt « sudo lshw -json »."
            ),
            code="report_no_dmi",
        )
    system = next(fields for kind, fields in blocks if kind == SYSTEM)
    report.brand = vendor_name(system.get("Manufacturer"))
    product = clean(system.get("Product Name"))
    version = clean(system.get("Version"))
    # Lenovo puts the machine type in "Product Name" and the commercial name in "Version".
    report.model = version if report.brand == "Lenovo" and re.search(r"[a-z]", version) else product
    report.serial = clean(system.get("Serial Number"))
    report.note_dmi(system.get("Manufacturer"), system.get("Product Name"), version)
    chassis = next((fields for kind, fields in blocks if kind == CHASSIS), {})
    report.chassis = clean(chassis.get("Type"))
    cpus = [
        clean_cpu(fields.get("Version"))
        for kind, fields in blocks
        if kind == PROCESSOR and "unpopulated" not in fields.get("Status", "").lower()
    ]
    cpus = [cpu for cpu in cpus if cpu]
    if cpus:
        report.cpu = cpus[0] if len(cpus) == 1 else f"{len(cpus)} × {cpus[0]}"
    ram = sum(
        _memory_bytes(fields.get("Size", "")) for kind, fields in blocks if kind == MEMORY_DEVICE
    )
    if ram:
        report.ram_gb = gib_to_gb_ram(ram)
    return report

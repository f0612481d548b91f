"""nwipe logs: read the log nwipe writes (``--logfile``) into one erasure per disk. Pure
functions, no database: attaching a log to a device is
``parc.evidence.services.erasure_log_attach``.

The log lines are ``[YYYY/MM/DD HH:MM:SS] level: message``, in the local time of the machine
that ran the wipe (read here in the project's time zone). What is read:

- ``banner = nwipe 0.33``: the tool and its version;
- ``method = DoD Short``, ``verify = 1 (last pass)``, ``rounds = 1``: the options;
- ``Found /dev/sda, ATA, ST500LM034-2GH17, 500 GB, S/N=WGS1AB2C``: each disk;
- ``Invoking method '…' on /dev/sda``: its start, and the last line naming it: its end;
- the "Drive Status" table at the end: each disk's outcome (``Erased``, ``FAILED``,
  ``UABORTED`` when the operator stopped it) — and the "Error Summary" table: pass or
  verification errors make a disk failed whatever its status says.

A serial that nwipe could not read (a loop device gives garbage bytes; ``--quiet`` writes
``XXXXXX``) is treated as missing. nwipe 0.35 and later also write a PDF certificate; its
text is not read here: attach the log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import InvalidInput

from .hardware import clean

MAX_LOG_BYTES = 5 * 1024 * 1024

LINE = re.compile(r"^\[(\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2})\]\s*(\w+)?:?\s*(.*)$")
FOUND = re.compile(r"^Found (/dev/\S+?),\s*(.*)$")
OPTION = re.compile(r"^(banner|method|verify|rounds|prng|noblank)\s*=\s*(.*)$")
INVOKING = re.compile(r"^Invoking method '([^']*)' on (/dev/\S+)")
STATUS_ROW = re.compile(
    r"^!?\s*(\S+)\s*\|\s*([^|]*?)\s*\|\s*([^|]*?)\s*\|\s*(\d+:\d{2}:\d{2})\s*\|(.*)$"
)
ERROR_ROW = re.compile(r"^\s*(\S+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*$")
DEVICE_IN_LINE = re.compile(r"(/dev/[A-Za-z0-9_/\-]+)")

# nwipe's method names (man page and log banner) -> (our method, NIST level, label).
METHODS = {
    "fill with zeros": "Zero Fill",
    "fill with ones": "One Fill",
    "dod short": "DoD Short",
    "dod 5220.22-m": "DoD 5220.22-M",
    "gutmann wipe": "Gutmann",
    "rcmp tssit ops-ii": "RCMP TSSIT OPS-II",
    "prng stream": "PRNG Stream",
    "verify zeros": None,  # reads only: no erasure
    "verify ones": None,
}


class LogError(InvalidInput):
    """The file is not an nwipe log; ``message`` is French."""

    code = "not_an_nwipe_log"


@dataclass
class DiskErasure:
    path: str
    model: str = ""
    serial: str = ""
    bus: str = ""
    size: str = ""
    status: str = ""  # as printed by nwipe
    result: str = ""  # parc.models.ErasureResult value
    started_at: datetime | None = None
    ended_at: datetime | None = None
    pass_errors: int = 0
    verify_errors: int = 0
    duration: timedelta | None = None

    @property
    def name(self) -> str:
        return self.path.removeprefix("/dev/")

    @property
    def label(self) -> str:
        parts = [self.path, self.model]
        if self.serial:
            parts.append(_("n° %(serial)s") % {"serial": self.serial})
        return " ".join(p for p in parts if p)


@dataclass
class NwipeLog:
    tool: str = "nwipe"
    tool_version: str = ""
    method_name: str = ""  # nwipe's own name, e.g. "DoD Short"
    verify: str = ""  # parc.models.Verification value
    rounds: int = 1
    disks: list[DiskErasure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def method_label(self) -> str:
        return METHODS.get(self.method_name.lower()) or self.method_name

    @property
    def erases(self) -> bool:
        return METHODS.get(self.method_name.lower(), "") is not None

    def record_fields(self, disk: DiskErasure) -> dict:
        """The fields of an ErasureRecord for one disk (the medium's fields come from it)."""
        from ..models import SanitizationLevel, SanitizationMethod

        return {
            # Overwriting every addressable block is "Clear" in NIST SP 800-88 terms.
            "level": SanitizationLevel.CLEAR,
            "method": SanitizationMethod.OVERWRITE,
            "tool": self.tool,
            "tool_version": self.tool_version,
            "verification": self.verify,
            "result": disk.result,
            "started_at": disk.started_at,
            "ended_at": disk.ended_at,
        }


def _time(text: str) -> datetime:
    naive = datetime.strptime(text, "%Y/%m/%d %H:%M:%S")
    return timezone.make_aware(naive, timezone.get_default_timezone())


def _duration(text: str) -> timedelta:
    hours, minutes, seconds = (int(p) for p in text.split(":"))
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


def _result_for(status: str) -> str:
    from ..models import ErasureResult

    upper = status.upper()
    if "ABORT" in upper:
        return ErasureResult.ABORTED
    if "ERASED" in upper and "FAIL" not in upper:
        return ErasureResult.ERASED
    return ErasureResult.FAILED


def _verify_for(text: str) -> str:
    from ..models import Verification

    text = text.lower()
    if text.startswith("0") or "off" in text:
        return Verification.NONE
    # nwipe reads back every block of the disk after the last pass (or after each one).
    return Verification.FULL


def decode(raw: bytes) -> str:
    """nwipe writes bytes as it read them (a garbage serial is not UTF-8)."""
    return raw.decode("utf-8", errors="replace")


def parse_log(raw: bytes | str) -> NwipeLog:
    """Read an nwipe log, or raise LogError with a French message."""
    if isinstance(raw, bytes):
        if len(raw) > MAX_LOG_BYTES:
            raise LogError(_("Ce fichier est trop gros pour un journal nwipe (plus de 5 Mo)."))
        if b"\x00" in raw[:4096]:
            raise LogError(
                _("Ce fichier n'est pas un journal texte de nwipe (fichier binaire ou PDF).")
            )
        text = decode(raw)
    else:
        text = raw
    log = NwipeLog()
    disks: dict[str, DiskErasure] = {}
    last_seen: dict[str, datetime] = {}
    in_status = in_errors = False
    saw_banner = False
    summary_time = None
    for raw_line in text.splitlines():
        line = raw_line.rstrip()
        stamped = LINE.match(line)
        if stamped:
            at = _time(stamped.group(1))
            message = stamped.group(3).strip()
            summary_time = at
            in_status = in_errors = False
            option = OPTION.match(message)
            if option:
                key, value = option.group(1), option.group(2).strip()
                if key == "banner":
                    saw_banner = True
                    match = re.search(r"nwipe\s+(\S+)", value)
                    log.tool_version = match.group(1) if match else ""
                elif key == "method":
                    log.method_name = value
                elif key == "verify":
                    log.verify = _verify_for(value)
                elif key == "rounds":
                    log.rounds = int(value) if value.isdigit() else 1
                continue
            found = FOUND.match(message)
            if found:
                disk = disks.setdefault(found.group(1), DiskErasure(path=found.group(1)))
                _read_found(disk, found.group(2))
                continue
            invoking = INVOKING.match(message)
            if invoking:
                disk = disks.setdefault(invoking.group(2), DiskErasure(path=invoking.group(2)))
                disk.started_at = disk.started_at or at
                last_seen[disk.path] = at
                continue
            for path in DEVICE_IN_LINE.findall(message):
                if path in disks and disks[path].started_at:
                    last_seen[path] = at
            continue
        if "Drive Status" in line:
            in_status, in_errors = True, False
            continue
        if "Error Summary" in line:
            in_errors, in_status = True, False
            continue
        if in_status:
            row = STATUS_ROW.match(line.strip())
            if row and row.group(1) != "Device":
                disk = _disk_by_name(disks, row.group(1))
                if disk is not None:
                    disk.status = row.group(2).strip()
                    disk.duration = _duration(row.group(4))
        elif in_errors:
            row = ERROR_ROW.match(line)
            if row:
                disk = _disk_by_name(disks, row.group(1))
                if disk is not None:
                    disk.pass_errors = int(row.group(2))
                    disk.verify_errors = int(row.group(3)) + int(row.group(4))
    if not saw_banner and not disks:
        raise LogError(
            _(
                "Ce fichier n'est pas un journal nwipe : il ne contient ni la version de nwipe "
                "ni de disque effacé. Joignez le fichier écrit par « nwipe --logfile=… »."
            )
        )
    if not log.verify:
        from ..models import Verification

        log.verify = Verification.NONE
    for disk in disks.values():
        if not disk.started_at:
            # Listed but never wiped (not selected in the interface).
            continue
        if not disk.status:
            log.warnings.append(
                _(
                    "Le journal s'arrête avant le bilan de %(disk)s (nwipe interrompu ?) : "
                    "effacement compté comme interrompu."
                )
                % {"disk": disk.path}
            )
            disk.status = "ABORTED"
        disk.result = _result_for(disk.status)
        if disk.result == "erased" and (disk.pass_errors or disk.verify_errors):
            disk.result = "failed"
        ends = [disk.started_at, last_seen.get(disk.path)]
        if disk.duration is not None:
            ends.append(disk.started_at + disk.duration)
        elif summary_time is not None:
            ends.append(summary_time)
        disk.ended_at = max(end for end in ends if end is not None)
        log.disks.append(disk)
    if not log.disks:
        raise LogError(_("Ce journal nwipe ne contient aucun effacement de disque."))
    if not log.erases:
        raise LogError(
            _(
                "Ce journal est une simple vérification (« %(method)s ») : il ne prouve pas "
                "un effacement."
            )
            % {"method": log.method_name}
        )
    return log


def _disk_by_name(disks: dict[str, DiskErasure], name: str) -> DiskErasure | None:
    for disk in disks.values():
        if disk.name == name or disk.path == name:
            return disk
    return None


def _read_found(disk: DiskErasure, rest: str) -> None:
    """``ATA, ST500LM034-2GH17, 500 GB, S/N=WGS1AB2C`` (the model may hold commas)."""
    serial = ""
    if "S/N=" in rest:
        rest, serial = rest.rsplit("S/N=", 1)
    parts = [p.strip() for p in rest.strip().rstrip(",").split(",")]
    if parts:
        disk.bus = parts[0]
    if len(parts) >= 3:
        disk.size = parts[-1]
        disk.model = clean(", ".join(parts[1:-1]))
    elif len(parts) == 2:
        disk.model = clean(parts[1])
    serial = clean(serial)
    if re.fullmatch(r"[X?]+", serial):
        serial = ""  # --quiet
    disk.serial = serial

"""nwipe logs: read the log nwipe writes (``--logfile``) into one erasure per disk. Pure
functions, no database: staging a log and recording its erasures is
``parc.evidence.services``.

The log lines are ``[YYYY/MM/DD HH:MM:SS] level: message``, in the local time of the machine
that ran the wipe (read here in the project's time zone). Read across versions:

- nwipe 0.2x and older (the dwipe heritage): ``[…] nwipe: notice: Invoking method 'RCMP
  TSSIT OPS-II' on device '/dev/sdj'.``, ``Device '/dev/sdj' is size 160041885696.``, no
  banner, no disk table, and ``Nwipe successfully completed.`` or ``Nwipe exited with errors
  on device = /dev/sdb`` at the end;
- nwipe 0.28 to current (Debian 12 ships 0.33, ShredOS the latest): ``banner = nwipe 0.33``,
  ``method = DoD Short``, ``verify = 1 (last pass)``, ``rounds = 1``; ``Found /dev/sda, ATA,
  ST500LM034-2GH17, 500 GB, S/N=WGS1AB2C`` for each disk; ``Invoking method '…' on /dev/sda``
  when it starts; the "Error Summary" and "Drive Status" tables at the end (``Erased``,
  ``-FAILED-``, ``UABORTED`` when the operator stopped it). Pass or verification errors make
  a disk failed whatever its status says.

A log is read line by line from a file (never whole in memory), up to ``MAX_LOG_BYTES``; a
line longer than ``MAX_LINE_CHARS`` is cut (no nwipe line comes near). A serial that nwipe
could not read (a loop device gives garbage bytes; ``--quiet`` writes ``XXXXXX``) is treated as
missing. nwipe 0.35 and later also write a PDF certificate; its text is not read here: attach
the log.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import InvalidInput

from .hardware import bytes_to_disk_gb, clean, parse_size

# Real logs reach 3.75-5 MB (many rounds, verbose runs, failing disks); 20 MB leaves room.
MAX_LOG_BYTES = 20 * 1024 * 1024
MAX_LINE_CHARS = 16 * 1024
READ_CHUNK = 256 * 1024

LINE = re.compile(r"^\[(\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2})\]\s*(?:nwipe:\s*)?(\w+)?:?\s*(.*)$")
FOUND = re.compile(r"^Found (/dev/\S+?),\s*(.*)$")
OPTION = re.compile(r"^(banner|method|verify|rounds|prng|noblank)\s*=\s*(.*)$")
INVOKING = re.compile(r"^Invoking method '([^']*)' on (?:device )?'?(/dev/[^'\s]+?)'?\.?$")
OLD_SIZE = re.compile(r"^Device '?(/dev/[^'\s]+?)'? is size (\d+)")
SERIAL = re.compile(r"^(?:Device )?'?(/dev/[^'\s]+?)'? has serial number\s*(.*)$")
FAILED_DEVICE = re.compile(r"exited with errors on device = '?(/dev/[^'\s,]+)")
STATUS_ROW = re.compile(
    r"^!?\s*(\S+)\s*\|\s*([^|]*?)\s*\|\s*([^|]*?)\s*\|\s*(\d+:\d{2}:\d{2})\s*\|(.*)$"
)
ERROR_ROW = re.compile(r"^!?\s*(\S+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*$")
DEVICE_IN_LINE = re.compile(r"(/dev/[A-Za-z0-9_/\-]+)")

# nwipe's method names (man page and log banner) -> our label; None: reads only, no erasure.
METHODS = {
    "fill with zeros": "Zero Fill",
    "zero fill": "Zero Fill",
    "quick erase": "Zero Fill",
    "fill with ones": "One Fill",
    "one fill": "One Fill",
    "dod short": "DoD Short",
    "dod 5220.22-m": "DoD 5220.22-M",
    "gutmann wipe": "Gutmann",
    "rcmp tssit ops-ii": "RCMP TSSIT OPS-II",
    "prng stream": "PRNG Stream",
    "verify zeros": None,
    "verify ones": None,
    "verify only": None,
}


class LogError(InvalidInput):
    """The file is not an nwipe log this module can read: ``message`` is French, ``code``
    stable (``log_too_large``, ``log_binary``, ``log_not_nwipe``, ``log_no_disk``,
    ``log_verification_only``)."""

    code = "log_invalid"


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
    size_bytes: int | None = None  # nwipe before 0.28 gives the size in bytes

    @property
    def name(self) -> str:
        return self.path.removeprefix("/dev/")

    @property
    def result_label(self) -> str:
        from ..models import ErasureResult

        return str(ErasureResult(self.result).label) if self.result else self.status

    @property
    def capacity_gb(self) -> int | None:
        if self.size_bytes:
            return bytes_to_disk_gb(self.size_bytes)
        size = parse_size(self.size.replace(" ", ""))
        return bytes_to_disk_gb(size) if size else None

    def medium_fields(self) -> dict:
        """The storage medium this disk is, for a device that has none on record."""
        from ..models import MediaType
        from .hardware import media_type_for, vendor_from_model

        bus = self.bus.upper()
        if bus == "NVME":
            media_type = MediaType.NVME
        elif bus in ("MMC", "EMMC"):
            media_type = MediaType.EMMC
        elif bus == "USB":
            media_type = MediaType.FLASH
        else:
            media_type = media_type_for(self.path, self.model)
        return {
            "media_type": media_type,
            "manufacturer": vendor_from_model(self.model)[:100],
            "model": self.model[:150],
            "serial": self.serial[:100],
            "capacity_gb": self.capacity_gb,
        }

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


def _time(text: str) -> datetime | None:
    try:
        naive = datetime.strptime(text, "%Y/%m/%d %H:%M:%S")
    except ValueError:
        return None
    return timezone.make_aware(naive, timezone.get_default_timezone())


def _duration(text: str) -> timedelta | None:
    hours, minutes, seconds = (int(p) for p in text.split(":"))
    if hours > 24 * 365:  # not a wipe's duration: a damaged table
        return None
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


def _too_large() -> LogError:
    return LogError(
        _("Ce fichier est trop gros pour un journal nwipe (plus de %(max)s Mo).")
        % {"max": MAX_LOG_BYTES // 2**20},
        code="log_too_large",
    )


def _binary() -> LogError:
    return LogError(
        _("Ce fichier n'est pas un journal texte de nwipe (fichier binaire ou PDF)."),
        code="log_binary",
    )


def _chunks(source) -> Iterator[bytes]:
    """The bytes of a log by chunks: from bytes, text, or a binary file read as it goes."""
    if isinstance(source, str):
        source = source.encode("utf-8", errors="replace")
    if isinstance(source, (bytes, bytearray)):
        for start in range(0, len(source), READ_CHUNK):
            yield bytes(source[start : start + READ_CHUNK])
        return
    if hasattr(source, "seek"):
        source.seek(0)
    while True:
        chunk = source.read(READ_CHUNK)
        if not chunk:
            return
        yield chunk


def log_lines(source) -> Iterator[str]:
    """The lines of a log, refused past MAX_LOG_BYTES or when binary; each line cut at
    MAX_LINE_CHARS."""
    total = 0
    pending = b""
    first = True
    for chunk in _chunks(source):
        total += len(chunk)
        if total > MAX_LOG_BYTES:
            raise _too_large()
        if first:
            first = False
            if b"\x00" in chunk[:4096]:
                raise _binary()
        pending += chunk
        lines = pending.split(b"\n")
        pending = lines.pop()
        for line in lines:
            yield decode(line[:MAX_LINE_CHARS])
        if len(pending) > MAX_LINE_CHARS:
            # A line longer than any nwipe writes: keep its start, drop the rest.
            yield decode(pending[:MAX_LINE_CHARS])
            pending = b""
    if pending:
        yield decode(pending[:MAX_LINE_CHARS])


def parse_log(source) -> NwipeLog:
    """Read an nwipe log (bytes, text or a binary file), or raise LogError with a French
    message. Never raises anything else on any input."""
    reader = _LogReader()
    for line in log_lines(source):
        reader.read(line.rstrip("\r\n "))
    return reader.finish()


class _LogReader:
    """The state of one pass over a log, line by line."""

    def __init__(self):
        self.log = NwipeLog()
        self.disks: dict[str, DiskErasure] = {}
        self.last_seen: dict[str, datetime] = {}
        self.in_status = self.in_errors = False
        self.saw_banner = False
        self.completed = False
        self.invoked_method = ""
        self.summary_time: datetime | None = None
        self.failed: set[str] = set()
        self.last_stamp = ""
        self.last_time: datetime | None = None

    def time(self, text: str) -> datetime | None:
        # Thousands of lines share a second: parse each timestamp once.
        if text != self.last_stamp:
            self.last_stamp, self.last_time = text, _time(text)
        return self.last_time

    def disk(self, path: str) -> DiskErasure:
        if path not in self.disks:
            if len(self.disks) >= MAX_DISKS:
                raise LogError(
                    _("Ce journal cite plus de %(max)s disques : ce n'est pas un journal nwipe.")
                    % {"max": MAX_DISKS},
                    code="log_not_nwipe",
                )
            self.disks[path] = DiskErasure(path=path)
        return self.disks[path]

    def read(self, line: str) -> None:
        stamped = LINE.match(line) if line.startswith("[") else None
        at = self.time(stamped.group(1)) if stamped else None
        if stamped and at is not None:
            self.read_message(at, stamped.group(3).strip())
            return
        if "Drive Status" in line:
            self.in_status, self.in_errors = True, False
        elif "Error Summary" in line:
            self.in_errors, self.in_status = True, False
        elif self.in_status:
            row = STATUS_ROW.match(line.strip())
            if row and row.group(1) != "Device":
                disk = _disk_by_name(self.disks, row.group(1))
                if disk is not None:
                    disk.status = row.group(2).strip().strip("-")
                    disk.duration = _duration(row.group(4))
        elif self.in_errors:
            row = ERROR_ROW.match(line)
            if row:
                disk = _disk_by_name(self.disks, row.group(1))
                if disk is not None:
                    disk.pass_errors = int(row.group(2)[:12])
                    disk.verify_errors = int(row.group(3)[:12]) + int(row.group(4)[:12])

    def read_message(self, at: datetime, message: str) -> None:
        # Most lines of a long log are progress lines: each test below is guarded by a cheap
        # string check before its regular expression.
        self.summary_time = at
        self.in_status = self.in_errors = False
        if "=" in message and self.read_option(message):
            return
        if message.startswith("Found "):
            found = FOUND.match(message)
            if found:
                _read_found(self.disk(found.group(1)), found.group(2))
                return
        elif message.startswith("Invoking method"):
            invoking = INVOKING.match(message)
            if invoking:
                self.invoked_method = self.invoked_method or invoking.group(1)[:100]
                disk = self.disk(invoking.group(2))
                disk.started_at = disk.started_at or at
                self.last_seen[disk.path] = at
                return
        elif message.startswith("Device") and " is size " in message:
            size = OLD_SIZE.match(message)
            if size:
                self.disk(size.group(1)).size_bytes = int(size.group(2)[:20])
                return
        elif message.startswith("Nwipe "):
            if message.startswith("Nwipe successfully completed"):
                self.completed = True
            failed = FAILED_DEVICE.search(message)
            if failed:
                self.failed.add(failed.group(1))
        if "serial number" in message:
            serial = SERIAL.match(message)
            if serial:
                disk = self.disk(serial.group(1))
                disk.serial = disk.serial or _clean_serial(serial.group(2))
                return
        if "/dev/" in message:
            for path in DEVICE_IN_LINE.findall(message):
                if path in self.disks and self.disks[path].started_at:
                    self.last_seen[path] = at

    def read_option(self, message: str) -> bool:
        option = OPTION.match(message)
        if not option:
            return False
        key, value = option.group(1), option.group(2).strip()
        if key == "banner":
            self.saw_banner = True
            match = re.search(r"nwipe\s+(\S+)", value)
            self.log.tool_version = match.group(1)[:30] if match else ""
        elif key == "method":
            self.log.method_name = value[:100]
        elif key == "verify":
            self.log.verify = _verify_for(value)
        elif key == "rounds":
            self.log.rounds = int(value[:6]) if value[:6].isdigit() else 1
        return True

    def finish(self) -> NwipeLog:
        from ..models import Verification

        log = self.log
        if not self.saw_banner and not any(d.started_at for d in self.disks.values()):
            raise LogError(
                _(
                    "Ce fichier n'est pas un journal nwipe : il ne contient ni la version de "
                    "nwipe ni de disque effacé. Joignez le fichier écrit par « nwipe "
                    "--logfile=… »."
                ),
                code="log_not_nwipe",
            )
        if not log.method_name:
            # nwipe before 0.28 names its method only where it starts it.
            log.method_name = self.invoked_method
        if not log.tool_version:
            log.warnings.append(
                _(
                    "Ce journal ne dit pas sa version de nwipe (nwipe antérieur à 0.28) : la "
                    "version reste vide sur l'effacement."
                )
            )
        if not log.verify:
            log.verify = Verification.NONE
        for disk in self.disks.values():
            if not disk.started_at:
                continue  # listed but never wiped (not selected in the interface)
            if not disk.status:
                if disk.path in self.failed:
                    disk.status = "FAILED"
                elif self.completed:
                    # nwipe before 0.28: no table, a last line for the whole run.
                    disk.status = "Erased"
                else:
                    log.warnings.append(
                        _(
                            "Le journal s'arrête avant le bilan de %(disk)s (nwipe "
                            "interrompu ?) : effacement compté comme interrompu."
                        )
                        % {"disk": disk.path}
                    )
                    disk.status = "ABORTED"
            disk.result = _result_for(disk.status)
            if disk.result == "erased" and (disk.pass_errors or disk.verify_errors):
                disk.result = "failed"
            ends = [disk.started_at, self.last_seen.get(disk.path)]
            if disk.duration is not None and disk.started_at.year < 9999:
                ends.append(disk.started_at + disk.duration)
            elif self.summary_time is not None:
                ends.append(self.summary_time)
            disk.ended_at = max(end for end in ends if end is not None)
            log.disks.append(disk)
        if not log.disks:
            raise LogError(
                _("Ce journal nwipe ne contient aucun effacement de disque."), code="log_no_disk"
            )
        if not log.erases:
            raise LogError(
                _(
                    "Ce journal est une simple vérification (« %(method)s ») : il ne prouve "
                    "pas un effacement."
                )
                % {"method": log.method_name},
                code="log_verification_only",
            )
        return log


# More disks than any wiping station holds: the file is not a log.
MAX_DISKS = 256


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
    disk.serial = _clean_serial(serial)


def _clean_serial(text: str) -> str:
    serial = clean(text)
    if re.fullmatch(r"[X?]+", serial):
        return ""  # --quiet
    return serial[:100]

"""bench/results.json: the machine, the latest figures, and the latest figures per database and
pool size. Merged, never overwritten: metrics measured by other runs (or added by later
benchmarks) stay as they are."""

import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

RESULTS_PATH = Path(__file__).resolve().parent / "results.json"

# metric: (unit, target text, predicate on the value, (database, devices) the target is for)
TARGETS = {
    "device_list_p95_ms": ("ms", "< 50 ms", lambda v: v < 50),
    "device_detail_p95_ms": ("ms", "< 50 ms", lambda v: v < 50),
    "transitions_per_s": ("transitions/s", ">= 200 transitions/s", lambda v: v >= 200),
}
TARGET_SETUPS = {
    "device_list_p95_ms": {("sqlite", 100_000), ("postgresql", 1_000_000)},
    "device_detail_p95_ms": {("sqlite", 100_000), ("postgresql", 1_000_000)},
    "transitions_per_s": {("postgresql", None)},
}


def target_for(metric: str, database: str, devices: int) -> dict:
    unit, text, passes = TARGETS[metric]
    setups = TARGET_SETUPS[metric]
    applies = (database, devices) in setups or (database, None) in setups
    where = ", ".join(
        f"{db} {n:,} devices" if n else f"{db}, any pool size" for db, n in sorted(setups, key=str)
    )
    return {"target": f"{text} ({where})", "target_applies": applies, "passes": passes}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def machine_info() -> dict:
    import django
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
    else:
        import sqlite3

        version = sqlite3.sqlite_version
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": _memory_gb(),
        "os": platform.platform(terse=True),
        "python": sys.version.split()[0],
        "django": django.get_version(),
        "database": f"{connection.vendor} {version}",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def load() -> dict:
    if RESULTS_PATH.exists():
        return json.loads(RESULTS_PATH.read_text())
    return {}


def merge(machine: dict, results: dict[str, dict], *, database: str, devices: int) -> dict:
    """Write the figures of this run: under "results" (the latest run, whatever its setup) and
    under "runs" → "<database>-<devices>" (the latest run of that setup)."""
    data = load()
    data["machine"] = machine
    data.setdefault("results", {}).update(results)
    run = data.setdefault("runs", {}).setdefault(f"{database}-{devices}", {})
    run["machine"] = machine
    run.setdefault("results", {}).update(results)
    data["runs"] = dict(sorted(data["runs"].items()))
    temporary = RESULTS_PATH.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    temporary.replace(RESULTS_PATH)
    return data

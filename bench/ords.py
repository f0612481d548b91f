"""Benchmark of the ORDS repair import (ateliers/ords_import.py).

One function for ``bench/run.py`` (run in a child process, pointed at a scratch database):

``ords_figures(*, rows=30_000, memory_rows=(7_500, 30_000), seed=42) -> dict``
    ``ords_import_rows_per_s``: a ``rows``-record ORDS v0.3 file shaped like Repair Café
    Denmark's (29,929 records; statuses Unknown, barriers "Item too worn out", quoted
    problems with commas, quotes and newlines, one row in a hundred with a bad date) goes
    through what the pages run: the preview (``services.repairs_import_preview``: encoding,
    delimiter, every row checked, valid rows staged, rejected rows written apart) and the
    import of the valid rows (``services.repairs_import_confirm``: one transaction). Value:
    rows of the file per second over both steps. Target: ≥ 10,000 on SQLite.

    ``ords_import_peak_mb``: peak Python memory (tracemalloc) of the same two steps for each
    size in ``memory_rows``: it must not grow with the file (rows are read one at a time).

The records are built from the two real files in tests/fixtures/ords (Fixit Clinic, Repair
Connects), cycled with new ids, so the texts have real lengths and quirks.

Standalone: ``python -m bench.ords`` (DATABASE_URL as for ``make bench``: the benchmark uses
``var/bench-ords.sqlite3`` or ``filiere_bench_ords``, dropped and recreated each run).
Prints JSON.
"""

import csv
import gc
import json
import os
import random
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

TARGET_ROWS_PER_S = 10_000
SAMPLES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "ords"


def _sample_records() -> list[list[str]]:
    records = []
    for name in ("FixitClinic", "RepairConnects"):
        path = SAMPLES / f"OpenRepairData_v0.3_{name}_202507.csv"
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            next(reader)
            records.extend(reader)
    return records


def write_file(path: str, rows: int, seed: int) -> int:
    """A Denmark-shaped ORDS file of ``rows`` records; returns its size in bytes."""
    rng = random.Random(seed)
    samples = _sample_records()
    tag = uuid.uuid4().hex[:6]
    groups = [f"Repair Café {town}" for town in ("Aarhus", "Odense", "Aalborg", "Vejle")]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(
            [
                "id",
                "data_provider",
                "country",
                "partner_product_category",
                "product_category",
                "product_category_id",
                "brand",
                "year_of_manufacture",
                "product_age",
                "repair_status",
                "repair_barrier_if_end_of_life",
                "group_identifier",
                "event_date",
                "problem",
            ]
        )
        for index in range(rows):
            record = list(rng.choice(samples))
            record[0] = f"rcdk{tag}-{index}"
            record[1], record[2], record[11] = "Repair Café Denmark", "DNK", rng.choice(groups)
            if record[9] == "Fixed" and rng.random() < 0.15:
                record[9] = "Unknown"
            if index % 100 == 99:
                record[12] = "31/02/2022"  # rejected: not a date
            writer.writerow(record)
    return os.path.getsize(path)


def _setting_up():
    from acteurs.models import Membership, Organisation, User

    tag = uuid.uuid4().hex[:8]
    organisation = Organisation.objects.create(
        name=f"Repair café banc d'essai {tag}", short_name="RCB"
    )
    user = User.objects.create(username=f"bench-ords-{tag}", email="bench@example.org")
    Membership.objects.create(user=user, organisation=organisation, role="staff")
    return user, organisation


def _run_import(path: str) -> dict:
    from django.core.files.uploadedfile import TemporaryUploadedFile

    from ateliers import services

    user, organisation = _setting_up()
    size = os.path.getsize(path)
    # As the upload arrives: Django keeps a file over 5 MB in a temporary file.
    upload = TemporaryUploadedFile("denmark.csv", "text/csv", size, "utf-8")
    with open(path, "rb") as source:
        while chunk := source.read(1 << 20):
            upload.write(chunk)
    upload.seek(0)
    started = time.perf_counter()
    batch = services.repairs_import_preview(actor=user, organisation=organisation, upload=upload)
    previewed = time.perf_counter()
    batch = services.repairs_import_confirm(actor=user, batch_pk=batch.pk)
    done = time.perf_counter()
    upload.close()
    return {
        "preview_s": previewed - started,
        "import_s": done - previewed,
        "total_s": done - started,
        "batch": batch,
    }


def _peak_mb(path: str) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        _run_import(path)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return round(peak / 2**20, 1)


def ords_figures(
    *, rows: int = 30_000, memory_rows: tuple[int, ...] = (7_500, 30_000), seed: int = 42
) -> dict:
    from django.db import connection

    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "denmark.csv")
        size = write_file(path, rows, seed)
        run = _run_import(path)
        peaks = {}
        for count in sorted(set(memory_rows)):
            sized = os.path.join(directory, f"denmark-{count}.csv")
            write_file(sized, count, seed + count)
            peaks[count] = _peak_mb(sized)
    batch = run["batch"]
    assert batch.rows + batch.rejected_rows == rows, (batch.rows, batch.rejected_rows)
    rate = rows / run["total_s"]
    common = {"rows": rows, "file_bytes": size, "database": connection.vendor}
    return {
        "ords_import_rows_per_s": {
            "value": round(rate),
            "unit": "rows/s",
            "target": f">= {TARGET_ROWS_PER_S:,} (SQLite)",
            "meets_target": rate >= TARGET_ROWS_PER_S,
            "target_applies": connection.vendor == "sqlite",
            **common,
            "phases_s": {
                "preview": round(run["preview_s"], 2),
                "import": round(run["import_s"], 2),
            },
            "imported": batch.rows,
            "rejected": batch.rejected_rows,
            "noted": batch.noted_rows,
        },
        "ords_import_peak_mb": {
            "value": peaks[max(peaks)],
            "unit": "MB",
            "target": None,
            **common,
            "peak_mb_by_rows": {str(k): v for k, v in sorted(peaks.items())},
            "method": "tracemalloc peak over preview + import (Python allocations)",
        },
    }


def main() -> None:
    import argparse

    from .database import create_if_missing, drop, point_django_at, resolve

    parser = argparse.ArgumentParser(prog="python -m bench.ords", description=__doc__)
    parser.add_argument("--rows", type=int, default=30_000)
    parser.add_argument("--memory-rows", default="7500,30000")
    args = parser.parse_args()
    database = resolve("bench_ords")
    drop(database)
    point_django_at(database)
    create_if_missing(database)
    # The staged rows go to a throwaway media folder, not the development one.
    media = tempfile.mkdtemp(prefix="bench-ords-media-")
    os.environ["MEDIA_ROOT"] = media
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    memory_rows = tuple(int(n) for n in args.memory_rows.split(",") if n)
    figures = ords_figures(rows=args.rows, memory_rows=memory_rows)
    print(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()

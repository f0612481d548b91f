"""Benchmarks of the intake of donors' inventory lists (the intake app).

One function for ``bench/run.py`` (Django set up, pointed at a scratch benchmark database):

``intake_figures(*, rows=10_000, memory_rows=(2_500, 10_000, 40_000), seed=42) -> dict``
    Returns three figures, each a dict with ``value``, ``unit``, ``target`` and details:

    ``import_10k_rows_s``: a ``rows``-line semicolon CSV (UTF-8, French headers, realistic
    values: a third of the lines with two disks, the operating system, inventory number,
    weight and purchase date, one row in a hundred rejected) goes through what the pages run:
    the upload (``job_create``: limits, encoding, separator, header, row count), the preview
    (``start_analysis``) and the import of the valid rows (``start_import``, partial import
    on), timed end to end; the split is in ``phases_s``.

    ``import_vs_bulk_create_ratio``: that time divided by a bare ``Device.objects.bulk_create``
    of the same ``rows`` devices (no media, no events, no checks) in the same run. Target 3.

    ``import_peak_mb``: peak Python memory (tracemalloc) of the same three steps, for each size
    in ``memory_rows``; ``value`` is the peak at ``rows``. It must not grow in proportion to
    the file: ``peak_mb_by_rows`` shows it at each size. Measured in separate runs, as
    tracemalloc slows the code down.

    It writes its own organisation, donation and devices (never deleted: device events are
    append-only), so give it a scratch database.

Standalone: ``python -m bench.intake`` (DATABASE_URL as for ``make bench``: the benchmark uses
``var/bench-intake.sqlite3`` or ``filiere_bench_intake`` on that server). Prints JSON.
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

TARGETS = {"import_10k_rows_s": None, "import_vs_bulk_create_ratio": 3.0, "import_peak_mb": None}

MODELS = [
    ("Dell", "Latitude 5490", "Portable", "Intel Core i5-8350U"),
    ("HP", "EliteBook 840 G5", "Ordinateur portable", "Intel Core i5-8250U"),
    ("Lenovo", "ThinkPad T480", "Laptop", "Intel Core i5-8350U"),
    ("Lenovo", "ThinkCentre M710q", "Unité centrale", "Intel Core i3-7100T"),
    ("HP", "ProDesk 600 G3", "PC fixe", "Intel Core i5-6500"),
    ("Dell", "P2419H", "Écran", ""),
    ("Samsung", "Galaxy Tab A", "Tablette", ""),
]
STORAGE = ["SSD 256 Go", "HDD 500 Go", "SSD 256 Go + HDD 1 To", "NVMe 512 Go"]


# One row in this many is rejected (an unknown kind): the import leaves it out.
REJECTED_EVERY = 100


def write_csv(path: str, rows: int, seed: int, *, donor_columns: bool = True) -> int:
    """A donor's list of ``rows`` lines; with ``donor_columns`` (the default) also the
    operating system, inventory number, weight and purchase date, and one row in
    REJECTED_EVERY a kind the pool does not take (``donor_columns=False``: the file of the
    figures measured before those columns and the partial import existed)."""
    rng = random.Random(seed)
    tag = uuid.uuid4().hex[:6].upper()
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        header = ["N° de série", "Marque", "Modèle", "Type", "Processeur", "Mémoire (Go)", "Disque"]
        if donor_columns:
            header += ["Système d'exploitation", "N° d'inventaire", "Poids (kg)", "Date d'achat"]
        writer.writerow(header)
        for index in range(rows):
            brand, model, kind, cpu = rng.choice(MODELS)
            has_storage = kind not in ("Écran",)
            row = [
                f"{tag}{index:07d}",
                brand,
                model,
                kind,
                cpu,
                rng.choice(["4", "8", "8 Go", "16"]) if cpu else "",
                rng.choice(STORAGE) if has_storage else "",
            ]
            if donor_columns:
                if index % REJECTED_EVERY == REJECTED_EVERY - 1:
                    row[3] = "Serveur"
                row += [
                    "Windows 10 Professionnel" if cpu else "",
                    f"INV-{index:06d}",
                    rng.choice(["1,8", "2,1", "4,5", "6,2"]),
                    f"{rng.randrange(1, 29):02d}/{rng.randrange(1, 13):02d}"
                    f"/20{rng.randrange(15, 24)}",
                ]
            writer.writerow(row)
    return os.path.getsize(path)


def _setting_up(tag: str):
    from acteurs.models import Membership, Organisation, User
    from dons.models import Donation, Gisement

    organisation = Organisation.objects.create(
        name=f"Atelier banc d'essai import {tag}", short_name="BEI", is_refurbisher=True
    )
    donor = Organisation.objects.create(
        name=f"Donateur banc d'essai {tag}", short_name="DBE", is_donor=True
    )
    user = User.objects.create(username=f"bench-import-{tag}", email="bench@example.org")
    Membership.objects.create(user=user, organisation=organisation, role="staff")
    gisement = Gisement.objects.create(
        donor=donor, refurbisher=organisation, donor_kind="entreprise", name="Banc d'essai"
    )
    donation = Donation.objects.create(gisement=gisement)
    return user, donation


def _run_import(path: str) -> dict:
    """job_create + job_analyse + job_import on the file, as the pages run them."""
    from django.core.files import File

    from intake import services

    # The steps run in this process, through the kernel's run_job as a worker runs them
    # (the pages hand files of this size to Celery).
    services.BACKGROUND_FROM = 10**9
    user, donation = _setting_up(uuid.uuid4().hex[:8])
    phases = {}
    started = time.perf_counter()
    with open(path, "rb") as handle:
        upload = File(handle, name="inventaire.csv")
        upload.size = os.path.getsize(path)
        job = services.job_create(user, donation, upload)
    phases["upload"] = time.perf_counter() - started
    mark = time.perf_counter()
    services.start_analysis(user, job)
    phases["preview"] = time.perf_counter() - mark
    mark = time.perf_counter()
    services.start_import(job, user)
    phases["import"] = time.perf_counter() - mark
    total = time.perf_counter() - started
    job.refresh_from_db()
    # Partial import on: every valid row imported, the rejected ones left out.
    assert job.imported and job.created_count == job.counts["new"], (job.error, job.counts)
    assert job.counts["new"] + job.counts["error"] == job.total_rows, job.counts
    job.file.delete(save=False)
    return {"total": total, "phases": phases, "job": job}


def _bare_bulk_create(rows: int, seed: int) -> float:
    from django.db import transaction

    from parc.codes import generate_code
    from parc.models import Device

    _user, donation = _setting_up(uuid.uuid4().hex[:8])
    rng = random.Random(seed)
    tag = uuid.uuid4().hex[:6].upper()
    # Codes drawn before the clock starts, none already taken: a random clash with the
    # 10,000 devices the import just wrote would fail the insert now and then.
    codes: set[str] = set()
    while len(codes) < rows:
        draw = {generate_code() for _ in range(rows - len(codes))} - codes
        codes |= draw - set(
            Device.objects.filter(public_code__in=draw).values_list("public_code", flat=True)
        )
    codes = sorted(codes)
    devices = []
    for index in range(rows):
        brand, model, _kind, cpu = rng.choice(MODELS)
        devices.append(
            Device(
                public_code=codes[index],
                kind="laptop",
                brand=brand,
                model=model,
                serial=f"{tag}{index:07d}",
                cpu=cpu,
                owner_id=donation.gisement.refurbisher_id,
                donation=donation,
            )
        )
    started = time.perf_counter()
    with transaction.atomic():
        Device.objects.bulk_create(devices)
    return time.perf_counter() - started


def _peak_mb(path: str) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        _run_import(path)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return round(peak / 2**20, 1)


def intake_figures(
    *, rows: int = 10_000, memory_rows: tuple[int, ...] = (2_500, 10_000, 40_000), seed: int = 42
) -> dict:
    from django.db import connection

    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "inventaire.csv")
        size = write_csv(path, rows, seed)
        run = _run_import(path)
        bulk = _bare_bulk_create(rows, seed)
        peaks = {}
        for count in sorted(set(memory_rows) | {rows}):
            sized = os.path.join(directory, f"inventaire-{count}.csv")
            write_csv(sized, count, seed + count)
            peaks[count] = _peak_mb(sized)
    common = {"rows": rows, "file_bytes": size, "database": connection.vendor}
    ratio = run["total"] / bulk
    return {
        "import_10k_rows_s": {
            "value": round(run["total"], 2),
            "unit": "s",
            "target": None,
            **common,
            "phases_s": {k: round(v, 2) for k, v in run["phases"].items()},
            "rows_per_s": round(rows / run["total"]),
        },
        "import_vs_bulk_create_ratio": {
            "value": round(ratio, 2),
            "unit": "×",
            "target": TARGETS["import_vs_bulk_create_ratio"],
            "meets_target": ratio <= TARGETS["import_vs_bulk_create_ratio"],
            **common,
            "import_s": round(run["total"], 2),
            "bare_bulk_create_s": round(bulk, 2),
        },
        "import_peak_mb": {
            "value": peaks[rows],
            "unit": "MB",
            "target": None,
            **common,
            "peak_mb_by_rows": {str(k): v for k, v in sorted(peaks.items())},
            "method": "tracemalloc peak over upload + preview + import (Python allocations)",
        },
    }


def main() -> None:
    import argparse

    from .database import create_if_missing, point_django_at, resolve

    parser = argparse.ArgumentParser(prog="python -m bench.intake", description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--memory-rows", default="2500,10000,40000")
    args = parser.parse_args()
    database = resolve("bench_intake")
    point_django_at(database)
    create_if_missing(database)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    memory_rows = tuple(int(n) for n in args.memory_rows.split(",") if n)
    figures = intake_figures(rows=args.rows, memory_rows=memory_rows)
    print(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()

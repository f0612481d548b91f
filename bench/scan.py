"""Benchmark of the scan page: ``scan_lookup_p95_ms``.

For ``bench/run.py`` (Django set up, pointed at a benchmark database with a pool):

``scan_lookup_p95_ms(pool, *, requests=200, seed=42) -> dict``
    What a technician waits for between pulling the scanner's trigger and seeing the device:
    ``POST /scan/`` with the scanned text (resolved forgivingly, looked up among the devices
    the user may see, answered with a redirect), then ``GET /e/<code>/``, the phone device
    page, rendered. Both through the whole Django stack (test Client, session, middleware,
    templates), for random devices of the pool's big refurbisher, logged in as its
    technician. The scanned text alternates between what scanners and people type: the code,
    the code in lower case without its dash, and the full URL a QR label holds. 20 warm-up
    requests, then ``requests`` timed ones. Target: p95 under 30 ms at 1,000,000 devices on
    PostgreSQL. Read-only: the pool is left as it was.

    Returns ``{"value": p95 ms, "unit": "ms", ...}``: p50, max, CPU time of this process,
    p95 of each half (lookup and redirect; device page), p95 per kind of scanned text, the
    queries of each half, the query plan of the lookup, and the target.

Standalone: ``python -m bench.scan`` (DATABASE_URL as for ``make bench``: uses the
``filiere_bench`` pool, reusing it at whatever size it was built; ``--devices N`` builds one
of that size if there is none). Prints the figure as JSON.
"""

import json
import random
import statistics
import time

WARMUP = 20
TARGET_MS = 30.0
TARGET_SETUP = ("postgresql", 1_000_000)


def _percentile(values: list[float], percent: int) -> float:
    if len(values) == 1:
        return round(values[0], 2)
    return round(statistics.quantiles(values, n=100, method="inclusive")[percent - 1], 2)


def _scanned_texts(pool, count: int, rng: random.Random) -> list[tuple[str, str, str]]:
    """(variant, scanned text, canonical code) for random devices of the big refurbisher."""
    from django.conf import settings

    from parc.models import Device

    from .pool import sample_ids

    ids = sample_ids(Device, count, rng, owner_id=pool.organisation_id)
    codes = list(Device.objects.filter(pk__in=ids).values_list("public_code", flat=True))
    rng.shuffle(codes)
    variants = {
        "code": lambda code: code,
        "lower_no_dash": lambda code: code.lower().replace("-", ""),
        "qr_url": lambda code: f"{settings.SITE_BASE_URL}/e/{code}/",
    }
    names = list(variants)
    return [
        (names[i % len(names)], variants[names[i % len(names)]](code), code)
        for i, code in enumerate(codes)
    ]


def _client(pool):
    from django.conf import settings
    from django.test import Client

    from acteurs.models import User

    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    client.force_login(User.objects.get(pk=pool.technician_id))
    return client


def _scan_once(client, text: str, code: str) -> tuple[float, float, float]:
    """Milliseconds of the lookup (POST, redirect), of the device page, and CPU of both."""
    cpu_started = time.process_time()
    started = time.perf_counter()
    response = client.post("/scan/", {"code": text})
    looked_up = time.perf_counter()
    if response.status_code != 302 or response["Location"] != f"/e/{code}/":
        raise SystemExit(f"bench: scanning {text!r} answered {response.status_code}")
    page = client.get(response["Location"])
    ended = time.perf_counter()
    cpu = (time.process_time() - cpu_started) * 1000
    if page.status_code != 200:
        raise SystemExit(f"bench: device page of {code} answered {page.status_code}")
    return (looked_up - started) * 1000, (ended - looked_up) * 1000, cpu


def _queries(client, text: str, code: str) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as lookup:
        response = client.post("/scan/", {"code": text})
    with CaptureQueriesContext(connection) as page:
        client.get(response["Location"])
    return {"lookup": len(lookup.captured_queries), "device_page": len(page.captured_queries)}


def _lookup_plan(pool, code: str) -> list[str]:
    from django.db import connection

    from acteurs.models import User
    from parc.scanning import selectors as scan_selectors

    technician = User.objects.get(pk=pool.technician_id)
    queryset = scan_selectors.devices_visible_to(technician).filter(public_code=code)
    sql, params = queryset.only("id", "public_code", "state").order_by().query.sql_with_params()
    explain = "EXPLAIN ANALYZE " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    with connection.cursor() as cursor:
        cursor.execute(explain + sql, params)
        return [" ".join(str(c) for c in row) for row in cursor.fetchall()]


def scan_lookup_p95_ms(pool, *, requests: int = 200, seed: int = 42) -> dict:
    from django.db import connection

    rng = random.Random(seed)
    client = _client(pool)
    scans = _scanned_texts(pool, requests + WARMUP + 1, rng)
    warmup, timed, spare = scans[:WARMUP], scans[WARMUP:-1], scans[-1]
    for _variant, text, code in warmup:
        _scan_once(client, text, code)
    total, lookups, pages, cpu = [], [], [], []
    by_variant: dict[str, list[float]] = {}
    for variant, text, code in timed:
        lookup_ms, page_ms, cpu_ms = _scan_once(client, text, code)
        total.append(lookup_ms + page_ms)
        lookups.append(lookup_ms)
        pages.append(page_ms)
        cpu.append(cpu_ms)
        by_variant.setdefault(variant, []).append(lookup_ms + page_ms)
    value = _percentile(total, 95)
    applies = (connection.vendor, pool.devices) == TARGET_SETUP
    return {
        "value": value,
        "unit": "ms",
        "devices": pool.devices,
        "database": connection.vendor,
        "p50": _percentile(total, 50),
        "max": round(max(total), 2),
        "cpu_p50": _percentile(cpu, 50),
        "cpu_p95": _percentile(cpu, 95),
        "lookup_p95_ms": _percentile(lookups, 95),
        "device_page_p95_ms": _percentile(pages, 95),
        "p95_by_variant": {name: _percentile(v, 95) for name, v in by_variant.items()},
        "requests": len(total),
        "queries": _queries(client, spare[1], spare[2]),
        "lookup_plan": _lookup_plan(pool, spare[2]),
        "target": f"< {TARGET_MS:g} ms (postgresql 1,000,000 devices)",
        "meets_target": value < TARGET_MS,
        "target_applies": applies,
    }


def main() -> None:
    import argparse
    import os
    import sys

    from .database import create_if_missing, point_django_at, resolve

    parser = argparse.ArgumentParser(
        prog="python -m bench.scan",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--devices", type=int, default=None)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    database = resolve("bench")
    point_django_at(database)
    import django

    django.setup()
    from .pool import _read_marker, ensure_pool

    create_if_missing(database)
    marker = _read_marker()
    devices = args.devices or (marker or {}).get("devices") or 100_000
    pool = ensure_pool(
        database,
        devices,
        rebuild=False,
        seed=int(os.environ.get("BENCH_SEED", 42)),
        log=lambda message: print(message, file=sys.stderr),
    )
    figure = scan_lookup_p95_ms(pool, requests=args.requests)
    print(json.dumps({"scan_lookup_p95_ms": figure}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()

"""Benchmark of the pool dashboard: ``pool_dashboard_p95_ms``.

For ``bench/run.py`` (Django set up, pointed at a benchmark database with a pool):

``pool_dashboard_figures(pool, *, requests=200, seed=42) -> dict``
    Server time of ``GET /rapports/tableaux-de-bord/parc/`` through the whole Django stack
    (test Client, session, middleware, templates), logged in as the staff member of the pool's
    big refurbisher (85 % of the devices). The page reads the stock, weekly flows, stage
    durations and stuck counts from the summary the background task keeps in the cache
    (rapports/dashboard_selectors.py), and runs the stuck-device list live. So the benchmark
    first times that summary's computation as the Celery task does it (``summary_compute_s``:
    what the background pays every ten minutes, and what a visitor pays if the cache is
    empty), then 20 warm-up requests, then ``requests`` timed ones, alternating the first page
    of stuck devices, a deep page (``?page=40``) and one stage (``?etape=ready``). Target: p95
    under 200 ms at 1,000,000 devices on PostgreSQL. Read-only: the pool is left as it was.

    Returns ``{"pool_dashboard_p95_ms": {"value": p95 ms, "unit": "ms", ...}}`` with p50, max,
    CPU time, p95 per variant, the queries of one request, the summary's computation time per
    part, the query plan of the stuck list, and the target.

Standalone: ``python -m bench.rapports_dashboard`` (DATABASE_URL as for ``make bench``: uses
the ``filiere_bench`` pool at whatever size it was built; ``--devices N`` builds one of that
size if there is none). Prints the figures as JSON.
"""

import json
import statistics
import time

WARMUP = 20
TARGET_MS = 200.0
TARGET_SETUP = ("postgresql", 1_000_000)
URL = "/rapports/tableaux-de-bord/parc/"
VARIANTS = (("first_page", {}), ("deep_page", {"page": "40"}), ("one_stage", {"etape": "ready"}))


def _percentile(values: list[float], percent: int) -> float:
    if len(values) == 1:
        return round(values[0], 2)
    return round(statistics.quantiles(values, n=100, method="inclusive")[percent - 1], 2)


def _staff(pool):
    from acteurs.models import Membership, Role

    membership = (
        Membership.objects.select_related("user")
        .filter(organisation_id=pool.organisation_id, role=Role.STAFF)
        .order_by("id")
        .first()
    )
    if membership is None:
        raise SystemExit("bench: the pool's big refurbisher has no staff member")
    return membership.user


def _client(user):
    from django.conf import settings
    from django.test import Client

    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    client.force_login(user)
    return client


def _summary_parts(owner_ids) -> dict:
    """Seconds of each part of the summary, then the summary computed and cached as the
    background task does it."""
    from django.utils import timezone

    from rapports import dashboard_selectors as selectors

    now = timezone.now()
    parts = {}
    for name, run in (
        ("stock", lambda: selectors.stock_counts(owner_ids)),
        ("weekly_flows", lambda: selectors.weekly_flows(owner_ids, timezone.localdate(now))),
        ("stage_durations", lambda: selectors.stage_durations(owner_ids, now)),
        ("stuck_counts", lambda: selectors.stuck_counts(owner_ids, now)),
    ):
        started = time.perf_counter()
        run()
        parts[name] = round(time.perf_counter() - started, 3)
    summary = selectors.compute_pool_summary(owner_ids)
    return {"total": summary.compute_seconds, "parts": parts}


def _get(client, params) -> tuple[float, float]:
    cpu_started = time.process_time()
    started = time.perf_counter()
    response = client.get(URL, params)
    elapsed = (time.perf_counter() - started) * 1000
    cpu = (time.process_time() - cpu_started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"bench: the pool dashboard answered {response.status_code}")
    return elapsed, cpu


def _queries(client) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for name, params in VARIANTS:
        with CaptureQueriesContext(connection) as captured:
            client.get(URL, params)
        counts[name] = len(captured.captured_queries)
    return counts


def _stuck_plan(owner_ids) -> list[str]:
    from django.db import connection
    from django.utils import timezone

    from rapports.dashboard_selectors import stuck_devices

    queryset = stuck_devices(owner_ids, timezone.now())[:26]
    sql, params = queryset.query.sql_with_params()
    explain = "EXPLAIN ANALYZE " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    with connection.cursor() as cursor:
        cursor.execute(explain + sql, params)
        return [" ".join(str(c) for c in row) for row in cursor.fetchall()]


def pool_dashboard_figures(pool, *, requests: int = 200, seed: int = 42) -> dict:
    from django.db import connection

    owner_ids = (pool.organisation_id,)
    client = _client(_staff(pool))
    summary = _summary_parts(owner_ids)
    for index in range(WARMUP):
        _get(client, VARIANTS[index % len(VARIANTS)][1])
    total, cpu = [], []
    by_variant: dict[str, list[float]] = {}
    for index in range(requests):
        name, params = VARIANTS[index % len(VARIANTS)]
        elapsed, cpu_ms = _get(client, params)
        total.append(elapsed)
        cpu.append(cpu_ms)
        by_variant.setdefault(name, []).append(elapsed)
    value = _percentile(total, 95)
    figure = {
        "value": value,
        "unit": "ms",
        "devices": pool.devices,
        "database": connection.vendor,
        "p50": _percentile(total, 50),
        "max": round(max(total), 2),
        "cpu_p50": _percentile(cpu, 50),
        "cpu_p95": _percentile(cpu, 95),
        "p95_by_variant": {name: _percentile(v, 95) for name, v in by_variant.items()},
        "requests": len(total),
        "queries": _queries(client),
        "summary_compute_s": summary["total"],
        "summary_parts_s": summary["parts"],
        "summary_note": "stock, weekly flows, stage durations and stuck counts are read from a "
        "cached summary refreshed by Celery beat every 10 minutes; summary_compute_s is what "
        "one refresh costs (and what a visitor waits if the cache is empty)",
        "stuck_list_plan": _stuck_plan(owner_ids),
        "target": f"< {TARGET_MS:g} ms (postgresql 1,000,000 devices)",
        "meets_target": value < TARGET_MS,
        "target_applies": (connection.vendor, pool.devices) == TARGET_SETUP,
    }
    return {"pool_dashboard_p95_ms": figure}


def main() -> None:
    import argparse
    import os
    import sys

    from .database import create_if_missing, point_django_at, resolve

    parser = argparse.ArgumentParser(
        prog="python -m bench.rapports_dashboard",
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
    figures = pool_dashboard_figures(pool, requests=args.requests)
    print(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()

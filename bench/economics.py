"""Benchmark of the « Modèle économique » dashboard (issue 15).

``economics_dashboard_p95_ms(pool, *, calls=50) -> dict``
    ``rapports.economics.economics`` over the last twelve months, for the pool's big
    refurbisher and for the whole département (the coordination), then the page through the
    whole Django stack. Target: p95 under 200 ms at 1,000,000 devices on PostgreSQL.
    First the nightly roll-up of the stages of work (``roll_up_stage_work``), as beat
    would have run it, timed on its own (``roll_up_s``: the first one sums the whole pool's
    history, later ones a day); the year measured then ends with today, read from the
    events.
"""

import datetime as dt
import statistics
import time

TARGET_MS = 200.0


def _p(values: list[float], percent: int) -> float:
    if len(values) == 1:
        return round(values[0], 2)
    return round(statistics.quantiles(values, n=100, method="inclusive")[percent - 1], 2)


def economics_dashboard_p95_ms(pool, *, calls: int = 50) -> dict:
    from django.conf import settings
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    from acteurs.models import Membership, User
    from rapports.economics import economics
    from rapports.models import StageWorkDay
    from rapports.services import roll_up_stage_work

    before = StageWorkDay.objects.count()
    started = time.perf_counter()
    roll_up_stage_work()
    roll_up_s = time.perf_counter() - started
    rolled_up_rows = StageWorkDay.objects.count()

    end = timezone.localdate()
    start = end - dt.timedelta(days=364)
    scopes = [(pool.organisation_id,), None]
    for owner_ids in scopes:
        economics(owner_ids, start, end)  # warm-up
    timings = []
    with CaptureQueriesContext(connection) as queries:
        economics(scopes[0], start, end)
    query_count = len(queries)
    for index in range(calls):
        owner_ids = scopes[index % 2]
        started = time.perf_counter()
        economics(owner_ids, start, end)
        timings.append((time.perf_counter() - started) * 1000)
    with transaction.atomic():
        staff, _ = User.objects.get_or_create(username="bench-equipe")
        Membership.objects.get_or_create(
            user=staff, organisation_id=pool.organisation_id, defaults={"role": "staff"}
        )
        if "testserver" not in settings.ALLOWED_HOSTS:
            settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        client = Client()
        client.force_login(staff)
        page = []
        for i in range(min(calls, 20) + 3):
            started = time.perf_counter()
            response = client.get(reverse("rapports:economics"))
            if i >= 3:
                page.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
        transaction.set_rollback(True)
    value = _p(timings, 95)
    return {
        "value": value,
        "unit": "ms",
        "p50": _p(timings, 50),
        "max": round(max(timings), 2),
        "calls": calls,
        "queries": query_count,
        "page_p95_ms": _p(page, 95),
        "roll_up_s": round(roll_up_s, 2),
        "roll_up_rows_written": rolled_up_rows - before,
        "rolled_up_rows": rolled_up_rows,
        "target": TARGET_MS,
        "meets_target": value < TARGET_MS,
    }

"""The measurements: server-side time and SQL query count of the pool pages, and the rate of
workshop transitions through the services."""

import random
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from .pool import Pool, sample_ids

WARMUP = 20


@dataclass
class Timings:
    samples_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    by_variant: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def add(self, variant: str, ms: float, cpu_ms: float) -> None:
        self.samples_ms.append(ms)
        self.cpu_ms.append(cpu_ms)
        self.by_variant[variant].append(ms)

    def summary(self) -> dict:
        return {
            "p50": _percentile(self.samples_ms, 50),
            "p95": _percentile(self.samples_ms, 95),
            "max": round(max(self.samples_ms), 2),
            # CPU time of this process (Django, and SQLite which runs in it; not the
            # PostgreSQL server): less sensitive than wall time to other busy processes.
            "cpu_p50": _percentile(self.cpu_ms, 50),
            "cpu_p95": _percentile(self.cpu_ms, 95),
            "requests": len(self.samples_ms),
            "p95_by_variant": {
                name: _percentile(values, 95) for name, values in self.by_variant.items()
            },
            "p50_by_variant": {
                name: _percentile(values, 50) for name, values in self.by_variant.items()
            },
        }


def _percentile(values: list[float], percent: int) -> float:
    if len(values) == 1:
        return round(values[0], 2)
    return round(statistics.quantiles(values, n=100, method="inclusive")[percent - 1], 2)


def technician_client(pool: Pool) -> Client:
    from acteurs.models import SavedListFilters, User

    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # The lists keep each user's last filters and send a bare visit back to them: every run
    # starts without any (the variants then change the filters at each request, so four
    # requests in five also write them, as a user changing filters would).
    SavedListFilters.objects.filter(user_id=pool.technician_id).delete()
    client = Client()
    client.force_login(User.objects.get(pk=pool.technician_id))
    return client


def _get(client: Client, url: str) -> tuple[float, float]:
    """Wall-clock and CPU milliseconds of one request, through the whole Django stack."""
    cpu_started = time.process_time()
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    cpu = (time.process_time() - cpu_started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"bench: GET {url} answered {response.status_code}")
    return elapsed, cpu


# --- the device list ------------------------------------------------------------------------------


def list_requests(pool: Pool, count: int, rng: random.Random) -> list[tuple[str, str]]:
    """(variant, url) pairs, the five variants in turn, with random search terms and cursors."""
    from parc.models import Device

    per_variant = -(-count // 5)
    owned = {"owner_id": pool.organisation_id}
    serials = list(
        Device.objects.filter(pk__in=sample_ids(Device, per_variant, rng, **owned))
        .exclude(serial="")
        .values_list("serial", flat=True)
    )
    bounds = sorted(sample_ids(Device, per_variant, rng, **owned))
    variants = {
        "no_filter": lambda i: "/appareils/",
        "state_ready": lambda i: "/appareils/?state=ready",
        "laptop_triage": lambda i: "/appareils/?kind=laptop&state=triage",
        "search_serial_prefix": lambda i: f"/appareils/?q={serials[i % len(serials)][:5]}",
        "deep_cursor": lambda i: f"/appareils/?apres={bounds[i % len(bounds)]}",
    }
    requests = [(name, make(i)) for i in range(per_variant) for name, make in variants.items()]
    return requests[:count]


def device_urls(pool: Pool, count: int, rng: random.Random) -> list[str]:
    """Device pages of random devices of the big refurbisher (every one has a history)."""
    from parc.models import Device

    ids = sample_ids(Device, count, rng, owner_id=pool.organisation_id)
    codes = dict(Device.objects.filter(pk__in=ids).values_list("pk", "public_code"))
    return [f"/e/{codes[pk]}/" for pk in ids]


def time_pages(client: Client, requests: list[tuple[str, str]], warmup: list[tuple[str, str]]):
    for _variant, url in warmup:
        _get(client, url)
    timings = Timings()
    for variant, url in requests:
        timings.add(variant, *_get(client, url))
    return timings.summary()


def count_queries(client: Client, requests: list[tuple[str, str]]) -> dict[str, int]:
    """Queries per page variant: the largest count seen over the given requests."""
    counts: dict[str, int] = {}
    for variant, url in requests:
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        counts[variant] = max(counts.get(variant, 0), len(captured.captured_queries))
    return counts


def measure_pages(pool: Pool, *, requests: int, seed: int) -> dict:
    rng = random.Random(seed)
    client = technician_client(pool)
    listing = list_requests(pool, requests + WARMUP + 10, rng)
    list_warmup, list_timed = listing[:WARMUP], listing[WARMUP : WARMUP + requests]
    detail = [("device", url) for url in device_urls(pool, requests + WARMUP + 10, rng)]
    detail_warmup, detail_timed = detail[:WARMUP], detail[WARMUP : WARMUP + requests]
    return {
        "list": time_pages(client, list_timed, list_warmup),
        "detail": time_pages(client, detail_timed, detail_warmup),
        "list_queries": count_queries(client, listing[-10:]),
        "detail_queries": count_queries(client, detail[-10:]).get("device", 0),
    }


def measure_query_counts(pool: Pool, *, seed: int) -> dict:
    """Only the query counts (for the small reference pool)."""
    rng = random.Random(seed)
    client = technician_client(pool)
    listing = list_requests(pool, 10, rng)
    detail = [("device", url) for url in device_urls(pool, 10, rng)]
    return {
        "list_queries": count_queries(client, listing),
        "detail_queries": count_queries(client, detail).get("device", 0),
    }


# --- transitions through the services ---------------------------------------------------------

WORKSHOP_PATH = ("start_triage", "wipe", "start_refurbishment", "mark_ready")


def _fresh_devices(pool: Pool, count: int) -> list[int]:
    """Registered laptops with a disk already erased (as the intake of a donation that
    comes with the donor's erasure certificates): the workshop path can run end to end.

    Registered through the pool's own bulk path (``parc.services.devices_register_bulk``:
    their codes, media and ``register`` events as the import writes them), their erasures
    added with bulk_create; not timed. They stay in the pool (events cannot be deleted).
    """
    from django.utils import timezone

    from acteurs.models import Organisation, User
    from parc.models import ErasureRecord, StorageMedium
    from parc.services import DeviceRow, MediumRow, devices_register_bulk

    technician = User.objects.get(pk=pool.technician_id)
    owner = Organisation.objects.get(pk=pool.organisation_id)
    tag = random.Random().randrange(16**6)  # serials of this run's devices
    rows = [
        DeviceRow(
            kind="laptop",
            brand="Lenovo",
            model="ThinkPad T480",
            serial=f"PFBENCH{n:05d}",
            media=(
                MediumRow(
                    "ssd",
                    256,
                    manufacturer="Samsung",
                    model="PM871",
                    serial=f"S2BENCH{tag:06X}{n:05d}",
                ),
            ),
        )
        for n in range(count)
    ]
    now = timezone.now()
    with transaction.atomic():
        device_ids = [
            pk for pk, _code in devices_register_bulk(owner=owner, actor=technician, rows=rows)
        ]
        media = StorageMedium.objects.filter(device_id__in=device_ids)
        ErasureRecord.objects.bulk_create(
            ErasureRecord(
                medium=medium,
                device_cycle=1,
                manufacturer=medium.manufacturer,
                model=medium.model,
                serial=medium.serial,
                media_type=medium.media_type,
                level="purge",
                method="crypto_erase",
                tool="ShredOS",
                verification="sample",
                result="erased",
                started_at=now,
                ended_at=now,
                operator=technician,
            )
            for medium in media
        )
    return device_ids


def _run_path(device_id: int, actor) -> list[float]:
    from parc import services
    from parc.checklists import checklist_for

    checklist = {key: True for key, _label in checklist_for("laptop")}
    expected = "registered"
    times = []
    for name in WORKSHOP_PATH:
        started = time.perf_counter()
        if name == "mark_ready":
            event = services.device_mark_ready(
                device_id,
                actor,
                checklist=checklist,
                grade="B",
                os_installed="Linux Mint 22",
                expected_state=expected,
            )
        else:
            service = getattr(services, f"device_{name}")
            event = service(device_id, actor, expected_state=expected)
        times.append((time.perf_counter() - started) * 1000)
        expected = event.target_state
    return times


def commit_latency_ms(samples: int = 200) -> float:
    """p50 of a one-row INSERT and its COMMIT: the floor under every transition (PostgreSQL
    waits for the WAL to reach the disk; SQLite in WAL mode with synchronous=NORMAL does not)."""
    table = "bench_commit_probe"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {table} (x integer)")
        times = []
        for _ in range(samples):
            started = time.perf_counter()
            with transaction.atomic():
                cursor.execute(f"INSERT INTO {table} (x) VALUES (1)")
            times.append((time.perf_counter() - started) * 1000)
        cursor.execute(f"DROP TABLE {table}")
    return _percentile(times, 50)


def measure_transitions(pool: Pool, *, transitions: int, seed: int) -> dict:
    from acteurs.models import User

    per_device = len(WORKSHOP_PATH)
    device_count = -(-transitions // per_device)
    device_ids = _fresh_devices(pool, device_count + 3)
    actor = User.objects.get(pk=pool.technician_id)
    # Warm-up on the spare devices; the query count of one whole path.
    _run_path(device_ids.pop(), actor)
    with CaptureQueriesContext(connection) as captured:
        _run_path(device_ids.pop(), actor)
    queries = len(captured.captured_queries)
    _run_path(device_ids.pop(), actor)
    times: list[float] = []
    cpu_started = time.process_time()
    started = time.perf_counter()
    for device_id in device_ids:
        times.extend(_run_path(device_id, actor))
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    return {
        "value": round(len(times) / elapsed, 1),
        "transitions": len(times),
        "devices_walked": len(device_ids),
        "path": list(WORKSHOP_PATH),
        "seconds": round(elapsed, 2),
        "p50_ms": _percentile(times, 50),
        "p95_ms": _percentile(times, 95),
        "queries_per_transition": round(queries / per_device, 1),
        "cpu_ms_per_transition": round(cpu * 1000 / len(times), 2),
        "commit_latency_ms_p50": commit_latency_ms(),
    }

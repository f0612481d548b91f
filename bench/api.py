"""The REST API on the bench pool (``make bench``, stage ``api``).

- ``api_device_list_p95_ms`` / ``api_device_detail_p95_ms``: server-side time of
  ``GET /api/v1/devices/`` (the device list's variants: no filter, ``state=ready``,
  ``kind=laptop&state=triage``, a serial prefix, a deep cursor ``after=<id>``) and of
  ``GET /api/v1/devices/<code>/``, through the whole stack (DRF, token authentication,
  throttling), with a token of the big refurbisher's technician. ``queries`` per variant,
  and ``queries_by_page_size`` (the list at 10, 25 and 100 rows): the same count whatever
  the pool and the page size.
- ``api_register_per_s``: devices registered per second through ``POST /api/v1/devices/
  bulk/``, 1,000 per call, each with its ``lshw -json`` report (the Latitude 5490 fixture,
  7 kB, parsed for each device) and one storage medium, on top of the pool; a staff
  member's pool token. Timed from the request to the response (JSON parsing, validation,
  report parsing, ``devices_register_bulk``, commit).
- ``agent_round_trip_s``: ``agent/filiere_agent.py`` run as a program against a server on
  127.0.0.1 (Django's threaded WSGI server on the bench database), on the laptop's
  recorded outputs (fake ``lsblk``/``lshw``/``smartctl``/``dmidecode`` on the PATH) with
  its nwipe log: from the program's start to its exit after the server's answer, for one
  device with two disks (hardware report, two media, two erasures). Median and max of 5.
"""

import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .measure import WARMUP, Timings, _percentile, list_requests
from .pool import Pool, sample_ids

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
LSHW = FIXTURES / "hardware" / "lshw-handwritten-latitude-5490-nvme-hdd.json"
NWIPE_LOG = FIXTURES / "nwipe" / "nwipe-0.33-dodshort-two-loops-vm.serials-edited.log"
BULK_SIZE = 1000


def _client(user, scope: str, **kwargs):
    from rest_framework.test import APIClient

    from api.tokens import token_create

    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    _token, clear = token_create(user, name=f"bench {scope}", scope=scope, days=30, **kwargs)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {clear}")
    return client, clear


def _unthrottled():
    """The benchmark sends hundreds of requests a second with one token."""
    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = dict.fromkeys(rest["DEFAULT_THROTTLE_RATES"], "1000000/min")
    settings.REST_FRAMEWORK = rest
    from rest_framework.settings import api_settings

    api_settings.reload()


def _get(client, url: str) -> tuple[float, float]:
    cpu_started = time.process_time()
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    cpu = (time.process_time() - cpu_started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"bench: GET {url} answered {response.status_code}: {response.content!r}")
    return elapsed, cpu


def _as_api(url: str) -> str:
    return url.replace("/appareils/", "/api/v1/devices/").replace("apres=", "after=")


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return len(captured.captured_queries)


def measure_reads(pool: Pool, *, requests: int, seed: int) -> dict:
    from acteurs.models import User
    from parc.models import Device

    _unthrottled()
    rng = random.Random(seed)
    client, _clear = _client(User.objects.get(pk=pool.technician_id), "read")
    listing = [(v, _as_api(u)) for v, u in list_requests(pool, requests + WARMUP + 10, rng)]
    ids = sample_ids(Device, requests + WARMUP + 10, rng, owner_id=pool.organisation_id)
    codes = dict(Device.objects.filter(pk__in=ids).values_list("pk", "public_code"))
    detail = [("device", f"/api/v1/devices/{codes[pk]}/") for pk in ids]

    def timed(pairs):
        for _variant, url in pairs[:WARMUP]:
            _get(client, url)
        timings = Timings()
        for variant, url in pairs[WARMUP : WARMUP + requests]:
            timings.add(variant, *_get(client, url))
        return timings.summary()

    list_figures = timed(listing)
    detail_figures = timed(detail)
    list_queries: dict[str, int] = {}
    for variant, url in listing[-10:]:
        list_queries[variant] = max(list_queries.get(variant, 0), _queries(client, url))
    by_size = {
        size: _queries(client, f"/api/v1/devices/?page_size={size}") for size in (10, 25, 100)
    }
    detail_queries = max(_queries(client, url) for _variant, url in detail[-10:])
    return {
        "api_device_list_p95_ms": {
            "value": list_figures.pop("p95"),
            "unit": "ms",
            **list_figures,
            "queries": list_queries,
            "queries_by_page_size": by_size,
            "target": "< 30 ms",
            "meets_target": None,
        },
        "api_device_detail_p95_ms": {
            "value": detail_figures.pop("p95"),
            "unit": "ms",
            **{k: v for k, v in detail_figures.items() if not k.endswith("_by_variant")},
            "queries": detail_queries,
            "target": "< 30 ms",
            "meets_target": None,
        },
    }


def _staff(pool: Pool):
    """A staff member of the big refurbisher (the pool has one); an admin for the agent."""
    from acteurs.models import Membership, Organisation, User

    organisation = Organisation.objects.get(pk=pool.organisation_id)
    staff = (
        User.objects.filter(memberships__organisation=organisation, memberships__role="staff")
        .order_by("pk")
        .first()
    )
    admin, _created = User.objects.get_or_create(username="bench-api-admin")
    Membership.objects.get_or_create(
        user=admin, organisation=organisation, defaults={"role": "admin"}
    )
    return organisation, staff, admin


def measure_bulk(pool: Pool, *, calls: int) -> dict:
    from parc.models import Device

    _unthrottled()
    _organisation, staff, _admin = _staff(pool)
    client, _clear = _client(staff, "pool")
    report = json.loads(LSHW.read_text())
    rng = random.Random(7)

    def payload():
        return {
            "devices": [
                {
                    "kind": "laptop",
                    "hardware_report": report,
                    "media": [
                        {
                            "media_type": "ssd",
                            "serial": f"B{rng.getrandbits(40):010X}",
                            "capacity_gb": 256,
                        }
                    ],
                }
                for _ in range(BULK_SIZE)
            ]
        }

    # One warm-up call (imports, caches), then the timed ones; bodies built beforehand.
    bodies = [json.dumps(payload()) for _ in range(calls + 1)]
    before = Device.objects.count()
    seconds, queries = [], []
    for index, body in enumerate(bodies):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.post(
                "/api/v1/devices/bulk/", data=body, content_type="application/json"
            )
            elapsed = time.perf_counter() - started
        if response.status_code != 201:
            raise SystemExit(
                f"bench: bulk answered {response.status_code}: {response.content[:300]!r}"
            )
        if index:
            seconds.append(elapsed)
            queries.append(len(captured.captured_queries))
    registered = Device.objects.count() - before
    per_s = BULK_SIZE * len(seconds) / sum(seconds)
    return {
        "api_register_per_s": {
            "value": round(per_s, 1),
            "unit": "devices/s",
            "devices_per_call": BULK_SIZE,
            "calls_timed": len(seconds),
            "call_s": [round(s, 2) for s in seconds],
            "body_mb": round(len(bodies[0]) / 2**20, 1),
            "queries_per_call": max(queries),
            "registered_total": registered,
            "target": ">= 200 devices/s",
            "meets_target": per_s >= 200,
        }
    }


class _Server:
    """Django's threaded WSGI server on 127.0.0.1, on the bench database (as LiveServerThread)."""

    def __init__(self):
        from django.core.handlers.wsgi import WSGIHandler
        from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

        class QuietHandler(WSGIRequestHandler):
            def log_message(self, *args):
                pass

        if "127.0.0.1" not in settings.ALLOWED_HOSTS:
            settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]
        self.httpd = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
        self.httpd.set_app(WSGIHandler())
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def _fake_tools(directory: Path) -> None:
    """The laptop's recorded outputs, as in tests/api/test_agent.py."""
    laptop = FIXTURES / "agent" / "laptop"
    outputs = {
        "/dev/nvme0n1": str(laptop / "smartctl-nvme0n1.json"),
        "/dev/sda": str(laptop / "smartctl-sda.json"),
    }
    scripts = {
        "lsblk": f"sys.stdout.write(open({str(laptop / 'lsblk.json')!r}).read())",
        "lshw": f"sys.stdout.write(open({str(LSHW)!r}).read())",
        "smartctl": f"sys.stdout.write(open({outputs!r}[sys.argv[-1]]).read())",
        "dmidecode": f"sys.stdout.write(open({str(laptop / 'dmidecode.txt')!r}).read())",
    }
    directory.mkdir()
    for name, body in scripts.items():
        path = directory / name
        path.write_text(f"#!{sys.executable}\nimport sys\n{body}\n")
        path.chmod(0o755)


def measure_agent(pool: Pool, *, runs: int = 5) -> dict:
    from api.tokens import token_create
    from parc import services

    organisation, _staff_user, admin = _staff(pool)
    _unthrottled()
    _token, clear = token_create(
        admin, name="bench agent", scope="agent", days=30, organisation=organisation
    )
    server = _Server()
    work = Path(tempfile.mkdtemp(prefix="bench-agent-"))
    try:
        _fake_tools(work / "bin")
        seconds = []
        for index in range(runs + 1):
            [(device_id, code)] = services.devices_register_bulk(
                owner=organisation, actor=admin, rows=[services.DeviceRow(kind="laptop")]
            )
            services.device_start_triage(device_id, admin)
            started = time.perf_counter()
            done = subprocess.run(
                [
                    sys.executable,
                    str(ROOT / "agent" / "filiere_agent.py"),
                    "--server",
                    server.url,
                    "--token",
                    clear,
                    "--code",
                    code,
                    "--nwipe-log",
                    str(NWIPE_LOG),
                    "--bundle-dir",
                    str(work),
                ],
                capture_output=True,
                text=True,
                env={"PATH": str(work / "bin"), "LANG": "C.UTF-8"},
                timeout=120,
                check=False,
            )
            elapsed = time.perf_counter() - started
            if done.returncode != 0 or "Effacements enregistrés" not in done.stdout:
                raise SystemExit(f"bench: the agent failed:\n{done.stdout}\n{done.stderr}")
            if index:  # the first run warms the server up
                seconds.append(elapsed)
    finally:
        server.close()
        shutil.rmtree(work, ignore_errors=True)
    median = statistics.median(seconds)
    return {
        "agent_round_trip_s": {
            "value": round(median, 3),
            "unit": "s",
            "max_s": round(max(seconds), 3),
            "runs": len(seconds),
            "p95_s": _percentile(seconds, 95),
            "what": "start → server's answer: lshw, 2 smartctl, dmidecode, nwipe log of 2 disks",
            "target": "< 2 s",
            "meets_target": max(seconds) < 2,
        }
    }


def api_figures(pool: Pool, *, requests: int, seed: int) -> dict:
    figures = measure_reads(pool, requests=requests, seed=seed)
    figures.update(measure_bulk(pool, calls=int(os.environ.get("BENCH_API_BULK_CALLS", "3"))))
    figures.update(measure_agent(pool))
    return figures

"""The synthetic pool: organisations, users, stock locations, devices and their histories.

Rows are written straight to the tables (COPY on PostgreSQL, executemany on SQLite), not
through the services: the services are what the transitions metric measures, and a million
devices through them would take hours. The histories follow the lifecycle all the same: a
device's events lead from ``register`` to its state, devices past triage have an erasure
record (and an event) per storage medium, ready devices a passed functional test.

The pool is built once and kept: a marker row in ``bench_pool`` (a table of the benchmark
database only) records its size and the generator version.
"""

import bisect
import contextlib
import functools
import itertools
import json
import multiprocessing
import os
import random
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, connections, transaction

from . import catalog, pool_copies
from .database import BenchDatabase, create_if_missing, drop

# Bump when the shape of the generated pool changes: pools of an older version are rebuilt.
# 3: each batch of devices has its own seeded generator, ids and codes derive from the device
# id, so that batches can be built in parallel processes (PostgreSQL) with the same result.
# 4: remarks on one device in seven, and each device's full-text search document.
# 5: on PostgreSQL, devices past the seed block are the server's copies of it
# (bench/pool_copies.py); public codes from a two-round bijection PostgreSQL computes too.
# 6: the copies' serial tails from hashint8; the search vector of parc/0021.
# 7: the big refurbisher's devices come from one donation of one gisement, written with the
# rows (bench/rapports_gisement.py used to attach them by an UPDATE of every device row).
GENERATOR_VERSION = 7
MARKER_TABLE = "bench_pool"
BENCH_TECHNICIAN = "bench-technicien"
HISTORY_YEARS = 4
POSTGRES_BATCH = 25_000
# Devices drawn by Python on PostgreSQL; the rest of the pool is copies of them.
SEED_DEVICES = int(os.environ.get("BENCH_SEED_DEVICES", "200000"))
GIN_MEMORY = os.environ.get("BENCH_GIN_MEMORY", "4GB")
SQLITE_BATCH = 10_000

Log = Callable[[str], None]


@dataclass
class Pool:
    devices: int
    build_seconds: float
    reused: bool
    organisation_id: int  # the big refurbisher
    technician_id: int
    rows: dict  # rows written per table when the pool was built


# --- entry point -----------------------------------------------------------------------------


def ensure_pool(
    database: BenchDatabase, devices: int, *, rebuild: bool, seed: int, log: Log
) -> Pool:
    """Reuse the pool of the benchmark database if it has this size, else build it."""
    create_if_missing(database)
    _migrate()
    marker = _read_marker()
    wanted = {"devices": devices, "generator": GENERATOR_VERSION, "seed": seed}
    if marker and not rebuild and all(marker.get(k) == v for k, v in wanted.items()):
        from acteurs.models import User

        technician = User.objects.get(username=BENCH_TECHNICIAN)
        log(
            f"pool: reusing {devices:,} devices in {database.label} "
            f"(built in {marker['build_seconds']:.0f} s on {marker['built_at']})"
        )
        return Pool(
            devices,
            marker["build_seconds"],
            True,
            marker["organisation_id"],
            technician.pk,
            marker.get("rows", {}),
        )
    reason = "BENCH_REBUILD=1" if rebuild else ("size changed" if marker else "none yet")
    log(f"pool: building {devices:,} devices in {database.label} ({reason})")
    connections.close_all()
    drop(database)
    create_if_missing(database)
    _migrate()
    started = time.perf_counter()
    pool = PoolBuilder(devices, seed=seed, log=log).build()
    pool.build_seconds = time.perf_counter() - started
    _write_marker(
        {
            **wanted,
            "build_seconds": round(pool.build_seconds, 1),
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "organisation_id": pool.organisation_id,
            "rows": pool.rows,
        }
    )
    log(f"pool: built in {pool.build_seconds:.1f} s")
    return pool


def _migrate() -> None:
    call_command("migrate", verbosity=0, interactive=False)


def _read_marker() -> dict | None:
    if MARKER_TABLE not in connection.introspection.table_names():
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {MARKER_TABLE} WHERE name = %s", ["pool"])
        row = cursor.fetchone()
    return json.loads(row[0]) if row else None


def _write_marker(value: dict) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} "
            "(name varchar(50) PRIMARY KEY, value text NOT NULL)"
        )
        cursor.execute(f"DELETE FROM {MARKER_TABLE} WHERE name = %s", ["pool"])
        cursor.execute(
            f"INSERT INTO {MARKER_TABLE} (name, value) VALUES (%s, %s)",
            ["pool", json.dumps(value)],
        )


# --- fast public codes -------------------------------------------------------------------------


class CodeMaker:
    """``parc.codes.generate_code()`` semantics (six random Crockford symbols and a Luhn
    mod 32 check symbol), from a seeded generator, never twice."""

    def __init__(self, rng: random.Random, taken: set[str] | None = None):
        from parc.codes import ALPHABET, BODY_LENGTH, PREFIX

        self.rng = rng
        self.taken = taken if taken is not None else set()
        self.alphabet = ALPHABET
        self.length = BODY_LENGTH
        self.prefix = PREFIX
        self.space = len(ALPHABET) ** BODY_LENGTH
        # Luhn mod 32 by table: doubled values already folded.
        self.doubled = [(2 * v) // 32 + (2 * v) % 32 for v in range(32)]

    def _check(self, digits: list[int]) -> str:
        total = 0
        for position, value in enumerate(reversed(digits)):
            total += self.doubled[value] if position % 2 == 0 else value
        return self.alphabet[(32 - total % 32) % 32]

    def make(self) -> str:
        while True:
            number = self.rng.randrange(self.space)
            digits = []
            for _ in range(self.length):
                number, value = divmod(number, 32)
                digits.append(value)
            body = "".join(self.alphabet[v] for v in digits)
            code = f"{self.prefix}-{body}{self._check(digits)}"
            if code not in self.taken:
                self.taken.add(code)
                return code


class ScrambledCodes(CodeMaker):
    """Public codes as a bijection of the device id over the 32**6 = 2**30 bodies (keyed by
    the seed, ``pool_copies.scramble``, which PostgreSQL computes for the copies too):
    unique by construction, so parallel builders never draw the same code, and
    random-looking like ``generate_code()``'s."""

    def __init__(self, seed: int):
        super().__init__(random.Random(seed))
        self.key = random.Random(f"codes-{seed}").getrandbits(30)

    def code_for(self, device_id: int) -> str:
        x = pool_copies.scramble(device_id, self.key)
        digits = []
        for _ in range(self.length):
            x, value = divmod(x, 32)
            digits.append(value)
        body = "".join(self.alphabet[v] for v in digits)
        return f"{self.prefix}-{body}{self._check(digits)}"


# --- rows ----------------------------------------------------------------------------------------

DEVICE_COLUMNS = [
    "id",
    "public_code",
    "kind",
    "brand",
    "model",
    "serial",
    "cpu",
    "ram_gb",
    "os",
    "grade",
    "owner_id",
    "location_id",
    "donation_id",
    "received_without_storage",
    "notes",
    "search_document",
    "state",
    "cycle",
    "state_changed_at",
    "created_at",
]
MEDIUM_COLUMNS = ["id", "device_id", "media_type", "manufacturer", "model", "serial", "capacity_gb"]
ERASURE_COLUMNS = [
    "id",
    "medium_id",
    "device_cycle",
    "manufacturer",
    "model",
    "serial",
    "media_type",
    "level",
    "method",
    "tool",
    "tool_version",
    "verification",
    "result",
    "started_at",
    "ended_at",
    "operator_id",
    "destination",
    "report",
    "recorded_at",
]
REFURBISHMENT_COLUMNS = [
    "device_id",
    "device_cycle",
    "checklist",
    "passed",
    "parts_replaced",
    "os_installed",
    "grade",
    "technician_id",
    "notes",
    "recorded_at",
]
EVENT_COLUMNS = [
    "device_id",
    "action",
    "source_state",
    "target_state",
    "actor_id",
    "at",
    "note",
    "data",
]


def _tables():
    from parc.models import Device, DeviceEvent, ErasureRecord, RefurbishmentRecord, StorageMedium

    return [
        (Device, DEVICE_COLUMNS),
        (StorageMedium, MEDIUM_COLUMNS),
        (ErasureRecord, ERASURE_COLUMNS),
        (RefurbishmentRecord, REFURBISHMENT_COLUMNS),
        (DeviceEvent, EVENT_COLUMNS),
    ]


def extra_columns() -> dict[str, list[tuple[str, object]]]:
    """Columns added to the models since the generator was written: nullable ones are left
    NULL, ones with a default get it; a required column without default stops the run."""
    extras = {}
    for model, columns in _tables():
        fields = [
            f
            for f in model._meta.concrete_fields
            if not f.generated and not (f.primary_key and "id" not in columns)
        ]
        unknown = set(columns) - {f.column for f in fields}
        if unknown:
            raise SystemExit(
                f"bench: {model._meta.db_table} lost columns {sorted(unknown)}: "
                "update bench/pool.py"
            )
        extras[model._meta.db_table] = []
        for f in fields:
            if f.column in columns or f.null or f.has_db_default():
                continue  # NULL, or the database's own default
            # A blank text column without default (serial_raw, asset_tag…) takes "".
            if not f.has_default() and not (f.blank and f.empty_strings_allowed):
                raise SystemExit(
                    f"bench: {model._meta.db_table}.{f.column} is required and has no "
                    "default: update bench/pool.py"
                )
            value = f.get_db_prep_save(f.get_default(), connection)
            extras[model._meta.db_table].append((f.column, value))
    return extras


class Weighted:
    def __init__(self, pairs: Sequence[tuple[object, int]]):
        self.values = [value for value, _weight in pairs]
        self.cumulative = list(itertools.accumulate(weight for _value, weight in pairs))
        self.total = self.cumulative[-1]

    def pick(self, rng: random.Random):
        return self.values[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


SERIAL_SYMBOLS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
HOUR = 3600.0
DAY = 24 * HOUR


def _document_function():
    from parc.search import document

    return document


# The gisement whose report bench/rapports_gisement.py measures: the big refurbisher's devices
# all come from its one donation.
BENCH_DONOR = "Donateur banc d'essai"
BENCH_GISEMENT = "Gisement banc d'essai"


def _big_donation(refurbisher) -> int:
    import datetime as dt

    from acteurs.models import Organisation
    from dons.models import Donation, Gisement

    donor = Organisation.objects.create(name=BENCH_DONOR, short_name="DBE", is_donor=True)
    gisement = Gisement.objects.create(
        name=BENCH_GISEMENT, donor=donor, refurbisher=refurbisher, donor_kind="entreprise"
    )
    donation = Donation.objects.create(
        gisement=gisement,
        state="received",
        received_on=dt.date(2025, 1, 15),
        received_weight_kg=250_000,
    )
    return donation.pk


# In the order of parc.search.DEVICE_TEXT_FIELDS (brand, model, serial, cpu, os, notes).
DOCUMENT_DEVICE_FIELDS = ("brand", "model", "serial", "cpu", "os", "notes")


class PoolBuilder:
    def __init__(self, devices: int, *, seed: int, log: Log):
        from parc.checklists import checklist_for

        self.total = devices
        self.seed = seed
        self.rng = random.Random(seed)
        self.log = log
        self.vendor = connection.vendor
        self.codes = ScrambledCodes(seed)
        self.kinds = Weighted(catalog.KINDS)
        self.states = Weighted(catalog.STATES)
        self.media_types = {k: Weighted(v) for k, v in catalog.MEDIA_TYPES.items()}
        self.checklists = {
            kind: json.dumps({key: True for key, _label in checklist_for(kind)})
            for kind, _weight in catalog.KINDS
        }
        self.document = _document_function()
        self.now = time.time()
        self.start = self.now - HISTORY_YEARS * 365 * DAY
        if self.vendor == "postgresql":
            self.timestamp = lambda ts: datetime.fromtimestamp(ts, UTC)
        else:  # Django stores naive UTC text on SQLite
            self.timestamp = lambda ts: str(datetime.fromtimestamp(ts, UTC).replace(tzinfo=None))

    # --- actors

    def _actors(self):
        from acteurs.models import Membership, Organisation, Role, User
        from parc.models import StockLocation

        organisations = []
        for index, (name, short_name, share) in enumerate(catalog.ORGANISATIONS):
            organisation = Organisation.objects.create(
                name=name, short_name=short_name, is_refurbisher=True
            )
            locations = (
                catalog.BIG_ORGANISATION_LOCATIONS
                if index == 0
                else catalog.SMALL_ORGANISATION_LOCATIONS
            )
            location_ids = [
                StockLocation.objects.create(
                    organisation=organisation, name=f"Étagère {chr(65 + n // 6)}{n % 6 + 1}"
                ).pk
                for n in range(locations)
            ]
            users = {}
            for role in (Role.TECHNICIAN, Role.STAFF):
                username = (
                    BENCH_TECHNICIAN
                    if index == 0 and role == Role.TECHNICIAN
                    else f"bench-{role}-{short_name.lower()}"
                )
                user = User(
                    username=username,
                    first_name=role.label.capitalize(),
                    last_name=short_name,
                    email=f"{username}@bench.invalid",
                )
                user.set_unusable_password()
                user.save()
                Membership.objects.create(user=user, organisation=organisation, role=role)
                users[role] = user.pk
            organisations.append(
                {
                    "id": organisation.pk,
                    "donation": _big_donation(organisation) if index == 0 else None,
                    "share": share,
                    "locations": location_ids,
                    "technician": users[Role.TECHNICIAN],
                    "staff": users[Role.STAFF],
                }
            )
        return organisations

    # --- one device

    def _serial(self, prefix: str, length: int) -> str:
        if length == 0:
            return ""
        rest = length - len(prefix)
        return prefix + "".join(self.rng.choices(SERIAL_SYMBOLS, k=rest))

    def _device(self, device_id: int, organisation: dict, rows: dict) -> None:
        rng = self.rng
        kind = self.kinds.pick(rng)
        state = self.states.pick(rng)
        brand, models, serial_prefix, serial_length = rng.choice(catalog.MODELS[kind])
        holds_data = kind in catalog.MEDIA_TYPES
        without_storage = holds_data and rng.random() < 0.04
        if state == "recycled" and not holds_data:
            path = rng.choice(catalog.RECYCLE_WITHOUT_TRIAGE)
        else:
            path = rng.choice(catalog.PATHS[state])

        # Timeline: registered some time in the last years, then one step after another.
        created = self.start + (device_id / self.total) * (self.now - self.start - DAY)
        created += rng.uniform(0, DAY)
        gaps = [rng.uniform(HOUR, 12 * DAY) for _ in path]
        room = self.now - created - HOUR
        if sum(gaps) > room:
            gaps = [gap * room / sum(gaps) for gap in gaps] if room > 0 else [0.0] * len(gaps)
        technician, staff = organisation["technician"], organisation["staff"]

        media = []
        if holds_data and not without_storage:
            media_type = self.media_types[kind].pick(rng)
            count = 2 if kind == "desktop" and rng.random() < 0.15 else 1
            for index in range(count):
                manufacturer, medium_model, prefix, capacities = rng.choice(
                    catalog.MEDIA[media_type]
                )
                medium = (
                    2 * device_id - 1 + index,  # at most two media per device
                    device_id,
                    media_type,
                    manufacturer,
                    medium_model,
                    self._serial(prefix, 12) if prefix else self._serial("", 10),
                    rng.choice(capacities),
                )
                media.append(medium)
                rows["media"].append(medium)

        events = rows["events"]
        ts = self.timestamp
        events.append((device_id, "register", "", "registered", staff, ts(created), "", "{}"))
        at = created
        current = "registered"
        grade = ""
        cycle = 1
        os_name = rng.choice(catalog.OS[kind]) if kind in catalog.OS else ""
        registered_os = os_name
        for step, gap in zip(path, gaps, strict=True):
            at += gap
            if step == "erase":
                for medium in media:
                    at = self._erasure(medium, at, technician, current, rows)
                continue
            target = catalog.TARGETS[step]
            actor = staff if step in catalog.STAFF_ACTIONS else technician
            data = "{}"
            if step == "mark_ready":
                grade = rng.choice("AABBBC")
                installed = catalog.OS_INSTALLED.get(kind, "")
                os_name = installed or os_name
                rows["refurbishments"].append(
                    (
                        device_id,
                        cycle,
                        self.checklists[kind],
                        True,
                        "",
                        installed,
                        grade,
                        technician,
                        "",
                        ts(at - rng.uniform(60, 600)),
                    )
                )
                data = json.dumps({"grade": grade, "os_installed": installed})
            elif step == "take_back":
                cycle += 1
            note = catalog.NOTES.get(step, "")
            events.append((device_id, step, current, target, actor, ts(at), note, data))
            current = target
        assert current == state, (path, state)

        stocked = not catalog.LEAVES_SHELVES.intersection(path)
        model = rng.choice(models)
        serial = self._serial(serial_prefix, serial_length)
        cpu = rng.choice(catalog.CPUS[kind]) if kind in catalog.CPUS else ""
        remark = rng.choice(catalog.REMARKS) if rng.random() < catalog.REMARK_SHARE else ""
        # The words the services would have written: those of the registration (the system
        # the donor left, media included), then the system installed by mark_ready.
        registered = {"brand": brand, "model": model, "serial": serial, "cpu": cpu}
        registered.update(os=registered_os, notes=remark)
        document = self.document(
            [registered[name] for name in DOCUMENT_DEVICE_FIELDS]
            + [text for medium in media for text in medium[3:6]]
            + ([os_name] if os_name != registered_os else []),
            [serial] + [medium[5] for medium in media],
        )
        rows["devices"].append(
            (
                device_id,
                self.codes.code_for(device_id),
                kind,
                brand,
                model,
                serial,
                cpu,
                rng.choice(catalog.RAM_GB[kind]) if kind in catalog.RAM_GB else None,
                os_name,
                grade,
                organisation["id"],
                rng.choice(organisation["locations"]) if stocked else None,
                organisation["donation"],
                without_storage,
                remark,
                document,
                state,
                cycle,
                ts(at),
                ts(created),
            )
        )

    def _erasure(self, medium: tuple, at: float, operator: int, state: str, rows: dict) -> float:
        rng = self.rng
        medium_id, device_id, media_type, manufacturer, model, serial, _capacity = medium
        level, method, tool, version = rng.choice(catalog.ERASURES[media_type])
        # One attempt in thirty fails (a bad sector, a frozen drive) and is run again.
        results = ["failed", "erased"] if rng.random() < 1 / 30 else ["erased"]
        for attempt, result in enumerate(results):
            started = at
            ended = started + rng.uniform(0.2 * HOUR, (6 if media_type == "hdd" else 1) * HOUR)
            erasure_id = 2 * medium_id - 1 + attempt  # at most two attempts per medium
            rows["erasures"].append(
                (
                    erasure_id,
                    medium_id,
                    1,
                    manufacturer,
                    model,
                    serial,
                    media_type,
                    level,
                    method,
                    tool,
                    version,
                    "full" if rng.random() < 0.2 else "sample",
                    result,
                    self.timestamp(started),
                    self.timestamp(ended),
                    operator,
                    "reuse",
                    "",
                    self.timestamp(ended + 60),
                )
            )
            label = "effacé" if result == "erased" else "échec"
            rows["events"].append(
                (
                    device_id,
                    "erasure",
                    state,
                    state,
                    operator,
                    self.timestamp(ended + 60),
                    f"{media_type.upper()} {manufacturer} {model} (n° {serial}) : {label}",
                    json.dumps({"erasure_id": erasure_id, "result": result, "level": level}),
                )
            )
            at = ended + rng.uniform(60, HOUR)
        return at

    # --- writing

    def _batch(self, first: int, organisations: list[dict]) -> dict[str, list]:
        """The rows of devices ``first`` to ``first + batch - 1``, from a generator seeded by
        the batch: the same rows whichever process builds it, in whatever order."""
        self.rng = random.Random(f"{self.seed}:{first}")
        shares = Weighted([(org, org["share"]) for org in organisations])
        rows = {name: [] for name in ROW_KINDS}
        for device_id in range(first, min(first + self.batch_size, self.drawn + 1)):
            self._device(device_id, shares.pick(self.rng), rows)
        return rows

    @property
    def batch_size(self) -> int:
        return POSTGRES_BATCH if self.vendor == "postgresql" else SQLITE_BATCH

    @property
    def drawn(self) -> int:
        """Devices drawn here: all of them on SQLite, the seed block on PostgreSQL."""
        return min(self.total, SEED_DEVICES) if self.vendor == "postgresql" else self.total

    def copy_plan(self) -> pool_copies.CopyPlan | None:
        if self.drawn == self.total:
            return None
        from parc.codes import ALPHABET, PREFIX

        return pool_copies.CopyPlan(
            seed=self.drawn,
            total=self.total,
            start=self.start,
            now=self.now,
            day=DAY,
            code_key=self.codes.key,
            alphabet=ALPHABET,
            prefix=PREFIX,
        )

    def build(self) -> Pool:
        writer = RowWriter(self.log)
        organisations = self._actors()
        firsts = list(range(1, self.drawn + 1, self.batch_size))
        workers = min(_env_workers(self.vendor), len(firsts))
        started = time.perf_counter()
        next_report = 0.1
        counts = dict.fromkeys(ROW_KINDS, 0)
        loading = writer.loading()
        plan = self.copy_plan()
        with loading:
            if workers > 1:
                self.log(f"  {workers} processes, each with its own connection and COPY")
                parts = _parallel_batches(self, writer, organisations, firsts, workers)
            else:
                parts = (_write_batch(self, writer, organisations, first) for first in firsts)
            for part in parts:
                for name, count in part.items():
                    counts[name] += count
                done = counts["devices"] / self.drawn
                if done >= next_report or done == 1:
                    elapsed = time.perf_counter() - started
                    self.log(
                        f"  {counts['devices']:>10,} devices, {counts['events']:>10,} events "
                        f"({elapsed:.0f} s, {counts['devices'] / elapsed:,.0f} devices/s)"
                    )
                    next_report = done + 0.1
            if plan:
                loading.copy_plan = plan
                self.log(
                    f"  seed block of {self.drawn:,} devices drawn "
                    f"({time.perf_counter() - started:.0f} s); {plan.copies - 1} copies of it "
                    "by PostgreSQL, with the indexes, constraints and statistics…"
                )
            else:
                self.log(
                    f"  rows loaded ({time.perf_counter() - started:.0f} s); "
                    "indexes, constraints and statistics…"
                )
        for name, count in getattr(loading, "copied", {}).items():
            counts[name] += count
        self.log(
            "  rows: "
            + ", ".join(f"{name} {count:,}" for name, count in counts.items())
            + f" ({time.perf_counter() - started:.0f} s)"
        )
        big = organisations[0]
        return Pool(self.total, 0.0, False, big["id"], big["technician"], counts)


ROW_KINDS = ("devices", "media", "erasures", "refurbishments", "events")


def _env_workers(vendor: str) -> int:
    """PostgreSQL takes COPY from several connections at once; SQLite has one writer."""
    if vendor != "postgresql":
        return 1
    return max(1, int(os.environ.get("BENCH_POOL_WORKERS", os.cpu_count() or 1)))


def _write_batch(builder: "PoolBuilder", writer: "RowWriter", organisations, first) -> dict:
    rows = builder._batch(first, organisations)
    writer.write(rows)
    return {name: len(values) for name, values in rows.items()}


# The builder handed to the forked processes (module state: nothing is pickled but numbers).
_CHILD: dict = {}


def _child_batch(first: int) -> dict:
    if not _CHILD.get("ready"):
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")
        _CHILD["ready"] = True
    return _write_batch(_CHILD["builder"], _CHILD["writer"], _CHILD["organisations"], first)


def _parallel_batches(builder, writer, organisations, firsts, workers):
    """Batches built and copied by ``workers`` forked processes; the parent keeps only the
    counts. The parent's connection is closed first: a connection never crosses a fork."""
    _CHILD.update(builder=builder, writer=writer, organisations=organisations, ready=False)
    connections.close_all()
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        yield from pool.imap_unordered(_child_batch, firsts)
    _CHILD.clear()


class RowWriter:
    """Bulk inserts: COPY on PostgreSQL (secondary indexes dropped meanwhile), executemany on
    SQLite (with synchronous=OFF while loading a throwaway database)."""

    def __init__(self, log: Log = print):
        self.log = log
        self.vendor = connection.vendor
        self.tables = _tables()
        self.extras = extra_columns()

    def write(self, rows: dict) -> None:
        chunks = zip(
            self.tables,
            (
                rows["devices"],
                rows["media"],
                rows["erasures"],
                rows["refurbishments"],
                rows["events"],
            ),
            strict=True,
        )
        with transaction.atomic(), connection.cursor() as cursor:
            for (model, columns), values in chunks:
                if not values:
                    continue
                extras = self.extras[model._meta.db_table]
                if extras:
                    columns = [*columns, *(column for column, _value in extras)]
                    constant = tuple(value for _column, value in extras)
                    values = [row + constant for row in values]
                table = connection.ops.quote_name(model._meta.db_table)
                names = ", ".join(connection.ops.quote_name(c) for c in columns)
                if self.vendor == "postgresql":
                    with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                        for row in values:
                            copy.write_row(row)
                else:
                    marks = ", ".join(["%s"] * len(columns))
                    cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", values)

    def loading(self):
        return (
            _PostgresLoading(self.tables, self.log)
            if self.vendor == "postgresql"
            else _SqliteLoading()
        )


class _SqliteLoading:
    """``synchronous=OFF`` while loading; the full-text triggers off too (one FTS5 insert per
    device row), the index then rebuilt once from the documents (``install_full_text``)."""

    def __enter__(self):
        from parc.search import SQLITE_TRIGGERS

        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=OFF")
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")

    def __exit__(self, *exc):
        from parc.search import install_full_text

        install_full_text(connection)
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


class _PostgresLoading:
    """Drop the secondary indexes, the unique and the foreign-key constraints of the empty
    tables (each row would otherwise queue a deferred foreign-key check and update every
    index), load, then put them back — a foreign key is then checked by one join per
    constraint, an index built by one sort — reset the sequences and VACUUM ANALYZE
    (autovacuum would get there; the benchmark should not wait for it)."""

    def __init__(self, tables, log: Log = print):
        self.log = log
        self.models = [model for model, _columns in tables]
        self.row_models = dict(zip(ROW_KINDS, self.models, strict=True))
        self.indexes: list[str] = []
        self.constraints: list[tuple[str, str, str]] = []
        # Set by the builder when the rest of the pool is copied from a seed block.
        self.copy_plan: pool_copies.CopyPlan | None = None
        self.copied = dict.fromkeys(ROW_KINDS, 0)
        self.lock = threading.Lock()

    def __enter__(self):
        names = [model._meta.db_table for model in self.models]
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")
            cursor.execute(
                """
                SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
                FROM pg_constraint c
                WHERE c.conrelid::regclass::text = ANY(%s) AND c.contype IN ('u', 'f')
                ORDER BY c.contype DESC
                """,
                [names],
            )
            # Unique constraints first on the way back: a foreign key may rest on one.
            self.constraints = cursor.fetchall()
            for table, name, _definition in self.constraints:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            cursor.execute(
                """
                SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
                FROM pg_index i
                WHERE i.indrelid::regclass::text = ANY(%s)
                  AND NOT i.indisprimary
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
                """,
                [names],
            )
            found = cursor.fetchall()
            for name, _definition in found:
                cursor.execute(f"DROP INDEX {name}")
        self.indexes = [definition for _name, definition in found]

    def __exit__(self, exc_type, *exc):
        if exc_type is not None:
            return
        if self.copy_plan:
            with connection.cursor() as cursor:
                for statement in pool_copies.drop_seed_tables_sql():
                    cursor.execute(statement)
                with self._timed("seed tables"):
                    for statement in pool_copies.seed_tables_sql(self.row_models):
                        cursor.execute(statement)
                for kind, query in pool_copies.seed_id_spans_sql().items():
                    cursor.execute(query)
                    self.copy_plan.id_spans[kind] = cursor.fetchone()[0]
        pool_copies.Schedule(self._tasks(), _env_workers("postgresql"), self.log).run()
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), self.models):
                cursor.execute(sql)
            for statement in pool_copies.drop_seed_tables_sql():
                cursor.execute(statement)
            cursor.execute("RESET synchronous_commit")

    def _tasks(self) -> list[pool_copies.Task]:
        """The copies (if any), the indexes, the constraints and the VACUUM ANALYZEs, with
        what each waits for: an index waits for its table's rows; a foreign key, added
        NOT VALID then validated (the validation locks the referenced table only in ROW
        SHARE mode), for both tables' rows and indexes; a VACUUM for all of its table's."""
        from .pool_copies import (
            ACCESS_EXCLUSIVE,
            ROW_EXCLUSIVE,
            ROW_SHARE,
            SHARE,
            SHARE_ROW_EXCLUSIVE,
            SHARE_UPDATE_EXCLUSIVE,
            Task,
        )

        tables = [model._meta.db_table for model in self.models]
        tasks: list[Task] = []
        copies = {table: set() for table in tables}
        if self.copy_plan:
            plan = self.copy_plan
            for kind, model in self.row_models.items():
                table = model._meta.db_table
                for first, last in plan.statements():
                    task = Task(
                        f"copies {first}-{last} of the seed block: {table}",
                        [pool_copies.copy_sql(kind, model, plan, first, last)],
                        {table: ROW_EXCLUSIVE},
                        priority=COPY_PRIORITY.get(table, 94),
                        rows=functools.partial(self._count, kind),
                    )
                    copies[table].add(task)
                    tasks.append(task)
        building = {table: set() for table in tables}
        attached = {table: [] for table in tables}
        uniques = [c for c in self.constraints if c[2].startswith("UNIQUE")]
        for table, name, definition in uniques:
            index = Task(
                f"{table}.{name}",
                [f'CREATE UNIQUE INDEX "{name}" ON {table} {definition[len("UNIQUE ") :]}'],
                {table: SHARE},
                priority=97,
                after=set(copies[table]),
            )
            attach = Task(
                f"{table}.{name} attached",
                [f'ALTER TABLE {table} ADD CONSTRAINT "{name}" UNIQUE USING INDEX "{name}"'],
                {table: ACCESS_EXCLUSIVE},
                priority=60,
                after={index},
            )
            building[table].add(index)
            attached[table].append((definition, attach))
            tasks += [index, attach]
        for definition in self.indexes:
            table = _index_table(definition)
            gin = " USING gin " in definition
            index = Task(
                definition,
                [definition],
                {table: SHARE},
                # The full-text index first: the longest task, one backend.
                priority=99 if gin else INDEX_PRIORITY.get(table, 70),
                after=set(copies[table]),
                # A GIN build flushes its entries each time this memory is full: at 10M
                # devices 356 s with 1 GB, 209 s with 4 GB (an upper bound: smaller pools
                # use less).
                setting=f"maintenance_work_mem TO '{GIN_MEMORY}'" if gin else "",
            )
            building[table].add(index)
            tasks.append(index)
        touching = {table: set(building[table]) for table in tables}
        for table in tables:
            touching[table].update(attach for _definition, attach in attached[table])
        for table, name, definition in self.constraints:
            if definition.startswith("UNIQUE"):
                continue
            referenced = pool_copies.referenced_table(definition)
            after = set(copies[table]) | building[table]
            if referenced in tables:
                after |= copies[referenced] | touching[referenced]
            add = Task(
                f"{table}.{name} (not valid)",
                [f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition} NOT VALID'],
                {table: SHARE_ROW_EXCLUSIVE, referenced: SHARE_ROW_EXCLUSIVE},
                priority=55,
                after=after,
            )
            validate = Task(
                f"{table}.{name} validated",
                [f'ALTER TABLE {table} VALIDATE CONSTRAINT "{name}"'],
                {table: SHARE_UPDATE_EXCLUSIVE, referenced: ROW_SHARE},
                priority=52 if table == "parc_deviceevent" else 50,
                after={add},
            )
            tasks += [add, validate]
            touching[table] |= {add, validate}
            if referenced in tables:
                touching[referenced].add(add)
        for table in tables:
            tasks.append(
                Task(
                    f"VACUUM ANALYZE {table}",
                    [f"VACUUM ANALYZE {connection.ops.quote_name(table)}"],
                    {table: SHARE_UPDATE_EXCLUSIVE},
                    priority=VACUUM_PRIORITY.get(table, 40),
                    after=touching[table] | copies[table],
                )
            )
        return tasks

    def _count(self, kind: str, rows: int) -> None:
        with self.lock:
            self.copied[kind] += rows

    @contextlib.contextmanager
    def _timed(self, what: str):
        started = time.perf_counter()
        yield
        self.log(f"    {time.perf_counter() - started:6.1f} s  {what[:110]}")


# What goes first when several tasks are ready (higher first): every row (all the rest waits
# for them), the full-text index as soon as the devices are in (the longest task, one
# backend), then the indexes, keys and VACUUM of the biggest table (the longest chain).
COPY_PRIORITY = {"parc_device": 100, "parc_deviceevent": 95}
INDEX_PRIORITY = {"parc_deviceevent": 80, "parc_device": 75}
VACUUM_PRIORITY = {"parc_deviceevent": 45, "parc_device": 44}


def _index_table(definition: str) -> str:
    """The table of ``CREATE INDEX name ON [ONLY] public.table USING …``."""
    found = re.search(r" ON (?:ONLY )?(?:public\.)?(\"?\w+\"?) USING ", definition)
    if not found:
        raise SystemExit(f"bench: cannot read the table of {definition!r}")
    return found.group(1).strip('"')


def sample_ids(model, count: int, rng: random.Random, **filters) -> list[int]:
    """Random primary keys of rows matching ``filters``, without ORDER BY random()."""
    from django.db.models import Max, Min

    bounds = model.objects.aggregate(low=Min("pk"), high=Max("pk"))
    found: list[int] = []
    for _attempt in range(50):
        if len(found) >= count:
            break
        candidates = {rng.randint(bounds["low"], bounds["high"]) for _ in range(count * 4)}
        found.extend(
            model.objects.filter(pk__in=candidates - set(found), **filters).values_list(
                "pk", flat=True
            )
        )
    rng.shuffle(found)
    return found[:count]

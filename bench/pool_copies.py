"""The pool's copies of its first block, written by PostgreSQL itself (``INSERT … SELECT``).

Python draws the histories of the first ``BENCH_SEED_DEVICES`` devices (200,000 by default,
the "seed block"); at about 160 µs of CPU per device with its rows (drawing, then COPY's
formatting), ten million devices would keep both cores busy for fifteen minutes before a
single index is built. The rest of the pool is the seed block copied by the server, copy
``k`` being devices ``k × S + 1`` to ``(k + 1) × S``:

- ids shifted by ``k × S`` (media by ``2 k S``, erasure records by ``4 k S``, as the
  generator derives them from the device id), public codes from the same keyed bijection as
  ``bench.pool.ScrambledCodes`` (unique by construction);
- the last four characters of each serial number (device and media, copied into the erasure
  records, the erasure events' notes and the search document) redrawn from the new id, so
  that a serial found by the search is one device's;
- every date moved forward by the time the copy's ids stand for in the four years of
  history (the pool's registrations stay spread over the whole period, in the order of the
  ids), none later than the build's start;
- everything else (kinds, states, paths, media, erasure results, grades, remarks, events
  and their intervals) as the seed device's: 200,000 distinct histories.

The copies, the indexes, the constraints and the ``VACUUM ANALYZE``s are then one graph of
tasks run by ``BENCH_POOL_WORKERS`` connections (``Schedule``): each task waits for what it
depends on and never starts while a running task holds a lock it would wait for, so that the
full-text GIN index (the longest task, one backend in PostgreSQL 15) starts as soon as the
devices are in and the event table's rows and indexes are written meanwhile.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import connection

Log = Callable[[str], None]

SEED_PREFIX = "bench_seed_"
# Devices per INSERT … SELECT (several copies of a small seed block in one statement).
DEVICES_PER_STATEMENT = 1_000_000


# --- public codes, in Python and in SQL ---------------------------------------------------------

CODE_MASK = (1 << 30) - 1
CODE_MULTIPLIERS = (0x2C1B3C6D, 0x297A2D39)


def scramble(device_id: int, key: int) -> int:
    """A bijection of the 2**30 code bodies: xor with the key, then twice an odd multiplier
    and an xorshift (each invertible modulo 2**30)."""
    x = (device_id ^ key) & CODE_MASK
    for multiplier in CODE_MULTIPLIERS:
        x = (x * multiplier) & CODE_MASK
        x ^= x >> 15
    return x


def scramble_sql(device_id: str, key: int) -> str:
    """``scramble`` as a PostgreSQL expression over bigints."""
    x = f"(({device_id}) # {key}) & {CODE_MASK}"
    for multiplier in CODE_MULTIPLIERS:
        product = f"(({x}) * {multiplier}) & {CODE_MASK}"
        x = f"({product}) # (({product}) >> 15)"
    return x


def code_sql(x: str, alphabet: str, prefix: str) -> str:
    """The public code of body number ``x`` (a column): six symbols, least significant first,
    then the Luhn mod 32 check symbol, as ``bench.pool.CodeMaker._check``."""
    digit = [f"(({x} >> {5 * i}) & 31)" for i in range(6)]
    doubled = [f"(({d} * 2) / 32 + ({d} * 2) % 32)" for d in digit]
    # reversed(digits): the last digit is at position 0 (doubled), the one before plain…
    total = " + ".join(doubled[i] if (5 - i) % 2 == 0 else digit[i] for i in range(6))
    symbols = " || ".join(f"substr('{alphabet}', ({d})::int + 1, 1)" for d in digit)
    check = f"substr('{alphabet}', ((32 - ({total}) % 32) % 32)::int + 1, 1)"
    return f"'{prefix}-' || {symbols} || {check}"


# --- serial numbers -----------------------------------------------------------------------------


def tail_sql(device_id: str, slot: str) -> str:
    """Four hexadecimal symbols drawn from a device id and a slot (0: the device's serial,
    1 and 2: its media's), lower case: the search document's form. (A 16-bit hash with a
    leading 1 bit, so that ``to_hex`` always writes five symbols.)"""
    return f"right(to_hex((hashint8(({device_id}) * 4 + ({slot})) & 65535) | 65536), 4)"


def new_serial_sql(serial: str, device_id: str, slot: str) -> str:
    return (
        f"CASE WHEN length({serial}) >= 4 THEN left({serial}, -4) || "
        f"upper({tail_sql(device_id, slot)}) ELSE {serial} END"
    )


# --- the copies -----------------------------------------------------------------------------------


@dataclass
class CopyPlan:
    seed: int  # devices in the seed block (ids 1..seed)
    total: int  # devices in the pool
    start: float  # the generator's start of history (epoch seconds)
    now: float  # the generator's now
    day: float
    code_key: int
    alphabet: str
    prefix: str
    # The largest id of the seed rows numbered by a sequence (events, functional tests): a
    # copy's rows are numbered after the seed's, ``id + k × span``, rather than by nextval.
    id_spans: dict[str, int] = field(default_factory=dict)

    @property
    def copies(self) -> int:
        return -(-self.total // self.seed)  # the seed block itself is copy 0

    @property
    def shift_per_copy(self) -> float:
        """Seconds of history a copy's ids stand for (``bench.pool``: a device's registration
        is ``start + id / total × (now − start − day)``, plus up to a day)."""
        return self.seed / self.total * (self.now - self.start - self.day)

    def statements(self) -> Iterable[tuple[int, int]]:
        """Ranges of copies ``(first, last)``, about ``DEVICES_PER_STATEMENT`` devices each."""
        per = max(1, DEVICES_PER_STATEMENT // self.seed)
        for first in range(1, self.copies, per):
            yield first, min(first + per - 1, self.copies - 1)


def _columns(model) -> list[str]:
    return [f.column for f in model._meta.concrete_fields if not f.generated]


def seed_tables_sql(models: dict) -> list[str]:
    """Unlogged copies of the seed block with what the copies need precomputed: the old
    serial tails (lower case, as in the search document) and each medium's slot."""
    device, medium, erasure, refurbishment, event = (
        models[name] for name in ("devices", "media", "erasures", "refurbishments", "events")
    )
    d = ", ".join(f"d.{c}" for c in _columns(device))
    m = ", ".join(f"m.{c}" for c in _columns(medium))
    e = ", ".join(f"e.{c}" for c in _columns(erasure))
    r = ", ".join(f"r.{c}" for c in _columns(refurbishment))
    v = ", ".join(f"v.{c}" for c in _columns(event))
    tail = "CASE WHEN length({0}) >= 4 THEN lower(right({0}, 4)) END"
    return [
        f"""CREATE UNLOGGED TABLE {SEED_PREFIX}device AS
            SELECT {d}, {tail.format("d.serial")} AS tail0,
                   {tail.format("m1.serial")} AS tail1, {tail.format("m2.serial")} AS tail2
            FROM {device._meta.db_table} d
            LEFT JOIN {medium._meta.db_table} m1 ON m1.id = 2 * d.id - 1
            LEFT JOIN {medium._meta.db_table} m2 ON m2.id = 2 * d.id""",
        f"""CREATE UNLOGGED TABLE {SEED_PREFIX}medium AS
            SELECT {m}, m.id + 2 - 2 * m.device_id AS slot FROM {medium._meta.db_table} m""",
        f"""CREATE UNLOGGED TABLE {SEED_PREFIX}erasure AS
            SELECT {e}, (e.medium_id + 1) / 2 AS device_id,
                   e.medium_id + 2 - 2 * ((e.medium_id + 1) / 2) AS slot
            FROM {erasure._meta.db_table} e""",
        f"""CREATE UNLOGGED TABLE {SEED_PREFIX}refurbishment AS
            SELECT {r} FROM {refurbishment._meta.db_table} r""",
        # An erasure event names its record (data.erasure_id) and the medium's serial (note).
        f"""CREATE UNLOGGED TABLE {SEED_PREFIX}event AS
            SELECT {v}, x.erasure_id, m.id + 2 - 2 * m.device_id AS slot,
                   right(m.serial, 4) || ')' AS old_tail
            FROM {event._meta.db_table} v
            LEFT JOIN LATERAL (
                SELECT (v.data ->> 'erasure_id')::bigint AS erasure_id
                WHERE v.action = 'erasure'
            ) x ON true
            LEFT JOIN {medium._meta.db_table} m ON m.id = (x.erasure_id + 1) / 2
            ORDER BY v.id""",
    ]


def seed_id_spans_sql() -> dict[str, str]:
    return {
        "refurbishments": f"SELECT coalesce(max(id), 0) FROM {SEED_PREFIX}refurbishment",
        "events": f"SELECT coalesce(max(id), 0) FROM {SEED_PREFIX}event",
    }


def drop_seed_tables_sql() -> list[str]:
    return [
        f"DROP TABLE IF EXISTS {SEED_PREFIX}{name}"
        for name in ("device", "medium", "erasure", "refurbishment", "event")
    ]


def copy_sql(kind: str, model, plan: CopyPlan, first: int, last: int) -> str:
    """One INSERT … SELECT writing copies ``first`` to ``last`` of the seed rows of ``kind``."""
    table = model._meta.db_table
    columns = _columns(model)
    seed, total = plan.seed, plan.total
    # Per copy: k, its id offset and its shift in time, computed once.
    copies = (
        f"(SELECT k, k * {seed} AS off, "
        f"(k * {plan.shift_per_copy!r}) * interval '1 second' AS dt "
        f"FROM generate_series({first}, {last}) AS k) g"
    )
    offset = "g.off"
    now = f"to_timestamp({plan.now!r})"

    def moved(column: str) -> str:
        return f"LEAST(s.{column} + g.dt, {now})"

    if kind == "devices":
        new_id = f"(s.id + {offset})"
        document = "s.search_document"
        for slot in (0, 1, 2):  # replace() with an empty pattern changes nothing
            document = f"replace({document}, coalesce(s.tail{slot}, ''), s.new{slot})"
        overrides = {
            "id": new_id,
            "public_code": code_sql("s.x", plan.alphabet, plan.prefix),
            "serial": "CASE WHEN s.tail0 IS NULL THEN s.serial "
            "ELSE left(s.serial, -4) || upper(s.new0) END",
            "search_document": document,
            "state_changed_at": moved("state_changed_at"),
            "created_at": moved("created_at"),
            "last_seen_at": moved("last_seen_at"),
        }
        # Copy after copy, each in the seed block's order (the lateral subquery is scanned
        # once per k); the code's body number and the new tails computed once per row.
        new_id = "d.id + g.off"
        tails = ", ".join(
            f"CASE WHEN d.tail{slot} IS NULL THEN '' ELSE {tail_sql(new_id, str(slot))} END "
            f"AS new{slot}"
            for slot in (0, 1, 2)
        )
        source = (
            f"{copies} CROSS JOIN LATERAL ("
            f"SELECT d.*, {scramble_sql(new_id, plan.code_key)} AS x, {tails} "
            f"FROM {SEED_PREFIX}device d WHERE {new_id} <= {total} OFFSET 0) s"
        )
    else:
        seed_table = {
            "media": "medium",
            "erasures": "erasure",
            "refurbishments": "refurbishment",
            "events": "event",
        }[kind]
        source = (
            f"{copies} CROSS JOIN LATERAL ("
            f"SELECT * FROM {SEED_PREFIX}{seed_table} r "
            f"WHERE r.device_id + g.off <= {total} OFFSET 0) s"
        )
        new_device = f"(s.device_id + {offset})"
        overrides = {}
        if kind == "media":
            overrides = {
                "id": f"s.id + 2 * {offset}",
                "device_id": new_device,
                "serial": new_serial_sql("s.serial", new_device, "s.slot"),
            }
        elif kind == "erasures":
            overrides = {
                "id": f"s.id + 4 * {offset}",
                "medium_id": f"s.medium_id + 2 * {offset}",
                "serial": new_serial_sql("s.serial", new_device, "s.slot"),
                "started_at": moved("started_at"),
                "ended_at": moved("ended_at"),
                "recorded_at": moved("recorded_at"),
            }
        elif kind == "refurbishments":
            overrides = {
                "id": f"s.id + g.k * {plan.id_spans[kind]}",
                "device_id": new_device,
                "recorded_at": moved("recorded_at"),
            }
        elif kind == "events":
            new_tail = f"upper({tail_sql(new_device, 's.slot')}) || ')'"
            overrides = {
                "id": f"s.id + g.k * {plan.id_spans[kind]}",
                "device_id": new_device,
                "at": moved("at"),
                "note": (
                    f"CASE WHEN s.erasure_id IS NULL THEN s.note "
                    f"ELSE replace(s.note, s.old_tail, {new_tail}) END"
                ),
                "data": (
                    f"CASE WHEN s.erasure_id IS NULL THEN s.data ELSE jsonb_set(s.data, "
                    f"'{{erasure_id}}', to_jsonb(s.erasure_id + 4 * {offset})) END"
                ),
            }
    names = ", ".join(columns)
    values = ", ".join(overrides.get(c, f"s.{c}") for c in columns)
    return f"INSERT INTO {table} ({names}) SELECT {values} FROM {source}"


# --- the schedule -------------------------------------------------------------------------------

# PostgreSQL's table lock modes and the ones each conflicts with.
ROW_SHARE = "ROW SHARE"
ROW_EXCLUSIVE = "ROW EXCLUSIVE"
SHARE_UPDATE_EXCLUSIVE = "SHARE UPDATE EXCLUSIVE"
SHARE = "SHARE"
SHARE_ROW_EXCLUSIVE = "SHARE ROW EXCLUSIVE"
ACCESS_EXCLUSIVE = "ACCESS EXCLUSIVE"
_CONFLICTS = {
    ROW_SHARE: {ACCESS_EXCLUSIVE},
    ROW_EXCLUSIVE: {SHARE, SHARE_ROW_EXCLUSIVE, ACCESS_EXCLUSIVE},
    SHARE_UPDATE_EXCLUSIVE: {
        SHARE_UPDATE_EXCLUSIVE,
        SHARE,
        SHARE_ROW_EXCLUSIVE,
        ACCESS_EXCLUSIVE,
    },
    SHARE: {ROW_EXCLUSIVE, SHARE_UPDATE_EXCLUSIVE, SHARE_ROW_EXCLUSIVE, ACCESS_EXCLUSIVE},
    SHARE_ROW_EXCLUSIVE: {
        ROW_EXCLUSIVE,
        SHARE_UPDATE_EXCLUSIVE,
        SHARE,
        SHARE_ROW_EXCLUSIVE,
        ACCESS_EXCLUSIVE,
    },
    ACCESS_EXCLUSIVE: {
        ROW_SHARE,
        ROW_EXCLUSIVE,
        SHARE_UPDATE_EXCLUSIVE,
        SHARE,
        SHARE_ROW_EXCLUSIVE,
        ACCESS_EXCLUSIVE,
    },
}


@dataclass(eq=False)
class Task:
    name: str
    statements: list[str]
    locks: dict[str, str]  # table → lock mode
    priority: int
    after: set[Task] = field(default_factory=set)
    setting: str = ""  # a SET before the statements (RESET after)
    rows: Callable[[int], None] | None = None  # told the rows written


class Schedule:
    """Run tasks on ``workers`` connections: a worker takes the ready task of highest
    priority whose locks conflict with no running task's."""

    def __init__(self, tasks: list[Task], workers: int, log: Log):
        self.tasks = tasks
        self.workers = max(1, workers)
        self.log = log
        self.done: set[Task] = set()
        self.running: set[Task] = set()
        self.failed: BaseException | None = None
        self.condition = threading.Condition()
        self.started = time.perf_counter()

    def _ready(self) -> Task | None:
        candidates = [
            t
            for t in self.tasks
            if t not in self.done and t not in self.running and t.after <= self.done
        ]
        for task in sorted(candidates, key=lambda t: -t.priority):
            if not any(self._conflict(task, other) for other in self.running):
                return task
        return None

    @staticmethod
    def _conflict(task: Task, other: Task) -> bool:
        return any(
            mode in _CONFLICTS[other.locks[table]]
            for table, mode in task.locks.items()
            if table in other.locks
        )

    def _next(self) -> Task | None:
        with self.condition:
            while True:
                if self.failed or len(self.done) == len(self.tasks):
                    return None
                task = self._ready()
                if task:
                    self.running.add(task)
                    return task
                self.condition.wait()

    def _work(self) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit TO off")
                # Copies read the seed tables in the order their rows were written.
                cursor.execute("SET synchronize_seqscans TO off")
                cursor.execute("SET maintenance_work_mem TO '1GB'")
                # One connection, one core: an index build's own parallel workers would
                # only take the other connection's core.
                cursor.execute("SET max_parallel_maintenance_workers TO 0")
                cursor.execute("SET max_parallel_workers_per_gather TO 0")
                while task := self._next():
                    began = time.perf_counter()
                    try:
                        if task.setting:
                            cursor.execute(f"SET {task.setting}")
                        rows = 0
                        for statement in task.statements:
                            cursor.execute(statement)
                            rows += max(cursor.rowcount, 0)
                        if task.setting:
                            cursor.execute(f"RESET {task.setting.split()[0]}")
                            cursor.execute("SET maintenance_work_mem TO '1GB'")
                        if task.rows:
                            task.rows(rows)
                    except BaseException as error:
                        with self.condition:
                            self.failed = error
                            self.condition.notify_all()
                        raise
                    ended = time.perf_counter()
                    self.log(
                        f"    {ended - began:6.1f} s  (at {ended - self.started:5.0f} s) "
                        f"{task.name[:100]}"
                    )
                    with self.condition:
                        self.running.discard(task)
                        self.done.add(task)
                        self.condition.notify_all()
        finally:
            connection.close()  # this thread's own connection

    def run(self) -> None:
        with concurrent.futures.ThreadPoolExecutor(self.workers) as executor:
            futures = [executor.submit(self._work) for _ in range(self.workers)]
            for future in futures:
                with contextlib.suppress(BaseException):
                    future.result()
        if self.failed:
            raise self.failed


def referenced_table(definition: str) -> str | None:
    found = re.search(r"REFERENCES\s+(\"?[\w.]+\"?)\s*\(", definition)
    return found.group(1).strip('"') if found else None

"""The benchmark pool's copies (bench/pool_copies.py): PostgreSQL computes the same public codes
as the Python generator (a copy's code never meets a seed device's), and the schedule never
runs together two tasks whose table locks conflict."""

import pytest
from django.db import connection

from bench import pool_copies
from bench.pool import ScrambledCodes
from parc.codes import normalize_code

KEY = ScrambledCodes(42).key


def test_the_scramble_is_a_bijection_of_the_code_bodies():
    ids = range(1, 100_001)
    bodies = {pool_copies.scramble(device_id, KEY) for device_id in ids}
    assert len(bodies) == len(ids)
    assert all(0 <= body < 2**30 for body in bodies)


def test_the_generator_s_codes_pass_the_check_symbol():
    codes = ScrambledCodes(42)
    for device_id in (1, 2, 3, 199_999, 200_000, 9_999_999):
        code = codes.code_for(device_id)
        assert normalize_code(code) == code


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the copies are PostgreSQL's")
def test_postgresql_computes_the_generator_s_codes():
    from parc.codes import ALPHABET, PREFIX

    codes = ScrambledCodes(42)
    ids = [1, 2, 31, 32, 1023, 200_001, 4_567_891, 9_999_999, 2**30 - 1]
    expression = pool_copies.code_sql(
        f"({pool_copies.scramble_sql('i', KEY)})", alphabet=ALPHABET, prefix=PREFIX
    )
    tail = pool_copies.tail_sql("i", "1")
    with connection.cursor() as cursor:
        # No parameters: the expressions hold % (modulo) signs.
        array = "{" + ",".join(map(str, ids)) + "}"
        cursor.execute(
            f"SELECT i, {expression}, {tail} FROM unnest('{array}'::bigint[]) AS i ORDER BY i"
        )
        rows = cursor.fetchall()
    assert [(device_id, code) for device_id, code, _tail in rows] == [
        (device_id, codes.code_for(device_id)) for device_id in sorted(ids)
    ]
    # A serial's new tail: four lower-case hexadecimal symbols, as the document holds them.
    assert all(len(t) == 4 and set(t) <= set("0123456789abcdef") for _i, _c, t in rows)


def task(name, locks, **kwargs):
    return pool_copies.Task(name, [], locks, priority=0, **kwargs)


def test_locks_that_conflict_are_never_held_together():
    conflict = pool_copies.Schedule._conflict
    copy = task("copies", {"parc_device": pool_copies.ROW_EXCLUSIVE})
    other_copy = task("more copies", {"parc_device": pool_copies.ROW_EXCLUSIVE})
    gin = task("GIN", {"parc_device": pool_copies.SHARE})
    btree = task("btree", {"parc_device": pool_copies.SHARE})
    vacuum = task("VACUUM", {"parc_device": pool_copies.SHARE_UPDATE_EXCLUSIVE})
    validate = task(
        "events → device validated",
        {"parc_deviceevent": pool_copies.SHARE_UPDATE_EXCLUSIVE, "parc_device": "ROW SHARE"},
    )
    add = task(
        "events → device (not valid)",
        {
            "parc_deviceevent": pool_copies.SHARE_ROW_EXCLUSIVE,
            "parc_device": pool_copies.SHARE_ROW_EXCLUSIVE,
        },
    )
    assert not conflict(copy, other_copy)  # two INSERTs side by side
    assert not conflict(gin, btree)  # two CREATE INDEX on one table
    assert conflict(gin, copy) and conflict(copy, gin)
    assert conflict(vacuum, gin)
    assert not conflict(validate, gin)  # a validation only reads the referenced table
    assert conflict(add, gin)  # adding the key locks the referenced table
    assert not conflict(task("media", {"parc_storagemedium": "SHARE"}), gin)


def test_the_ready_task_of_highest_priority_that_conflicts_with_nothing_goes_first():
    gin = pool_copies.Task("GIN", [], {"parc_device": pool_copies.SHARE}, priority=100)
    copies = pool_copies.Task(
        "events", [], {"parc_deviceevent": pool_copies.ROW_EXCLUSIVE}, priority=50
    )
    vacuum = pool_copies.Task(
        "VACUUM", [], {"parc_device": pool_copies.SHARE_UPDATE_EXCLUSIVE}, priority=90
    )
    waiting = pool_copies.Task(
        "after the GIN", [], {"parc_device": pool_copies.SHARE}, priority=99, after={gin}
    )
    schedule = pool_copies.Schedule([gin, copies, vacuum, waiting], workers=2, log=print)
    assert schedule._ready() is gin
    schedule.running.add(gin)
    assert schedule._ready() is copies  # VACUUM waits for the index, the other for its turn
    schedule.running.discard(gin)
    schedule.done.add(gin)
    assert schedule._ready() is waiting

"""One run at a time of a periodic task, across workers and machines.

Celery beat sends a refresh every ten minutes whether or not the last one has ended: on a big
pool a refresh can outlast its period (the summary of one 8.5-million-device donation took
six minutes at 10,000,000 devices), and two workers would then compute the same figures side
by side, each slowing the other, and the queue would grow. ``single_run`` takes a PostgreSQL
advisory lock for the run without waiting: a run that finds it taken does nothing (the one
running will leave the figures as fresh). The lock belongs to the database session, so a
worker killed mid-run releases it with its connection. On SQLite (development, tests: tasks
run eagerly, one at a time) there is nothing to exclude.
"""

import contextlib
import logging
import zlib

from django.db import connection

logger = logging.getLogger(__name__)


def lock_key(name: str) -> int:
    """A stable advisory-lock key for a run's name (CRC-32: the same in every process)."""
    return zlib.crc32(name.encode())


@contextlib.contextmanager
def single_run(name: str):
    """Yield True if this run holds the lock of ``name`` (or needs none), False if another
    run holds it; release it on the way out."""
    if connection.vendor != "postgresql":
        yield True
        return
    key = lock_key(name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        acquired = cursor.fetchone()[0]
    if not acquired:
        logger.info("%s: already running elsewhere, this run is skipped", name)
        yield False
        return
    try:
        yield True
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])

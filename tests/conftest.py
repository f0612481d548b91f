"""Shared test setup.

- Tests marked ``postgres`` run when DATABASE_URL points at PostgreSQL, ``redis`` when
  CELERY_BROKER_URL points at Redis; elsewhere they are skipped with the reason.
- An undefined variable in a project template fails the test (see InvalidTemplateVariable).
- ``clock`` / ``today``: the tests' calendar (time-machine), not the wall clock.
- A queryset with no order comes back shuffled (``unordered_querysets_shuffled``).
- pytest-randomly shuffles the order of the tests and seeds ``random`` (and so the shuffles)
  with the seed it prints: ``-p randomly.seed=N`` (or ``-p randomly.seed=last``) replays a run.
"""

import datetime as dt
import os
import random

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.db.models.query import QuerySet
from django.utils import timezone

from tests.acteurs.factories import MembershipFactory, OrganisationFactory, UserFactory


def _own_redis_databases() -> None:
    """`make test` runs two pytest-xdist workers: the second one moves the Redis broker and
    result databases CI gives (e.g. 14 and 15) two below (12 and 13), so a worker started by
    one process's test never takes a task sent by the other's (it would read the wrong test
    database)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    offset = 2 * int(worker.removeprefix("gw") or 0)
    if not offset:
        return
    for name in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
        url = os.environ.get(name, "")
        base, _, db = url.rpartition("/")
        if url.startswith("redis://") and db.isdigit() and int(db) >= offset:
            os.environ[name] = f"{base}/{int(db) - offset}"


_own_redis_databases()


class InvalidTemplateVariable(str):
    """string_if_invalid that raises: a typo in a template must not render as empty text."""

    def __mod__(self, variable):
        raise AssertionError(f"Undefined template variable: {variable!r}")


@pytest.fixture(autouse=True)
def fresh_cache():
    """The cache outlives a test's rolled-back rows (a job's heartbeat is kept by its id, and
    ids are reused): every test starts with an empty one."""
    from django.core.cache import cache

    cache.clear()


# The tests' calendar: Tuesday 10 March 2026, 10:00 in Paris. A test that counts days (a loan's
# due date, a reminder, the two-year anonymisation, "today's sessions") gives the same answer
# whenever it runs: at midnight, on a Sunday, on the night the clocks change. The clock ticks
# from there (events keep their order). Not for browser tests: Chromium keeps the wall clock and
# would drop a session cookie that expires "in two weeks" from March.
TESTS_NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    """The time-machine traveller: ``clock.shift(dt.timedelta(days=15))`` to let days pass,
    ``clock.move_to(...)`` to go to a moment."""
    with time_machine.travel(TESTS_NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture
def today(clock) -> dt.date:
    """Today's date in Paris on the tests' calendar (``clock`` for moving it)."""
    return timezone.localdate()


@pytest.fixture(autouse=True)
def unordered_querysets_shuffled(monkeypatch):
    """A query without ORDER BY has no order: PostgreSQL returns another one after an update, a
    vacuum or a parallel plan. In tests its rows come back shuffled (by pytest-randomly's seed),
    so a page, an export or a test that relies on the insertion order fails here, not in
    production. Counts, aggregates and single rows are unaffected."""
    fetch_all = QuerySet._fetch_all

    def _fetch_all_shuffled(queryset):
        fresh = queryset._result_cache is None
        fetch_all(queryset)
        rows = queryset._result_cache
        if fresh and len(rows) > 1 and not queryset.ordered:
            random.shuffle(rows)

    monkeypatch.setattr(QuerySet, "_fetch_all", _fetch_all_shuffled)


@pytest.fixture(autouse=True)
def streamed_responses_closed(monkeypatch):
    """A WSGI server closes every response; the test client closes a streamed one (a file
    download, an export) only once its body has been read to the end. The ones a test left
    unread are closed when it ends, as the server would, so the file they hold does not leak
    into a later test as a ResourceWarning (warnings are errors)."""
    from django.core.signals import request_finished
    from django.db import close_old_connections
    from django.test.client import ClientHandler

    streamed = []
    handle = ClientHandler.__call__

    def __call__(handler, environ):
        response = handle(handler, environ)
        if response.streaming:
            streamed.append(response)
        return response

    monkeypatch.setattr(ClientHandler, "__call__", __call__)
    yield
    # As the test client does: closing fires request_finished, which must not close the
    # test's database connection.
    request_finished.disconnect(close_old_connections)
    try:
        for response in streamed:
            response.close()
    finally:
        request_finished.connect(close_old_connections)


# What tests point elsewhere (a broker, eager mode, a worker's settings): restored after each
# test, so a test that forgets cannot send the next ones' tasks to a broker nobody reads.
_CELERY_KEYS = (
    "task_always_eager",
    "broker_url",
    "result_backend",
    "broker_connection_timeout",
    "broker_transport_options",
)


@pytest.fixture(autouse=True)
def celery_app_restored():
    from config.celery import app

    before = {key: app.conf[key] for key in _CELERY_KEYS}
    environment = {
        name: os.environ.get(name) for name in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")
    }
    yield
    if {key: app.conf[key] for key in _CELERY_KEYS} != before:
        app.conf.update(before)
        app._pool = None
        app.amqp._producer_pool = None
        app._backend_cache = None
        app._local.__dict__.pop("backend", None)
    for name, value in environment.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


# Rows the data migrations seed (eligibility criteria, workshop types, usage profiles and their
# rules). A transactional test's flush deletes them; flush then sends post_migrate, and they
# are written again, so a test does not depend on running before or after a browser test.
MIGRATION_SEEDS = (
    ("prets.migrations.0002_criteria_and_device_pick_index", "seed"),
    ("ateliers.migrations.0002_workshop_types", "create_types"),
    ("parc.migrations.0018_usage_profiles_and_adaptations", "seed_profiles"),
    ("prets.migrations.0005_usage_profiles_and_needs", "seed_rules"),
)


def _reseed_after_flush(sender, using="default", **kwargs):
    import importlib

    from django.apps import apps

    if sender.label != "prets":  # once per flush: prets is the last app that seeds
        return
    for module, function in MIGRATION_SEEDS:
        getattr(importlib.import_module(module), function)(apps, None)


def pytest_configure(config):
    from django.db.models.signals import post_migrate

    settings.TEMPLATES[0]["OPTIONS"]["string_if_invalid"] = InvalidTemplateVariable("%s")
    post_migrate.connect(_reseed_after_flush, dispatch_uid="tests-reseed-after-flush")


def pytest_collection_modifyitems(config, items):
    on_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgis"))
    broker = os.environ.get("CELERY_BROKER_URL", "")
    skip_pg = pytest.mark.skip(
        reason="needs PostgreSQL: set DATABASE_URL=postgres://… (SQLite serialises writers "
        "and proves nothing about row locks)"
    )
    skip_redis = pytest.mark.skip(reason="needs a Redis broker: set CELERY_BROKER_URL=redis://…")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not broker.startswith("redis"):
            item.add_marker(skip_redis)


@pytest.fixture
def refurbisher(db):
    return OrganisationFactory(name="Recyclerie test", short_name="RT", is_refurbisher=True)


@pytest.fixture
def other_refurbisher(db):
    return OrganisationFactory(name="Autre atelier", short_name="AA", is_refurbisher=True)


def _member(organisation, role, **user_fields):
    user = UserFactory(**user_fields)
    MembershipFactory(user=user, organisation=organisation, role=role)
    return user


@pytest.fixture
def technician(refurbisher):
    return _member(refurbisher, "technician", username="tech", first_name="Théo")


@pytest.fixture
def staff(refurbisher):
    return _member(refurbisher, "staff", username="equipe", first_name="Inès")


@pytest.fixture
def prescriber(db):
    ccas = OrganisationFactory(name="CCAS test", short_name="CCAS", is_prescriber=True)
    return _member(ccas, "prescriber", username="prescripteur")


@pytest.fixture
def outsider(other_refurbisher):
    return _member(other_refurbisher, "technician", username="ailleurs")


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"

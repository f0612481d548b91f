"""Shared test setup.

- Tests marked ``postgres`` run when DATABASE_URL points at PostgreSQL, ``redis`` when
  CELERY_BROKER_URL points at Redis; elsewhere they are skipped with the reason.
- An undefined variable in a project template fails the test (see InvalidTemplateVariable).
"""

import os

import pytest
from django.conf import settings
from django.db import connection

from .factories import MembershipFactory, OrganisationFactory, UserFactory


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


def pytest_configure(config):
    settings.TEMPLATES[0]["OPTIONS"]["string_if_invalid"] = InvalidTemplateVariable("%s")


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

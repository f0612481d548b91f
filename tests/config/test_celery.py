"""Background work: eager by default, a real worker through Redis when a broker is set."""

import os

import pytest

from config.celery import app, ping


def test_tasks_run_eagerly_in_the_embedded_setup(settings):
    assert settings.CELERY_TASK_ALWAYS_EAGER is True
    assert ping.delay().get(timeout=5) == "pong"


@pytest.mark.redis
def test_a_task_runs_through_a_celery_worker_and_redis():
    from celery.contrib.testing.worker import start_worker

    broker = os.environ["CELERY_BROKER_URL"]
    backend = os.environ.get("CELERY_RESULT_BACKEND", broker)
    previous = dict(app.conf)
    app.conf.update(task_always_eager=False, broker_url=broker, result_backend=backend)
    try:
        # perform_ping_check needs celery.ping registered; our own task proves the same.
        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
            result = ping.delay()
            assert result.get(timeout=30) == "pong"
            assert result.backend.__class__.__name__ == "RedisBackend"
    finally:
        app.conf.update(
            task_always_eager=previous["task_always_eager"],
            broker_url=previous["broker_url"],
            result_backend=previous["result_backend"],
        )

"""Celery application.

By default tasks run eagerly (in the calling process), so the embedded SQLite setup needs no
broker. Production sets CELERY_TASK_ALWAYS_EAGER=false and a Redis CELERY_BROKER_URL.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("filiere")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="filiere.ping")
def ping() -> str:
    """A health check: proves a worker picks up tasks from the broker."""
    return "pong"

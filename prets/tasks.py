"""Scheduled jobs (Celery beat: CELERY_BEAT_SCHEDULE in config/settings/base.py). Each calls
the same service as its management command, so cron works too. The anonymisation of
households is acteurs' (``acteurs.anonymise_households``), which runs prets' purge of old
buyers' names with it."""

from celery import shared_task

from . import services


@shared_task(name="prets.send_loan_reminders")
def send_loan_reminders() -> dict:
    return services.send_due_reminders()


@shared_task(name="prets.send_training_reminders")
def send_training_reminders() -> dict:
    """The training deadlines' reminders (issue 15): before the deadline, once missed."""
    return services.send_training_reminders()


@shared_task(name="prets.expire_requests")
def expire_requests() -> int:
    return services.expire_stale_requests()

"""Scheduled jobs (Celery beat: CELERY_BEAT_SCHEDULE in config/settings/base.py). Each calls
the same service as its management command, so cron works too."""

from celery import shared_task

from . import services


@shared_task(name="prets.send_loan_reminders")
def send_loan_reminders() -> dict:
    return services.send_due_reminders()


@shared_task(name="prets.expire_requests")
def expire_requests() -> int:
    return services.expire_stale_requests()


@shared_task(name="prets.anonymise_households")
def anonymise_households() -> dict:
    return {
        "households": services.anonymise_inactive_households(),
        "sales": services.purge_old_buyer_names(),
    }

"""Scheduled jobs of personal data (Celery beat: CELERY_BEAT_SCHEDULE in
config/settings/base.py). Each calls the same function as its management command, so cron
works too."""

from celery import shared_task

from . import access_log, personal_data


@shared_task(name="acteurs.anonymise_households")
def anonymise_households() -> dict:
    return personal_data.run_retention()


@shared_task(name="acteurs.purge_access_log")
def purge_access_log() -> int:
    return access_log.purge_old_accesses()

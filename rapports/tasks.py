"""Background work of the reports. Eager in development and tests, a worker in production."""

from celery import shared_task


@shared_task(name="rapports.build_report_job", ignore_result=True)
def build_report_job(job_id: int) -> None:
    """Build a long report (ReportJob) and keep its PDF for download."""
    from . import services

    services.run_report_job(job_id)


@shared_task(name="rapports.refresh_stale_donation_summaries", ignore_result=True)
def refresh_stale_donation_summaries() -> int:
    """Celery beat, every 10 minutes (settings CELERY_BEAT_SCHEDULE): refresh the summaries
    of the donations whose devices changed since (see services.stale_donation_ids)."""
    from . import services

    return services.refresh_donation_summaries(services.stale_donation_ids())


@shared_task(name="rapports.roll_up_stage_work", ignore_result=True)
def roll_up_stage_work() -> int:
    """Celery beat, every hour: the days ended since the last roll-up, summed for the
    « Modèle économique » dashboard (services.roll_up_stage_work)."""
    from . import services

    return services.roll_up_stage_work()

"""Background work of the reports. Eager in development and tests, a worker in production."""

import logging

from celery import shared_task

from core.single_run import single_run

logger = logging.getLogger(__name__)


@shared_task(name="rapports.build_report_job", ignore_result=True)
def build_report_job(job_id: int) -> None:
    """Build a long report (ReportJob) and keep its PDF for download."""
    from . import services

    services.run_report_job(job_id)


@shared_task(name="rapports.refresh_stale_donation_summaries", ignore_result=True)
def refresh_stale_donation_summaries() -> int:
    """Celery beat, every 10 minutes (settings CELERY_BEAT_SCHEDULE): refresh the summaries
    of the donations whose devices changed since (see services.stale_donation_ids). Skipped
    while the previous run goes on (core.single_run)."""
    from . import services

    with single_run("rapports.refresh_stale_donation_summaries") as running:
        if not running:
            return 0
        return services.refresh_donation_summaries(services.stale_donation_ids())


@shared_task(name="rapports.refresh_stale_household_summaries", ignore_result=True)
def refresh_stale_household_summaries() -> int:
    """Celery beat, every 10 minutes (settings CELERY_BEAT_SCHEDULE): recount the households
    equipped by the big sets of donations that got a loan or a sale since
    (services.refresh_stale_household_summaries). Skipped while the previous run goes on
    (core.single_run)."""
    from . import services

    with single_run("rapports.refresh_stale_household_summaries") as running:
        if not running:
            return 0
        return services.refresh_stale_household_summaries()


@shared_task(name="rapports.refresh_household_summaries_of_households", ignore_result=True)
def refresh_household_summaries_of_households(household_ids: list[int]) -> int:
    """After households' commune or categories were corrected
    (acteurs.signals.household_figures_changed): recount the summaries that hold them."""
    from . import services

    return services.refresh_household_summaries_of_households(household_ids)


@shared_task(name="rapports.roll_up_stage_work", ignore_result=True)
def roll_up_stage_work() -> int:
    """Celery beat, every hour: the days ended since the last roll-up, summed for the
    « Modèle économique » dashboard (services.roll_up_stage_work)."""
    from . import services

    return services.roll_up_stage_work()


@shared_task(name="rapports.refresh_summaries_of_devices", ignore_result=True)
def refresh_summaries_of_devices(device_ids: list[int]) -> int:
    """After work time, parts or a loan fee changed figures of these devices without a device
    event (parc.signals.device_figures_changed): refresh their donations' summaries now."""
    from . import services

    return services.refresh_summaries_of_devices(device_ids)


def on_device_figures_changed(sender, device_ids, **kwargs) -> None:
    """After commit: the work is saved whatever happens here, so a broker that is down costs
    a stale summary (said in the log), never the technician's page."""
    try:
        refresh_summaries_of_devices.delay(list(device_ids))
    except Exception:  # noqa: BLE001 — the broker's errors are many and not ours
        logger.warning("summary refresh not queued for devices %s", device_ids, exc_info=True)


def on_household_figures_changed(sender, household_ids, **kwargs) -> None:
    """After commit, like on_device_figures_changed: a broker that is down costs a stale
    summary (said in the log), never the social worker's page."""
    try:
        refresh_household_summaries_of_households.delay(list(household_ids))
    except Exception:  # noqa: BLE001 — the broker's errors are many and not ours
        logger.warning("summary refresh not queued for households %s", household_ids, exc_info=True)

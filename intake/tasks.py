"""Background work of the inventory-list import: one task runs a job's current step (the
preview or the import) through the kernel's ``core.jobs.run_job``; a failed job restarted
(``BackgroundJob.restart``) comes back here."""

from celery import shared_task


@shared_task(name="intake.run_import_job_step", ignore_result=True)
def run_import_job_step(job_id: int) -> None:
    from . import services

    services.run_step(job_id)


# The names messages queued before this version carry (the import lived in ``parc``).
@shared_task(name="parc.analyse_import_job", ignore_result=True)
def analyse_import_job(job_id: int) -> None:
    run_import_job_step(job_id)


@shared_task(name="parc.run_import_job", ignore_result=True)
def run_import_job(job_id: int, actor_id: int | None = None) -> None:
    run_import_job_step(job_id)

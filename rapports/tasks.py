"""Background work of the reports. Eager in development and tests, a worker in production."""

from celery import shared_task


@shared_task(name="rapports.build_report_job", ignore_result=True)
def build_report_job(job_id: int) -> None:
    """Build a long report (ReportJob) and keep its PDF for download."""
    from . import services

    services.run_report_job(job_id)

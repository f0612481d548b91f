"""Background tasks of the pool. Eager in development and tests, a Celery worker in production."""

from celery import shared_task

from .labels import sheets


@shared_task(name="parc.render_label_job", ignore_result=True)
def render_label_job(job_id: int) -> None:
    """Render a large label sheet (LabelJob) and store its PDF."""
    sheets.run_label_job(job_id)

"""The kernel's periodic work."""

from celery import shared_task


@shared_task(name="core.fail_stale_jobs", ignore_result=True)
def fail_stale_jobs() -> int:
    """Celery beat, every minute: jobs whose worker died are marked failed (can be restarted)."""
    from .jobs import fail_stale_jobs as run

    return run()

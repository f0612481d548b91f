"""Background tasks of the pool. Eager in development and tests, a Celery worker in production."""

from celery import shared_task

from . import label_sheets


@shared_task(name="parc.render_label_job", ignore_result=True)
def render_label_job(job_id: int) -> None:
    """Render a large label sheet (LabelJob) and store its PDF."""
    label_sheets.run_label_job(job_id)


# --- intake of donors' inventory lists (parc/intake.py) ------------------------------------


@shared_task(name="parc.analyse_import_job", ignore_result=True)
def analyse_import_job(job_id: int) -> None:
    """The preview (dry run) of a large inventory list; progress is saved per chunk."""
    from . import intake

    intake.run_analysis(job_id)


@shared_task(name="parc.run_import_job", bind=True)
def run_import_job(self, job_id: int, actor_id: int) -> None:
    """The import of a large inventory list, in one transaction. Its progress cannot be read
    from the database before the commit, so it goes to Celery's result backend."""
    from . import intake

    def progress(done: int) -> None:
        if not self.request.is_eager:
            self.update_state(state="PROGRESS", meta={"done": done})

    intake.run_import(job_id, actor_id, progress=progress)

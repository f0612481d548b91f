"""Background work of the inventory-list import. The task names keep their ``parc.`` prefix:
they are the names queued messages carry (the import lived in ``parc`` before)."""

from celery import shared_task


@shared_task(name="parc.analyse_import_job", ignore_result=True)
def analyse_import_job(job_id: int) -> None:
    """The preview (dry run) of a large inventory list; progress is saved per chunk."""
    from . import services

    services.run_analysis(job_id)


@shared_task(name="parc.run_import_job", bind=True)
def run_import_job(self, job_id: int, actor_id: int) -> None:
    """The import of a large inventory list, in one transaction. Its progress cannot be read
    from the database before the commit, so it goes to Celery's result backend."""
    from . import services

    def progress(done: int) -> None:
        if not self.request.is_eager:
            self.update_state(state="PROGRESS", meta={"done": done})

    services.run_import(job_id, actor_id, progress=progress)

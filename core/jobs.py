"""Background jobs: one base for every long piece of work a user waits for (a label sheet, an
inventory import, a report PDF).

A job row is created by a service, then a Celery task runs it. The task reports its progress
and a heartbeat (``JobRunner``); a job whose worker died — killed, out of memory, the machine
restarted — stops beating, and ``fail_stale_jobs`` (Celery beat, every minute, and every
page that polls a job) marks it failed with a French message. A failed job can be restarted:
``restart()`` puts it back in the queue, and the task starts again from the beginning (jobs
write their result in one transaction or in one file at the end, so a half-done run leaves
nothing behind).

The heartbeat goes to the cache (shared by workers and web processes in production) and, when
the task is not inside a transaction, to the row: a task that works in one long transaction
(the import) can still beat.
"""

import datetime as dt
import logging

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import ApplicationError, Refused

logger = logging.getLogger(__name__)


class JobStatus(models.TextChoices):
    PENDING = "pending", gettext_lazy("en attente")
    RUNNING = "running", gettext_lazy("en cours")
    DONE = "done", gettext_lazy("terminé")
    FAILED = "failed", gettext_lazy("échec")


ACTIVE_STATUSES = (JobStatus.PENDING, JobStatus.RUNNING)


def heartbeat_timeout() -> dt.timedelta:
    """A running job silent for this long is dead; a pending one waits longer (queue)."""
    return dt.timedelta(seconds=getattr(settings, "JOB_HEARTBEAT_TIMEOUT_S", 120))


def pending_timeout() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "JOB_PENDING_TIMEOUT_S", 30 * 60))


class BrokerUnavailable(ApplicationError):
    code = "broker_unavailable"
    status = 503


def _task(name: str):
    """The registered task of that name. Celery discovers the apps' ``tasks`` modules lazily
    (when a worker starts): a web process asks it to now, once, so a job is found whichever
    module happened to be imported."""
    from celery import current_app

    if name not in current_app.tasks:
        current_app.loader.import_default_modules()
    return current_app.tasks[name]


class BackgroundJob(models.Model):
    """Abstract base: state, progress, heartbeat, error, restarts. Subclasses name their task."""

    # The Celery task that runs a job of this kind, called with the job's id.
    TASK_NAME: str = ""

    status = models.CharField(
        gettext_lazy("état"),
        max_length=10,
        choices=JobStatus.choices,
        default=JobStatus.PENDING,
    )
    total = models.PositiveIntegerField(gettext_lazy("à faire"), default=0)
    done = models.PositiveIntegerField(gettext_lazy("fait"), default=0)
    error = models.TextField(gettext_lazy("erreur"), blank=True)
    created_at = models.DateTimeField(gettext_lazy("demandé le"), default=timezone.now)
    started_at = models.DateTimeField(gettext_lazy("commencé le"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(gettext_lazy("dernier signe de vie"), null=True, blank=True)
    finished_at = models.DateTimeField(gettext_lazy("terminé le"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(gettext_lazy("tentatives"), default=0)

    class Meta:
        abstract = True

    @property
    def percent(self) -> int:
        if not self.total:  # nothing counted yet: done is done, anything else has not begun
            return 100 if self.status == JobStatus.DONE else 0
        return min(100, round(100 * self.done / self.total))

    @property
    def in_progress(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def can_restart(self) -> bool:
        return self.status == JobStatus.FAILED

    # --- heartbeat

    def _cache_key(self) -> str:
        return f"job-heartbeat:{self._meta.label_lower}:{self.pk}"

    def _cached_beat(self) -> tuple:
        beat = cache.get(self._cache_key())
        return beat if isinstance(beat, tuple) else (None, None)

    def last_sign_of_life(self):
        beat, _done = self._cached_beat()
        candidates = [t for t in (beat, self.heartbeat_at, self.started_at) if t is not None]
        return max(candidates) if candidates else None

    def live_progress(self) -> int:
        """The progress the worker last reported: from the cache when the task works inside
        a transaction the pages cannot see yet."""
        _beat, done = self._cached_beat()
        return max(self.done, done or 0)

    def is_stale(self, now=None) -> bool:
        now = now or timezone.now()
        if self.status == JobStatus.RUNNING:
            last = self.last_sign_of_life()
            return last is None or now - last > heartbeat_timeout()
        if self.status == JobStatus.PENDING:
            return now - self.created_at > pending_timeout()
        return False

    # --- life cycle (queryset updates: the worker and the pages never overwrite each other)

    def enqueue(self) -> None:
        """Send the job to the workers once the transaction that created it commits."""
        task = _task(self.TASK_NAME)
        pk = self.pk

        def send():
            try:
                task.delay(pk)
            except Exception as error:  # noqa: BLE001 — any broker failure: the job waits
                if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
                    raise
                logger.warning("Could not queue %s %s: %s", self._meta.label, pk, error)
                type(self).objects.filter(pk=pk, status=JobStatus.PENDING).update(
                    status=JobStatus.FAILED,
                    error=_(
                        "Le service de traitement en arrière-plan est indisponible : "
                        "relancez dans quelques minutes."
                    ),
                    finished_at=timezone.now(),
                )

        transaction.on_commit(send)

    def restart(self) -> None:
        """Put a failed job back in the queue (it starts again from the beginning)."""
        with transaction.atomic():
            updated = (
                type(self)
                .objects.filter(pk=self.pk, status=JobStatus.FAILED)
                .update(
                    status=JobStatus.PENDING,
                    done=0,
                    error="",
                    started_at=None,
                    heartbeat_at=None,
                    finished_at=None,
                    created_at=timezone.now(),
                )
            )
            if not updated:
                raise Refused(
                    _("Seul un traitement en échec peut être relancé."), code="job_not_failed"
                )
            self.refresh_from_db()
            self.enqueue()

    @classmethod
    def claim(cls, pk) -> "BackgroundJob | None":
        """Mark a pending job running for this worker; None if another worker has it."""
        now = timezone.now()
        claimed = cls.objects.filter(pk=pk, status=JobStatus.PENDING).update(
            status=JobStatus.RUNNING,
            started_at=now,
            heartbeat_at=now,
            attempts=models.F("attempts") + 1,
        )
        return cls.objects.get(pk=pk) if claimed else None

    def beat(self, done: int | None = None) -> None:
        """A sign of life, with the progress when given."""
        now = timezone.now()
        if done is not None:
            self.done = done
        cache.set(
            self._cache_key(),
            (now, self.done),
            timeout=int(heartbeat_timeout().total_seconds()) * 10,
        )
        if not connection.in_atomic_block:
            fields = {"heartbeat_at": now}
            if done is not None:
                fields["done"] = done
            type(self).objects.filter(pk=self.pk).update(**fields)

    def succeed(self, **fields) -> None:
        now = timezone.now()
        type(self).objects.filter(pk=self.pk).update(
            status=JobStatus.DONE, finished_at=now, heartbeat_at=now, **fields
        )
        self.refresh_from_db()

    def fail(self, message: str) -> None:
        type(self).objects.filter(pk=self.pk).exclude(status=JobStatus.DONE).update(
            status=JobStatus.FAILED, error=str(message)[:2000], finished_at=timezone.now()
        )
        self.refresh_from_db()

    def fail_if_stale(self, now=None) -> bool:
        if not self.is_stale(now):
            return False
        message = (
            _(
                "Le traitement s'est interrompu (le service de traitement s'est arrêté). "
                "Relancez-le."
            )
            if self.status == JobStatus.RUNNING
            else _("Le traitement n'a pas démarré : le service de traitement ne répond pas.")
        )
        updated = (
            type(self)
            .objects.filter(pk=self.pk, status=self.status)
            .update(status=JobStatus.FAILED, error=message, finished_at=timezone.now())
        )
        self.refresh_from_db()
        return bool(updated)


def job_models() -> list[type[BackgroundJob]]:
    return [m for m in apps.get_models() if issubclass(m, BackgroundJob)]


def fail_stale_jobs(now=None) -> int:
    """Mark failed every job whose worker stopped beating. Returns how many."""
    now = now or timezone.now()
    failed = 0
    for model in job_models():
        for job in model.objects.filter(status__in=ACTIVE_STATUSES).iterator(chunk_size=500):
            failed += job.fail_if_stale(now)
    return failed


def run_job(model: type[BackgroundJob], pk, work) -> None:
    """What a task does: claim the job, run ``work(job)``, record success or failure.

    ``work`` returns the fields to save with the success (e.g. the file) and calls
    ``job.beat(done)`` as it goes. A refusal (ApplicationError) is shown to the user as is; any
    other error is logged and shown as a generic French message.
    """
    job = model.claim(pk)
    if job is None:
        return
    try:
        fields = work(job) or {}
    except ApplicationError as error:
        job.fail(error.message)
        return
    except Exception:
        logger.exception("%s %s failed", model._meta.label, pk)
        job.fail(
            _(
                "Le traitement a échoué. Relancez-le ; si cela recommence, "
                "prévenez l'administrateur."
            )
        )
        return
    job.succeed(**fields)


def job_status(job: BackgroundJob) -> BackgroundJob:
    """The job as a page should show it: a job whose worker died is failed, not « en cours »
    forever (checked on every poll, so it holds even without Celery beat)."""
    if job.in_progress:
        job.fail_if_stale()
    if job.in_progress:
        job.done = job.live_progress()
    return job

"""Background refresh of the pool dashboard's summaries (see dashboard_selectors).

Celery beat runs ``refresh_pool_summaries`` every few minutes (settings
``CELERY_BEAT_SCHEDULE``): one summary per refurbishing organisation and one for the whole
département, so that no visitor waits for the figures. A page that finds its summary stale
asks for ``refresh_pool_summary`` of its own scope (a funder covering two organisations).
Imported by ``RapportsConfig.ready`` so that workers know the tasks.
"""

from celery import shared_task

from core.single_run import single_run


@shared_task(name="rapports.refresh_pool_summary")
def refresh_pool_summary(owner_ids: list[int] | None) -> float:
    from .dashboard_selectors import compute_pool_summary

    summary = compute_pool_summary(tuple(sorted(owner_ids)) if owner_ids is not None else None)
    return summary.compute_seconds


@shared_task(name="rapports.refresh_pool_summaries")
def refresh_pool_summaries() -> int:
    """Every scope's summary; skipped while the previous run goes on (core.single_run)."""
    from acteurs.models import Organisation

    from .dashboard_selectors import compute_pool_summary

    with single_run("rapports.refresh_pool_summaries") as running:
        if not running:
            return 0
        scopes: list[tuple[int, ...] | None] = [None]
        scopes += [
            (pk,)
            for pk in Organisation.objects.filter(is_refurbisher=True).values_list("pk", flat=True)
        ]
        for owner_ids in scopes:
            compute_pool_summary(owner_ids)
        return len(scopes)

"""Figures of the pool dashboard, read from the pool's tables and its event log.

Everything is aggregated by the database; Python only receives a few dozen rows.

- **Stock**: devices by state × kind × grade (one GROUP BY).
- **Weekly flows**: events per week over the last ``FLOW_WEEKS`` weeks for five actions
  (received = ``register``, erased = ``wipe``, ready = ``mark_ready``, handed over = ``lend``
  or ``sell``, recycled = ``recycle``).
- **Time spent in each stage**: a stage is the time between a state-changing event of a
  device and its next one (``LEAD`` over the device's events ordered by date). Only stages
  that *ended* in the last ``DURATION_WINDOW_DAYS`` days count, so the work is bounded by the
  devices that moved in that window, not by the whole history. Median and 90th percentile
  are nearest-rank percentiles computed in SQL (``ROW_NUMBER`` and ``COUNT`` windows: the
  value at rank ceil(p × n)), which SQLite ≥ 3.25 and PostgreSQL both run.
- **Stuck devices**: devices whose current stage started more than ``STUCK_AFTER_DAYS``
  days ago, among the states where a device waits for someone of the team
  (``parc.models.WAITING_STATES``: not on loan, not gone). A live, paginated query on the
  partial index ``device_stuck``, whose condition is those same states.

The first three are costly at a million devices (seconds on PostgreSQL), so the page reads
them from a **summary** kept in the cache and refreshed in the background
(``dashboard_tasks.refresh_pool_summaries``, every ``SUMMARY_FRESH_FOR`` by Celery beat; a
page that finds its summary stale serves it and asks for a refresh once). The page says when
its figures were computed. The stuck list is always live.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from acteurs.models import Organisation
from parc.models import WAITING_STATES, Device, DeviceEvent, DeviceKind, Grade, State
from parc.services import TRANSITIONS

from .disclosure import SMALL_COUNT

FLOW_WEEKS = 12
DURATION_WINDOW_DAYS = 365
STUCK_AFTER_DAYS = 30
SUMMARY_FRESH_FOR = dt.timedelta(minutes=10)
SUMMARY_KEPT_FOR = 24 * 60 * 60  # seconds: a summary older than a day is recomputed inline
SUMMARY_VERSION = 1

# Stages a device passes through on its way (terminal states never end).
STAGES = (
    State.REGISTERED,
    State.TRIAGE,
    State.WIPED,
    State.REFURBISHING,
    State.READY,
    State.ALLOCATED,
    State.ON_LOAN,
    State.RETURNED,
)
GONE_STATES = (State.TRANSFERRED, State.PARTS, State.RECYCLED, State.LOST)
# Actions that change a device's state: its registration and the lifecycle transitions (the
# log also holds moves, media and erasures, which do not).
STATE_ACTIONS = ("register", *sorted(TRANSITIONS))


@dataclass(frozen=True)
class Flow:
    key: str
    label: str
    actions: tuple[str, ...]


FLOWS = (
    Flow("received", _("Reçus"), ("register",)),
    Flow("erased", _("Effacés"), ("wipe",)),
    Flow("ready", _("Rendus disponibles"), ("mark_ready",)),
    Flow("handed_over", _("Remis aux foyers"), ("lend", "sell")),
    Flow("recycled", _("Recyclés"), ("recycle",)),
)


# --- the organisations a dashboard covers ----------------------------------------------------


def refurbishers_in_scope(scope) -> QuerySet[Organisation]:
    """Refurbishing organisations whose pool the report scope covers (rapports.access)."""
    queryset = Organisation.objects.filter(is_refurbisher=True)
    if not scope.everything:
        queryset = queryset.filter(pk__in=scope.refurbishers)
    return queryset.order_by("name")


def _owner_condition(owner_ids: tuple[int, ...] | None, column: str) -> tuple[str, list]:
    if owner_ids is None:
        return "1 = 1", []
    placeholders = ", ".join(["%s"] * len(owner_ids))
    return f"{column} IN ({placeholders})", list(owner_ids)


def _devices(owner_ids: tuple[int, ...] | None) -> QuerySet[Device]:
    queryset = Device.objects.all()
    if owner_ids is not None:
        queryset = queryset.filter(owner_id__in=owner_ids)
    return queryset


# --- stock ---------------------------------------------------------------------------------


def stock_counts(owner_ids: tuple[int, ...] | None) -> list[dict]:
    """[{"state", "kind", "grade", "n"}] for every combination present. One query."""
    return list(
        _devices(owner_ids)
        .order_by()
        .values("state", "kind", "grade")
        .annotate(n=Count("id"))
        .values("state", "kind", "grade", "n")
    )


# --- weekly flows ----------------------------------------------------------------------------


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def flow_weeks(today: dt.date, weeks: int = FLOW_WEEKS) -> list[dt.date]:
    """Mondays of the last ``weeks`` weeks, the current one last."""
    current = week_start(today)
    return [current - dt.timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


def weekly_flows(owner_ids: tuple[int, ...] | None, today: dt.date) -> dict[str, dict[str, int]]:
    """{flow key: {"YYYY-MM-DD" (Monday): count}} over the last FLOW_WEEKS weeks. One query
    (index event_at_action: the weeks' range, the actions filtered in the index)."""
    weeks = flow_weeks(today)
    since = timezone.make_aware(dt.datetime.combine(weeks[0], dt.time.min))
    by_action = {action: flow.key for flow in FLOWS for action in flow.actions}
    events = DeviceEvent.objects.filter(action__in=list(by_action), at__gte=since)
    if owner_ids is not None:
        events = events.filter(device__owner_id__in=owner_ids)
    rows = (
        events.annotate(week=TruncWeek("at"))
        .order_by()
        .values("week", "action")
        .annotate(n=Count("id"))
    )
    flows = {flow.key: {monday.isoformat(): 0 for monday in weeks} for flow in FLOWS}
    for row in rows:
        week = row["week"]
        if isinstance(week, dt.datetime):
            week = (timezone.localtime(week) if timezone.is_aware(week) else week).date()
        key = week.isoformat()
        flow = flows[by_action[row["action"]]]
        if key in flow:
            flow[key] += row["n"]
    return flows


# --- time spent in each stage ------------------------------------------------------------------


def _seconds_between(later: str, earlier: str) -> str:
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


def stage_durations(
    owner_ids: tuple[int, ...] | None, now: dt.datetime, *, window_days: int = DURATION_WINDOW_DAYS
) -> dict[str, dict]:
    """{stage: {"count", "median_s", "p90_s"}} for the stages that ended in the window.

    One query. The devices that changed state in the window are found through the index
    event_at_action; their events (index event_device_id) feed LEAD, so a stage that began
    before the window but ended in it is measured in full.
    """
    since = now - dt.timedelta(days=window_days)
    event = DeviceEvent._meta.db_table
    device = Device._meta.db_table
    owner_sql, owner_params = _owner_condition(owner_ids, "d.owner_id")
    actions = ", ".join(["%s"] * len(STATE_ACTIONS))
    sql = f"""
        WITH moved AS (
            SELECT DISTINCT e.device_id
            FROM {event} e JOIN {device} d ON d.id = e.device_id
            WHERE e.action IN ({actions}) AND e.at >= %s AND e.at <= %s AND {owner_sql}
        ),
        stages AS (
            SELECT e.target_state AS stage, e.at AS started_at,
                   LEAD(e.at) OVER (PARTITION BY e.device_id ORDER BY e.at, e.id) AS ended_at
            FROM {event} e
            WHERE e.device_id IN (SELECT device_id FROM moved) AND e.action IN ({actions})
        ),
        durations AS (
            SELECT stage, {_seconds_between("ended_at", "started_at")} AS seconds
            FROM stages
            WHERE ended_at >= %s AND ended_at <= %s
        ),
        ranked AS (
            SELECT stage, seconds,
                   ROW_NUMBER() OVER (PARTITION BY stage ORDER BY seconds) AS position,
                   COUNT(*) OVER (PARTITION BY stage) AS total
            FROM durations
        )
        SELECT stage, total, position, seconds FROM ranked
        WHERE position = (total * 50 + 99) / 100 OR position = (total * 90 + 99) / 100
    """
    since, until = (connection.ops.adapt_datetimefield_value(v) for v in (since, now))
    params = [*STATE_ACTIONS, since, until, *owner_params, *STATE_ACTIONS, since, until]
    result: dict[str, dict] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for stage, total, position, seconds in cursor.fetchall():
            entry = result.setdefault(stage, {"count": total, "median_s": None, "p90_s": None})
            if position == (total * 50 + 99) // 100:
                entry["median_s"] = float(seconds)
            if position == (total * 90 + 99) // 100:
                entry["p90_s"] = float(seconds)
    return result


def nearest_rank_percentiles(queryset: QuerySet, field_name: str, percents=(50, 90)) -> dict:
    """{"count": n, percent: value…} of an annotated field, computed by the database
    (nearest rank: the value at rank ceil(p × n)); values are None when there is no row.
    One query, whatever the number of rows."""
    ranked = queryset.order_by().annotate(
        _rank=Window(RowNumber(), order_by=[F(field_name).asc(), F("pk").asc()]),
        _total=Window(Count("pk")),
    )
    wanted = Q()
    for percent in percents:
        wanted |= Q(_rank=(F("_total") * percent + 99) / 100)
    result: dict = {"count": 0, **dict.fromkeys(percents)}
    for rank, total, value in ranked.filter(wanted).values_list("_rank", "_total", field_name):
        result["count"] = total
        for percent in percents:
            if rank == (total * percent + 99) // 100:
                result[percent] = value
    return result


# --- stuck devices -----------------------------------------------------------------------------


def stuck_counts(owner_ids: tuple[int, ...] | None, now: dt.datetime) -> dict[str, int]:
    """{state: devices in it for more than STUCK_AFTER_DAYS}. One query (index device_stuck)."""
    limit = now - dt.timedelta(days=STUCK_AFTER_DAYS)
    rows = (
        _devices(owner_ids)
        .filter(state__in=WAITING_STATES, state_changed_at__lt=limit)
        .order_by()
        .values("state")
        .annotate(n=Count("id"))
    )
    counts = dict.fromkeys(WAITING_STATES, 0)
    for row in rows:
        counts[row["state"]] = row["n"]
    return counts


def stuck_devices(
    owner_ids: tuple[int, ...] | None, now: dt.datetime, *, state: str = ""
) -> QuerySet[Device]:
    """Devices in their current stage for more than STUCK_AFTER_DAYS, longest first (index
    device_stuck: an ordered range, so a page costs the same however many are stuck)."""
    limit = now - dt.timedelta(days=STUCK_AFTER_DAYS)
    states = [state] if state else list(WAITING_STATES)
    return (
        _devices(owner_ids)
        .filter(state__in=states, state_changed_at__lt=limit)
        .select_related("owner", "location")
        .order_by("state_changed_at", "id")
    )


# --- the summary the page reads ----------------------------------------------------------------


@dataclass
class PoolSummary:
    owner_ids: tuple[int, ...] | None
    computed_at: dt.datetime
    compute_seconds: float
    stock: list[dict] = field(default_factory=list)
    flows: dict[str, dict[str, int]] = field(default_factory=dict)
    durations: dict[str, dict] = field(default_factory=dict)
    stuck: dict[str, int] = field(default_factory=dict)
    version: int = SUMMARY_VERSION

    def is_fresh(self, now: dt.datetime) -> bool:
        return now - self.computed_at < SUMMARY_FRESH_FOR


def summary_key(owner_ids: tuple[int, ...] | None) -> str:
    scope = "all" if owner_ids is None else ",".join(str(i) for i in sorted(owner_ids))
    digest = hashlib.sha256(scope.encode()).hexdigest()[:24]
    return f"rapports:pool-summary:v{SUMMARY_VERSION}:{digest}"


def compute_pool_summary(owner_ids: tuple[int, ...] | None) -> PoolSummary:
    """Computes and stores the summary of these organisations' pools (None: all). Four
    queries; seconds at a million devices, hence the background refresh."""
    import time

    started = time.perf_counter()
    now = timezone.now()
    today = timezone.localdate(now)
    summary = PoolSummary(
        owner_ids=owner_ids,
        computed_at=now,
        compute_seconds=0.0,
        stock=stock_counts(owner_ids),
        flows=weekly_flows(owner_ids, today),
        durations=stage_durations(owner_ids, now),
        stuck=stuck_counts(owner_ids, now),
    )
    summary.compute_seconds = round(time.perf_counter() - started, 3)
    cache.set(summary_key(owner_ids), summary, SUMMARY_KEPT_FOR)
    cache.delete(summary_key(owner_ids) + ":refreshing")
    return summary


def pool_summary(owner_ids: tuple[int, ...] | None) -> PoolSummary:
    """The cached summary; computed now if missing, refreshed in the background if stale."""
    summary = cache.get(summary_key(owner_ids))
    if not isinstance(summary, PoolSummary) or summary.version != SUMMARY_VERSION:
        return compute_pool_summary(owner_ids)
    # A stale summary is served; its refresh is asked once, whatever the number of visitors.
    stale = not summary.is_fresh(timezone.now())
    if stale and cache.add(summary_key(owner_ids) + ":refreshing", True, 300):
        from .dashboard_tasks import refresh_pool_summary

        refresh_pool_summary.delay(list(owner_ids) if owner_ids is not None else None)
    return summary


# --- shaping for the page ----------------------------------------------------------------------


def stock_table(stock: list[dict]) -> dict:
    """Rows per state (with sub-rows per grade where a grade is set), columns per kind.

    {"kinds": [(value, label)], "active": [row], "gone": [row], "active_totals": {...},
    "gone_totals": {...}} where row = {"label", "state", "grade", "cells": [n per kind],
    "total", "is_grade"}.
    """
    kinds = [(value, label) for value, label in DeviceKind.choices]
    counts: dict[tuple[str, str, str], int] = {}
    for row in stock:
        counts[(row["state"], row["kind"], row["grade"] or "")] = row["n"]
    grades = dict(Grade.choices)

    def rows_for(states) -> tuple[list[dict], list[int]]:
        rows, totals = [], [0] * len(kinds)
        for state in states:
            cells = [
                sum(n for (s, k, _g), n in counts.items() if s == state and k == kind)
                for kind, _label in kinds
            ]
            if not any(cells):
                continue
            rows.append(
                {
                    "label": State(state).label,
                    "state": state,
                    "grade": "",
                    "cells": cells,
                    "total": sum(cells),
                    "is_grade": False,
                }
            )
            totals = [a + b for a, b in zip(totals, cells, strict=True)]
            for grade, grade_label in grades.items():
                grade_cells = [counts.get((state, kind, grade), 0) for kind, _label in kinds]
                if any(grade_cells):
                    rows.append(
                        {
                            "label": grade_label,
                            "state": state,
                            "grade": grade,
                            "cells": grade_cells,
                            "total": sum(grade_cells),
                            "is_grade": True,
                        }
                    )
        return rows, totals

    active_states = [s for s in State.values if s not in GONE_STATES]
    active, active_totals = rows_for(active_states)
    gone, gone_totals = rows_for(GONE_STATES)
    used = [i for i, _ in enumerate(kinds) if active_totals[i] or gone_totals[i]]
    keep = used or list(range(len(kinds)))

    def trim(values):
        return [values[i] for i in keep]

    for row in active + gone:
        row["cells"] = trim(row["cells"])
    return {
        "kinds": [kinds[i] for i in keep],
        "active": active,
        "gone": gone,
        "active_totals": {"cells": trim(active_totals), "total": sum(active_totals)},
        "gone_totals": {"cells": trim(gone_totals), "total": sum(gone_totals)},
    }


# --- the loan-scheme report ----------------------------------------------------------------------


@dataclass
class LoanReport:
    requests: object  # prets.selectors.RequestFigures
    approval_rate: float | None  # None when fewer than SMALL_COUNT decisions
    wait_days: dict  # {"count", 50, 90}: days from sending to handover
    loans: object  # prets.selectors.LoanFigures
    return_rate: float | None  # returned / ended, None when fewer than SMALL_COUNT ended
    trained_households: int
    training: list  # ateliers.selectors.TrainingAttended rows
    progress: list  # ateliers.selectors.DomainProgress rows


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole >= SMALL_COUNT else None


def loan_report(
    owner_ids: tuple[int, ...] | None, start: dt.date, end: dt.date, today: dt.date
) -> LoanReport:
    """Every figure of the loan-scheme report, through the prets and ateliers selectors.
    About ten queries, whatever the number of requests."""
    from ateliers import selectors as ateliers
    from prets import selectors as prets
    from prets.models import LoanState

    requests = prets.request_figures(refurbisher_ids=owner_ids, start=start, end=end)
    waits = nearest_rank_percentiles(
        prets.handovers_with_wait(refurbisher_ids=owner_ids, start=start, end=end), "wait"
    )
    wait_days = {
        "count": waits["count"],
        **{
            p: (waits[p].total_seconds() / 86400 if waits[p] is not None else None)
            for p in (50, 90)
        },
    }
    loans = prets.loan_figures(refurbisher_ids=owner_ids, start=start, end=end, today=today)
    households = prets.requesting_households(refurbisher_ids=owner_ids, start=start, end=end)
    trained, training = ateliers.training_attended(households)
    return LoanReport(
        requests=requests,
        approval_rate=_rate(requests.accepted, requests.decided),
        wait_days=wait_days,
        loans=loans,
        return_rate=_rate(loans.ended[LoanState.RETURNED], loans.ended_total),
        trained_households=trained,
        training=training,
        progress=ateliers.progress(households=households),
    )


# --- the roadmap indicators ----------------------------------------------------------------------


@dataclass
class RoadmapReport:
    gisements: object  # dons.selectors.RoadmapPeriodFigures
    handovers: object  # prets.selectors.HandoverCounts
    trained: dict  # {"households", "attendances"}
    repairs: dict[str, int]  # by ORDS status

    @property
    def repairs_total(self) -> int:
        return sum(self.repairs.values())

    @property
    def repairs_fixed(self) -> int:
        return self.repairs.get("Fixed", 0)

    @property
    def repairs_repairable(self) -> int:
        return self.repairs.get("Repairable", 0)

    @property
    def repairs_end_of_life(self) -> int:
        return self.repairs.get("End of life", 0)


def roadmap_report(
    scope, territory, start: dt.date, end: dt.date, *, include_imported: bool = False
) -> RoadmapReport:
    """The roadmap indicators over a period and a territory, for a report scope
    (rapports.access.ReportScope). Gisements, conventions and partners follow the gisements
    in scope (by the gisement's commune); devices handed over follow the lending or selling
    organisation and the funded gisements (by the household's commune); training and repairs
    the organisations in scope (by the household's commune; by the repair session's commune).
    Repairs imported from other providers count only with ``include_imported``, and then
    only without a territory (they have no session)."""
    from ateliers import selectors as ateliers
    from dons import selectors as dons
    from prets import selectors as prets

    if scope.everything:
        devices, sessions, organisation_ids = Q(), Q(), None
    else:
        devices = Q(organisation_id__in=scope.refurbishers) | scope.gisement_filter(
            "device__donation__gisement__"
        )
        sessions = Q(session__organisation_id__in=scope.refurbishers)
        organisation_ids = list(scope.refurbishers)
    return RoadmapReport(
        gisements=dons.roadmap_figures_between(
            scope=scope.gisement_filter(),
            territory=territory.condition("commune"),
            start=start,
            end=end,
        ),
        handovers=prets.handover_counts(
            scope=devices, territory=territory.condition("household__commune"), start=start, end=end
        ),
        trained=ateliers.households_trained(
            scope=sessions,
            territory=territory.condition("household__commune"),
            start=start,
            end=end,
        ),
        repairs=ateliers.repairs_by_status(
            organisation_ids=organisation_ids,
            territory=territory.condition("session__commune"),
            start=start,
            end=end,
            include_imported=include_imported,
        ),
    )

"""``make bench``: build (or reuse) the synthetic pool, run every benchmark, merge the figures
into bench/results.json and print a summary (metric, value, target, ok/MISSED).

Stages, in this order (``BENCH_ONLY`` / ``BENCH_SKIP`` take a comma-separated list of them):
  pages        device list and device page (bench/measure.py)
  transitions  workshop transitions through the services (bench/measure.py)
  labels       label sheets (bench/labels.py; no database)
  evidence     nwipe log and hardware report parsing (bench/evidence.py; no database)
  scan         scan then device page (bench/scan.py; on the pool)
  search       full-text search of the device list (bench/search.py; on the pool)
  suggestions  devices suggested for a loan request (bench/prets.py; on the pool)
  gisement     the gisement report (bench/rapports_gisement.py, when it exists; on the pool)
  dashboard    the pool dashboard (bench/rapports_dashboard.py, when it exists; on the pool)
  economics    the « Modèle économique » dashboard (bench/economics.py; on the pool)
  api          the REST API: device list and detail, bulk registration, the agent (bench/api.py)
  intake       inventory-list import (bench/intake.py; child process, its own database)
  ords         repair-data (ORDS) import (bench/ords.py; child process, its own database)
  reminders    loan reminders (bench/prets.py; child process, its own database)

Environment:
  BENCH_DEVICES        pool size (default 100000)
  BENCH_ONLY           run only these stages, e.g. BENCH_ONLY=pages,labels
  BENCH_SKIP           run every stage but these, e.g. BENCH_SKIP=intake,reminders
  BENCH_REBUILD=1      rebuild the pool even if one of this size exists
  BENCH_REQUESTS       timed requests per page (default 200, after 20 warm-up requests)
  BENCH_TRANSITIONS    timed service calls (default 500)
  BENCH_SMALL_DEVICES  size of the reference pool for query counts (default 1000; 0: skip)
  BENCH_LOANS          loans of the reminders benchmark (default 100000)
  BENCH_IMPORT_ROWS    rows of the import benchmark (default 10000)
  BENCH_ORDS_ROWS      records of the ORDS import benchmark (default 30000)
  BENCH_API_BULK_CALLS timed calls of 1,000 devices to the bulk endpoint (default 3)
  BENCH_SEED           random seed of the pool and the samples (default 42)
  DATABASE_URL         SQLite (default) or PostgreSQL server; the benchmark uses its own
                       databases: var/bench*.sqlite3 or filiere_bench* on that server

A stage that fails is reported as such in the summary; the others still run, and the exit
status is 1.
"""

import argparse
import importlib
import json
import operator
import os
import re
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field

from .database import point_django_at, resolve

STAGES = (
    "pages",
    "transitions",
    "labels",
    "evidence",
    "scan",
    "search",
    "suggestions",
    "gisement",
    "dashboard",
    "economics",
    "api",
    "intake",
    "ords",
    "reminders",
)


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").replace("_", "")
    return int(value) if value else default


def log(message: str) -> None:
    print(message, flush=True)


def selected_stages(only: str, skip: str) -> list[str]:
    """The stages to run, in their order; unknown names stop the run with a message."""

    def names(text: str) -> list[str]:
        return [name.strip() for name in text.split(",") if name.strip()]

    unknown = sorted((set(names(only)) | set(names(skip))) - set(STAGES))
    if unknown:
        raise SystemExit(
            f"bench: unknown stage(s) {', '.join(unknown)}; known: {', '.join(STAGES)}"
        )
    wanted = set(names(only)) or set(STAGES)
    return [stage for stage in STAGES if stage in wanted and stage not in names(skip)]


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


@dataclass
class StageReport:
    name: str
    seconds: float = 0.0
    metrics: list[str] = field(default_factory=list)
    status: str = "ok"  # ok, failed, absent (optional module not there yet)
    detail: str = ""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--devices", type=int, default=_env_int("BENCH_DEVICES", 100_000))
    parser.add_argument("--pool-name", default="bench", help=argparse.SUPPRESS)
    parser.add_argument("--queries-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    seed = _env_int("BENCH_SEED", 42)
    rebuild = os.environ.get("BENCH_REBUILD", "") not in ("", "0")
    stages = (
        []
        if args.queries_only
        else selected_stages(os.environ.get("BENCH_ONLY", ""), os.environ.get("BENCH_SKIP", ""))
    )

    database = resolve(args.pool_name)
    point_django_at(database)
    import django

    django.setup()
    from . import measure
    from .pool import ensure_pool

    quiet = args.queries_only
    started_all = time.perf_counter()
    needs_pool = args.queries_only or any(
        s not in ("labels", "evidence", "intake", "ords", "reminders") for s in stages
    )
    pool = None
    if needs_pool:
        pool = ensure_pool(
            database,
            args.devices,
            rebuild=rebuild,
            seed=seed,
            log=(lambda message: print(message, file=sys.stderr)) if quiet else log,
        )
    if args.queries_only:
        print(json.dumps(measure.measure_query_counts(pool, seed=seed)))
        return

    runner = StageRunner(database, args.devices, pool, seed)
    if pool is not None and not pool.reused:
        runner.record_pool_build()
    for stage in stages:
        runner.run(stage)
    runner.merge()
    runner.print_summary(time.perf_counter() - started_all)
    if any(report.status == "failed" for report in runner.reports):
        raise SystemExit(1)


class StageRunner:
    """Runs the stages one by one, each timed and isolated: a failure is reported, the
    following stages still run."""

    def __init__(self, database, devices: int, pool, seed: int):
        self.database = database
        self.devices = devices
        self.pool = pool
        self.seed = seed
        self.requests = _env_int("BENCH_REQUESTS", 200)
        self.figures: dict[str, dict] = {}
        self.reports: list[StageReport] = []

    # --- running

    def run(self, stage: str) -> None:
        report = StageReport(stage)
        self.reports.append(report)
        log(f"\n== {stage}")
        load_before = load_average()
        started = time.perf_counter()
        try:
            figures = getattr(self, f"stage_{stage}")()
        except OptionalModuleMissing as missing:
            report.status, report.detail = "absent", str(missing)
            log(f"{stage}: skipped ({missing})")
            return
        except Exception as error:  # noqa: BLE001 - one broken benchmark must not hide the rest
            report.status = "failed"
            report.detail = f"{type(error).__name__}: {error}".strip()[:300]
            traceback.print_exc()
            log(f"{stage}: FAILED ({report.detail})")
            return
        finally:
            report.seconds = time.perf_counter() - started
        load_after = load_average()
        for name, figure in figures.items():
            figure.setdefault("database", self.database.vendor)
            # Wall-clock figures taken while other processes were busy are inflated: the
            # 1-minute load average before and after the stage goes with every figure.
            figure["load_average"] = [load_before, load_after]
            figure.setdefault("stage_s", round(report.seconds, 1))
            self.figures[name] = _with_target(name, figure, self.database.vendor, self.devices)
            report.metrics.append(name)
        log(f"{stage}: {report.seconds:.0f} s, " + ", ".join(report.metrics))

    def record_pool_build(self) -> None:
        self.figures["pool_build_devices_per_s"] = pool_build_figure(self.pool, self.database)

    # --- the stages: each returns {metric: figure}

    def stage_pages(self) -> dict:
        from . import measure

        log(f"pages: {self.requests} timed requests per page, technician of the big refurbisher")
        pages = measure.measure_pages(self.pool, requests=self.requests, seed=self.seed)
        common = self._pool_fields()
        figures = {
            "device_list_p95_ms": {
                "value": pages["list"]["p95"],
                "unit": "ms",
                **common,
                **{k: v for k, v in pages["list"].items() if k != "p95"},
                "queries": pages["list_queries"],
            },
            "device_detail_p95_ms": {
                "value": pages["detail"]["p95"],
                "unit": "ms",
                **common,
                **{
                    k: v
                    for k, v in pages["detail"].items()
                    if k not in ("p95", "p95_by_variant", "p50_by_variant")
                },
                "queries": pages["detail_queries"],
            },
        }
        small = _small_pool_queries(self.devices)
        if small:
            figures["device_list_p95_ms"]["queries_small_pool"] = small["list_queries"]
            figures["device_detail_p95_ms"]["queries_small_pool"] = small["detail_queries"]
            for figure in figures.values():
                figure["small_pool_devices"] = small["devices"]
        return figures

    def stage_transitions(self) -> dict:
        from . import measure

        transitions = _env_int("BENCH_TRANSITIONS", 500)
        log(f"transitions: {transitions} service calls in a row")
        moves = measure.measure_transitions(self.pool, transitions=transitions, seed=self.seed)
        return {"transitions_per_s": {"unit": "transitions/s", **self._pool_fields(), **moves}}

    def stage_labels(self) -> dict:
        import logging

        from . import labels

        # WeasyPrint warns about nothing useful here.
        logging.getLogger("weasyprint").setLevel(logging.ERROR)
        figures = labels.measure(seed=self.seed)
        for figure in figures.values():
            figure["database"] = None  # no database involved
        return figures

    def stage_evidence(self) -> dict:
        from . import evidence

        figures = evidence.measure(seed=self.seed)
        for figure in figures.values():
            figure["database"] = None  # no database involved
        return figures

    def stage_scan(self) -> dict:
        from . import scan

        figure = scan.scan_lookup_p95_ms(self.pool, requests=self.requests, seed=self.seed)
        return {"scan_lookup_p95_ms": {**figure, **self._pool_fields()}}

    def stage_search(self) -> dict:
        from . import search

        figure = search.search_fulltext_p95_ms(self.pool, requests=self.requests, seed=self.seed)
        return {"search_fulltext_p95_ms": {**figure, **self._pool_fields()}}

    def stage_suggestions(self) -> dict:
        from . import prets

        figure = prets.allocation_suggest_p95_ms(self.pool, requests=self.requests, seed=self.seed)
        return {"allocation_suggest_p95_ms": {**figure, **self._pool_fields()}}

    def stage_gisement(self) -> dict:
        module = _optional_module("rapports_gisement")
        return self._pool_figures(module.gisement_report_figures(self.pool))

    def stage_dashboard(self) -> dict:
        module = _optional_module("rapports_dashboard")
        return self._pool_figures(module.pool_dashboard_figures(self.pool))

    def stage_economics(self) -> dict:
        from . import economics

        figure = economics.economics_dashboard_p95_ms(self.pool, calls=min(self.requests, 50))
        return {"economics_dashboard_p95_ms": {**figure, **self._pool_fields()}}

    def stage_api(self) -> dict:
        from . import api

        return self._pool_figures(
            api.api_figures(self.pool, requests=self.requests, seed=self.seed)
        )

    def stage_intake(self) -> dict:
        from .database import drop

        rows = _env_int("BENCH_IMPORT_ROWS", 10_000)
        # A throwaway database: started afresh, as the devices of a previous run (seeded
        # codes) would collide with this run's.
        drop(resolve("bench_intake"))
        return _child_figures("bench.intake", "--rows", str(rows))

    def stage_ords(self) -> dict:
        rows = _env_int("BENCH_ORDS_ROWS", 30_000)
        # bench/ords.py drops and recreates its own database (var/bench-ords.sqlite3).
        return _child_figures("bench.ords", "--rows", str(rows))

    def stage_reminders(self) -> dict:
        loans = _env_int("BENCH_LOANS", 100_000)
        return _child_figures("bench.prets", "--only", "reminders", "--loans", str(loans))

    # --- helpers

    def _pool_fields(self) -> dict:
        pool = self.pool
        return {
            "devices": self.devices,
            "database": self.database.vendor,
            "pool_build_s": round(pool.build_seconds, 1),
            "pool_reused": pool.reused,
            "pool_rows": pool.rows,
        }

    def _pool_figures(self, figures: dict) -> dict:
        fields = {"devices": self.devices, "database": self.database.vendor}
        return {name: {**fields, **figure} for name, figure in figures.items()}

    # --- results

    def merge(self) -> None:
        from . import results

        if not self.figures:
            return
        results.merge(
            results.machine_info(),
            self.figures,
            database=self.database.vendor,
            devices=self.devices,
        )

    def print_summary(self, seconds: float) -> None:
        pool = self.pool
        log("")
        where = f"{self.database.vendor} ({self.database.label}), {self.devices:,} devices"
        if pool is not None:
            origin = "reused, built" if pool.reused else "built"
            where += f" ({origin} in {pool.build_seconds:.0f} s)"
        log(f"{where}; whole run {seconds:.0f} s, load average now {load_average()}")
        log(f"  {'metric':<28} {'value':>10} {'unit':<14} {'target':<24} verdict")
        for name, figure in self.figures.items():
            log(
                f"  {name:<28} {_number(figure['value']):>10} {figure.get('unit', ''):<14} "
                f"{_target_text(figure):<24} {_verdict(figure)}"
            )
            detail = _detail(name, figure)
            if detail:
                log(f"  {'':<28} {detail}")
        for report in self.reports:
            if report.status != "ok":
                log(f"  stage {report.name}: {report.status.upper()} {report.detail}")
        log("  stages: " + ", ".join(f"{r.name} {r.seconds:.0f} s" for r in self.reports))
        if self.figures:
            log("results merged into bench/results.json")


def pool_build_figure(pool, database) -> dict:
    """How fast the pool was written (COPY from parallel processes on PostgreSQL), when this
    run built it: ten million devices should build in under ten minutes."""
    rate = pool.devices / pool.build_seconds if pool.build_seconds else 0.0
    on_postgres = database.vendor == "postgresql"
    workers = int(os.environ.get("BENCH_POOL_WORKERS", os.cpu_count() or 1))
    return {
        "value": round(rate),
        "unit": "devices/s",
        "devices": pool.devices,
        "database": database.vendor,
        "build_s": round(pool.build_seconds, 1),
        "rows": pool.rows,
        "workers": workers if on_postgres else 1,
        "load_average": [load_average(), load_average()],
        "target": ">= 20000 devices/s (PostgreSQL, COPY)",
        "meets_target": rate >= 20_000,
        "target_applies": on_postgres,
    }


class OptionalModuleMissing(Exception):
    pass


def _optional_module(name: str):
    """A benchmark module other engineers are still writing: absent is not a failure."""
    try:
        return importlib.import_module(f"bench.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"bench.{name}":
            raise  # the module exists but something it imports is missing: a real failure
        raise OptionalModuleMissing(f"bench/{name}.py does not exist yet") from None


def _child_figures(module: str, *args: str) -> dict:
    """Run ``python -m <module>`` (it sets up its own scratch database) and read the JSON
    figures it prints last."""
    output = subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=False,
    )
    sys.stderr.write(output.stderr[-4000:] if output.returncode else "")
    if output.returncode:
        raise RuntimeError(f"{module} exited with status {output.returncode}")
    text = output.stdout
    start = text.rfind("\n{\n") + 1 if "\n{\n" in text else text.find("{")
    return json.loads(text[start:])


def _small_pool_queries(devices: int) -> dict | None:
    """Query counts on a small pool, in a child process (its own database), to show that
    they do not grow with the pool."""
    small = _env_int("BENCH_SMALL_DEVICES", 1_000)
    if not small or small == devices:
        return None
    log(f"queries: the same pages on a {small:,}-device pool")
    output = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.run",
            "--queries-only",
            "--devices",
            str(small),
            "--pool-name",
            "bench_small",
        ],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "BENCH_REBUILD": ""},
    )
    return {"devices": small, **json.loads(output.stdout.strip().splitlines()[-1])}


# --- targets and the summary -------------------------------------------------------------------


def _with_target(name: str, figure: dict, vendor: str, devices: int) -> dict:
    """Targets of this harness's metrics come from results.TARGETS; other modules state
    their own (``target``, ``meets_target``, sometimes ``target_applies``)."""
    from . import results

    if name in results.TARGETS:
        target = results.target_for(name, vendor, devices)
        figure["target"] = target["target"]
        figure["meets_target"] = target["passes"](figure["value"])
        figure["target_applies"] = target["target_applies"]
    # "value" and "unit" first, for readers of the JSON file.
    return {"value": figure.pop("value"), "unit": figure.pop("unit", ""), **figure}


def _number(value) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.1f}"


def _target_text(figure: dict) -> str:
    """The target without the setups it is for (the verdict says when it does not apply)."""
    target = figure.get("target")
    if target is None:
        return "–"
    if isinstance(target, int | float):
        return f"{target:g}"
    return str(target).split(" (")[0][:24]


_TARGET_TEXT = re.compile(r"^\s*(<=|>=|<|>|≤|≥)\s*([0-9][0-9_,.]*)")
_COMPARE = {
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
    "≤": operator.le,
    "≥": operator.ge,
}


def _meets_target(figure: dict) -> bool | None:
    """The module's own verdict, or one read from a target written "< 1 s", ">= 200 …",
    or given as a bare number (an upper bound)."""
    if figure.get("meets_target") is not None:
        return figure["meets_target"]
    target, value = figure.get("target"), figure.get("value")
    if not isinstance(value, int | float) or target is None or isinstance(target, bool):
        return None
    if isinstance(target, int | float):
        return value <= target
    match = _TARGET_TEXT.match(str(target))
    if not match:
        return None
    return _COMPARE[match[1]](value, float(match[2].replace("_", "").replace(",", "")))


def _verdict(figure: dict) -> str:
    meets = _meets_target(figure)
    if meets is None:
        return "(no target)"
    verdict = "ok" if meets else "MISSED"
    if figure.get("target_applies") is False:
        verdict += " (target is for another setup)"
    return verdict


def _detail(name: str, figure: dict) -> str:
    """One line of what explains the figure: CPU, queries, load."""
    parts = []
    if "p50" in figure:
        parts.append(f"p50 {_number(figure['p50'])}")
    if "cpu_p50" in figure:
        parts.append(f"CPU p50 {_number(figure['cpu_p50'])} ms")
    queries = figure.get("queries")
    if isinstance(queries, dict):
        queries = "/".join(str(n) for n in queries.values())
    if queries is not None:
        small = figure.get("queries_small_pool")
        if isinstance(small, dict):
            small = "/".join(str(n) for n in small.values())
        parts.append(
            f"queries {queries}"
            + (f" ({figure['small_pool_devices']:,}-device pool: {small})" if small else "")
        )
    if name == "transitions_per_s":
        parts.append(
            f"p95 {figure['p95_ms']:.1f} ms each, {figure['queries_per_transition']} queries and "
            f"{figure['cpu_ms_per_transition']:.2f} ms CPU each, "
            f"bare commit {figure['commit_latency_ms_p50']:.2f} ms"
        )
    if name == "device_list_p95_ms" and "p95_by_variant" in figure:
        parts.append(
            "p95 by variant "
            + ", ".join(f"{k} {v:.1f}" for k, v in figure["p95_by_variant"].items())
        )
    load = figure.get("load_average")
    if load:
        parts.append(f"load {load[0]}→{load[1]}")
    return "; ".join(parts)


if __name__ == "__main__":
    main()

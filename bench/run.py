"""``make bench``: build (or reuse) the synthetic pool, measure, merge into bench/results.json.

Environment:
  BENCH_DEVICES        pool size (default 100000)
  BENCH_REBUILD=1      rebuild the pool even if one of this size exists
  BENCH_REQUESTS       timed requests per page (default 200, after 20 warm-up requests)
  BENCH_TRANSITIONS    timed service calls (default 500)
  BENCH_SMALL_DEVICES  size of the reference pool for query counts (default 1000; 0: skip)
  BENCH_SEED           random seed of the pool and the samples (default 42)
  DATABASE_URL         SQLite (default) or PostgreSQL server; the benchmark uses its own
                       database: var/bench.sqlite3 or filiere_bench on that server
"""

import argparse
import json
import os
import subprocess
import sys
import time

from .database import point_django_at, resolve


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").replace("_", "")
    return int(value) if value else default


def log(message: str) -> None:
    print(message, flush=True)


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

    database = resolve(args.pool_name)
    point_django_at(database)
    import django

    django.setup()
    from . import measure, results
    from .pool import ensure_pool

    quiet = args.queries_only
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

    load_before = round(os.getloadavg()[0], 2)
    requests = _env_int("BENCH_REQUESTS", 200)
    log(f"pages: {requests} timed requests per page, technician of the big refurbisher")
    started = time.perf_counter()
    pages = measure.measure_pages(pool, requests=requests, seed=seed)
    log(f"pages: measured in {time.perf_counter() - started:.0f} s")
    transitions = _env_int("BENCH_TRANSITIONS", 500)
    log(f"transitions: {transitions} service calls in a row")
    moves = measure.measure_transitions(pool, transitions=transitions, seed=seed)
    small = _small_pool_queries(args.devices)

    common = {
        "devices": args.devices,
        "database": database.vendor,
        "pool_build_s": round(pool.build_seconds, 1),
        "pool_reused": pool.reused,
        "pool_rows": pool.rows,
        # Other processes on the machine inflate wall-clock times: 1-minute load average
        # before and after the measurements.
        "load_average": [load_before, round(os.getloadavg()[0], 2)],
    }
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
            **{k: v for k, v in pages["detail"].items() if k not in ("p95", "p95_by_variant")},
            "queries": pages["detail_queries"],
        },
        "transitions_per_s": {"unit": "transitions/s", **common, **moves},
    }
    figures["device_detail_p95_ms"].pop("p50_by_variant", None)
    if small:
        figures["device_list_p95_ms"]["queries_small_pool"] = small["list_queries"]
        figures["device_detail_p95_ms"]["queries_small_pool"] = small["detail_queries"]
        for name in ("device_list_p95_ms", "device_detail_p95_ms"):
            figures[name]["small_pool_devices"] = small["devices"]
    for name, figure in figures.items():
        target = results.target_for(name, database.vendor, args.devices)
        figure["target"] = target["target"]
        figure["meets_target"] = target["passes"](figure["value"])
        figure["target_applies"] = target["target_applies"]
        # "value" and "unit" first, for readers of the JSON file.
        figures[name] = {
            "value": figure.pop("value"),
            "unit": figure.pop("unit"),
            **figure,
        }
    results.merge(results.machine_info(), figures, database=database.vendor, devices=args.devices)
    _print_summary(figures, database, args.devices, pool)


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


def _print_summary(figures: dict, database, devices: int, pool) -> None:
    origin = "reused, built" if pool.reused else "built"
    log("")
    log(
        f"{database.vendor} ({database.label}), {devices:,} devices "
        f"({origin} in {pool.build_seconds:.0f} s)"
    )
    for name, figure in figures.items():
        verdict = "ok" if figure["meets_target"] else "MISSED"
        if not figure["target_applies"]:
            verdict += " (target is for another setup)"
        if figure["unit"] == "ms":
            queries = figure["queries"]
            if isinstance(queries, dict):
                queries = "/".join(str(n) for n in queries.values())
            small = figure.get("queries_small_pool")
            if isinstance(small, dict):
                small = "/".join(str(n) for n in small.values())
            detail = (
                f"p50 {figure['p50']:.1f} ms, CPU p50 {figure['cpu_p50']:.1f} ms, queries {queries}"
            )
            if small is not None:
                detail += f" ({figure['small_pool_devices']:,}-device pool: {small})"
        else:
            detail = (
                f"{figure['transitions']} transitions, p95 {figure['p95_ms']:.1f} ms each, "
                f"{figure['queries_per_transition']} queries and "
                f"{figure['cpu_ms_per_transition']:.1f} ms CPU each, "
                f"bare commit {figure['commit_latency_ms_p50']:.2f} ms"
            )
        log(f"  {name:<22} {figure['value']:>9.1f} {figure['unit']:<14} {detail}")
        log(f"  {'':<22} target {figure['target']}: {verdict}")
    slow = figures["device_list_p95_ms"]["p95_by_variant"]
    log("  list p95 by variant: " + ", ".join(f"{k} {v:.1f}" for k, v in slow.items()))
    log("results merged into bench/results.json")


if __name__ == "__main__":
    main()

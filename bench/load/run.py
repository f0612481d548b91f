"""``make load``: locust against the production stack, on the benchmark pool.

1. The pool (bench/pool.py) in the PostgreSQL database ``filiere_deploy_bench`` (built once,
   ``BENCH_DEVICES``, default 100,000), and what the users need (setup.py).
2. The stack of ``make prod-check`` (deploy/stack.py): gunicorn (deploy/gunicorn.conf.py,
   workers from the cores), nginx in front, a Celery worker and beat, Redis dbs 8-10,
   ``config.settings.production`` — pointed at the pool.
3. locust, headless, bounded in time, against 127.0.0.1 only:
   - ``scan``: 50 technicians doing scan lookups (0.05-0.15 s between scans)
     → ``http_scan_rps`` (lookups served per second), with p50/p95/p99;
   - ``mix`` at 50 and 200 users: technicians scanning and moving devices, the team
     allocating and releasing, prescribers creating requests, a funder opening the report
     (think times of seconds) → ``http_mix_p95_ms`` (200 users), requests/s and
     p50/p95/p99 per request type, errors.
4. ``backup_restore_s``: ``manage.py backup`` then ``manage.py restore`` of the pool database
   (row counts compared table by table by the restore).

Figures merged into bench/results.json (bench/README.md). Knobs: LOAD_SECONDS (60 per run),
LOAD_SKIP_BACKUP=1, LOAD_ONLY=scan,mix,backup (a comma-separated part of them).
"""

import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from ..database import point_django_at, resolve

ROOT = Path(__file__).resolve().parents[2]
POOL_NAME = "deploy_bench"
RAMP_S = 20


def log(message: str) -> None:
    print(f"[load {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _percentiles(row: dict) -> dict:
    def number(key):
        value = row.get(key, "")
        return float(value) if value not in ("", "N/A") else None

    return {
        "requests": int(row["Request Count"]),
        "failures": int(row["Failure Count"]),
        "rps": round(float(row["Requests/s"]), 1),
        "p50_ms": number("50%"),
        "p95_ms": number("95%"),
        "p99_ms": number("99%"),
        "max_ms": number("Max Response Time"),
    }


def run_locust(
    base: str,
    data_file: Path,
    workdir: Path,
    *,
    users: int,
    seconds: int,
    classes: list[str],
    label: str,
) -> dict:
    prefix = workdir / f"locust-{label}"
    argv = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(Path(__file__).with_name("locustfile.py")),
        "--headless",
        "--host",
        base,
        "--users",
        str(users),
        # Users arrive over RAMP_S seconds, not all in one instant, and the statistics start
        # once they are all there: ``seconds`` of steady traffic are measured.
        "--spawn-rate",
        f"{users / RAMP_S:.2f}",
        "--reset-stats",
        "--run-time",
        f"{seconds + RAMP_S}s",
        "--stop-timeout",
        "10",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        *classes,
    ]
    log(f"locust {label}: {users} users, {seconds} s ({', '.join(classes)})")
    result = subprocess.run(
        argv,
        cwd=ROOT,
        env={**os.environ, "LOAD_DATA": str(data_file)},
        capture_output=True,
        text=True,
        timeout=seconds + RAMP_S + 180,
    )
    if result.returncode not in (0, 1) or not Path(f"{prefix}_stats.csv").exists():
        # 1: some requests failed (reported below)
        raise RuntimeError(f"locust failed ({result.returncode}):\n{result.stderr[-3000:]}")
    by_name = {}
    with open(f"{prefix}_stats.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            by_name[row["Name"]] = _percentiles(row)
    failures = []
    failures_file = Path(f"{prefix}_failures.csv")
    if failures_file.exists():
        with failures_file.open(encoding="utf-8") as f:
            failures = [
                {"name": r["Name"], "error": r["Error"][:200], "count": int(r["Occurrences"])}
                for r in csv.DictReader(f)
            ]
    total = by_name.pop("Aggregated")
    for name, figures in sorted(by_name.items()):
        log(
            f"  {name:<20} {figures['requests']:>6} req {figures['rps']:>7} /s  "
            f"p50 {figures['p50_ms']} p95 {figures['p95_ms']} p99 {figures['p99_ms']} ms  "
            f"failures {figures['failures']}"
        )
    log(
        f"  {'all':<20} {total['requests']:>6} req {total['rps']:>7} /s  p95 {total['p95_ms']} "
        f"ms, failures {total['failures']}"
    )
    return {
        "users": users,
        "seconds": seconds,
        "ramp_s": RAMP_S,
        "total": total,
        "by_request": by_name,
        "failures": failures,
    }


def main() -> None:
    from bench.run import load_average

    devices = int(os.environ.get("BENCH_DEVICES", 100_000))
    only = {name for name in os.environ.get("LOAD_ONLY", "").replace(" ", "").split(",") if name}
    wanted = only or {"scan", "mix", "backup"}
    seconds = int(os.environ.get("LOAD_SECONDS", 60))
    database = resolve(POOL_NAME)
    if database.vendor != "postgresql":
        raise SystemExit("make load: set DATABASE_URL=postgres://… (the production stack)")
    point_django_at(database)
    import django

    django.setup()
    from bench import results
    from bench.pool import ensure_pool
    from deploy import prod_check, stack

    from .setup import prepare

    pool = ensure_pool(
        database, devices, rebuild=os.environ.get("BENCH_REBUILD", "") == "1", seed=42, log=log
    )
    figures: dict[str, dict] = {}
    if not pool.reused:
        from bench.run import pool_build_figure

        figures["pool_build_devices_per_s"] = pool_build_figure(pool, database)
    data = prepare(pool, log=log)
    from django.db import connections

    connections.close_all()
    machine = results.machine_info()
    with stack.Stack() as s:
        data_file = s.workdir / "load-data.json"
        data_file.write_text(json.dumps(data))
        env = prod_check.environment(s.workdir, 0)
        env.update(DATABASE_URL=database.url, DJANGO_SETTINGS_MODULE="config.settings.production")
        prod_check._flush_redis()
        s.cleanups.append(prod_check._flush_redis)
        stack.manage(s, env, "collectstatic", "--noinput")
        web_port, proxy_port = stack.free_port(), stack.free_port()
        env["CSRF_TRUSTED_ORIGINS"] = f"http://127.0.0.1:{proxy_port}"
        data["sessions"] = open_sessions(s, env, data["accounts"])
        data_file.write_text(json.dumps(data))
        stack.start_gunicorn(s, env, web_port)
        stack.start_worker(s, env, concurrency=1)
        stack.start_beat(s, env)
        config = stack.nginx_config(
            s,
            port=proxy_port,
            upstream_port=web_port,
            static_root=s.workdir / "static",
            media_root=s.workdir / "media",
        )
        stack.start_nginx(s, config)
        base = f"http://127.0.0.1:{proxy_port}"
        stack.wait_for(
            lambda: stack.http_status(f"{base}/health/") == 200,
            timeout=60,
            what="gunicorn behind nginx",
        )
        log(
            f"stack up at {base}; gunicorn workers: "
            f"{os.environ.get('GUNICORN_WORKERS', 2 * (os.cpu_count() or 1) + 1)}"
        )
        common = {
            "devices": pool.devices,
            "database": "postgresql",
            "unit": "",
            "stack": "nginx + gunicorn (sync workers) + PostgreSQL, locust on the same machine",
        }

        if "scan" in wanted:
            load_before = load_average()
            scan = run_locust(
                base,
                data_file,
                s.workdir,
                users=50,
                seconds=seconds,
                classes=["Scanner"],
                label="scan-50",
            )
            lookup = scan["by_request"]["scan lookup"]
            figures["http_scan_rps"] = {
                **common,
                "value": lookup["rps"],
                "unit": "lookups/s",
                "users": 50,
                "p50_ms": lookup["p50_ms"],
                "p95_ms": lookup["p95_ms"],
                "p99_ms": lookup["p99_ms"],
                "errors": scan["total"]["failures"],
                "all_requests_rps": scan["total"]["rps"],
                "by_request": scan["by_request"],
                "failures": scan["failures"],
                "target": ">= 300 lookups/s with p95 < 100 ms and 0 errors (1,000,000 devices)",
                "meets_target": lookup["rps"] >= 300
                and (lookup["p95_ms"] or 1e9) < 100
                and scan["total"]["failures"] == 0,
                "target_applies": pool.devices == 1_000_000,
                "load_average": [load_before, load_average()],
            }
        if "mix" in wanted:
            mixes = {}
            for users in (50, 200):
                load_before = load_average()
                mixes[users] = run_locust(
                    base,
                    data_file,
                    s.workdir,
                    users=users,
                    seconds=seconds,
                    classes=["Technician", "Team", "Prescriber", "Funder"],
                    label=f"mix-{users}",
                )
                mixes[users]["load_average"] = [load_before, load_average()]
            mix = mixes[200]["total"]
            figures["http_mix_p95_ms"] = {
                **common,
                "value": mix["p95_ms"],
                "unit": "ms",
                "users": 200,
                "rps": mix["rps"],
                "p50_ms": mix["p50_ms"],
                "p99_ms": mix["p99_ms"],
                "errors": mix["failures"],
                "by_request": mixes[200]["by_request"],
                "failures": mixes[200]["failures"],
                "at_50_users": {
                    "total": mixes[50]["total"],
                    "by_request": mixes[50]["by_request"],
                    "failures": mixes[50]["failures"],
                },
                "target": "< 300 ms at 200 users, 0 errors (1,000,000 devices)",
                "meets_target": (mix["p95_ms"] or 1e9) < 300 and mix["failures"] == 0,
                "target_applies": pool.devices == 1_000_000,
                "load_average": mixes[200]["load_average"],
            }
        dead = s.dead()
        if dead:
            raise SystemExit(f"processes died during the load: {[p.name for p in dead]}")
    if "backup" in wanted and os.environ.get("LOAD_SKIP_BACKUP", "") != "1":
        figures["backup_restore_s"] = backup_restore(database, devices=pool.devices)
    results.merge(machine, figures, database="postgresql", devices=pool.devices)
    log("results merged into bench/results.json: " + ", ".join(figures))


OPEN_SESSIONS = """
import json
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from acteurs.models import User
keys = {}
for account, username in json.loads('ACCOUNTS').items():
    user = User.objects.get(username=username)
    keys[account] = []
    for _ in range(SESSIONS):
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        keys[account].append(session.session_key)
print(json.dumps(keys))
"""


def open_sessions(s, env: dict, accounts: dict, per_account: int = 60) -> dict:
    """Sessions opened as the production processes will read them (same SECRET_KEY)."""
    code = OPEN_SESSIONS.replace("ACCOUNTS", json.dumps(accounts)).replace(
        "SESSIONS", str(per_account)
    )
    from deploy import stack

    return json.loads(stack.manage(s, env, "shell", "-c", code).strip().splitlines()[-1])


def backup_restore(database, *, devices: int) -> dict:
    """``manage.py backup`` then ``manage.py restore`` of the pool database, timed; the
    restore compares every table's row count with the archive's manifest."""
    import tempfile

    from bench.run import load_average

    env = {
        **os.environ,
        "DATABASE_URL": database.url,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DEBUG": "false",
    }
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="filiere-backup-") as directory:
        env["BACKUP_ROOT"] = directory
        env["MEDIA_ROOT"] = str(Path(directory) / "media")
        env["ANONYMISATION_JOURNAL"] = str(Path(directory) / "anonymisations.jsonl")
        started = time.perf_counter()
        backup = subprocess.run(
            [sys.executable, "manage.py", "backup", "--keep", "0"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        backup_s = time.perf_counter() - started
        archive = next(Path(directory).glob("filiere-*.tar"))
        size_mb = archive.stat().st_size / 2**20
        started = time.perf_counter()
        restore = subprocess.run(
            [sys.executable, "manage.py", "restore", "--latest", "--yes"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        restore_s = time.perf_counter() - started
    if restore.returncode:
        raise SystemExit(f"restore failed:\n{restore.stdout}\n{restore.stderr}")
    log(
        f"backup {backup_s:.1f} s ({size_mb:.0f} MB), restore {restore_s:.1f} s; "
        + restore.stdout.strip().splitlines()[-1]
    )
    return {
        "value": round(backup_s + restore_s, 1),
        "unit": "s",
        "devices": devices,
        "database": "postgresql",
        "backup_s": round(backup_s, 1),
        "restore_s": round(restore_s, 1),
        "archive_mb": round(size_mb, 1),
        "counts_equal": True,
        "backup_output": backup.stdout.strip().splitlines()[-1],
        "restore_output": restore.stdout.strip().splitlines()[-1],
        "load_average": [load_before, load_average()],
    }


if __name__ == "__main__":
    main()

"""``make prod-check``: the production stack on this machine, then the smoke journey.

Without systemd: gunicorn (deploy/gunicorn.conf.py), nginx (deploy/nginx/, plain HTTP on
127.0.0.1), a Celery worker and Celery beat, started directly on free high ports in a
temporary directory, with ``config.settings.production``, a PostgreSQL database of their own
(``filiere_deploy_prodcheck`` on the local server, dropped at the end) and Redis databases
8 (broker), 9 (results) and 10 (cache), flushed at the end. Everything is stopped and
removed at the end, on failure too (the logs' tails are printed first).

Environment: PRODCHECK_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/
filiere_deploy_prodcheck), PRODCHECK_REDIS (redis://127.0.0.1:6379), PRODCHECK_REDIS_DBS
(8,9,10: broker, results, cache), PRODCHECK_KEEP=1 keeps the temporary directory.
"""

import os
import sys
import time
import traceback
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from deploy import smoke, stack  # noqa: E402

DATABASE_URL = os.environ.get(
    "PRODCHECK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/filiere_deploy_prodcheck"
)
REDIS = os.environ.get("PRODCHECK_REDIS", "redis://127.0.0.1:6379").rstrip("/")
# Broker, results, cache: PRODCHECK_REDIS_DBS="8,9,10" by default (another set when several
# checks share the machine's Redis).
REDIS_DBS = tuple(int(db) for db in os.environ.get("PRODCHECK_REDIS_DBS", "8,9,10").split(","))
DEMO_LOADERS = (
    ("load_territories", "--if-empty"),
    ("load_demo",),
)


def log(message: str) -> None:
    print(f"[prod-check {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _database(action: str) -> None:
    """Create (afresh) or drop the check's own database on the local server."""
    import psycopg

    base, name = DATABASE_URL.rsplit("/", 1)
    if not name.startswith("filiere_deploy"):
        raise SystemExit(f"prod-check: refusing to touch database {name!r}")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if action == "create":
            conn.execute(f'CREATE DATABASE "{name}"')


def _flush_redis() -> None:
    import redis

    for db in REDIS_DBS:
        redis.Redis.from_url(f"{REDIS}/{db}").flushdb()


def environment(workdir: Path, web_port: int) -> dict:
    return stack.django_env(
        {},
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DATABASE_URL=DATABASE_URL,
        CELERY_BROKER_URL=f"{REDIS}/{REDIS_DBS[0]}",
        CELERY_RESULT_BACKEND=f"{REDIS}/{REDIS_DBS[1]}",
        CACHE_URL=f"{REDIS}/{REDIS_DBS[2]}",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        CSRF_TRUSTED_ORIGINS=f"http://127.0.0.1:{web_port}",
        SITE_BASE_URL=f"http://127.0.0.1:{web_port}",
        # Plain HTTP on the loopback: no redirect to HTTPS, cookies without Secure.
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        SECURE_HSTS_SECONDS="0",
        STATIC_ROOT=workdir / "static",
        MEDIA_ROOT=workdir / "media",
        BACKUP_ROOT=workdir / "backups",
        EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
        # A five-row list goes to the worker like a 50,000-row one.
        INTAKE_BACKGROUND_FROM="1",
        LOG_LEVEL="INFO",
    )


def bring_up(
    s: stack.Stack,
    *,
    demo: bool = True,
    gunicorn_workers: int | None = None,
    worker_concurrency: int = 2,
) -> dict:
    """Database, static files, the processes; returns the URLs and the environment."""
    web_port, proxy_port = stack.free_port(), stack.free_port()
    env = environment(s.workdir, proxy_port)
    _database("create")
    s.cleanups.append(lambda: _database("drop"))
    _flush_redis()
    s.cleanups.append(_flush_redis)
    started = time.monotonic()
    stack.manage(s, env, "migrate", "--noinput")
    stack.manage(s, env, "collectstatic", "--noinput")
    log(f"migrated and static files collected in {time.monotonic() - started:.0f} s")
    if demo:
        started = time.monotonic()
        # The demo is built as a user would have: a donor's list of a dozen rows imported
        # inline (the threshold the smoke journey lowers to reach the worker is not for it).
        demo_env = {**env, "INTAKE_BACKGROUND_FROM": "1000"}
        for loader in DEMO_LOADERS:
            stack.manage(s, demo_env, *loader)
        log(f"demo data loaded in {time.monotonic() - started:.0f} s")
    stack.start_gunicorn(s, env, web_port, workers=gunicorn_workers)
    stack.start_worker(s, env, concurrency=worker_concurrency)
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
    stack.wait_for(
        lambda: stack.http_status(f"{base}/ready/") == 200,
        timeout=60,
        what="/ready/ (database, broker, worker heartbeat, beat)",
    )
    log(f"stack up behind nginx at {base} (gunicorn on :{web_port})")
    return {"base": base, "web_port": web_port, "env": env}


def _check_logs(s: stack.Stack) -> None:
    """The real worker ran the jobs, and the request log is JSON without query strings."""
    import json

    worker = (s.workdir / "worker.log").read_text(errors="replace")
    # The import's two steps (preview, import) are one task since the kernel's job base.
    for task in ("intake.run_import_job_step", "rapports.build_report_job"):
        smoke.check(
            f"Task {task}[" in worker and "succeeded" in worker,
            f"the worker's log does not show {task} succeeding",
        )
    lines = [
        json.loads(line)
        for line in (s.workdir / "gunicorn.log").read_text().splitlines()
        if line.startswith("{") and '"exploitation.requests"' in line
    ]
    smoke.check(lines, "no JSON request log line")
    smoke.check(all("?" not in entry["path"] for entry in lines), "a query string was logged")
    smoke.check(any(entry.get("user_id") for entry in lines), "no user id in the request log")
    allowed = {
        "time",
        "level",
        "logger",
        "message",
        "method",
        "path",
        "route",
        "status",
        "duration_ms",
        "user_id",
    }
    smoke.check(all(set(entry) <= allowed for entry in lines), "unexpected request log fields")
    log(
        f"logs: the worker ran the import's steps and the report; {len(lines)} JSON request "
        "lines, no query string"
    )


def missing_pieces() -> list[str]:
    """What this machine lacks for the check, in words an operator can act on."""
    import shutil

    missing = []
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        missing.append("nginx (apt-get install nginx)")
    try:
        import redis

        redis.Redis.from_url(f"{REDIS}/{REDIS_DBS[0]}", socket_connect_timeout=2).ping()
    except Exception as error:  # noqa: BLE001 - reported as a missing piece
        missing.append(f"Redis at {REDIS} ({type(error).__name__})")
    try:
        import psycopg

        base = DATABASE_URL.rsplit("/", 1)[0]
        psycopg.connect(f"{base}/postgres", connect_timeout=3).close()
    except Exception as error:  # noqa: BLE001 - reported as a missing piece
        missing.append(f"PostgreSQL at {DATABASE_URL.rsplit('/', 1)[0]} ({type(error).__name__})")
    return missing


def main() -> int:
    started = time.monotonic()
    missing = missing_pieces()
    if missing:
        log("cannot run, missing: " + "; ".join(missing))
        return 2
    s = stack.Stack(keep=os.environ.get("PRODCHECK_KEEP", "") not in ("", "0"))
    log(f"working in {s.workdir}")
    try:
        with s:
            up = bring_up(s)
            smoke.run(up["base"], log)
            _check_logs(s)
            dead = s.dead()
            smoke.check(not dead, f"processes died: {[p.name for p in dead]}")
    except Exception:
        traceback.print_exc()
        for process in s.processes:
            print(f"--- {process.name} (last lines)\n{process.tail()}", file=sys.stderr)
        for name in ("nginx-error.log",):
            path = s.workdir / name
            if path.exists():
                print(f"--- {name}\n{path.read_text()[-3000:]}", file=sys.stderr)
        log(f"FAILED after {time.monotonic() - started:.0f} s")
        return 1
    log(f"passed in {time.monotonic() - started:.0f} s; everything stopped and removed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

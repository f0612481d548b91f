"""Bring the production stack up on this machine without systemd: each process started
directly, on free high ports, in a temporary directory, and stopped at the end whatever
happens (``Stack`` is a context manager). Used by ``make prod-check`` (deploy/prod_check.py),
the load test (bench/load/) and the fault tests (tests/exploitation/).

Also starts throwaway services for the fault tests: a redis-server and a PostgreSQL cluster
of their own (``own_redis``, ``own_postgres``) that a test may kill or restart — never the
machine's.
"""

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
PYTHON = sys.executable
BIN = Path(PYTHON).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, *, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            result = predicate()
            if result:
                return result
        except Exception as error:  # noqa: BLE001 - retried until the deadline
            last_error = error
        time.sleep(interval)
    raise TimeoutError(f"{what}: not ready after {timeout:.0f} s ({last_error!r})")


def http_status(url: str, timeout: float = 2.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def pg_bin(name: str) -> str | None:
    """A PostgreSQL server binary (initdb, pg_ctl, postgres): on PATH, else Debian's
    /usr/lib/postgresql/<major>/bin, newest first."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    return str(candidates[0]) if candidates else None


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Stack:
    """Processes started in one temporary directory; ``close()`` stops them all."""

    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="filiere-")))
    keep: bool = False
    processes: list[Process] = field(default_factory=list)
    cleanups: list = field(default_factory=list)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def start(self, name: str, argv: list[str], *, env: dict | None = None, user=None) -> Process:
        log = self.workdir / f"{name}.log"
        handle = log.open("ab")
        popen = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env or os.environ.copy(),
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stopped with its children
            user=user,
        )
        handle.close()
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def stop(self, process: Process, *, sig=signal.SIGTERM, timeout: float = 15) -> None:
        if process.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.popen.pid, sig)
            try:
                process.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.popen.pid, signal.SIGKILL)
                process.popen.wait(5)
        if process in self.processes:
            self.processes.remove(process)

    def run(self, argv: list[str], *, env: dict | None = None, timeout: float = 600) -> str:
        result = subprocess.run(
            argv,
            cwd=ROOT,
            env=env or os.environ.copy(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode:
            raise RuntimeError(
                f"{' '.join(argv[:4])}… failed ({result.returncode}):\n"
                f"{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
            )
        return result.stdout

    def close(self) -> None:
        for process in reversed(list(self.processes)):
            self.stop(process)
        for cleanup in reversed(self.cleanups):
            with contextlib.suppress(Exception):
                cleanup()
        self.cleanups.clear()
        if not self.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def dead(self) -> list[Process]:
        return [p for p in self.processes if p.popen.poll() is not None]


# --- the application's processes ------------------------------------------------------------


def django_env(base: dict, **overrides) -> dict:
    env = {**os.environ, **base, **{k: str(v) for k, v in overrides.items()}}
    env.setdefault("SECRET_KEY", secrets.token_urlsafe(60))
    return env


def manage(stack: Stack, env: dict, *args: str, timeout: float = 600) -> str:
    return stack.run([PYTHON, "manage.py", *args], env=env, timeout=timeout)


def start_gunicorn(stack: Stack, env: dict, port: int, *, workers: int | None = None) -> Process:
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}
    if workers:
        env["GUNICORN_WORKERS"] = str(workers)
    return stack.start(
        "gunicorn",
        [
            str(BIN / "gunicorn"),
            "--config",
            str(DEPLOY / "gunicorn.conf.py"),
            "config.wsgi:application",
        ],
        env=env,
    )


def start_worker(stack: Stack, env: dict, *, concurrency: int = 2, name="worker") -> Process:
    return stack.start(
        name,
        [
            str(BIN / "celery"),
            "--app",
            "config",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            str(concurrency),
            "--hostname",
            f"{name}-{os.getpid()}@%h",
            "--without-mingle",
            "--without-gossip",
        ],
        env=env,
    )


def start_beat(stack: Stack, env: dict) -> Process:
    return stack.start(
        "beat",
        [
            str(BIN / "celery"),
            "--app",
            "config",
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            str(stack.workdir / "celerybeat-schedule"),
        ],
        env=env,
    )


def nginx_config(
    stack: Stack, *, port: int, upstream_port: int, static_root: Path, media_root: Path
) -> Path:
    """The production locations (deploy/nginx/filiere-locations.conf) with this stack's
    paths, in a server on 127.0.0.1 over plain HTTP (TLS is the real server's)."""
    locations = (DEPLOY / "nginx" / "filiere-locations.conf").read_text()
    locations = locations.replace("/srv/filiere/static/", f"{static_root}/")
    locations = locations.replace("/srv/filiere/media/", f"{media_root}/")
    (stack.workdir / "filiere-locations.conf").write_text(locations)
    temp = stack.workdir / "nginx-temp"
    temp.mkdir(exist_ok=True)
    user_line = ""
    if os.geteuid() == 0:
        # Workers drop to nobody: they need the temporary directories and read access.
        nobody = pwd.getpwnam("nobody")
        os.chown(temp, nobody.pw_uid, nobody.pw_gid)
        stack.workdir.chmod(0o755)
        user_line = "user nobody nogroup;"
    config = f"""{user_line}
worker_processes auto;
pid {stack.workdir}/nginx.pid;
error_log {stack.workdir}/nginx-error.log warn;
daemon off;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    server_tokens off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    log_format filiere '$remote_addr [$time_local] "$request_method $uri $server_protocol" '
                       '$status $body_bytes_sent $request_time';
    access_log {stack.workdir}/nginx-access.log filiere;
    upstream filiere_app {{ server 127.0.0.1:{upstream_port}; keepalive 16; }}
    server {{
        listen 127.0.0.1:{port};
        server_name 127.0.0.1 localhost;
        include {stack.workdir}/filiere-locations.conf;
    }}
}}
"""
    path = stack.workdir / "nginx.conf"
    path.write_text(config)
    return path


def start_nginx(stack: Stack, config: Path) -> Process:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    stack.run([nginx, "-t", "-q", "-c", str(config), "-p", str(stack.workdir)])
    return stack.start("nginx", [nginx, "-c", str(config), "-p", str(stack.workdir)])


# --- services of its own, for the fault tests --------------------------------------------------


@contextlib.contextmanager
def own_redis(stack: Stack) -> Iterator[tuple[str, Process]]:
    """A redis-server of its own on a free port (no disk persistence)."""
    port = free_port()
    process = stack.start(
        f"redis-{port}",
        [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(stack.workdir),
        ],
    )
    wait_for(
        lambda: socket.create_connection(("127.0.0.1", port), timeout=0.5).close() or True,
        timeout=10,
        what="redis-server",
    )
    yield f"redis://127.0.0.1:{port}", process


@dataclass
class OwnPostgres:
    """A PostgreSQL cluster of its own, in the stack's directory, on a free port."""

    stack: Stack
    datadir: Path
    port: int
    user: str | None

    @property
    def url_base(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}"

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run(
            [
                pg_bin("pg_ctl"),
                "-D",
                str(self.datadir),
                "-w",
                "-t",
                "60",
                "-l",
                str(self.stack.workdir / "postgres.log"),
                *args,
            ],
            check=True,
            capture_output=True,
            user=self.user,
        )

    def start(self) -> None:
        self._pg_ctl(
            "-o",
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.stack.workdir} -c fsync=off",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("-m", mode, "stop")

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()


@contextlib.contextmanager
def own_postgres(stack: Stack) -> Iterator[OwnPostgres]:
    """initdb into the stack's directory (as the ``postgres`` user when run as root: the
    server refuses root), trust authentication on 127.0.0.1, then start."""
    datadir = stack.workdir / "pgdata"
    user = None
    if os.geteuid() == 0:
        user = "postgres"
        stack.workdir.chmod(0o755)
        datadir.mkdir()
        account = pwd.getpwnam(user)
        os.chown(datadir, account.pw_uid, account.pw_gid)
        os.chown(stack.workdir, account.pw_uid, account.pw_gid)
    subprocess.run(
        [
            pg_bin("initdb"),
            "-D",
            str(datadir),
            "-U",
            "postgres",
            "--auth",
            "trust",
            "-E",
            "UTF8",
            "--locale",
            "C.UTF-8",
        ],
        check=True,
        capture_output=True,
        user=user,
    )
    cluster = OwnPostgres(stack, datadir, free_port(), user)
    cluster.start()
    stack.cleanups.append(lambda: cluster.stop("immediate"))
    yield cluster

"""Which database the benchmark uses: never the development one.

SQLite (the default) gets its own file under var/; PostgreSQL gets its own database on the
server named by DATABASE_URL, created if missing. Everything here runs before
``django.setup()``: it only reads and rewrites environment variables.
"""

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql", "postgis")


@dataclass(frozen=True)
class BenchDatabase:
    vendor: str  # "sqlite" or "postgresql"
    url: str  # the DATABASE_URL the benchmark process runs with
    name: str  # file path (SQLite) or database name (PostgreSQL)
    source_url: str  # the DATABASE_URL given by the user, for the server address

    @property
    def label(self) -> str:
        return self.name if self.vendor == "postgresql" else str(Path(self.name).name)


def resolve(pool_name: str = "bench") -> BenchDatabase:
    """The benchmark database matching the user's DATABASE_URL (environment or .env)."""
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
    source = os.environ.get("DATABASE_URL", "")
    scheme = urlsplit(source).scheme if source else "sqlite"
    if scheme in POSTGRES_SCHEMES:
        parts = urlsplit(source)
        name = f"filiere_{pool_name}"
        url = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))
        return BenchDatabase("postgresql", url, name, source)
    if scheme not in ("sqlite", ""):
        raise SystemExit(f"bench: unsupported DATABASE_URL scheme {scheme!r}")
    path = VAR_DIR / f"{pool_name.replace('_', '-')}.sqlite3"
    return BenchDatabase("sqlite", f"sqlite:///{path}", str(path), source)


def point_django_at(database: BenchDatabase) -> None:
    """Set the environment so that Django's settings open the benchmark database."""
    os.environ["DATABASE_URL"] = database.url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    # Timings without DEBUG's query log; the query counts use CaptureQueriesContext.
    os.environ["DEBUG"] = "false"


def _server_connection(database: BenchDatabase):
    import psycopg

    parts = urlsplit(database.source_url)
    return psycopg.connect(
        host=parts.hostname or None,
        port=parts.port or None,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        dbname="postgres",
        autocommit=True,
    )


def create_if_missing(database: BenchDatabase) -> bool:
    """Create the PostgreSQL database if it does not exist; True if it was created."""
    if database.vendor != "postgresql":
        VAR_DIR.mkdir(exist_ok=True)
        return not Path(database.name).exists()
    from psycopg import sql

    with _server_connection(database) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [database.name]
        ).fetchone()
        if exists:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database.name)))
        return True


def drop(database: BenchDatabase) -> None:
    """Delete the benchmark database (callers close Django's connections first)."""
    if database.vendor == "sqlite":
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(database.name + suffix).unlink(missing_ok=True)
        return
    from psycopg import sql

    with _server_connection(database) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database.name))
        )

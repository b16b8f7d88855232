"""Database access: one engine per URL, SQL files loaded by name, bound parameters only."""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.platform import metrics, server
from core.platform.settings import PROJECT_ROOT, Settings, load_settings

SQL_DIR = PROJECT_ROOT / "sql"


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached or the URL is wrong."""


_DOWN = (DatabaseUnavailable, sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.DisconnectionError,
         sa.exc.TimeoutError)


def database_down(exc: BaseException) -> bool:
    """Whether an exception means the database cannot be reached (rather than a bug, bad input or a timeout)."""
    if timed_out(exc):
        return False
    if isinstance(exc, _DOWN):
        return True
    return isinstance(exc, sa.exc.DBAPIError) and bool(getattr(exc, "connection_invalidated", False))


ROLES = ("owner", "app", "readonly")


def resolve_url(settings: Settings, role: str = "owner") -> str:
    """The SQLAlchemy URL of one of the database's roles, starting the embedded server when no URL is set.

    owner: migrations and the CLI (OYNA_OWNER_DATABASE_URL, else DATABASE_URL); app: the pages
    (DATABASE_URL); readonly: BI tools (OYNA_READONLY_DATABASE_URL). The embedded server has all three.
    """
    if role not in ROLES:
        raise ValueError(f"the role must be one of {', '.join(ROLES)}, got {role!r}")
    if settings.database_url:
        url = {"owner": settings.owner_database_url or settings.database_url, "app": settings.database_url,
               "readonly": settings.readonly_database_url}[role]
        if url is None:
            raise DatabaseUnavailable("no URL for the read-only role: set OYNA_READONLY_DATABASE_URL "
                                      "(docs/deploy.md shows how to create the role)")
        return _normalise(url)
    try:
        owner = server.start(settings.pgdata)
        return owner if role == "owner" else server.role_url(settings.pgdata, server.EMBEDDED_ROLES[role])
    except server.ServerError as exc:
        raise DatabaseUnavailable(str(exc)) from exc


def _normalise(url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def timeouts(settings: Settings, purpose: str) -> tuple[float, float]:
    """(statement timeout, lock timeout) in seconds for a "page" (what a page runs) or a "job" (retrains,
    imports, demo loads and every CLI command)."""
    if purpose == "page":
        return settings.statement_timeout, settings.lock_timeout
    if purpose == "job":
        return settings.job_statement_timeout, settings.job_lock_timeout
    raise ValueError(f"purpose must be 'page' or 'job', got {purpose!r}")


def make_engine(url: str, *, statement_timeout: float | None = None, lock_timeout: float | None = None) -> Engine:
    """An engine whose connections start with these timeouts (seconds; None: the server's default)."""
    options = " ".join(f"-c {name}={int(seconds * 1000)}" for name, seconds in
                       (("statement_timeout", statement_timeout), ("lock_timeout", lock_timeout))
                       if seconds is not None)
    try:
        engine = sa.create_engine(
            url,
            pool_size=10,
            max_overflow=20,
            pool_pre_ping=True,
            pool_recycle=1800,
            connect_args={"options": options} if options else {},
        )
    except (sa.exc.ArgumentError, ValueError, ImportError) as exc:
        raise DatabaseUnavailable(f"the database URL is not valid: {exc}") from exc
    return engine


def get_engine(settings: Settings | None = None, purpose: str = "job") -> Engine:
    """The engine of the settings' database: for a "page", as the app role with the page timeouts; for a
    "job" (the CLI), as the owner with the job timeouts."""
    settings = settings or load_settings()
    statement, lock = timeouts(settings, purpose)
    url = resolve_url(settings, "app" if purpose == "page" else "owner")
    return make_engine(url, statement_timeout=statement, lock_timeout=lock)


_JOB_ENGINES: dict[str, Engine] = {}


def job_engine(engine: Engine, settings: Settings) -> Engine:
    """An engine on the same database as `engine` with the job timeouts, for a long task a page starts
    (a retrain, an import); one per database per process."""
    url = engine.url.render_as_string(hide_password=False)
    if url not in _JOB_ENGINES:
        statement, lock = timeouts(settings, "job")
        _JOB_ENGINES[url] = make_engine(url, statement_timeout=statement, lock_timeout=lock)
    return _JOB_ENGINES[url]


def timed_out(exc: BaseException) -> bool:
    """Whether an exception is a statement or lock timeout (the query was cancelled, the server is fine)."""
    orig = getattr(exc, "orig", exc)
    return getattr(orig, "sqlstate", None) in ("57014", "55P03")  # query_canceled, lock_not_available


def check(engine: Engine) -> None:
    """Raise DatabaseUnavailable with a readable message if the server does not answer."""
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
    except sa.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        raise DatabaseUnavailable(f"cannot reach the database: {reason}") from exc


@lru_cache(maxsize=None)
def load_sql(name: str) -> str:
    """The text of `sql/<domain>/<name>.sql`, named as "domain/name"."""
    if name.count("/") != 1 or ".." in name:
        raise FileNotFoundError(f"SQL files are named 'domain/name', got {name!r}")
    path = (SQL_DIR / name).with_suffix(".sql")
    if not path.is_file():
        raise FileNotFoundError(f"no SQL file named {name!r} in {SQL_DIR}")
    return path.read_text(encoding="utf-8")


def run(conn: sa.Connection, name: str, **params: Any) -> sa.CursorResult:
    """Run a named query with bound parameters on an open connection (in the caller's transaction)."""
    return conn.execute(sa.text(load_sql(name)), params)


def frame(conn: sa.Connection, name: str, **params: Any) -> pd.DataFrame:
    """`run`, as a DataFrame."""
    result = run(conn, name, **params)
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def query_df(engine: Engine, name: str, **params: Any) -> pd.DataFrame:
    """Run a named query with bound parameters and return a DataFrame."""
    with metrics.timer(metrics.QUERY, name), engine.connect() as conn:
        return frame(conn, name, **params)


def query_rows(engine: Engine, name: str, **params: Any) -> list[sa.Row]:
    with metrics.timer(metrics.QUERY, name), engine.connect() as conn:
        return list(conn.execute(sa.text(load_sql(name)), params))


def execute(engine: Engine, name: str, **params: Any) -> int:
    """Run a named statement in its own transaction; returns the row count."""
    with metrics.timer(metrics.QUERY, name), engine.begin() as conn:
        return conn.execute(sa.text(load_sql(name)), params).rowcount


def sql_files(folder: str) -> list[Path]:
    return sorted((SQL_DIR / folder).glob("*.sql"))


def script(conn: sa.Connection, text: str) -> None:
    """Run a multi-statement SQL script (no parameters) on an open connection."""
    with conn.connection.driver_connection.cursor() as cur:
        cur.execute(text)


def copy_frame(raw, table: str, frame: pd.DataFrame, *, chunk_rows: int = 200_000,
               progress: Callable[[str], None] | None = None) -> None:
    """COPY a DataFrame into `table` (its columns by name) on a raw psycopg connection."""
    columns = ", ".join(frame.columns)
    total = len(frame)
    with raw.cursor() as cur:
        with cur.copy(f"copy {table} ({columns}) from stdin with (format csv)") as copy:
            for start in range(0, max(total, 1), chunk_rows):
                buffer = io.StringIO()
                frame.iloc[start:start + chunk_rows].to_csv(buffer, header=False, index=False)
                copy.write(buffer.getvalue())
                if progress and total > chunk_rows:
                    progress(f"  {table}: {min(start + chunk_rows, total):,} / {total:,}")

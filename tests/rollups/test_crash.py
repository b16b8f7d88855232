"""A refresh cut off mid-batch leaves the rollups as they were and the queue holding its days; the next refresh
catches up. The batch is held inside its transaction, after it deleted its rows, by the test-only setting
`oyna.rollup_test_pause` (set for the database, so the `oyna refresh` process gets it too), then the refresh
is killed: the `oyna refresh` process with SIGKILL, or the whole server restarted (`pg_ctl stop -m fast`
and start) under it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.platform import server
from core.platform.db import make_engine
from core.platform.migrate import migrate
from core.platform.settings import PROJECT_ROOT
from core.rollups.refresh import rebuild, refresh
from tests.rollups.support import build_chain, differences, queued, snapshot

PAUSE = "oyna.rollup_test_pause"


def _prepare(engine: sa.Engine) -> tuple[dict, set]:
    """A built chain, then every payment changed (each booking's days queued): the rollups and the queue."""
    migrate(engine)
    build_chain(engine, bookings=150)
    rebuild(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("update payments set amount = amount + 7"))
    days, _ = queued(engine)
    assert len(days) > 20
    return snapshot(engine), days


def _hold_batches(engine: sa.Engine, seconds: int | None) -> None:
    """New sessions of the database hold each batch `seconds` after its deletes (None: not any more), and
    notice a client gone within 100 ms even while they wait."""
    name = engine.url.database
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if seconds is None:
            conn.execute(sa.text(f'alter database "{name}" reset "{PAUSE}"'))
            conn.execute(sa.text(f'alter database "{name}" reset client_connection_check_interval'))
        else:
            try:
                conn.execute(sa.text(f'alter database "{name}" set "{PAUSE}" = \'{seconds}\''))
            except sa.exc.ProgrammingError as exc:  # a server whose role may not set a custom parameter
                pytest.skip(f"cannot hold a batch on this server: {exc.orig}")
            conn.execute(sa.text(f'alter database "{name}" set client_connection_check_interval = 100'))
    engine.dispose()  # the pool's sessions had the old settings


def _paused_backend(engine: sa.Engine, timeout: float = 60) -> int:
    """The pid of the backend whose refresh batch is waiting inside its transaction."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            pid = conn.execute(sa.text(
                "select pid from pg_stat_activity where datname = current_database() and wait_event = 'PgSleep' "
                "and query like '%rollup_refresh_days%'")).scalar()
        if pid:
            return int(pid)
        time.sleep(0.2)
    raise AssertionError("no refresh batch started")


def _gone(engine: sa.Engine, pid: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if not conn.execute(sa.text("select 1 from pg_stat_activity where pid = :p"), {"p": pid}).first():
                return
        time.sleep(0.1)
    raise AssertionError(f"backend {pid} is still there")


def _catches_up(engine: sa.Engine, before: dict) -> None:
    done = refresh(engine)
    assert done.done and done.days > 20
    caught_up = snapshot(engine)
    assert caught_up != before  # the payments' change arrived
    rebuild(engine)
    assert differences(caught_up, snapshot(engine)) == {}


def _refresh_process(url: str) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=url)
    return subprocess.Popen([sys.executable, "-m", "core.cli", "refresh"], cwd=PROJECT_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_a_refresh_killed_mid_batch_changes_nothing_and_the_next_catches_up(make_database):
    with make_database("oyna_rollups_kill") as url:
        engine = make_engine(url)
        try:
            before, days = _prepare(engine)
            _hold_batches(engine, 120)
            process = _refresh_process(url)
            try:
                pid = _paused_backend(engine)
                process.send_signal(signal.SIGKILL)  # kill -9, mid-batch: its rows are deleted, not committed
                process.wait(10)
            finally:
                if process.poll() is None:
                    process.kill()
            _gone(engine, pid)
            assert process.returncode == -signal.SIGKILL
            assert differences(snapshot(engine), before) == {}
            assert days <= queued(engine)[0]
            _hold_batches(engine, None)
            _catches_up(engine, before)
        finally:
            engine.dispose()


def test_a_server_restart_mid_batch_changes_nothing_and_the_next_refresh_catches_up(external_server):
    if external_server:
        pytest.skip("restarts an embedded server of its own; the external server is not the test's to restart")
    home = Path(tempfile.mkdtemp(prefix="oyna-rollups-restart-"))
    pgdata = home / "pgdata"
    try:
        engine = make_engine(server.start(pgdata))
        before, days = _prepare(engine)
        _hold_batches(engine, 120)
        process = _refresh_process(engine.url.render_as_string(hide_password=False))
        try:
            _paused_backend(engine)
            server.stop(pgdata)  # pg_ctl stop -m fast: the batch's backend is ended, its transaction aborted
            server.start(pgdata)
            out, _ = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
        assert process.returncode != 0, out  # the refresh saw its server go
        engine.dispose()
        assert differences(snapshot(engine), before) == {}
        assert days <= queued(engine)[0]
        _hold_batches(engine, None)
        _catches_up(engine, before)
        engine.dispose()
    finally:
        server.stop(pgdata)
        shutil.rmtree(home, ignore_errors=True)

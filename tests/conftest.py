"""Fixtures: one real embedded PostgreSQL per test session, with tier-S demo data."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.platform import server
from core.platform.db import make_engine
from core.demo.load import load
from core.demo.simulate import simulate
from core.demo.sizes import get_size
from core.platform.migrate import migrate

DEMO_SEED = 11
DEMO_END = datetime.now(timezone.utc).replace(second=0, microsecond=0)


@pytest.fixture(scope="session")
def oyna_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("oyna-home")


@pytest.fixture(scope="session")
def db_url(oyna_home: Path):
    url = server.start(oyna_home / "pgdata")
    yield url
    server.stop(oyna_home / "pgdata")


@pytest.fixture(scope="session")
def engine(db_url: str) -> sa.Engine:
    eng = make_engine(db_url)
    migrate(eng)
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
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env["OYNA_HOME"] = str(oyna_home)
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

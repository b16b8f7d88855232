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

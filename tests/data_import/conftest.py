"""Fixtures for the import tests: private databases on the session's server (the shared demo database
is never imported into), the hand-written files in tests/data/imports/, and CDNOW's transaction log."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from importlib.metadata import distribution
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from core.data.imports import Options
from core.platform.db import make_engine
from tests.conftest import drop_database
from core.platform.migrate import migrate

FOLDER = Path(__file__).resolve().parents[1] / "data" / "imports"
# every hand-written file that imports, with how
FILES = [("generic_visits.csv", Options()), ("generic_cp1251.csv", Options(club="Respawn Test")),
         ("ggleap_activity.csv", Options(club="Arena Test")), ("smartshell_clients.csv", Options())]
TABLES = ("clubs", "halls", "seats", "users", "bookings", "payments", "audit_logs")


def read(name: str) -> bytes:
    return (FOLDER / name).read_bytes()


def counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(sa.text(f"select count(*) from {t}")).scalar_one() for t in TABLES}


def url_of(engine: sa.Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def texts(at, kind: str) -> list[str]:
    """The values of an AppTest's elements of one kind (info, caption, error ...)."""
    return [e.value for e in getattr(at, kind)]


def clean(at) -> None:
    """The page ran without an exception or an error message."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, texts(at, "error")


@pytest.fixture(scope="session")
def private_database(engine) -> Iterator:
    """A factory of migrated, empty databases on the session's server, dropped at the end."""
    admin = engine.execution_options(isolation_level="AUTOCOMMIT")
    made: list[tuple[str, sa.Engine]] = []

    def make(prefix: str) -> sa.Engine:
        name = f"oyna_{prefix}_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'create database "{name}"'))
        private = make_engine(engine.url.set(database=name).render_as_string(hide_password=False))
        migrate(private)
        made.append((name, private))
        return private

    yield make
    for name, private in made:
        private.dispose()
        drop_database(engine, name)


@pytest.fixture(scope="session")
def import_db(private_database) -> sa.Engine:
    """A database for the hand-written files (each test module imports what it needs)."""
    return private_database("imports")


@pytest.fixture(scope="session")
def loaded(import_db):
    """Every hand-written file imported once into `import_db` (reports by file name). Tests that import
    more leave the data as they found it."""
    from core.data.imports import import_file

    reports = {}
    for name, options in FILES:
        reports[name] = import_file(import_db, read(name), name, options, imported_by="test")
        assert reports[name].result == "imported", (name, reports[name].message, reports[name].bad_rows)
    return reports


def cdnow_generic() -> bytes:
    """CDNOW_master.txt (in the lifetimes wheel, read as a file: lifetimes is never imported) as a
    generic file: customer id, the purchase's date and its amount, for one club."""
    path = Path(str(distribution("lifetimes").locate_file("lifetimes/datasets/CDNOW_master.txt")))
    log = pd.read_csv(path, sep=r"\s+", dtype=str)
    frame = pd.DataFrame({"customer_id": log.customer_id,
                          "started_at": pd.to_datetime(log.date, format="%Y%m%d").dt.strftime("%Y-%m-%d"),
                          "amount": log.dollar_value})
    return frame.to_csv(index=False).encode("utf-8")


@pytest.fixture(scope="session")
def cdnow(private_database, tmp_path_factory, db_url, oyna_home):
    """CDNOW's 69,659 purchases imported into their own database and one retrain on them:
    (engine, import report, retrain result, settings)."""
    from core.data.imports import import_file
    from core.models.training import retrain
    from core.platform.settings import Settings

    engine = private_database("cdnow")
    report = import_file(engine, cdnow_generic(), "CDNOW_master.csv", Options(club="CDNOW"), imported_by="test")
    assert report.result == "imported", report.message
    settings = Settings(database_url=url_of(engine), home=oyna_home, models_dir=tmp_path_factory.mktemp("cdnow"))
    result = retrain(engine, settings, trained_by="test")
    return engine, report, result, settings


@pytest.fixture(scope="session")
def thin(private_database, tmp_path_factory, oyna_home):
    """A database with nine days of visits, and one retrain on it: (engine, retrain result)."""
    from core.data.imports import import_file
    from core.models.training import retrain
    from core.platform.settings import Settings

    engine = private_database("thin")
    assert import_file(engine, read("generic_visits.csv"), "v.csv", Options()).result == "imported"
    settings = Settings(database_url=url_of(engine), home=oyna_home, models_dir=tmp_path_factory.mktemp("thin"))
    return engine, retrain(engine, settings, trained_by="test")

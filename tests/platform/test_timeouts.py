"""Statement and lock timeouts: pages' queries get short ones, jobs (retrains, imports, the CLI) longer
ones, and a page whose query timed out says so instead of claiming the database is down."""

from __future__ import annotations

import sqlalchemy as sa
import pytest
from streamlit.testing.v1 import AppTest

from core.platform.db import database_down, get_engine, job_engine, make_engine, timed_out
from core.platform.settings import load_settings
from tests.pages.support import TIMEOUT


def _show(engine: sa.Engine, name: str) -> str:
    with engine.connect() as conn:
        return conn.execute(sa.text(f"show {name}")).scalar_one()


def test_pages_and_jobs_get_their_own_timeouts(db_url, tmp_path):
    settings = load_settings({"DATABASE_URL": db_url, "OYNA_STATEMENT_TIMEOUT": "12",
                              "OYNA_LOCK_TIMEOUT": "3"}, root=tmp_path)
    page = get_engine(settings, purpose="page")
    job = get_engine(settings)
    try:
        assert (_show(page, "statement_timeout"), _show(page, "lock_timeout")) == ("12s", "3s")
        assert (_show(job, "statement_timeout"), _show(job, "lock_timeout")) == ("1h", "1min")
        assert _show(job_engine(page, settings), "statement_timeout") == "1h"  # a retrain started from a page
    finally:
        page.dispose()
        job.dispose()
    with pytest.raises(SystemExit, match="OYNA_STATEMENT_TIMEOUT"):
        load_settings({"OYNA_STATEMENT_TIMEOUT": "soon"}, root=tmp_path)


def test_a_slow_query_and_a_held_lock_time_out(db_url, engine):
    quick = make_engine(db_url, statement_timeout=0.2, lock_timeout=0.2)
    try:
        with pytest.raises(sa.exc.OperationalError) as slow, quick.connect() as conn:
            conn.execute(sa.text("select pg_sleep(5)"))
        assert timed_out(slow.value) and not database_down(slow.value)
        with engine.connect() as held:
            held.execute(sa.text("lock table clubs in access exclusive mode"))  # blocks every read
            with pytest.raises(sa.exc.OperationalError) as locked, quick.connect() as conn:
                conn.execute(sa.text("select count(*) from clubs"))
            held.rollback()
        assert timed_out(locked.value) and not database_down(locked.value)
    finally:
        quick.dispose()


def _slow_page(url: str) -> None:  # an AppTest script: a page whose query runs past its timeout
    import sqlalchemy as sa
    import streamlit as st

    from core.platform.db import make_engine
    from pages.ui.guard import page_guard

    engine = make_engine(url, statement_timeout=0.1)
    with page_guard("test"), engine.connect() as conn:
        conn.execute(sa.text("select pg_sleep(5)"))
    engine.dispose()
    st.write("after the guard")


def test_the_page_guard_explains_a_timeout(db_url, engine):
    at = AppTest.from_function(_slow_page, args=(db_url,), default_timeout=TIMEOUT).run()
    assert not at.exception and not at.error
    assert "took too long" in at.warning[0].value
    assert at.markdown[-1].value == "after the guard"

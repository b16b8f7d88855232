"""The pages' services read the rollups, not the bookings: the bookings' scan counters (rows read by sequential
scans and index scans, pg_stat_user_tables and pg_stat_user_indexes) move no more than data_as_of() moves them
(its walk down the index on start times, past the bookings made for later when a query plans it in line), while
the old raw-row queries read weeks of bookings. Every connection is closed after use, so each backend's
counters reach the statistics when it ends."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from core.data import health
from core.forecast import service as forecast
from core.overview import service as overview
from core.platform.calendar import public_holidays
from core.platform.clubs import all_club_ids, all_clubs, chain_today
from core.platform.db import query_df
from core.rollups.refresh import refresh
from core.utilization import service as utilization
from tests.conftest import CHAIN_VIEWER

FEW = 50  # rows besides data_as_of()'s
CALLS = 2  # data_as_of() walks a service may make

READ = """
    select (select coalesce(seq_tup_read, 0) from pg_stat_user_tables where relid = 'bookings'::regclass)
         + (select coalesce(sum(idx_tup_read), 0) from pg_stat_user_indexes where relid = 'bookings'::regclass)"""


@pytest.fixture(scope="module")
def closing(db_url, engine, demo):
    """An engine whose connections end their backends when returned, and the chain's clubs."""
    refresh(engine)
    eng = sa.create_engine(engine.url, poolclass=NullPool)
    clubs = all_clubs(engine)
    yield eng, {"ids": all_club_ids(engine), "today": chain_today(clubs)}
    eng.dispose()


def _counter(engine) -> int:
    with engine.connect() as conn:
        conn.execute(sa.text("select pg_stat_clear_snapshot()"))
        return int(conn.execute(sa.text(READ)).scalar())


def _settled(engine) -> int:
    """The counter once the backends that ended have reported (it stops moving; 20 s at most)."""
    last, same = _counter(engine), 0
    for _ in range(100):
        if same == 3:
            break
        time.sleep(0.2)
        now = _counter(engine)
        same = same + 1 if now == last else 0
        last = now
    return last


def bookings_read(engine, run, times: int = 2) -> int:
    """The fewest bookings' rows read over `times` runs (anything else that reads them meanwhile, such as a
    statement of autovacuum, only adds)."""
    read = []
    for _ in range(times):
        before = _settled(engine)
        run()
        read.append(_settled(engine) - before)
    return min(read)


def _as_of(engine) -> None:
    with engine.connect() as conn:
        conn.execute(sa.text("select data_as_of()")).scalar()


def test_the_counters_see_a_read_of_bookings(closing):
    engine, _ = closing
    assert bookings_read(engine, lambda: _as_of(engine)) < 2000
    with engine.connect() as conn:
        booked = conn.execute(sa.text("select count(*) from bookings")).scalar()
    assert bookings_read(engine, lambda: _count_bookings(engine)) >= booked  # the test can fail


def _count_bookings(engine) -> None:
    with engine.connect() as conn:
        conn.execute(sa.text("select count(*) from bookings")).scalar()


def test_the_pages_services_read_no_bookings(closing):
    engine, chain = closing
    ids, today = chain["ids"], chain["today"]
    window = {"viewer": CHAIN_VIEWER, "club_ids": ids, "start": today - timedelta(days=27), "end": today}
    end = today + timedelta(days=1)
    what_if = {"club_ids": ids, "as_of": None, "weeks": 12,
               "holidays": public_holidays(end - timedelta(days=87), end)}
    services = {
        "utilization grid": lambda: utilization.hourly_use(engine, **window),
        "per-seat use": lambda: utilization.seat_use(engine, **window),
        "forecast series": lambda: forecast.daily_revenue(engine, viewer=CHAIN_VIEWER, club_ids=ids),
        "overview trend": lambda: overview.revenue_history(engine, viewer=CHAIN_VIEWER, club_ids=ids, today=today),
        "data health": lambda: health.check(engine, club_ids=ids, viewer=CHAIN_VIEWER),
        "what-if baseline": lambda: query_df(engine, "whatif/baseline", **what_if),
        "what-if slots": lambda: query_df(engine, "whatif/slots", **what_if),
        "what-if elasticity cells": lambda: query_df(engine, "whatif/elasticity_cells", **what_if),
        "what-if weekly revenue": lambda: query_df(engine, "whatif/weekly_revenue", club_ids=ids, as_of=None, weeks=12),
    }
    with engine.connect() as conn:
        ahead = conn.execute(sa.text("select count(*) from bookings where start_time > now()")).scalar()
    allowed = CALLS * (ahead + 1) + FEW
    read = {name: bookings_read(engine, run) for name, run in services.items()}
    assert all(n <= allowed for n in read.values()), (allowed, read)
    old = Path(__file__).parent / "raw" / "utilization_hourly.sql"
    params = {"club_ids": ids, "start_day": window["start"], "end_day": window["end"]}
    assert bookings_read(engine, lambda: _run(engine, old.read_text(), params)) > 10 * allowed  # before: 4 weeks


def _run(engine, sql: str, params: dict) -> None:
    with engine.connect() as conn:
        conn.execute(sa.text(sql), params).all()

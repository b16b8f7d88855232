"""The live feed keeps the chain alive without breaking its invariants.

The feed commits to the session's shared database, so every test here undoes what it wrote:
the new bookings, payments and customers, the bookings it completed, and their audit rows.
"""

import threading
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from core.demo.live import LiveFeed
from core.platform.db import query_df


def _count(engine, sql):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar()


@pytest.fixture
def undo_live_writes(engine, demo):
    """Remove what the feed adds and put back the bookings it completes, after the test."""
    with engine.connect() as conn:
        last = conn.execute(sa.text(
            "select (select coalesce(max(id), 0) from bookings) as booking, "
            "(select coalesce(max(id), 0) from payments) as payment, "
            "(select coalesce(max(id), 0) from users) as user_id, "
            "(select coalesce(max(id), 0) from audit_logs) as audit")).one()
        running = [row.id for row in conn.execute(sa.text("select id from bookings where status = 'активно'"))]
    yield
    with engine.begin() as conn:
        conn.execute(sa.text("delete from payments where id > :p or booking_id > :b"),
                     {"p": last.payment, "b": last.booking})
        conn.execute(sa.text("delete from bookings where id > :b"), {"b": last.booking})
        conn.execute(sa.text("delete from users where id > :u"), {"u": last.user_id})
        conn.execute(sa.text("update bookings set status = 'активно' where id = any(:ids) and status <> 'активно'"),
                     {"ids": running})
        conn.execute(sa.text("delete from audit_logs where id > :a"), {"a": last.audit})


def _next_evening() -> datetime:
    """20:00 in Almaty (UTC+5) tomorrow: a busy hour in every demo club."""
    tomorrow = datetime.now(timezone.utc).date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, 15, tzinfo=timezone.utc)


def test_live_feed_inserts_bookings_and_payments(engine, undo_live_writes):
    before = _count(engine, "select count(*) from bookings")
    paid_before = _count(engine, "select count(*) from payments")
    feed = LiveFeed(engine, interval=60, speedup=20, seed=3)
    evening = _next_evening()
    added = sum(feed.tick(now=evening + timedelta(minutes=i)) for i in range(3))
    assert added > 0
    assert _count(engine, "select count(*) from bookings") == before + added
    assert _count(engine, "select count(*) from payments") == paid_before + added
    assert query_df(engine, "data/seat_overlaps").empty
    assert query_df(engine, "data/payment_mismatches").empty


def test_finished_bookings_are_completed_and_audited(engine, undo_live_writes):
    feed = LiveFeed(engine, interval=1, speedup=0, seed=4)
    later = datetime.now(timezone.utc) + timedelta(days=2)
    live_now = _count(engine, "select count(*) from bookings where status = 'активно' and end_time <= now() + interval '2 days'")
    audited = _count(engine, "select count(*) from audit_logs where table_name = 'bookings'")
    feed.tick(now=later)
    assert _count(engine, "select count(*) from bookings where status = 'активно' and end_time <= now() + interval '2 days'") == 0
    assert _count(engine, "select count(*) from audit_logs where table_name = 'bookings'") >= audited + live_now


def test_run_stops_after_max_ticks(engine, undo_live_writes):
    evening = _next_evening()
    moments = [evening + timedelta(minutes=i) for i in range(3)]
    asked: list[datetime] = []

    def clock() -> datetime:  # one busy evening minute per tick; a fourth tick would fail here
        asked.append(moments[len(asked)])
        return asked[-1]

    before, last_id = _count(engine, "select count(*) from bookings"), _count(engine, "select max(id) from bookings")
    # a tick of 0.01 s at 200,000x an evening's rate brings several bookings per club
    feed = LiveFeed(engine, interval=0.01, speedup=200_000, seed=5, clock=clock)
    feed.run(max_ticks=3)
    assert feed.ticks == 3 and asked == moments
    assert feed.inserted > 0
    assert _count(engine, "select count(*) from bookings") == before + feed.inserted
    with engine.connect() as conn:
        starts = conn.execute(sa.text("select distinct start_time from bookings where id > :id order by 1"),
                              {"id": last_id}).scalars().all()
    assert starts == moments  # every tick wrote bookings, each at its own moment
    assert query_df(engine, "data/seat_overlaps").empty


def test_run_stops_when_told(engine, undo_live_writes):
    evening = _next_evening()
    stop = threading.Event()
    ticked: list[datetime] = []

    def clock() -> datetime:  # the second tick asks the feed to stop, as Ctrl-C or SIGTERM does
        ticked.append(evening + timedelta(minutes=len(ticked)))
        if len(ticked) == 2:
            stop.set()
        return ticked[-1]

    feed = LiveFeed(engine, interval=0.01, speedup=0, seed=6, clock=clock)
    feed.run(stop)
    assert feed.ticks == 2 and len(ticked) == 2
    stop.set()
    feed.run(stop)
    assert feed.ticks == 2  # a feed told to stop does not tick at all

"""The live feed keeps the chain alive without breaking its invariants."""

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from core.platform.db import query_df
from core.demo.live import LiveFeed


def _count(engine, sql):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar()


def test_live_feed_inserts_bookings_and_payments(engine, demo):
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


def _next_evening() -> datetime:
    """20:00 in Almaty (UTC+5) tomorrow: a busy hour in every demo club."""
    tomorrow = datetime.now(timezone.utc).date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, 15, tzinfo=timezone.utc)


def test_finished_bookings_are_completed_and_audited(engine, demo):
    feed = LiveFeed(engine, interval=1, speedup=0, seed=4)
    later = datetime.now(timezone.utc) + timedelta(days=2)
    live_now = _count(engine, "select count(*) from bookings where status = 'активно' and end_time <= now() + interval '2 days'")
    audited = _count(engine, "select count(*) from audit_logs where table_name = 'bookings'")
    feed.tick(now=later)
    assert _count(engine, "select count(*) from bookings where status = 'активно' and end_time <= now() + interval '2 days'") == 0
    assert _count(engine, "select count(*) from audit_logs where table_name = 'bookings'") >= audited + live_now


def test_run_stops_after_max_ticks(engine, demo):
    feed = LiveFeed(engine, interval=0.01, speedup=0, seed=5)
    feed.run(max_ticks=2)
    assert feed.inserted == 0

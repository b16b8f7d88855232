"""The queue and the refresh: one queue row per day a statement touches (not per row), a batch limit, how
fresh the figures are, and the SQL procedure for cron."""

from __future__ import annotations

import sqlalchemy as sa

from core.rollups.refresh import refresh, status


def _touch_payments(engine, count: int) -> set:
    """An update of `count` payments in one statement (their amounts unchanged); the (club, day) pairs of their
    bookings."""
    with engine.begin() as conn:
        ids = conn.execute(sa.text("select id from payments order by id limit :n"), {"n": count}).scalars().all()
        conn.execute(sa.text("update payments set amount = amount where id = any(:ids)"), {"ids": ids})
        return set(conn.execute(sa.text(
            "select distinct cb.club_id, d::date from payments p join club_bookings cb on cb.booking_id = p.booking_id "
            "cross join generate_series(cb.local_start::date, cb.local_end::date, interval '1 day') d "
            "where p.id = any(:ids)"), {"ids": ids}).all())


def test_a_statement_queues_each_day_it_touches_once(engine, demo):
    refresh(engine)
    days = _touch_payments(engine, 300)
    with engine.connect() as conn:
        queued = conn.execute(sa.text("select club_id, day from rollup_changes")).all()
    assert set(queued) == days and len(queued) == len(days) < 300
    state = status(engine)
    assert state.pending_days == len(days) and state.as_of == state.oldest_change
    refresh(engine)
    assert status(engine).pending_days == 0


def test_max_batches_stops_early_and_the_next_refresh_goes_on(engine, demo):
    refresh(engine)
    days = _touch_payments(engine, 500)
    first = refresh(engine, max_batches=1, batch_days=5)
    assert not first.done and first.days == 5 and status(engine).pending_days == len(days) - 5
    rest = refresh(engine, batch_days=5)
    assert rest.done and rest.days == len(days) - 5 and status(engine).pending_days == 0


def test_the_sql_procedure_refreshes_for_cron(engine, demo):
    refresh(engine)
    _touch_payments(engine, 50)
    before = status(engine).refreshed_at
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("call refresh_rollups(7)"))  # commits after each batch
    after = status(engine)
    assert after.pending_days == 0 and after.refreshed_at > before


def test_trigger_functions_run_only_as_triggers(engine):
    with engine.connect() as conn:
        try:
            conn.execute(sa.text("select rollup_mark_bookings()"))
        except sa.exc.DBAPIError as exc:
            assert "trigger" in str(exc.orig)
        else:
            raise AssertionError("a trigger function ran as a plain function")

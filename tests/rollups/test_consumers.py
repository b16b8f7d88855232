"""Every query moved onto the rollups gives what it gave before on raw bookings (tier S): each old query is
kept in tests/rollups/raw/ as it was, and both run with the same parameters."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from core.platform.calendar import public_holidays
from core.platform.clubs import all_club_ids, all_clubs, chain_today
from core.platform.db import load_sql
from core.rollups.refresh import refresh

RAW = Path(__file__).parent / "raw"


def _frame(bind, sql: str, params: dict) -> pd.DataFrame:
    if isinstance(bind, sa.Engine):
        with bind.connect() as conn:
            return _frame(conn, sql, params)
    result = bind.execute(sa.text(sql), params)
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def assert_same(old: pd.DataFrame, new: pd.DataFrame) -> None:
    """The same rows (in any order) and columns; numbers equal up to float rounding."""
    assert list(new.columns) == list(old.columns)
    assert len(new) == len(old) > 0
    keys = [c for c in old.columns if not pd.api.types.is_float_dtype(old[c]) and old[c].dtype != object
            or c in ("club_name", "hall_name", "hall_type", "day_type", "band", "seat_label", "device")]
    old = old.sort_values(keys).reset_index(drop=True)
    new = new.sort_values(keys).reset_index(drop=True)
    for column in old.columns:
        a, b = old[column], new[column]
        if pd.api.types.is_numeric_dtype(a) or a.map(lambda v: isinstance(v, (int, float, np.number))).all():
            assert np.allclose(a.astype(float), b.astype(float), rtol=1e-9, atol=1e-6, equal_nan=True), column
        else:
            assert a.tolist() == b.tolist(), column


def compare(engine, name: str, **params) -> pd.DataFrame:
    """The new and the old query in one transaction (the same now())."""
    with engine.begin() as conn:
        new = _frame(conn, load_sql(name), params)
        old = _frame(conn, (RAW / f"{name.replace('/', '_')}.sql").read_text(), params)
    assert_same(old, new)
    return new


@pytest.fixture(scope="module")
def chain(engine, demo):
    refresh(engine)
    clubs = all_clubs(engine)
    return {"ids": all_club_ids(engine), "today": chain_today(clubs)}


def test_the_utilization_grid(engine, chain):
    today, ids = chain["today"], chain["ids"]
    for start, end, clubs in [(today - timedelta(days=27), today, ids), (today - timedelta(days=89), today - timedelta(days=1), ids),
                              (today - timedelta(days=6), today - timedelta(days=6), ids[:1]),
                              (today - timedelta(days=40), today - timedelta(days=12), ids[1:])]:
        compare(engine, "utilization/hourly", start_day=start, end_day=end, club_ids=clubs)


def test_per_seat_use(engine, chain):
    today, ids = chain["today"], chain["ids"]
    for start, end, clubs in [(today - timedelta(days=27), today, ids), (today - timedelta(days=89), today - timedelta(days=1), ids),
                              (today - timedelta(days=3), today - timedelta(days=3), ids[:1])]:
        compare(engine, "utilization/seat_use", start_day=start, end_day=end, club_ids=clubs)


def test_crowded_halls_for_the_retrain(engine, chain):
    compare(engine, "utilization/crowded_halls", threshold=0.0)


def test_the_daily_club_stats_view(engine, chain):
    old = _frame(engine, (RAW / "platform_mv_daily_club_stats.sql").read_text(), {})
    new = _frame(engine, "select * from mv_daily_club_stats", {})
    assert_same(old, new)


@pytest.mark.parametrize("name", ["whatif/baseline", "whatif/slots", "whatif/elasticity_cells", "whatif/weekly_revenue"])
def test_the_whatif_reads(engine, chain, name):
    today, ids = chain["today"], chain["ids"]
    for as_of, weeks, clubs in [(None, 12, ids), (None, 4, ids[:1]), (today - timedelta(days=10), 6, ids)]:
        end = as_of or today + timedelta(days=1)
        params = dict(club_ids=clubs, as_of=as_of, weeks=weeks)
        if name != "whatif/weekly_revenue":
            params["holidays"] = public_holidays(end - timedelta(days=7 * weeks + 3), end)
        compare(engine, name, **params)


def test_the_daily_revenue_series(engine, chain):
    """The Forecast's series and the Overview's trend (forecast/daily_revenue); the old raw query left out no
    day with successful payments, the new one leaves out days whose revenue is 0."""
    for clubs in (chain["ids"], chain["ids"][:1]):
        new = _frame(engine, load_sql("forecast/daily_revenue"), {"club_ids": clubs})
        old = _frame(engine, (RAW / "forecast_daily_revenue_raw.sql").read_text(), {"club_ids": clubs})
        assert_same(old[old.revenue != 0], new)


@pytest.mark.parametrize("name, params", [("data/health_coverage", {}), ("data/health_gaps", {"min_days": 0, "limit": 50}),
                                          ("data/health_customers", {})])
def test_data_health(engine, chain, name, params):
    for clubs in (chain["ids"], chain["ids"][:1]):
        compare(engine, name, club_ids=clubs, **params)


def test_customers_at_risk_by_home_club(engine, chain, trained):
    compare(engine, "overview/customers_at_risk", club_ids=chain["ids"])


def test_campaign_candidates(engine, chain):
    from datetime import datetime, time, timezone

    for as_of in (None, datetime.combine(chain["today"] - timedelta(days=20), time(13, 17), timezone.utc)):
        compare(engine, "whatif/campaign_customers", club_ids=chain["ids"], as_of=as_of)


def test_customers_bookings_over_any_stretch(engine, chain):
    """customer_club_bookings(from, to): whole months from the rollup, the ends from the bookings; as the
    bookings alone say, for stretches inside a month, across months, and open-ended."""
    from datetime import datetime, time, timezone

    raw = """
        select b.user_id, b.club_id, count(*) as bookings, min(b.start_time) as first_start,
               max(b.start_time) as last_start,
               coalesce(sum(p.paid) filter (where b.start_time >= coalesce(cast(:spend_from as timestamptz), :lo)), 0)
                   as spend
        from club_bookings b
        cross join lateral (select sum(amount) as paid from payments where booking_id = b.booking_id
                            and payment_status = 'успешно') p
        where b.status <> 'отменено' and b.start_time >= :lo and (cast(:hi as timestamptz) is null or b.start_time < :hi)
        group by b.user_id, b.club_id"""
    today = chain["today"]

    def at(day, hour, minute):
        return None if day is None else datetime.combine(day, time(hour, minute), timezone.utc)

    for lo, hi, spend_from in [(today - timedelta(days=75), today - timedelta(days=9), None),
                               (today - timedelta(days=12), today - timedelta(days=3), None),
                               (today - timedelta(days=400), None, None), (today - timedelta(days=44), None, None),
                               (today - timedelta(days=80), today, today - timedelta(days=40)),
                               (today - timedelta(days=80), today - timedelta(days=1), today - timedelta(days=5)),
                               (today - timedelta(days=30), None, today - timedelta(days=300))]:
        params = {"lo": at(lo, 5, 41), "hi": at(hi, 19, 3), "spend_from": at(spend_from, 11, 17)}
        old = _frame(engine, raw, params)
        new = _frame(engine, "select * from customer_club_bookings(:lo, :hi, :spend_from)", params)
        assert_same(old, new)


def test_data_health_checks_with_planted_faults(engine, chain):
    """Overlapping seats, payments that do not match, an absurd amount, odd lengths planted (and rolled back; a
    negative amount is refused by oyna's own tables, see tests/platform/test_seed_schema.py), the
    rollups refreshed in the same transaction: the counts per kind equal the old query's."""
    plant = """
        alter table bookings disable trigger bookings_no_overlap;
        with one as (select * from bookings where status = 'завершено' order by id limit 3)
        insert into bookings (user_id, seat_id, date, start_time, end_time, status, package, price)
        select user_id, seat_id, date, start_time + interval '10 minutes', end_time, 'завершено', package, price
        from one;
        insert into payments (booking_id, amount, paid_at, payment_status, method)
        select id, amount, paid_at, 'успешно', 'cash' from (select booking_id as id, amount, paid_at from payments
            where payment_status = 'успешно' order by id limit 2) p;
        update payments set amount = 2000000 where id = (select min(id) from payments where payment_status = 'успешно');
        update bookings set status = 'отменено' where id = (select max(booking_id) from payments
                                                             where payment_status = 'успешно');
        update bookings set end_time = start_time + interval '30 seconds'
        where id = (select min(id) from bookings where status = 'завершено' and id > 100);
        update bookings set end_time = start_time + interval '20 hours'
        where id = (select min(id) from bookings where status = 'завершено' and id > 200);
        alter table bookings enable trigger bookings_no_overlap"""
    params = {"club_ids": chain["ids"], "max_amount": 1_000_000, "min_minutes": 1, "max_hours": 16}
    with engine.connect() as conn:
        with conn.begin() as tx:
            for statement in plant.split(";"):
                conn.execute(sa.text(statement))
            conn.execute(sa.text("select refresh_analytics()"))
            new = _frame(conn, load_sql("data/health_checks"), params)
            old = _frame(conn, (RAW / "data_health_checks.sql").read_text(), params)
            tx.rollback()
    assert_same(old, new)
    assert (new.iloc[0] > 0).sum() >= 5, new.iloc[0].to_dict()


def test_data_health_duplicates(engine, chain):
    for clubs in (chain["ids"][:1],):
        with engine.begin() as conn:
            new = _frame(conn, load_sql("data/health_duplicates"), {"club_ids": clubs, "limit": 20})
            old = _frame(conn, (RAW / "data_health_duplicates.sql").read_text(), {"club_ids": clubs, "limit": 20})
        assert new.equals(old)

"""mv_daily_club_stats over the rollups, and refresh_analytics() of the contract: concurrent refresh,
utilization, revenue, zero days, hourly spreading."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
import sqlalchemy as sa

from core.rollups.refresh import refresh, status

VIEWS = {"rollups", "mv_daily_club_stats"}  # what refresh_analytics() reports


def _scalar(conn, sql: str, **params):
    return conn.execute(sa.text(sql), params).scalar()


@pytest.fixture
def fresh(engine, demo):
    """The rollups refreshed on the current data."""
    refresh(engine)
    return engine


def test_refresh_returns_and_records_seconds(fresh):
    before = datetime.now(timezone.utc)
    done = refresh(fresh)
    assert done.done and 0 <= done.seconds < 60
    state = status(fresh)
    assert state.refreshed_at >= before - timedelta(seconds=1) and state.pending_days == 0
    assert state.as_of == state.refreshed_at
    with fresh.connect() as conn:
        rows = {r.view_name: r for r in conn.execute(sa.text("select * from refresh_analytics()"))}
        logged = {r.view_name: r for r in conn.execute(sa.text("select view_name, row_count from mv_refresh_log"))}
    assert set(rows) == VIEWS <= set(logged)
    assert logged["mv_daily_club_stats"].row_count > 0


def test_refresh_is_concurrent_readers_are_not_blocked(fresh):
    """A reader holds the view open: a concurrent refresh goes through, a plain one would wait."""
    with fresh.connect() as reader:
        reader.begin()
        reader.execute(sa.text("select count(*) from mv_daily_club_stats")).scalar()  # holds ACCESS SHARE
        # a plain refresh needs ACCESS EXCLUSIVE, so it cannot start while the reader is there
        with fresh.connect() as other:
            other.begin()
            other.execute(sa.text("set local lock_timeout = '300ms'"))
            with pytest.raises(sa.exc.OperationalError, match="lock timeout"):
                other.execute(sa.text("refresh materialized view mv_daily_club_stats"))
            other.rollback()
        done: dict[str, object] = {}
        with fresh.begin() as conn:  # a day to rebuild, so that the refresh refreshes the view
            conn.execute(sa.text("update payments set amount = amount where id = (select min(id) from payments)"))
        worker = threading.Thread(target=lambda: done.update(result=refresh(fresh)))
        worker.start()
        worker.join(timeout=60)
        finished = not worker.is_alive()
        reader.rollback()
        worker.join()
    assert finished, "a concurrent refresh waited for a reader"
    assert done["result"].done and done["result"].days >= 1
    with fresh.connect() as conn:
        flags = dict(conn.execute(sa.text("select view_name, was_concurrent from refresh_analytics(true)")).all())
    assert flags == {"rollups": False, "mv_daily_club_stats": True}


def test_a_never_populated_view_is_refreshed_plainly_first(conn):
    conn.execute(sa.text("refresh materialized view mv_daily_club_stats with no data"))
    rows = {r.view_name: r for r in conn.execute(sa.text("select * from refresh_analytics(true)"))}
    assert rows["mv_daily_club_stats"].was_concurrent is False
    assert conn.execute(sa.text("select count(*) from mv_daily_club_stats")).scalar() > 0


def test_refresh_rejects_no_batches(engine):
    with pytest.raises(ValueError):
        refresh(engine, max_batches=0)


def test_daily_revenue_and_bookings_match_the_tables(fresh):
    with fresh.connect() as conn:
        view = conn.execute(sa.text(
            "select sum(total_revenue), sum(total_bookings), sum(cancellations), sum(no_shows) "
            "from mv_daily_club_stats")).one()
        paid = _scalar(conn, "select sum(amount) from payments where payment_status = 'успешно'")
        counts = conn.execute(sa.text(
            "select count(*) filter (where status <> 'отменено'), count(*) filter (where status = 'отменено'), "
            "count(*) filter (where status = 'неявка') from bookings")).one()
        nulls = _scalar(conn, "select count(*) from mv_daily_club_stats where total_revenue is null")
    assert view[0] == paid
    assert tuple(view[1:]) == tuple(counts)
    assert nulls == 0


def test_daily_rows_cover_every_day_up_to_today(fresh):
    with fresh.connect() as conn:
        days = pd.DataFrame(conn.execute(sa.text(
            "select d.club_id, min(d.report_date) as first, max(d.report_date) as last, count(*) as n, "
            "(now() at time zone c.timezone)::date as today "
            "from mv_daily_club_stats d join clubs c on c.id = d.club_id group by d.club_id, c.timezone")).all())
        dupes = _scalar(conn, "select count(*) - count(distinct (report_date, club_id)) from mv_daily_club_stats")
    assert dupes == 0
    assert ((days["last"] - days["first"]).apply(lambda d: d.days) + 1 == days["n"]).all()
    assert (days["last"] >= days["today"]).all()


def test_utilization_is_a_share_and_matches_a_direct_recomputation(fresh):
    with fresh.connect() as conn:
        bounds = conn.execute(sa.text(
            "select min(utilization), max(utilization), count(*) filter (where utilization is null) "
            "from mv_daily_club_stats")).one()
        row = conn.execute(sa.text(
            "select * from mv_daily_club_stats where report_date < current_date - 1 "
            "order by total_bookings desc limit 1")).mappings().one()
        club = conn.execute(sa.text("select * from clubs where id = :c"), {"c": row["club_id"]}).mappings().one()
        seats = _scalar(conn, "select count(*) from seats s join halls h on h.id = s.hall_id "
                              "where h.club_id = :c and s.is_active", c=row["club_id"])
        held = pd.DataFrame(conn.execute(sa.text(
            "select b.start_time, b.end_time from bookings b join seats s on s.id = b.seat_id "
            "join halls h on h.id = s.hall_id where h.club_id = :c and b.status <> 'отменено' "
            "and b.end_time > :lo and b.start_time < :hi"),
            {"c": row["club_id"], "lo": datetime.combine(row["report_date"], datetime.min.time(), timezone.utc)
             - timedelta(days=2), "hi": datetime.combine(row["report_date"], datetime.min.time(), timezone.utc)
             + timedelta(days=2)}).all())
    assert 0 <= bounds[0] <= bounds[1] <= 1
    assert bounds[2] == 0
    tz = ZoneInfo(club["timezone"])
    day_start = pd.Timestamp(row["report_date"]).tz_localize(tz)
    day_end = day_start + pd.Timedelta(days=1)
    start = pd.to_datetime(held["start_time"], utc=True).dt.tz_convert(tz).clip(lower=day_start, upper=day_end)
    end = pd.to_datetime(held["end_time"], utc=True).dt.tz_convert(tz).clip(lower=day_start, upper=day_end)
    booked = ((end - start).dt.total_seconds() / 3600).sum()
    day = row["report_date"]
    span = datetime.combine(day, club["closes_at"]) - datetime.combine(day, club["opens_at"])
    open_hours = 24.0 if club["opens_at"] == club["closes_at"] else (span.total_seconds() / 3600) % 24
    assert booked > 0
    assert row["booked_seat_hours"] == pytest.approx(booked, rel=1e-9)
    assert row["open_seat_hours"] == pytest.approx(seats * open_hours)
    assert row["utilization"] == pytest.approx(booked / (seats * open_hours), rel=1e-9)


def test_a_new_club_gets_zero_days_and_its_opening_hours(conn):
    """A club that opened three days ago, 10:00 to 04:00, with no bookings: four zero rows, 18 open hours."""
    club = conn.execute(sa.text(
        "insert into clubs (name, city, timezone, opens_at, closes_at, opened_on) "
        "values ('Test Night', 'Алматы', 'Asia/Almaty', '10:00', '04:00', "
        "(now() at time zone 'Asia/Almaty')::date - 3) returning id")).scalar()
    hall = conn.execute(sa.text(
        "insert into halls (club_id, name, hall_type, hourly_price) values (:c, 'Main', 'standard', 700) "
        "returning id"), {"c": club}).scalar()
    conn.execute(sa.text("insert into seats (hall_id, label, device) select :h, 'S-' || g, 'pc' "
                         "from generate_series(1, 5) g"), {"h": hall})
    conn.execute(sa.text("select refresh_analytics()"))
    rows = pd.DataFrame(conn.execute(sa.text(
        "select * from mv_daily_club_stats where club_id = :c order by report_date"), {"c": club}).mappings().all())
    assert len(rows) == 4
    assert (rows[["total_bookings", "unique_customers", "cancellations", "no_shows"]] == 0).all().all()
    assert (rows["total_revenue"] == 0).all() and (rows["utilization"] == 0).all()
    assert (rows["open_seat_hours"] == 5 * 18).all()


def test_hall_hours_are_shares_with_an_afternoon_to_evening_peak(fresh):
    with fresh.connect() as conn:
        hourly = pd.DataFrame(conn.execute(sa.text(
            "select club_id, hour, sum(booked_seat_hours) as booked, sum(open_seat_hours) as capacity "
            "from rollup_hall_hours group by club_id, hour")).all())
        beyond = _scalar(conn, "select count(*) from rollup_hall_hours where booked_seat_hours > open_seat_hours "
                               "and is_open and open_seat_hours > 0")
    assert len(hourly) == hourly["club_id"].nunique() * 24
    assert beyond == 0
    for club, h in hourly.groupby("club_id"):
        util = (h.set_index("hour")["booked"] / h.set_index("hour")["capacity"]).sort_index()
        assert 14 <= util.idxmax() <= 22, f"club {club} peaks at {util.idxmax()}:00"
        assert util.loc[17:22].mean() > 3 * util.loc[8:11].mean()


def test_a_booking_is_spread_over_the_hours_it_covers(conn):
    """19:30-22:00 adds 0.5 seat-hours to hour 19, 1 to 20 and 1 to 21, nothing to 18 or 22."""
    seat = conn.execute(sa.text("""
        with place as (
            select s.id as seat_id, h.id as hall_id, c.timezone,
                   ((now() at time zone c.timezone)::date - 1) as day
            from seats s join halls h on h.id = s.hall_id join clubs c on c.id = h.club_id
            where c.opens_at = c.closes_at
        )
        select p.* from place p
        where not exists (
            select 1 from bookings b where b.seat_id = p.seat_id and b.status <> 'отменено'
              and b.start_time < ((p.day + time '23:00') at time zone p.timezone)
              and b.end_time > ((p.day + time '19:00') at time zone p.timezone))
        order by p.seat_id limit 1""")).mappings().one()

    def hours() -> pd.Series:
        conn.execute(sa.text("select refresh_analytics()"))  # the trigger queued the day; in this transaction
        rows = conn.execute(sa.text(
            "select hour, booked_seat_hours from rollup_hall_hours where hall_id = :h and day = :d "
            "and hour between 18 and 22"), {"h": seat["hall_id"], "d": seat["day"]}).all()
        return pd.Series(dict(rows)).sort_index()

    before = hours()
    conn.execute(sa.text(
        "insert into bookings (user_id, seat_id, date, start_time, end_time, status, price) "
        "values ((select min(id) from users), :s, :day, (:day + time '19:30') at time zone :tz, "
        "(:day + time '22:00') at time zone :tz, 'завершено', 0)"),
        {"s": seat["seat_id"], "day": seat["day"], "tz": seat["timezone"]})
    added = (hours() - before).round(9)
    assert added.to_dict() == {18: 0.0, 19: 0.5, 20: 1.0, 21: 1.0, 22: 0.0}

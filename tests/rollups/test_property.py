"""After any mix of writes, the incremental refresh leaves every rollup equal to a full rebuild from the raw
rows: new bookings, bookings moved in time or to another seat (of another club too), status changes and
cancellations, late payments and refunds, deletes, a club's new opening hours, a seat taken out, and a small
import through the importer, in clubs of three time zones, across midnight, a month's end and a DST change."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.data.imports import Options, import_file
from core.rollups.refresh import rebuild, refresh
from tests.rollups.support import DAYS, FIRST_DAY, add_booking, build_chain, differences, snapshot


@pytest.fixture(scope="module")
def chain_db(make_database):
    from core.platform.db import make_engine
    from core.platform.migrate import migrate

    with make_database("oyna_rollups_property") as url:
        engine = make_engine(url)
        migrate(engine)
        chain = build_chain(engine)
        rebuild(engine)
        yield engine, chain
        engine.dispose()


def _some_booking(conn, pick: int, where: str = "true"):
    ids = conn.execute(sa.text(f"select id from bookings where {where} order by id")).scalars().all()
    return ids[pick % len(ids)] if ids else None


def _import(engine, chain, pick: int, hours: int) -> None:
    """Two visits through the importer (a generic file): one new each time, one the same file's again."""
    start = FIRST_DAY + timedelta(days=pick % DAYS)
    rows = [f"P-{pick}-{hours},C{pick % 5},Imported {pick % 5},Rollup Almaty,Standard,s{pick % 4},"
            f"{start} 2{hours % 4}:30,{start + timedelta(days=1)} 0{hours % 9}:15,{1500 + hours},completed,paid",
            f"P-fixed,C9,Imported 9,Rollup Moscow,Vip,v{pick % 2},{start} 23:00,{start + timedelta(days=1)} 01:00,"
            f"{2000 + pick % 7},{'cancelled' if pick % 3 == 0 else 'completed'},paid"]
    header = "booking_id,customer_id,customer_name,club,hall,hall_type,seat,started_at,ended_at,amount," \
             "booking_status,payment_status"
    report = import_file(engine, "\n".join([header, *rows]).encode(), "rollups.csv", Options(), refresh=False)
    assert report.result in ("imported", "rejected"), report.message


def apply(engine, chain, op: tuple) -> None:
    kind, a, b, c = op
    if kind == "import":
        _import(engine, chain, a, b)
        return
    with engine.begin() as conn:
        if kind == "insert":
            add_booking(conn, chain, a, b % (DAYS * 24), 1 + c % 9, a + c, b, c, a % 2 == 0)
            return
        if kind == "opening_hours":
            club = chain["clubs"][a % len(chain["clubs"])]
            conn.execute(sa.text("update clubs set opens_at = make_time(:o, 0, 0), closes_at = make_time(:c, 0, 0) "
                                 "where id = :id"), {"o": b % 24, "c": c % 24, "id": club})
            return
        if kind == "seat_out":
            seat = sorted(chain["seats"])[a % len(chain["seats"])]
            conn.execute(sa.text("update seats set is_active = not is_active where id = :s"), {"s": seat})
            return
        booking = _some_booking(conn, a)
        if booking is None:
            return
        with conn.begin_nested() as step:
            try:
                if kind == "move":  # in time, across midnight or a month's end
                    conn.execute(sa.text(
                        "update bookings b set start_time = b.start_time + make_interval(hours => :h), "
                        "end_time = b.end_time + make_interval(hours => :h), "
                        "date = ((b.start_time + make_interval(hours => :h)) at time zone c.timezone)::date "
                        "from seats s join halls h on h.id = s.hall_id join clubs c on c.id = h.club_id "
                        "where s.id = b.seat_id and b.id = :b"), {"h": b % 49 - 24, "b": booking})
                elif kind == "reseat":  # another seat, maybe another club's
                    seat = sorted(chain["seats"])[b % len(chain["seats"])]
                    conn.execute(sa.text("update bookings set seat_id = :s where id = :b"), {"s": seat, "b": booking})
                elif kind == "status":
                    conn.execute(sa.text("update bookings set status = (array['завершено', 'отменено', 'неявка', "
                                         "'активно'])[1 + :i % 4] where id = :b"), {"i": b, "b": booking})
                elif kind == "late_payment":
                    conn.execute(sa.text("insert into payments (booking_id, amount, paid_at, payment_status, method) "
                                         "select id, 300 + :a, end_time + interval '3 days', 'успешно', 'cash' "
                                         "from bookings where id = :b"), {"a": b, "b": booking})
                elif kind == "refund":
                    conn.execute(sa.text("update payments set payment_status = 'возврат' where booking_id = :b"),
                                 {"b": booking})
                elif kind == "delete":
                    conn.execute(sa.text("delete from payments where booking_id = :b"), {"b": booking})
                    conn.execute(sa.text("delete from bookings where id = :b"), {"b": booking})
            except sa.exc.DBAPIError:  # a seat taken then: the write is refused, nothing changes
                step.rollback()


ops = st.tuples(
    st.sampled_from(["insert", "insert", "move", "reseat", "status", "late_payment", "refund", "delete",
                     "opening_hours", "seat_out", "import"]),
    st.integers(0, 500), st.integers(0, 500), st.integers(0, 500))


@settings(max_examples=20, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(ops, min_size=1, max_size=6), st.integers(1, 40))
def test_incremental_refresh_equals_a_full_rebuild(chain_db, writes, batch):
    engine, chain = chain_db
    for op in writes:
        apply(engine, chain, op)
    refresh(engine, batch_days=batch, batch_months=batch)  # small batches: many of them
    incremental = snapshot(engine)
    rebuild(engine)
    assert differences(incremental, snapshot(engine)) == {}

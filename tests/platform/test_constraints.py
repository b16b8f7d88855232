"""The schema rejects rows a real system must never hold."""

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

T0 = datetime(2030, 1, 15, 12, tzinfo=timezone.utc)


def _booking(conn, *, seat_id=1, start=T0, hours=2, status="активно", price=1000):
    return conn.execute(sa.text(
        "insert into bookings (user_id, seat_id, date, start_time, end_time, status, price) "
        "values (1, :seat, cast(:start as date), :start, :end, :status, :price) returning id"
    ), {"seat": seat_id, "start": start, "end": start + timedelta(hours=hours),
                     "status": status, "price": price}).scalar_one()


def _rejects(conn, statement: str, params: dict | None = None):
    savepoint = conn.begin_nested()
    with pytest.raises(sa.exc.DBAPIError):
        conn.execute(sa.text(statement), params or {})
    savepoint.rollback()


def test_booking_must_end_after_it_starts(conn):
    _rejects(conn, "insert into bookings (user_id, seat_id, date, start_time, end_time, price) "
                   "values (1, 1, current_date, now(), now() - interval '1 hour', 100)")


def test_amounts_are_not_negative(conn):
    booking = _booking(conn)
    _rejects(conn, "insert into payments (booking_id, amount, paid_at, payment_status, method) "
                   "values (:b, -5, now(), 'успешно', 'card')", {"b": booking})
    _rejects(conn, "update bookings set price = -1 where id = :b", {"b": booking})


def test_unknown_statuses_are_rejected(conn):
    _rejects(conn, "insert into bookings (user_id, seat_id, date, start_time, end_time, price, status) "
                   "values (1, 1, current_date, now(), now() + interval '1 hour', 100, 'maybe')")
    booking = _booking(conn)
    _rejects(conn, "insert into payments (booking_id, amount, paid_at, payment_status, method) "
                   "values (:b, 5, now(), 'paid', 'card')", {"b": booking})


def test_club_timezone_must_be_real(conn):
    _rejects(conn, "insert into clubs (name, city, timezone, opened_on) values ('X', 'Y', 'Mars/Olympus', current_date)")
    conn.execute(sa.text("insert into clubs (name, city, timezone, opened_on) "
                         "values ('Test club', 'Алматы', 'Asia/Almaty', current_date)"))


def test_foreign_keys_hold(conn):
    _rejects(conn, "insert into bookings (user_id, seat_id, date, start_time, end_time, price) "
                   "values (1, 999999, current_date, now(), now() + interval '1 hour', 100)")


def test_a_seat_cannot_be_double_booked(conn):
    _booking(conn, start=T0)
    savepoint = conn.begin_nested()
    with pytest.raises(sa.exc.DBAPIError, match="already booked"):
        _booking(conn, start=T0 + timedelta(hours=1))
    savepoint.rollback()
    _booking(conn, start=T0 + timedelta(hours=2))                 # back to back is fine
    _booking(conn, start=T0 + timedelta(hours=1), status="отменено")  # cancelled holds no seat


def test_changes_are_audited(conn):
    booking = _booking(conn)
    conn.execute(sa.text("update bookings set status = 'отменено' where id = :b"), {"b": booking})
    row = conn.execute(sa.text(
        "select action, old_values->>'status', new_values->>'status' from audit_logs "
        "where table_name = 'bookings' and record_id = :b"), {"b": booking}).one()
    assert tuple(row) == ("UPDATE", "активно", "отменено")


def test_monthly_partition_functions(conn):
    name = conn.execute(sa.text("select create_audit_partition(date '2031-03-10')")).scalar_one()
    assert name == "audit_logs_2031_03"
    assert conn.execute(sa.text("select create_audit_partition(date '2031-03-01')")).scalar_one() == name
    month = conn.execute(sa.text("select to_char(current_date + interval '1 month', 'YYYY_MM')")).scalar_one()
    assert conn.execute(sa.text("select create_monthly_partition()")).scalar_one() == f"audit_logs_{month}"  # the seed's
    assert conn.execute(sa.text(  # months 8 to 10 from now: within the year ensure_audit_partitions() allows
        "select ensure_audit_partitions((date_trunc('month', current_date) + interval '8 months')::date + 14, "
        "(date_trunc('month', current_date) + interval '10 months')::date)")).scalar_one() == 3

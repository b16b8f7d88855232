"""A small chain for the rollup tests, and the rollups as comparable values.

Three clubs in three time zones: Almaty (open 24 hours), Moscow (10:00-04:00, past midnight) and New York
(09:00-23:00, with the change from summer time on 2 November 2025). Its history runs across the end of
October 2025, so bookings cross midnight, a month's end and the DST change.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

CLUBS = [  # name, time zone, opens, closes
    ("Rollup Almaty", "Asia/Almaty", "00:00", "00:00"),
    ("Rollup Moscow", "Europe/Moscow", "10:00", "04:00"),
    ("Rollup New York", "America/New_York", "09:00", "23:00"),
]
FIRST_DAY = date(2025, 10, 27)
DAYS = 10  # to 5 November: October's end and New York's DST change on 2 November
TABLES = {  # rollup -> its key, for sorting
    "rollup_hall_hours": "hall_id, day, hour",
    "rollup_seat_days": "seat_id, day",
    "rollup_club_days": "club_id, day",
    "rollup_customer_months": "user_id, month, club_id",
}
STATUSES = ["завершено", "завершено", "завершено", "активно", "отменено", "неявка"]
PAYMENT_STATUSES = ["успешно", "успешно", "ошибка", "возврат", "ожидание"]


def build_chain(engine: sa.Engine, *, bookings: int = 120, seed: int = 7) -> dict:
    """The three clubs with two halls each (standard: 4 seats, vip: 2), 30 customers and `bookings`
    bookings with payments; returns ids: clubs, seats (seat -> (club, zone)), users."""
    import random

    rng = random.Random(seed)
    with engine.begin() as conn:
        clubs = []
        for name, zone, opens, closes in CLUBS:
            clubs.append(conn.execute(sa.text(
                "insert into clubs (name, city, timezone, opens_at, closes_at, opened_on) "
                "values (:n, 'Test', :z, :o, :c, :d) returning id"),
                {"n": name, "z": zone, "o": opens, "c": closes, "d": FIRST_DAY - timedelta(days=30)}).scalar())
        seats = {}
        for club, (_, zone, _, _) in zip(clubs, CLUBS):
            for hall_type, count in (("standard", 4), ("vip", 2)):
                hall = conn.execute(sa.text(
                    "insert into halls (club_id, name, hall_type, hourly_price, night_package_price) "
                    "values (:c, :n, :t, 1000, 5000) returning id"), {"c": club, "n": hall_type.title(), "t": hall_type}
                ).scalar()
                for i in range(count):
                    seat = conn.execute(sa.text("insert into seats (hall_id, label, device) values (:h, :l, 'pc') "
                                                "returning id"), {"h": hall, "l": f"{hall_type[0]}{i}"}).scalar()
                    seats[seat] = (club, zone)
        users = [conn.execute(sa.text(
            "insert into users (full_name, email, signed_up_at) values (:n, :e, :s) returning id"),
            {"n": f"Rollup Customer {i}", "e": f"rollup{i}@example.kz", "s": datetime(2025, 9, 1)}).scalar()
            for i in range(30)]
    chain = {"clubs": clubs, "seats": seats, "users": users}
    made = 0
    while made < bookings:
        with engine.begin() as conn:
            made += add_booking(conn, chain, rng.randrange(len(seats)), rng.randrange(DAYS * 24),
                                rng.randrange(1, 9), rng.randrange(len(STATUSES)), rng.randrange(len(users)),
                                rng.randrange(len(PAYMENT_STATUSES)), rng.random() < 0.5)
    return chain


def add_booking(conn: sa.Connection, chain: dict, seat_i: int, hour: int, hours: int, status_i: int, user_i: int,
                payment_i: int, hourly: bool) -> int:
    """A booking at local hour `hour` after FIRST_DAY's midnight on one of the chain's seats, with a payment;
    1 when it went in, 0 when it would double-book the seat (nothing is written then)."""
    seat = sorted(chain["seats"])[seat_i % len(chain["seats"])]
    zone = ZoneInfo(chain["seats"][seat][1])
    start = datetime.combine(FIRST_DAY, datetime.min.time()).replace(tzinfo=zone) + timedelta(hours=hour)
    start = start.astimezone(ZoneInfo("UTC")).astimezone(zone)  # a real local time even across the DST change
    status = STATUSES[status_i % len(STATUSES)]
    price = 1000 * hours
    try:
        with conn.begin_nested():
            booking = conn.execute(sa.text(
                "insert into bookings (user_id, seat_id, date, start_time, end_time, status, package, price) "
                "values (:u, :s, :d, :a, :b, :st, :p, :price) returning id"),
                {"u": chain["users"][user_i % len(chain["users"])], "s": seat, "d": start.date(), "a": start,
                 "b": start + timedelta(hours=hours), "st": status, "p": "hourly" if hourly else "bundle_3h",
                 "price": price}).scalar()
    except sa.exc.DBAPIError:  # the seat is taken then
        return 0
    conn.execute(sa.text(
        "insert into payments (booking_id, amount, paid_at, payment_status, method) values (:b, :a, :t, :s, 'card')"),
        {"b": booking, "a": price, "t": start, "s": PAYMENT_STATUSES[payment_i % len(PAYMENT_STATUSES)]})
    return 1


def snapshot(engine: sa.Engine) -> dict[str, list[tuple]]:
    """Every rollup's rows in key order, floats rounded (sums in another order differ in the last bits)."""
    out = {}
    with engine.connect() as conn:
        for table, key in TABLES.items():
            rows = conn.execute(sa.text(f"select * from {table} order by {key}")).all()
            out[table] = [tuple(_comparable(v) for v in row) for row in rows]
    return out


def _comparable(value):
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return value


def queued(engine: sa.Engine) -> tuple[set, set]:
    """The queue's distinct (club, day) and (user, month) pairs."""
    with engine.connect() as conn:
        days = set(conn.execute(sa.text("select distinct club_id, day from rollup_changes")).all())
        months = set(conn.execute(sa.text("select distinct user_id, month from rollup_customer_changes")).all())
    return days, months


def differences(got: dict, want: dict) -> dict[str, tuple[int, list]]:
    """Per rollup that differs: how many rows differ, and the first few on either side."""
    out = {}
    for table in TABLES:
        a, b = set(got[table]), set(want[table])
        if a != b:
            out[table] = (len(a ^ b), sorted(a - b, key=str)[:3], sorted(b - a, key=str)[:3])
    return out

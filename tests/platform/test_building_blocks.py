"""The SQL building blocks of migration 010, each against cases checked by hand, and their contracts.

Clubs, halls, seats and bookings made here live in the `conn` fixture's transaction, which is
rolled back after each test.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from core.platform.clubs import chain_calendar
from core.platform.db import SQL_DIR, load_sql, sql_files
from core.platform.migrate import migrate
from core.platform.thresholds import THRESHOLDS
from tests.conftest import TODAY


def _one(conn, sql: str, **params):
    return conn.execute(sa.text(sql), params).one()


def _club(conn, name: str, *, opens: str = "00:00", closes: str = "00:00", tz: str = "Asia/Almaty",
          opened_on: date = date(2020, 1, 1)) -> int:
    return conn.execute(sa.text(
        "insert into clubs (name, city, timezone, opens_at, closes_at, opened_on) "
        "values (:n, 'Test', :tz, :o, :c, :d) returning id"),
        {"n": name, "tz": tz, "o": opens, "c": closes, "d": opened_on}).scalar()


def _hall(conn, club_id: int, name: str, hall_type: str = "standard") -> int:
    return conn.execute(sa.text(
        "insert into halls (club_id, name, hall_type, hourly_price) values (:c, :n, :t, 1000) returning id"),
        {"c": club_id, "n": name, "t": hall_type}).scalar()


def _seat(conn, hall_id: int, label: str, active: bool = True) -> int:
    return conn.execute(sa.text(
        "insert into seats (hall_id, label, device, is_active) values (:h, :l, 'pc', :a) returning id"),
        {"h": hall_id, "l": label, "a": active}).scalar()


def _open_hours(conn, club_id: int) -> dict[int, bool]:
    rows = conn.execute(sa.text("select hour, is_open from club_open_hours where club_id = :c"), {"c": club_id})
    return dict(rows.all())


# ---------------------------------------------------------------- opening hours, bands, seats


def test_a_club_open_past_midnight(conn):
    club = _club(conn, "Night owl", opens="10:00", closes="04:00")
    hours = _open_hours(conn, club)
    assert sorted(hours) == list(range(24))
    assert hours[2] and hours[3] and hours[10] and hours[23]
    assert not hours[4] and not hours[5] and not hours[9]
    assert [h for h, is_open in hours.items() if not is_open] == [4, 5, 6, 7, 8, 9]


def test_a_day_club_and_a_24_hour_club(conn):
    day = _open_hours(conn, _club(conn, "Day", opens="08:00", closes="22:00"))
    assert [h for h, is_open in sorted(day.items()) if is_open] == list(range(8, 22))
    always = _open_hours(conn, _club(conn, "Always", opens="00:00", closes="00:00"))
    assert len(always) == 24 and all(always.values())


def test_hour_bands_wrap_past_midnight(conn):
    bands = dict(conn.execute(sa.text("select hour, band from hour_bands")).all())
    assert sorted(bands) == list(range(24))
    assert [bands[h] for h in (23, 0, 3, 7)] == ["night"] * 4
    assert (bands[8], bands[11], bands[12], bands[17], bands[22]) == ("morning", "morning", "day", "evening", "evening")
    conn.execute(sa.text("delete from time_bands where band = 'morning'"))
    assert conn.execute(sa.text("select band from hour_bands where hour = 9")).scalar() == "none"


def test_seats_per_hall_and_per_club(conn):
    club = _club(conn, "Seats")
    big, empty = _hall(conn, club, "Big"), _hall(conn, club, "Empty", "vip")
    for label in "abc":
        _seat(conn, big, label)
    _seat(conn, big, "broken", active=False)
    halls = dict(conn.execute(sa.text("select hall_id, seats from hall_seats where club_id = :c"), {"c": club}).all())
    assert halls == {big: 3, empty: 0}
    assert tuple(_one(conn, "select halls, seats from club_seats where club_id = :c", c=club)) == (2, 3)
    bare = _club(conn, "No halls")
    assert tuple(_one(conn, "select halls, seats from club_seats where club_id = :c", c=bare)) == (0, 0)


# ---------------------------------------------------------------- bookings in local time


def test_bookings_in_club_local_time(conn):
    user = conn.execute(sa.text("insert into users (full_name) values ('Local Time') returning id")).scalar()
    almaty, york = _club(conn, "Almaty", tz="Asia/Almaty"), _club(conn, "York", tz="America/New_York")
    start = datetime(2025, 3, 1, 20, 30, tzinfo=timezone.utc)  # 01:30 next day in Almaty, 15:30 in New York
    ids = {}
    for club in (almaty, york):
        seat = _seat(conn, _hall(conn, club, "Main", "bootcamp"), "1")
        local_day = start.astimezone(ZoneInfo("Asia/Almaty" if club == almaty else "America/New_York")).date()
        ids[club] = conn.execute(sa.text(
            "insert into bookings (user_id, seat_id, date, start_time, end_time, status, price) "
            "values (:u, :s, :d, :a, :b, 'завершено', 2000) returning id"),
            {"u": user, "s": seat, "d": local_day, "a": start, "b": start + timedelta(hours=2)}).scalar()
    rows = {r.club_id: r for r in conn.execute(sa.text(
        "select * from club_bookings where user_id = :u"), {"u": user})}
    assert set(rows) == {almaty, york}
    a, y = rows[almaty], rows[york]
    assert (a.booking_id, a.hall_type, a.timezone) == (ids[almaty], "bootcamp", "Asia/Almaty")
    assert (a.local_start, a.local_end) == (datetime(2025, 3, 2, 1, 30), datetime(2025, 3, 2, 3, 30))
    assert a.date == date(2025, 3, 2) and a.start_time == start
    assert (y.local_start, y.local_end) == (datetime(2025, 3, 1, 15, 30), datetime(2025, 3, 1, 17, 30))
    assert y.date == date(2025, 3, 1)


@pytest.mark.parametrize("where, index", [
    ("start_time >= now() - interval '1 day'", "idx_bookings_start"),
    ("user_id = 1", "idx_bookings_ai_analysis"),
])
def test_the_bookings_view_keeps_the_indexes(conn, where, index):
    plan = "\n".join(r[0] for r in conn.execute(sa.text(f"explain select * from club_bookings where {where}")))
    assert index in plan


# ---------------------------------------------------------------- windows and "now"


def test_data_as_of_is_the_transaction_clock_while_the_data_is_live(conn):
    assert conn.execute(sa.text("select data_as_of() = now()")).scalar() is True


def test_data_as_of_is_the_last_booking_when_the_history_ends_in_the_past(conn):
    """Without the last 3 days of bookings the demo's history ends in the past (migration 013)."""
    conn.execute(sa.text("alter table bookings disable trigger bookings_audit"))
    conn.execute(sa.text("delete from payments where booking_id in (select id from bookings "
                         "where start_time > now() - interval '3 days')"))
    conn.execute(sa.text("delete from bookings where start_time > now() - interval '3 days'"))
    last = conn.execute(sa.text("select max(start_time) from bookings")).scalar()
    assert conn.execute(sa.text("select data_as_of()")).scalar() == last
    today = conn.execute(sa.text("select min(local_today), max(local_today) from club_windows(null, null)")).one()
    assert today[0] <= last.astimezone(ZoneInfo("Asia/Almaty")).date() == today[1]


def _windows(conn, from_day, to_day, days=None, *clubs):
    rows = conn.execute(sa.text("select * from club_windows(:f, :t, :d) where club_id = any(:c)"),
                        {"f": from_day, "t": to_day, "d": days, "c": list(clubs)})
    return {r.club_id: r for r in rows}


def test_windows_respect_the_opening_day(conn):
    now = conn.execute(sa.text("select now()")).scalar()
    today = now.astimezone(ZoneInfo("Asia/Almaty")).date()
    old = _club(conn, "Old", opened_on=today - timedelta(days=400))
    new = _club(conn, "New", opened_on=today - timedelta(days=10))
    w = _windows(conn, today - timedelta(days=30), today - timedelta(days=1), None, old, new)
    assert (w[old].first_day, w[old].end_day) == (today - timedelta(days=30), today)
    assert (w[new].first_day, w[new].end_day) == (today - timedelta(days=10), today)
    # the end never passes local today: a range into the future stops after today
    ahead = _windows(conn, today - timedelta(days=3), today + timedelta(days=30), None, old)[old]
    assert ahead.end_day == today + timedelta(days=1) and ahead.local_today == today
    # no dates: the `days` complete days before local today (not before the opening)
    back = _windows(conn, None, None, 84, old, new)
    assert (back[old].first_day, back[old].end_day) == (today - timedelta(days=84), today)
    assert back[new].first_day == today - timedelta(days=10)
    assert _windows(conn, None, None, None, new)[new].first_day == today - timedelta(days=10)


def test_windows_follow_each_club_time_zone(conn):
    """UTC+14 and UTC-11 are 25 hours apart: their local dates always differ."""
    now = conn.execute(sa.text("select now()")).scalar()
    east = _club(conn, "East", tz="Pacific/Kiritimati")
    west = _club(conn, "West", tz="Pacific/Pago_Pago")
    w = _windows(conn, date(2000, 1, 1), date(2100, 1, 1), None, east, west)
    for club, tz in ((east, "Pacific/Kiritimati"), (west, "Pacific/Pago_Pago")):
        local_today = now.astimezone(ZoneInfo(tz)).date()
        first = date(2020, 1, 1)  # the opening day
        assert w[club].local_today == local_today
        assert (w[club].first_day, w[club].end_day) == (first, local_today + timedelta(days=1))
        assert w[club].first_ts == datetime.combine(first, datetime.min.time(), ZoneInfo(tz))
        assert w[club].end_ts == datetime.combine(local_today + timedelta(days=1), datetime.min.time(), ZoneInfo(tz))
    assert w[east].local_today > w[west].local_today


def test_the_chain_time_zone_is_the_one_most_clubs_use(conn):
    zones = dict(conn.execute(sa.text("select timezone, count(*) from clubs group by timezone")).all())
    most = max(zones.values(), default=0)
    for n in range(most + 1):  # more clubs in Aqtobe's zone than in any other
        _club(conn, f"West {n}", tz="Asia/Aqtobe")
    calendar = chain_calendar(conn)
    assert calendar.timezone == "Asia/Aqtobe"
    as_of = _one(conn, "select data_as_of() as moment").moment
    assert calendar.local_today == as_of.astimezone(ZoneInfo("Asia/Aqtobe")).date()
    conn.execute(sa.text("delete from clubs where name like 'West %'"))
    if zones:  # a tie goes to the first name
        tied = sorted(z for z, n in zones.items() if n == most)[0]
        assert chain_calendar(conn).timezone == tied


# ---------------------------------------------------------------- thresholds


def test_thresholds_match_the_python_module_after_migrate(engine):
    with engine.connect() as conn:
        stored = {name: float(value) for name, value in conn.execute(sa.text(
            "select name, value from product_thresholds"))}
        read = {name: float(conn.execute(sa.text("select product_threshold(:n)"), {"n": name}).scalar())
                for name in THRESHOLDS}
    assert stored == read == {name: float(value) for name, value in THRESHOLDS.items()}


def test_migrate_puts_changed_or_stray_thresholds_right(engine):
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("update product_thresholds set value = 1 where name = 'high_risk'"))
            conn.execute(sa.text("insert into product_thresholds values ('stray', 5)"))
        assert migrate(engine) == []
        with engine.connect() as conn:
            rows = dict(conn.execute(sa.text("select name, value from product_thresholds")).all())
        assert set(rows) == set(THRESHOLDS) and float(rows["high_risk"]) == THRESHOLDS["high_risk"]
    finally:
        migrate(engine)


def test_an_unknown_threshold_is_an_error(conn):
    with pytest.raises(sa.exc.DBAPIError, match="unknown product threshold: 'high_rsik'"):
        conn.execute(sa.text("select product_threshold('high_rsik')"))


def test_no_product_threshold_is_written_as_a_literal_in_the_queries():
    """The risk band, the win-back window and the high-value share come from product_threshold()."""
    for name in ("overview/customers_at_risk",):
        text = load_sql(name)
        assert ">= 70" not in text and "<= 90" not in text and "0.8)" not in text
        assert "product_threshold('high_risk')" in text


# ---------------------------------------------------------------- the seed's functions keep their contract


AI_CONTRACTS = {
    "ai_customer_segmentation()": (
        "TABLE(user_id integer, full_name text, segment text, churn_risk numeric, clv_predicted numeric, "
        "upsell_score numeric, probability_alive numeric, expected_visits_30d numeric, next_visit_date date, "
        "recommendations jsonb)"),
    "ai_dashboard_summary()": (
        "TABLE(metric_name text, metric_category text, current_value numeric, predicted_value numeric, "
        "confidence_level numeric, alert_level text)"),
    "ai_dashboard_summary(integer[])": (
        "TABLE(metric_name text, metric_category text, current_value numeric, predicted_value numeric, "
        "confidence_level numeric, alert_level text)"),
}
METRICS = ["revenue_today", "bookings_today", "seats_occupied_now", "utilization_today", "customers_at_risk",
           "high_value_at_risk"]


@pytest.mark.parametrize("signature", sorted(AI_CONTRACTS))
def test_ai_functions_return_the_documented_columns(engine, signature):
    with engine.connect() as conn:
        result = conn.execute(sa.text("select pg_get_function_result(cast(:s as regprocedure))"),
                              {"s": signature}).scalar()
    assert result == AI_CONTRACTS[signature]


def test_ai_dashboard_summary_for_the_chain_and_for_no_club(engine, demo):
    with engine.connect() as conn:
        chain = conn.execute(sa.text("select * from ai_dashboard_summary()")).all()
        everyone = conn.execute(sa.text("select * from ai_dashboard_summary(array(select id from clubs))")).all()
        nobody = conn.execute(sa.text(load_sql("overview/dashboard_summary")), {"club_ids": []}).all()
    assert [r.metric_name for r in chain] == [r.metric_name for r in nobody] == METRICS
    assert chain == everyone
    assert sum(float(r.current_value or 0) for r in chain) > 0
    assert all(float(r.current_value or 0) == 0 for r in nobody)
    assert all(r.alert_level in ("normal", "warning", "critical") for r in chain)


def test_ai_dashboard_summary_counts_match_every_booking(engine, demo):
    """The summary reads only the bookings near today and the same weekday 1-4 weeks ago; counted over every
    booking instead, today's bookings, their usual count and the seats in use now are the same."""
    every = """
        with now as (select data_as_of() as at)
        select
            count(*) filter (where b.date = (n.at at time zone b.timezone)::date and b.status <> 'отменено')
                as today,
            round(count(*) filter (where b.date in (select (n.at at time zone b.timezone)::date - 7 * w
                                                    from generate_series(1, 4) w)
                                     and b.status <> 'отменено') / 4.0, 0) as usual,
            count(*) filter (where b.status = 'активно' and b.start_time <= n.at and b.end_time > n.at) as now
        from club_bookings b cross join now n"""
    with engine.connect() as conn:
        summary = {r.metric_name: r for r in conn.execute(sa.text("select * from ai_dashboard_summary()"))}
        counted = conn.execute(sa.text(every)).one()
    assert counted.today > 0
    assert float(summary["bookings_today"].current_value) == counted.today
    assert float(summary["bookings_today"].predicted_value) == float(counted.usual)
    assert float(summary["seats_occupied_now"].current_value) == counted.now


# ---------------------------------------------------------------- club scope fails closed


SCOPED = {
    "platform/clubs": {},
    "overview/live_kpis": {"silent_hours": 2},
    "overview/customers_at_risk": {},
    "forecast/daily_revenue": {},
    "utilization/hourly": {"start_day": TODAY - timedelta(days=27), "end_day": TODAY},
    "utilization/seat_use": {"start_day": TODAY - timedelta(days=27), "end_day": TODAY},
    "customers/search": {"tsquery": None, "segments": [], "min_risk": 0, "max_risk": 100, "min_clv": 0,
                         "max_clv": None, "limit": 500, "names_only": False},
    "customers/segment_rfm": {"cutoff": datetime.now(timezone.utc)},
    "customers/segment_overview": {},
    "customers/profile": {},
    "customers/monthly_history": {},
    "customers/visit_days": {},
    "models/risk_histogram": {"step": 5},
    "whatif/baseline": {"as_of": None, "weeks": 4, "holidays": []},
    "whatif/slots": {"as_of": None, "weeks": 4, "holidays": []},
    "whatif/weekly_revenue": {"as_of": None, "weeks": 4},
    "whatif/elasticity_cells": {"as_of": None, "weeks": 4, "holidays": []},
    "whatif/campaign_customers": {"as_of": None},
    "data/health_coverage": {},
    "data/health_gaps": {"min_days": 0, "limit": 20},
    "data/health_customers": {},
    "data/health_checks": {},
    "campaigns/scores": {},
}
# graded versions' numbers: checked with graded backtests in tests/models/test_performance.py; saved scenarios
# and the activity log take the viewer's scope (:whole_chain, :club_ids): tests/whatif/test_scenarios.py and
# tests/accounts/test_audit.py; the others write the clubs an account, a scenario or an activity row has;
# the alerts' lists: tests/alerts/test_scope.py
# duplicate customers (none in the demo): with planted duplicates in tests/data_import/test_health.py
SCOPED_ELSEWHERE = {"models/performance", "models/grade_deciles", "data/health_duplicates", "whatif/list", "whatif/load",
                    "accounts/activity_search", "accounts/scope_add", "accounts/activity_insert",
                    "accounts/activity_insert_once", "whatif/insert",
                    "alerts/recent_incidents", "alerts/recent_deliveries",
                    "data/imports",  # tests/data_import/test_imports.py, with files imported for named clubs
                    # null is the whole chain (the retrain's, a whole chain's account), an empty list counts
                    # nothing: tests/pages/test_scope_pages.py
                    "data/requirements", "models/scored_customers"}
# a campaign's queries: checked with a real campaign in tests/campaigns/test_store.py
SCOPED_ELSEWHERE |= {f"campaigns/{name}" for name in ("assignments", "close", "closed_results", "contacts", "list",
                                                       "outcomes", "treated_contacts")}


@pytest.fixture(scope="module")
def regular(engine, demo, trained) -> int:
    """A scored customer with visits at exactly one club."""
    with engine.connect() as conn:
        return conn.execute(sa.text(
            "select b.user_id from club_bookings b join customer_scores s on s.user_id = b.user_id "
            "where s.version = active_model_version() group by b.user_id "
            "having count(distinct b.club_id) = 1 order by count(*) desc limit 1")).scalar()


@pytest.mark.parametrize("name", sorted(SCOPED))
def test_an_empty_club_list_sees_nothing(engine, trained, regular, name):
    params = dict(SCOPED[name], user_id=regular)
    with engine.connect() as conn:
        everyone = conn.execute(sa.text(load_sql(name)), dict(params, club_ids=_all_clubs(conn))).all()
        nobody = conn.execute(sa.text(load_sql(name)), dict(params, club_ids=[])).all()
    assert everyone, f"{name} returns rows for the whole chain (else this test proves nothing)"
    assert nobody == []


def test_every_query_that_takes_clubs_is_checked_and_none_fails_open():
    takes_clubs = {f"{p.parent.name}/{p.stem}" for p in SQL_DIR.glob("*/*.sql")
                   if p.parent.name != "migrations" and ":club_ids" in p.read_text(encoding="utf-8")}
    # the dashboard summary's six metrics are checked above
    assert takes_clubs == set(SCOPED) | SCOPED_ELSEWHERE | {"overview/dashboard_summary"}
    for path in [*SQL_DIR.glob("*/*.sql"), *sql_files("migrations")]:
        text = path.read_text(encoding="utf-8")
        assert "cardinality(cast(:club_ids" not in text, f"{path.name} treats an empty club list as every club"


def test_a_customer_outside_the_clubs_has_no_profile_or_history(engine, regular):
    with engine.connect() as conn:
        home = conn.execute(sa.text("select min(club_id) from club_bookings where user_id = :u"),
                            {"u": regular}).scalar()
        others = [c for c in _all_clubs(conn) if c != home]
        assert others, "the demo chain has more than one club"

        def rows(name, clubs):
            return conn.execute(sa.text(load_sql(name)), {"user_id": regular, "club_ids": clubs}).all()

        assert len(rows("customers/profile", [home])) == 1
        assert rows("customers/monthly_history", [home])
        assert rows("customers/profile", others) == []
        assert rows("customers/monthly_history", others) == []


def _all_clubs(conn) -> list[int]:
    return [r.club_id for r in conn.execute(sa.text(load_sql("platform/club_ids")))]

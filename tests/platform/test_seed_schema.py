"""`oyna db migrate` over a chain's own database with the seed's schema (docs/schema.md, "An existing
database"): no row or column of theirs changes, oyna's objects are added, their application keeps
writing, and the views, the ai_* functions and a retrain work on their rows."""

from __future__ import annotations

import sqlalchemy as sa

from core.platform.migrate import migrate
from core.rollups.refresh import refresh
from tests.platform.seed_database import TABLES, ZONE, oyna_additions, snapshot

SEED_TABLES = ["audit_logs", "bookings", "clubs", "halls", "payments", "seats", "users"]
ADDED_COLUMNS = {
    "clubs.timezone", "clubs.opens_at", "clubs.closes_at", "clubs.opened_on", "halls.hall_type",
    "halls.night_package_price", "seats.label", "seats.device", "users.signed_up_at", "bookings.package",
    "payments.method", "users.external_source", "users.external_id", "bookings.external_source",
    "bookings.external_id", "payments.external_source", "payments.external_id",
}
ADDED_INDEXES = {"idx_bookings_seat_time", "idx_bookings_start", "idx_payments_paid_at", "idx_halls_club",
                 "idx_seats_hall", "idx_payments_booking",
                 # imports' own ids (013), partial: only rows an import wrote have one, so their writes pass
                 "users_external_key", "bookings_external_key", "payments_external_key",
                 # the first word of a name, for the search of people who may not see contacts (022)
                 "idx_users_first_name"}
ROLLUP_TRIGGERS = sorted([f"rollup_mark_{t}_{event}" for t in ("bookings", "payments", "clubs", "halls", "seats")
                          for event in ("insert", "update", "delete")]
                         + ["rollup_mark_bookings_truncate", "rollup_mark_payments_truncate"])
# the columns of the seed's own mv_daily_club_stats
SEED_VIEW_COLUMNS = ["report_date", "club_id", "club_name", "unique_customers", "total_bookings", "total_revenue",
                     "avg_session_hours", "occupied_seats", "utilization_rate"]


def _all(conn, sql: str, **params) -> list:
    return list(conn.execute(sa.text(sql), params).scalars())


def test_migrate_applies_every_migration_then_nothing(seed_database):
    first, again = seed_database.migrations
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("applied: 001_schema") and "010_building_blocks" in first.stdout
    assert again.returncode == 0 and "up to date" in again.stdout, again.stderr
    assert migrate(seed_database.engine) == []


def test_no_row_or_column_of_theirs_changes(seed_database):
    before = seed_database.before
    after = snapshot(seed_database.engine, before.columns)
    assert all(before.rows[t][0] > 0 for t in TABLES)  # the checksums cover real rows
    assert after.rows == before.rows
    for table, columns in before.columns.items():  # names, types, nullability, defaults; ours come after
        assert after.columns[table][:len(columns)] == columns
    assert after.functions == before.functions  # the seed's create_monthly_partition(), refresh_daily_stats()
    assert {name: after.indexes.get(name) for name in before.indexes} == before.indexes
    assert {name: after.constraints.get(name) for name in before.constraints} == before.constraints
    assert after.partitions == before.partitions


def test_what_migrate_adds_to_their_tables(seed_database):
    engine = seed_database.engine
    added = oyna_additions(seed_database.before, snapshot(engine))
    assert added["columns"] == ADDED_COLUMNS
    assert added["indexes"] == ADDED_INDEXES  # the seed's own idx_* names are kept as they were
    assert added["constraints"] == {f"oyna_{c.replace('.', '_')}_check" for c in
                                    ("clubs.timezone", "halls.hall_type", "halls.night_package_price",
                                     "seats.device", "bookings.package", "payments.method")}
    with engine.connect() as conn:
        assert _all(conn, "select table_name from adopted_tables order by 1") == SEED_TABLES
        assert _all(conn, "select bool_or(convalidated) from pg_constraint where conname like 'oyna\\_%'") == [False]
        triggers = _all(conn, "select tgname from pg_trigger where not tgisinternal "
                              "and tgrelid = any(select to_regclass(t) from unnest(cast(:t as text[])) t)",
                        t=SEED_TABLES)
        defaults = dict(conn.execute(sa.text(
            "select table_name || '.' || column_name, column_default from information_schema.columns "
            "where table_schema = current_schema() and column_name in ('timezone', 'hall_type', 'signed_up_at')"
        )).all())
        empty = conn.execute(sa.text(
            "select count(*) filter (where signed_up_at is null) = count(*) from users")).scalar()
    # only the rollups' change marks, which never refuse a write (a statement's days go to oyna's queue)
    assert sorted(triggers) == ROLLUP_TRIGGERS
    assert defaults["clubs.timezone"] == "'Asia/Almaty'::text" and defaults["halls.hall_type"] == "'standard'::text"
    assert defaults["users.signed_up_at"] == "now()" and empty  # old rows are not stamped with today


def test_oyna_objects_are_there(seed_database):
    with seed_database.engine.connect() as conn:
        tables = set(_all(conn, "select tablename from pg_tables where schemaname = current_schema()"))
        views = set(_all(conn, "select viewname from pg_views where schemaname = current_schema()"))
        matviews = set(_all(conn, "select matviewname from pg_matviews where schemaname = current_schema()"))
        functions = {f: conn.execute(sa.text("select to_regprocedure(:f) is not null"), {"f": f}).scalar() for f in (
            "ai_customer_segmentation()", "ai_dashboard_summary()", "ai_dashboard_summary(integer[])",
            "refresh_analytics(boolean)", "data_as_of()", "product_threshold(text)",
            "club_windows(date, date, integer)", "create_audit_partition(date)", "ensure_audit_partitions(date, date)",
            "active_model_version()", "club_instant(timestamp, text)", "club_local(timestamp, text)")}
        view_columns = _all(conn, "select attname from pg_attribute where attrelid = 'mv_daily_club_stats'::regclass "
                                  "and attnum > 0 order by attnum")
        partition = conn.execute(sa.text("select create_audit_partition(current_date)")).scalar()
    assert {"model_versions", "customer_scores", "revenue_forecasts", "app_accounts", "sign_in_log", "scenarios",
            "product_thresholds", "time_bands", "mv_refresh_log", "schema_migrations", "adopted_tables"} <= tables
    assert {"club_open_hours", "hour_bands", "hall_seats", "club_seats", "club_bookings"} <= views
    assert "mv_daily_club_stats" in matviews and "mv_hourly_utilization" not in matviews
    assert {"rollup_hall_hours", "rollup_seat_days", "rollup_club_days", "rollup_customer_months"} <= tables
    assert all(functions.values()), functions
    assert set(SEED_VIEW_COLUMNS) <= set(view_columns) and "booked_seat_hours" in view_columns
    assert partition is None  # their audit_logs is not partitioned: oyna adds no partitions to it


def test_their_times_are_the_clubs_local_times(seed_database):
    with seed_database.engine.connect() as conn:
        kinds = conn.execute(sa.text(
            "select pg_typeof(start_time)::text, pg_typeof(local_start)::text from club_bookings limit 1")).one()
        wrong = conn.execute(sa.text(
            "select count(*) filter (where cb.local_start <> b.start_time or cb.local_end <> b.end_time), "
            "       count(*) filter (where cb.start_time <> b.start_time at time zone :zone), "
            "       count(*) "
            "from club_bookings cb join bookings b on b.id = cb.booking_id"), {"zone": ZONE}).one()
    assert kinds == ("timestamp with time zone", "timestamp without time zone")
    assert wrong[0] == 0 and wrong[1] == 0 and wrong[2] > 0


def test_their_times_read_as_oyna_own_schema_reads_the_same_bookings(seed_database, engine, demo):
    """The simulated bookings are in the session's database (timestamptz) and, as local times, in theirs."""
    query = sa.text("select booking_id, start_time, local_start, local_end from club_bookings "
                    "where booking_id <= :last order by booking_id")
    last = int(demo.bookings.id.max())
    with engine.connect() as ours, seed_database.engine.connect() as theirs:
        expected = ours.execute(query, {"last": last}).all()
        got = theirs.execute(query, {"last": last}).all()
    assert len(got) == len(demo.bookings) and got == expected


def test_their_application_keeps_writing(seed_database, seed_trained):
    """Writes in their application's own way, after migrate: only their columns, local times, a status of
    their own, a seat booked twice, a negative amount, a customer deleted; all pass and nothing is audited."""
    with seed_database.engine.connect() as conn:
        tx = conn.begin()
        try:
            audited = conn.execute(sa.text("select count(*) from audit_logs")).scalar()
            club = conn.execute(sa.text("insert into clubs (name) values ('Новый клуб') returning id")).scalar()
            hall = conn.execute(sa.text("insert into halls (club_id, name) values (:c, 'Зал') returning id"),
                                {"c": club}).scalar()
            conn.execute(sa.text("insert into seats (hall_id, seat_number) values (:h, '1')"), {"h": hall})
            taken = conn.execute(sa.text(
                "select user_id, seat_id, date, start_time, end_time from bookings "
                "where status = 'завершено' order by id limit 1")).one()
            twice = conn.execute(sa.text(
                "insert into bookings (user_id, seat_id, date, start_time, end_time, status) "
                "values (:u, :s, :d, :a, :b, 'бронь') returning id"),
                {"u": taken.user_id, "s": taken.seat_id, "d": taken.date, "a": taken.start_time,
                 "b": taken.end_time}).scalar()
            conn.execute(sa.text("insert into payments (booking_id, amount, payment_status, paid_at) "
                                 "values (:b, -500, 'возврат', localtimestamp)"), {"b": twice})
            conn.execute(sa.text("update bookings set status = 'отменено' where id = :b"), {"b": twice})
            scored = conn.execute(sa.text("select user_id from customer_scores order by user_id limit 1")).scalar()
            conn.execute(sa.text("delete from payments where booking_id in (select id from bookings where user_id = :u)"),
                         {"u": scored})
            conn.execute(sa.text("delete from bookings where user_id = :u"), {"u": scored})
            conn.execute(sa.text("delete from users where id = :u"), {"u": scored})
            assert conn.execute(sa.text("select count(*) from audit_logs")).scalar() == audited
            assert conn.execute(sa.text("select timezone, opens_at = closes_at from clubs where id = :c"),
                                {"c": club}).one() == ("Asia/Almaty", True)
            conn.execute(sa.text("select create_monthly_partition()"))  # theirs: audit_logs_partitioned
            assert conn.execute(sa.text(
                "select count(*) from pg_inherits where inhparent = 'audit_logs_partitioned'::regclass")).scalar() > 2
            conn.execute(sa.text("select refresh_daily_stats()"))  # failed before: oyna's view has a unique index
        finally:
            tx.rollback()
    assert seed_database.seed_refresh_error and "concurrently" in seed_database.seed_refresh_error


def test_views_functions_and_a_retrain_work_on_their_rows(seed_database, seed_trained):
    engine = seed_database.engine
    assert refresh(engine).done
    assert seed_trained.activated
    with engine.connect() as conn:
        scored = conn.execute(sa.text(
            "select count(*) from customer_scores where version = active_model_version()")).scalar()
        segmented = conn.execute(sa.text("select count(*) from ai_customer_segmentation()")).scalar()
        summary = _all(conn, "select metric_name from ai_dashboard_summary()")
        forecasts = conn.execute(sa.text(
            "select count(distinct club_id) from revenue_forecasts where version = active_model_version()")).scalar()
        revenue = conn.execute(sa.text(
            "with theirs as ("
            "  select h.club_id, b.date, sum(p.amount) as revenue from payments p"
            "  join bookings b on b.id = p.booking_id join seats s on s.id = b.seat_id"
            "  join halls h on h.id = s.hall_id where p.payment_status = 'успешно' group by 1, 2)"
            "select count(*), count(*) filter (where v.total_revenue is distinct from t.revenue) "
            "from theirs t left join mv_daily_club_stats v on v.club_id = t.club_id and v.report_date = t.date"
        )).one()
    assert scored == seed_trained.row_counts["customers"] > 500 and segmented == scored
    assert summary == ["revenue_today", "bookings_today", "seats_occupied_now", "utilization_today",
                       "customers_at_risk", "high_value_at_risk"]
    assert forecasts >= 2
    assert revenue[0] > 100 and revenue[1] == 0

import sqlalchemy as sa

from core.platform.db import sql_files
from core.platform.migrate import migrate, pending


def test_every_migration_is_recorded(engine):
    with engine.connect() as conn:
        versions = conn.execute(sa.text("select version from schema_migrations order by version")).scalars().all()
    assert versions == [p.stem for p in sql_files("migrations")]


def test_migrate_twice_changes_nothing(engine):
    assert migrate(engine) == []
    assert pending(engine) == []


def test_seed_tables_exist(engine):
    expected = {"clubs", "halls", "seats", "users", "bookings", "payments", "audit_logs", "time_bands"}
    with engine.connect() as conn:
        tables = set(conn.execute(sa.text(
            "select table_name from information_schema.tables where table_schema = 'public'")).scalars())
        partitioned = conn.execute(sa.text(
            "select count(*) from pg_inherits where inhparent = 'audit_logs'::regclass")).scalar()
        indexes = set(conn.execute(sa.text("select indexname from pg_indexes")).scalars())
    assert expected <= tables
    assert partitioned >= 2
    assert {"idx_bookings_ai_analysis", "idx_payments_active", "idx_users_search"} <= indexes


def test_timestamps_are_timestamptz(engine):
    with engine.connect() as conn:
        kinds = dict(conn.execute(sa.text(
            "select column_name, data_type from information_schema.columns "
            "where table_name = 'bookings' and column_name in ('start_time', 'end_time', 'created_at')")).all())
    assert set(kinds.values()) == {"timestamp with time zone"}

"""Load a simulated chain into PostgreSQL with COPY, in one transaction."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.platform.db import copy_frame, load_sql
from core.demo.simulate import DemoData
from core.rollups.refresh import rebuild

# table -> columns, in load order
TABLES = {
    "clubs": ["id", "name", "city", "timezone", "address", "opens_at", "closes_at", "opened_on"],
    "halls": ["id", "club_id", "name", "hall_type", "hourly_price", "night_package_price"],
    "seats": ["id", "hall_id", "label", "device", "is_active"],
    "users": ["id", "full_name", "email", "phone", "signed_up_at"],
    "bookings": ["id", "user_id", "seat_id", "date", "start_time", "end_time", "status", "package", "price",
                 "created_at"],
    "payments": ["id", "booking_id", "amount", "paid_at", "payment_status", "method"],
    "audit_logs": ["id", "table_name", "record_id", "action", "old_values", "new_values", "created_at"],
}
BULK_TABLES = ("users", "bookings", "payments", "audit_logs")
CHUNK_ROWS = 200_000


class DemoLoadError(RuntimeError):
    pass


def has_data(conn: sa.Connection) -> bool:
    return bool(conn.execute(sa.text("select exists (select 1 from clubs)")).scalar())


def load(engine: Engine, data: DemoData, *, replace: bool = False,
         progress: Callable[[str], None] = print) -> dict[str, float]:
    """COPY every table; indexes and foreign keys are rebuilt once at the end.

    Everything happens in one transaction, so a failure leaves the database as it was.
    """
    timings: dict[str, float] = {}
    with engine.connect() as conn:
        with conn.begin():
            if has_data(conn) and not replace:
                raise DemoLoadError("the database already holds data; use --replace to start over")
            raw = conn.connection.driver_connection
            raw.execute("set local synchronous_commit = off")
            if replace:
                # models trained on the old data go too
                raw.execute("truncate audit_logs, payments, bookings, users, seats, halls, clubs, "
                            "demo_truth.customer_future, demo_truth.generation restart identity cascade")
                if raw.execute("select to_regclass('model_versions')").fetchone()[0]:
                    raw.execute("truncate model_versions cascade")
                if raw.execute("select to_regclass('campaigns')").fetchone()[0]:
                    raw.execute("truncate campaigns restart identity cascade")  # their customers are gone
            span = (data.audit_logs.created_at.min(), data.data_end) if len(data.audit_logs) else \
                (data.data_end, data.data_end)
            # months of audit_logs for the whole history, as the owner (ensure_audit_partitions() makes only
            # the months near today)
            raw.execute("select count(create_audit_partition(m::date)) from generate_series("
                        "date_trunc('month', %s::date), %s::date + 31, interval '1 month') m",
                        [span[0].date(), span[1].date()])
            saved = _drop_secondary(raw)
            raw.execute("alter table bookings disable trigger bookings_no_overlap")
            for table in ("bookings", "payments"):  # rebuilt whole below, not row set by row set
                raw.execute(f"alter table {table} disable trigger rollup_mark_{table}_insert")
            for table, columns in TABLES.items():
                t0 = time.perf_counter()
                frame = _csv_ready(getattr(data, table)[columns])
                _copy(raw, table, columns, frame, progress)
                timings[table] = time.perf_counter() - t0
            _copy(raw, "demo_truth.customer_future", list(data.truth.columns), data.truth, progress)
            raw.execute("insert into demo_truth.generation (size, seed, data_end) values (%s, %s, %s)",
                        [data.size_name, data.seed, data.data_end])
            t0 = time.perf_counter()
            progress("rebuilding indexes and foreign keys …")
            for statement in saved:
                raw.execute(statement)
            raw.execute("alter table bookings enable trigger bookings_no_overlap")
            for table in ("bookings", "payments"):
                raw.execute(f"alter table {table} enable trigger rollup_mark_{table}_insert")
            timings["indexes"] = time.perf_counter() - t0
            overlaps = raw.execute(load_sql("data/seat_overlaps")).fetchall()
            if overlaps:
                raise DemoLoadError(f"{len(overlaps)} double-booked seats in the generated data")
            for table in TABLES:
                raw.execute(f"select setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"coalesce((select max(id) from {table}), 0) + 1, false)")
    t0 = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("analyze"))
    timings["analyze"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    progress("building the rollups …")
    rebuild(engine)
    timings["rollups"] = time.perf_counter() - t0
    return timings


def _drop_secondary(raw) -> list[str]:
    """Drop foreign keys and non-unique indexes of the bulk tables; return statements that recreate them."""
    tables = list(BULK_TABLES)
    fks = raw.execute(
        "select conrelid::regclass::text, conname, pg_get_constraintdef(oid) from pg_constraint "
        "where contype = 'f' and conrelid::regclass::text = any(%s)", [tables]).fetchall()
    indexes = raw.execute(
        "select i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) from pg_index i "
        "join pg_class c on c.oid = i.indrelid "
        "where c.relname = any(%s) and not i.indisunique and not i.indisprimary "
        "and c.relkind = 'r'", [tables]).fetchall()
    for table, name, _ in fks:
        raw.execute(f'alter table {table} drop constraint "{name}"')
    for name, _ in indexes:
        raw.execute(f"drop index {name}")
    return [definition for _, definition in indexes] + \
        [f'alter table {table} add constraint "{name}" {definition}' for table, name, definition in fks]


def _csv_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Format timestamps once, in C, instead of row by row in to_csv."""
    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.DatetimeTZDtype):
            utc = out[col].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
            out[col] = np.char.add(np.datetime_as_string(utc, unit="s"), "+00")
    return out


def _copy(raw, table: str, columns: list[str], frame: pd.DataFrame, progress: Callable[[str], None]) -> None:
    copy_frame(raw, table, frame[columns], chunk_rows=CHUNK_ROWS, progress=progress)
    progress(f"{table}: {len(frame):,} rows")

"""A chain's own database with the seed's schema (tests/data/seed_schema.sql), its rows, and what of it
must survive `oyna db migrate`. The `seed_database` fixture in tests/conftest.py builds it with `build`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.demo.simulate import DemoData
from core.platform.db import copy_frame, make_engine
from core.platform.settings import PROJECT_ROOT

DATA = Path(__file__).resolve().parents[1] / "data"
SCHEMA = DATA / "seed_schema.sql"
ROWS = DATA / "seed_rows.sql"
ZONE = "Asia/Almaty"  # the chain writes local times; migrate gives its clubs this zone by default

TABLES = ("clubs", "halls", "seats", "users", "bookings", "payments", "audit_logs", "audit_logs_partitioned")
FUNCTIONS = ("create_monthly_partition()", "refresh_daily_stats()")

# seed table -> {its column: the simulated column it is filled from}
FROM_DEMO = {
    "clubs": {"id": "id", "name": "name", "city": "city", "address": "address"},
    "halls": {"id": "id", "club_id": "club_id", "name": "name", "hourly_price": "hourly_price"},
    "seats": {"id": "id", "hall_id": "hall_id", "seat_number": "label", "is_active": "is_active"},
    "users": {"id": "id", "full_name": "full_name", "email": "email", "phone": "phone", "created_at": "signed_up_at"},
    "bookings": {"id": "id", "user_id": "user_id", "seat_id": "seat_id", "date": "date", "start_time": "start_time",
                 "end_time": "end_time", "status": "status", "price": "price", "created_at": "created_at"},
    "payments": {"id": "id", "booking_id": "booking_id", "amount": "amount", "payment_method": "method",
                 "payment_status": "payment_status", "paid_at": "paid_at"},
    "audit_logs": {"id": "id", "table_name": "table_name", "record_id": "record_id", "action": "action",
                   "old_values": "old_values", "new_values": "new_values", "created_at": "created_at"},
}


def statements(script: str) -> list[str]:
    """The statements of a SQL script: split at a `;` that ends a line outside a $$ body; comments dropped."""
    out, current, in_body = [], [], False
    for line in script.splitlines():
        code = line if in_body else line.split("--", 1)[0]
        in_body ^= code.count("$$") % 2 == 1
        current.append(code)
        if not in_body and code.rstrip().endswith(";"):
            text = "\n".join(current).strip()
            if text.rstrip(";").strip():
                out.append(text)
            current = []
    return out


def run_script(engine: Engine, path: Path) -> None:
    """Run a script one statement at a time outside a transaction, as psql does (CREATE INDEX CONCURRENTLY)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        raw = conn.connection.driver_connection
        for statement in statements(path.read_text(encoding="utf-8")):
            raw.execute(statement)


def load_chain(engine: Engine, data: DemoData) -> None:
    """Copy the simulated chain into the seed's tables, with times as naive local times, then the hand-written
    rows. Times go through PostgreSQL (`at time zone`), so they agree with the server's own zone rules."""
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        for table, columns in FROM_DEMO.items():
            frame = getattr(data, table)[list(columns.values())].set_axis(list(columns), axis=1)
            raw.execute(f"create temp table stage_{table} on commit drop as select * from {table} limit 0")
            times = [c for c in columns if isinstance(frame[c].dtype, pd.DatetimeTZDtype)]
            for column in times:
                raw.execute(f"alter table stage_{table} alter column {column} type timestamptz")
            copy_frame(raw, f"stage_{table}", frame)
            select = ", ".join(f"{c} at time zone '{ZONE}'" if c in times else c for c in columns)
            raw.execute(f"insert into {table} ({', '.join(columns)}) select {select} from stage_{table}")
            raw.execute(f"select setval(pg_get_serial_sequence('{table}', 'id'), (select max(id) from {table}))")
    run_script(engine, ROWS)


@dataclass(frozen=True)
class Snapshot:
    """What of the chain's database must stay as it was."""
    columns: dict[str, list[tuple]]          # table -> (name, type, nullable, default) of every column
    rows: dict[str, tuple[int, str]]         # table -> (row count, md5 of every row over those columns)
    functions: dict[str, str]                # the seed's functions -> their definitions
    indexes: dict[str, str]                  # every index on the seed's tables -> its definition
    constraints: dict[str, str]              # every constraint on the seed's tables -> its definition
    partitions: list[str]                    # partitions of audit_logs_partitioned


def snapshot(engine: Engine, columns: dict[str, list[tuple]] | None = None) -> Snapshot:
    """The seed's objects now; with `columns` (an earlier snapshot's), rows are read over those columns only."""
    with engine.connect() as conn:
        now = {t: [tuple(r) for r in conn.execute(sa.text(
            "select column_name, data_type, is_nullable, column_default from information_schema.columns "
            "where table_schema = current_schema() and table_name = :t order by ordinal_position"), {"t": t})]
            for t in TABLES}
        rows = {}
        for table, cols in (columns or now).items():
            names = ", ".join(f'"{c[0]}"' for c in cols)
            rows[table] = tuple(conn.execute(sa.text(
                f"select count(*), md5(coalesce(string_agg(r, E'\\n' order by r), '')) "
                f"from (select row({names})::text as r from {table}) t")).one())
        functions = {f: conn.execute(sa.text("select pg_get_functiondef(to_regprocedure(:f))"), {"f": f}).scalar()
                     for f in FUNCTIONS}
        indexes = dict(conn.execute(sa.text(
            "select indexname, indexdef from pg_indexes where schemaname = current_schema() "
            "and tablename = any(:t)"), {"t": list(TABLES)}).all())
        constraints = dict(conn.execute(sa.text(
            "select conname, pg_get_constraintdef(oid) from pg_constraint "  # not null: in pg_constraint from 18
            "where contype <> 'n' and conrelid = any(select to_regclass(t) from unnest(cast(:t as text[])) t)"), {"t": list(TABLES)}).all())
        partitions = sorted(conn.execute(sa.text(
            "select inhrelid::regclass::text from pg_inherits "
            "where inhparent = 'audit_logs_partitioned'::regclass")).scalars())
    return Snapshot(now, rows, functions, indexes, constraints, partitions)


def oyna_additions(before: Snapshot, after: Snapshot) -> dict[str, set[str]]:
    """Columns, indexes and constraints that migrate added to the seed's tables."""
    return {
        "columns": {f"{t}.{c[0]}" for t, cols in after.columns.items() for c in cols
                    if c[0] not in {b[0] for b in before.columns[t]}},
        "indexes": set(after.indexes) - set(before.indexes),
        "constraints": set(after.constraints) - set(before.constraints),
    }


@dataclass(frozen=True)
class SeedDatabase:
    url: str
    engine: Engine
    before: Snapshot                          # just before the first `oyna db migrate`
    migrations: list[subprocess.CompletedProcess]  # `oyna db migrate`, run twice
    seed_refresh_error: str | None            # what the seed's refresh_daily_stats() said before migrate


def oyna(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "core.cli", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def _refresh_error(engine: Engine) -> str | None:
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("select refresh_daily_stats()"))
    except sa.exc.DBAPIError as exc:
        return str(exc.orig).splitlines()[0]
    return None


@contextmanager
def build(url: str, data: DemoData) -> Iterator[SeedDatabase]:
    """The seed's schema and rows in the empty database at `url`, then `oyna db migrate` twice."""
    engine = make_engine(url)
    try:
        run_script(engine, SCHEMA)
        load_chain(engine, data)
        error = _refresh_error(engine)
        before = snapshot(engine)
        runs = [oyna(url, "db", "migrate") for _ in range(2)]
        yield SeedDatabase(url, engine, before, runs, error)
    finally:
        engine.dispose()

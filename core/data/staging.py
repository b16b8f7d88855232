"""Staging one file's rows in PostgreSQL as its chunks are read, inside the import's transaction.

Each checked chunk of visits finds or creates its clubs, halls and seats (`core.data.premises`) and is
copied into the temporary `import_visits` table; a chunk of customers goes into `import_customers`.
What placing the visits on seats needs later (per row: the hall, the seat named, the times, whether the
visit holds its seat) stays in memory as a few numeric arrays, about 40 bytes a row, so memory follows the
chunk, not the file. `core.data.loader` then writes the staged rows with set-based SQL.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.csv as pa_csv
import sqlalchemy as sa

from core.data import premises
from core.data.visits import CANCELLED, CUSTOMER_COLUMNS, VisitTable
from core.i18n import _
from core.platform.db import load_sql, run, script

IMPORT_LOCK = 7_351_013  # advisory lock: one import at a time


class Refused(RuntimeError):
    """The database refused a value of the file (the message names its line when COPY says which row)."""


def begin(conn: sa.Connection) -> None:
    """One import at a time, the audit partition for today's updates, and the staging tables."""
    run(conn, "platform/audit_partitions_now")  # updates of bookings and payments are audited
    conn.execute(sa.text("select pg_advisory_xact_lock(:k)"), {"k": IMPORT_LOCK})
    script(conn, load_sql("data/import_stage"))


def copy_frame(raw, table: str, frame: pd.DataFrame, batch_rows: int = 200_000, *,
               lines: pd.Series | None = None) -> None:
    """COPY a DataFrame into `table` (columns by name), written as CSV by Arrow: an empty cell is NULL,
    a quoted empty text is an empty text. A value the column cannot hold raises Refused, naming the row's
    line of the file (`lines`, one per row of `frame`)."""
    data = pa.Table.from_pandas(frame, preserve_index=False)
    options = pa_csv.WriteOptions(include_header=False)
    try:
        with raw.cursor() as cur, cur.copy(f"copy {table} ({', '.join(frame.columns)}) from stdin with (format csv)") as copy:
            for batch in data.to_batches(max_chunksize=batch_rows):
                buffer = io.BytesIO()
                pa_csv.write_csv(pa.Table.from_batches([batch]), buffer, write_options=options)
                copy.write(buffer.getvalue())
    except psycopg.errors.DataError as exc:
        raise Refused(_refusal(exc, lines)) from exc


def _refusal(exc: psycopg.Error, lines: pd.Series | None) -> str:
    """What the database refused, with the file's line when COPY's context names the row."""
    reason = str(exc).strip().splitlines()[0]
    found = re.search(r"line (\d+)(?:, column (\w+): (.*))?", exc.diag.context or "")
    if not found or lines is None or not 0 < int(found[1]) <= len(lines):
        return reason
    line = int(lines.iloc[int(found[1]) - 1])
    if found[2]:
        return _("line {line}: {column} {value}: {reason}").format(line=line, column=found[2],
                                                                   value=found[3][:60], reason=reason)
    return _("line {line}: {reason}").format(line=line, reason=reason)


def ticks(times: pd.Series) -> np.ndarray:
    """Instants as whole microseconds since 1970 (PostgreSQL's precision; pandas keeps several units)."""
    return times.dt.tz_convert("UTC").dt.as_unit("us").astype("int64").to_numpy()


@dataclass
class Staged:
    """The visits staged so far: how many, the clubs, halls and seats created for them, and per row (in the
    order of `import_visits.row_no`) what placing them on seats needs."""

    rows: int = 0
    added: dict[str, int] = field(default_factory=lambda: {"clubs": 0, "halls": 0, "seats": 0})
    new_halls: set[int] = field(default_factory=set)
    hall_types: dict[int, str] = field(default_factory=dict)  # a hall's type as the file first gives it
    parts: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def keep(self, **columns: np.ndarray) -> None:
        for name, values in columns.items():
            self.parts.setdefault(name, []).append(values)

    def column(self, name: str) -> np.ndarray:
        """One of line, hall_id, seat_id (0: none named), start, end (microseconds), holds, per_hour."""
        return np.concatenate(self.parts[name]) if self.parts.get(name) else np.empty(0)


def stage_visits(conn: sa.Connection, table: VisitTable, staged: Staged, timezone: str) -> None:
    """Find or create one chunk's clubs, halls and seats, and copy its visits into `import_visits`."""
    v = table.visits
    if v.empty:
        return
    where = premises.resolve(conn, table, timezone)
    for kind, n in where.added.items():
        staged.added[kind] = staged.added.get(kind, 0) + n
    staged.new_halls |= set(where.new_halls)
    for hall_id, hall_type in zip(where.hall_id.tolist(), v.hall_type.tolist()):
        staged.hall_types.setdefault(hall_id, hall_type)
    named = pd.Series(where.seat_id, index=v.index)
    frame = pd.DataFrame({
        "row_no": np.arange(staged.rows, staged.rows + len(v)), "line": v.line, "booking_key": v.booking_key,
        "customer_key": v.customer_key, "customer_name": v.customer_name, "email": v.email, "phone": v.phone,
        "signed_up_at": v.signed_up_at, "seat_id": named.where(named > 0).astype("Int64"),
        "start_time": v.start_time, "end_time": v.end_time, "local_date": v.local_date, "status": v.status,
        "price": v.price.round(2), "amount": v.amount.round(2), "payment_status": v.payment_status,
        "paid_at": v.paid_at, "method": v.method.where(v.amount.notna())})
    copy_frame(conn.connection.driver_connection, "import_visits", frame, lines=v.line)
    hours = (v.end_time - v.start_time).dt.total_seconds().to_numpy() / 3600
    staged.keep(line=v.line.to_numpy(np.int64), hall_id=where.hall_id.astype(np.int32),
                seat_id=where.seat_id.astype(np.int32), start=ticks(v.start_time), end=ticks(v.end_time),
                holds=(v.status != CANCELLED).to_numpy(bool), per_hour=v.price.to_numpy(float) / hours)
    staged.rows += len(v)


def stage_customers(conn: sa.Connection, customers: pd.DataFrame) -> None:
    """Copy one chunk of customers (CUSTOMER_COLUMNS) into `import_customers`."""
    frame = customers[CUSTOMER_COLUMNS].rename(columns={"customer_key": "external_id"})
    copy_frame(conn.connection.driver_connection, "import_customers", frame)

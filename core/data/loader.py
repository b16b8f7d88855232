"""Writing one checked file into the database, inside the caller's transaction.

The file's rows go into temporary staging tables with COPY, and set-based statements (`sql/data/
import_*.sql`) add or update customers, bookings and payments from there. Rows already imported
from the same source are found by their keys: unchanged ones are skipped, changed ones updated.
Visits that need a seat are placed first (`core.data.placement`), so the seat guard has nothing to
reject. A large import switches the row-by-row guard off inside its own transaction (other writers
wait on the table lock meanwhile) and checks the same rule once, set-based, on every seat it
touched, before switching it back on; a small one leaves the guard on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import io
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import psycopg
import pyarrow.csv as pa_csv
import sqlalchemy as sa

from core.data import placement, premises
from core.data.visits import CANCELLED, Problems, VisitTable
from core.platform.db import load_sql, run, script
from core.i18n import _

Progress = Callable[[float, str], None]
IMPORT_LOCK = 7_351_013          # advisory lock: one import at a time
GUARD_OFF_ROWS = 2_000           # from this many new or moved bookings, check the seat rule set-based
ANALYZE_ROWS = 1_000             # after adding this many rows to a table, refresh its planner statistics


# how the seat rule and the foreign keys are checked while writing
GUARD_ON = "row by row (the seat guard and foreign keys on)"
GUARD_OFF = "set-based (the seat guard off inside the transaction)"
BULK = "set-based (row-by-row triggers off inside the transaction)"


def _write_mode(conn: sa.Connection, changing: int) -> tuple[str, bool]:
    """(how to write, whether the seat guard trigger is there to switch off). Small imports keep every
    trigger. Large ones check the seat rule (and, as a superuser, the foreign keys) once, set-based:
    per-row checks cost more than the inserts themselves."""
    if changing < GUARD_OFF_ROWS:
        return GUARD_ON, False
    if conn.execute(sa.text("select current_setting('is_superuser') = 'on'")).scalar():
        return BULK, False
    owner, guarded = conn.execute(sa.text(
        "select pg_has_role(relowner, 'USAGE'), exists (select 1 from pg_trigger where tgrelid = 'bookings'::regclass "
        "and tgname = 'bookings_no_overlap') from pg_class where oid = 'bookings'::regclass")).one()
    # a chain's own bookings table has no seat guard (docs/schema.md): nothing to switch off, checked set-based
    return (GUARD_OFF, bool(guarded)) if owner or not guarded else (GUARD_ON, False)


def _stored_bookings(conn: sa.Connection) -> int:
    """About how many bookings the database holds (the planner's count, or an exact one when it has none)."""
    estimate = conn.execute(sa.text("select reltuples::bigint from pg_class where oid = 'bookings'::regclass")).scalar()
    if estimate is None or estimate < 0:
        return int(conn.execute(sa.text("select count(*) from bookings")).scalar_one())
    return int(estimate)


def _drop_indexes(conn: sa.Connection) -> list[str]:
    """Drop the non-unique indexes of bookings and payments (readers wait until the import commits);
    return the statements that build them again."""
    found = conn.execute(sa.text(
        "select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as definition "
        "from pg_index i where i.indrelid in ('bookings'::regclass, 'payments'::regclass) "
        "and not i.indisunique and not i.indisprimary")).all()
    for row in found:
        conn.execute(sa.text(f"drop index {row.name}"))
    return [row.definition for row in found]


class DoubleBooked(RuntimeError):
    """The set-based check found what the seat guard would have rejected (placement let a conflict through)."""


class Refused(RuntimeError):
    """The database refused a value of the file (the message names its line when COPY says which row)."""


class Rejected(Exception):
    """The file has rows the database cannot take (the problems say which)."""

    def __init__(self, problems: Problems) -> None:
        super().__init__(f"{problems.count} bad rows")
        self.problems = problems


@dataclass
class Loaded:
    rows_added: int = 0
    rows_updated: int = 0
    rows_skipped: int = 0
    customers_added: int = 0
    customers_updated: int = 0
    seats_placed: int = 0
    added: dict[str, int] = field(default_factory=dict)  # clubs, halls, seats created
    warnings: dict[str, int] = field(default_factory=dict)
    guard: str = ""


def quiet(fraction: float, message: str) -> None:
    pass


def _ticks(times: pd.Series) -> pd.Series:
    """Instants as whole microseconds since 1970 (PostgreSQL's precision; pandas keeps several units)."""
    return times.dt.tz_convert("UTC").dt.as_unit("us").astype("int64")


def _analyze(conn: sa.Connection, table: str) -> None:
    """Statistics for the planner: staging tables have none, and a big insert makes a table's stale."""
    conn.execute(sa.text(f"analyze {table}"))


def _begin(conn: sa.Connection) -> None:
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


def load_customers(conn: sa.Connection, customers: pd.DataFrame, *, source: str) -> Loaded:
    """Add or update the customers of one source (the transaction is the caller's)."""
    _begin(conn)
    return _customers(conn, customers, source)


def _customers(conn: sa.Connection, customers: pd.DataFrame, source: str) -> Loaded:
    out = Loaded()
    frame = customers.rename(columns={"customer_key": "external_id"}).copy()
    copy_frame(conn.connection.driver_connection, "import_customers",
               frame[["external_id", "full_name", "email", "phone", "signed_up_at"]])
    _analyze(conn, "import_customers")
    left_out = len(run(conn, "data/import_clean_emails", source=source).all())
    if left_out:
        out.warnings[_("e-mails another customer already has, left out")] = left_out
    out.customers_updated = len(run(conn, "data/import_update_customers", source=source).all())
    out.customers_added = len(run(conn, "data/import_insert_customers", source=source).all())
    if out.customers_added >= ANALYZE_ROWS:
        _analyze(conn, "users")
    out.rows_skipped = len(frame) - out.customers_updated - out.customers_added
    return out


def load_visits(conn: sa.Connection, table: VisitTable, *, source: str, timezone: str,
                progress: Progress = quiet) -> Loaded:
    """Add or update the visits (and their customers and payments) of one source."""
    v = table.visits
    _begin(conn)
    conn.execute(sa.text("lock table bookings in share row exclusive mode"))  # live writers wait, readers do not
    progress(0.35, _("clubs, halls and seats"))
    where = premises.resolve(conn, table, timezone)
    progress(0.40, _("customers"))
    out = _customers(conn, table.customers, source)
    out.added = dict(where.added)
    out.rows_skipped = 0

    progress(0.45, _("matching visits imported before"))
    raw = conn.connection.driver_connection
    named = pd.Series(where.seat_id, index=v.index)
    copy_frame(raw, "import_keys", pd.DataFrame({
        "row_no": np.arange(len(v)), "booking_key": v.booking_key, "start_time": v.start_time,
        "end_time": v.end_time, "seat_id": named.where(named > 0).astype("Int64")}))
    _analyze(conn, "import_keys")
    is_new = np.zeros(len(v), dtype=bool)
    is_new[np.asarray(run(conn, "data/import_new_rows", source=source).scalar_one(), dtype=np.int64)] = True
    changed = pd.DataFrame(run(conn, "data/import_changed", source=source).all(), columns=["row_no", "booking_id"])
    needs = pd.Series(is_new, index=v.index)
    needs.iloc[changed.row_no.to_numpy(dtype=np.int64)] = True
    seat = named.where(needs | (named > 0), 0).astype("int64")  # 0: keep the stored seat

    progress(0.50, _("placing visits on seats"))
    out.seats_placed = int((needs & (named <= 0)).sum())
    hall = pd.Series(where.hall_id, index=v.index)
    requests = pd.DataFrame({"hall_id": hall[needs], "seat_id": named[needs],
                             "start": _ticks(v.start_time[needs]), "end": _ticks(v.end_time[needs]),
                             "holds": v.status[needs] != CANCELLED})
    if len(requests):
        busy = pd.DataFrame(run(conn, "data/import_busy", hall_ids=sorted(set(requests.hall_id.astype(int))),
                                 since=v.start_time[needs].min(), until=v.end_time[needs].max(),
                                 moving=[int(b) for b in changed.booking_id]).all(),
                            columns=["hall_id", "seat_id", "start_time", "end_time"])
        busy = pd.DataFrame({"hall_id": busy.hall_id, "seat_id": busy.seat_id,
                             "start": _ticks(pd.to_datetime(busy.start_time, utc=True)),
                             "end": _ticks(pd.to_datetime(busy.end_time, utc=True))})
        clash = placement.fixed_conflicts(requests, busy)
        if clash.any():
            problems = Problems()
            rows = clash[clash].index
            problems.add(v.line[rows], pd.Series(True, index=rows),
                         _("the seat is taken at that time (by another row or a stored booking)"), v.seat[rows])
            raise Rejected(problems)
        seats = pd.DataFrame(run(conn, "data/import_seats",
                                  hall_ids=sorted(set(requests.hall_id.astype(int)))).all(),
                             columns=["seat_id", "hall_id", "label", "is_active"])
        placed = placement.place(requests, busy, seats[seats.is_active.astype(bool)])
        hall_types = dict(zip(requests.hall_id.astype(int), v.hall_type[needs]))
        new_ids = premises.add_seats(conn, placed.new_seats, hall_types)
        out.added["seats"] = out.added.get("seats", 0) + len(new_ids)
        chosen = np.array([s if s > 0 else new_ids[-s - 1] for s in placed.seat.tolist()], dtype=np.int64)
        seat[needs] = chosen

    progress(0.60, _("writing visits"))
    frame = pd.DataFrame({
        "row_no": np.arange(len(v)), "is_new": is_new, "booking_key": v.booking_key,
        "customer_key": v.customer_key, "seat_id": seat.where(seat > 0).astype("Int64"), "start_time": v.start_time,
        "end_time": v.end_time, "local_date": v.local_date, "status": v.status,
        "price": v.price.round(2), "amount": v.amount.round(2), "payment_status": v.payment_status,
        "paid_at": v.paid_at, "method": v.method.where(v.amount.notna())})
    copy_frame(raw, "import_visits", frame, lines=v.line)
    _analyze(conn, "import_visits")
    out.guard, switch = _write_mode(conn, int(needs.sum()))
    if switch:
        conn.execute(sa.text("alter table bookings disable trigger bookings_no_overlap"))
    # updates first, with every trigger on (they are audited) ...
    updated = set(run(conn, "data/import_update_bookings", source=source).scalars())
    updated |= set(run(conn, "data/import_update_payments", source=source).scalars())
    updated |= set(run(conn, "data/import_paid_later", source=source).scalars())
    # ... then the new rows; in bulk, the row-by-row checks are replaced by set-based ones below
    rebuild: list[str] = []
    if out.guard == BULK:
        conn.execute(sa.text("set local session_replication_role = replica"))
        if int(is_new.sum()) >= _stored_bookings(conn):
            rebuild = _drop_indexes(conn)  # a first import: build the indexes once, at the end
    out.rows_added = run(conn, "data/import_insert_bookings", source=source).rowcount
    if out.rows_added >= ANALYZE_ROWS:
        _analyze(conn, "bookings")
    progress(0.80, _("writing payments"))
    run(conn, "data/import_insert_payments", source=source)
    if out.guard == BULK:
        conn.execute(sa.text("set local session_replication_role = origin"))
    if rebuild:
        progress(0.85, _("building the indexes"))
        for statement in rebuild:
            conn.execute(sa.text(statement))
    out.rows_updated = len(updated)
    out.rows_skipped = len(v) - out.rows_added - out.rows_updated
    if out.guard != GUARD_ON:
        progress(0.90, _("checking that no seat is double-booked"))
        touched = sorted(set(seat[needs & (seat > 0)].astype(int)))
        found = run(conn, "data/import_checks", seat_ids=touched).mappings().one()
        if found["overlaps"] or found["missing_seats"]:
            raise DoubleBooked(_("the import would double-book {overlaps} seat times or name {missing} unknown seats; "
                                 "nothing was imported").format(overlaps=found["overlaps"],
                                                                missing=found["missing_seats"]))
        if switch:
            conn.execute(sa.text("alter table bookings enable trigger bookings_no_overlap"))
    return out

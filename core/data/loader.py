"""Writing one checked file into the database, inside the caller's transaction.

The file's rows are in temporary staging tables already (`core.data.staging`, a chunk at a time), and
set-based statements (`sql/data/import_*.sql`) add or update customers, bookings and payments from there.
Rows already imported from the same source are found by their keys: unchanged ones are skipped, changed
ones updated.
Visits that need a seat are placed first (`core.data.placement`), so the seat guard has nothing to
reject. A large import switches the row-by-row guard off inside its own transaction (other writers
wait on the table lock meanwhile) and checks the same rule once, set-based, on every seat it
touched, before switching it back on; a small one leaves the guard on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sqlalchemy as sa

from core.data import placement, premises
from core.data.staging import Staged, copy_frame, stage_customers, ticks
from core.data.visits import Problems, tidy_customers
from core.i18n import _
from core.platform.db import frame, run

Progress = Callable[[float, str], None]
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


def _analyze(conn: sa.Connection, table: str) -> None:
    """Statistics for the planner: staging tables have none, and a big insert makes a table's stale."""
    conn.execute(sa.text(f"analyze {table}"))


def load_customers(conn: sa.Connection, *, source: str, staged: int) -> Loaded:
    """Add or update the customers staged in `import_customers` (`staged` of them) of one source."""
    out = Loaded()
    _analyze(conn, "import_customers")
    left_out = len(run(conn, "data/import_clean_emails", source=source).all())
    if left_out:
        out.warnings[_("e-mails another customer already has, left out")] = left_out
    out.customers_updated = len(run(conn, "data/import_update_customers", source=source).all())
    out.customers_added = len(run(conn, "data/import_insert_customers", source=source).all())
    if out.customers_added >= ANALYZE_ROWS:
        _analyze(conn, "users")
    out.rows_skipped = staged - out.customers_updated - out.customers_added
    return out


def _visit_customers(conn: sa.Connection, source: str) -> Loaded:
    """The staged visits' customers, one row each (what their latest visits say), added or updated."""
    problems = Problems()
    found = frame(conn, "data/import_visit_customers")
    customers = tidy_customers(found, problems)
    stage_customers(conn, customers)
    out = load_customers(conn, source=source, staged=len(customers))
    out.warnings = {**problems.warnings, **out.warnings}
    return out


def _hall_prices(conn: sa.Connection, staged: Staged) -> None:
    """The halls the import created cost the median their visits paid per hour (0 without amounts)."""
    if not staged.new_halls:
        return
    hall, per_hour = staged.column("hall_id"), staged.column("per_hour")
    paid = np.isin(hall, list(staged.new_halls)) & (per_hour > 0)
    medians = pd.Series(per_hour[paid]).groupby(hall[paid]).median().round(0)
    halls = sorted(staged.new_halls)
    run(conn, "data/import_hall_prices", hall_ids=halls, prices=[float(medians.get(h, 0.0)) for h in halls])


def load_visits(conn: sa.Connection, staged: Staged, *, source: str, progress: Progress = quiet) -> Loaded:
    """Add or update the staged visits (and their customers and payments) of one source."""
    progress(0.50, _("customers"))
    out = _visit_customers(conn, source)
    _hall_prices(conn, staged)
    out.added = dict(staged.added)
    conn.execute(sa.text("lock table bookings in share row exclusive mode"))  # live writers wait, readers do not

    progress(0.55, _("matching visits imported before"))
    _analyze(conn, "import_visits")
    rows = staged.rows
    is_new = np.zeros(rows, dtype=bool)
    is_new[np.asarray(run(conn, "data/import_new_rows", source=source).scalar_one(), dtype=np.int64)] = True
    changed = pd.DataFrame(run(conn, "data/import_changed", source=source).all(), columns=["row_no", "booking_id"])
    needs = is_new.copy()
    needs[changed.row_no.to_numpy(dtype=np.int64)] = True
    named = staged.column("seat_id").astype(np.int64)
    seat = np.where(needs, named, 0)  # 0: a visit that keeps its stored seat, or still needs one

    progress(0.60, _("placing visits on seats"))
    floating = needs & (named <= 0)
    out.seats_placed = int(floating.sum())
    at = np.flatnonzero(needs)
    hall = staged.column("hall_id").astype(np.int64)
    start, end = staged.column("start").astype(np.int64), staged.column("end").astype(np.int64)
    requests = pd.DataFrame({"hall_id": hall[at], "seat_id": named[at], "start": start[at], "end": end[at],
                             "holds": staged.column("holds").astype(bool)[at]}, index=at)
    if len(requests):
        busy = pd.DataFrame(run(conn, "data/import_busy", hall_ids=sorted(set(requests.hall_id.tolist())),
                                 since=pd.Timestamp(int(requests.start.min()), unit="us", tz="UTC"),
                                 until=pd.Timestamp(int(requests.end.max()), unit="us", tz="UTC"),
                                 moving=[int(b) for b in changed.booking_id]).all(),
                            columns=["hall_id", "seat_id", "start_time", "end_time"])
        busy = pd.DataFrame({"hall_id": busy.hall_id, "seat_id": busy.seat_id,
                             "start": ticks(pd.to_datetime(busy.start_time, utc=True)),
                             "end": ticks(pd.to_datetime(busy.end_time, utc=True))})
        clash = placement.fixed_conflicts(requests, busy)
        if clash.any():
            raise Rejected(_taken(conn, staged.column("line")[clash[clash].index], named[clash[clash].index]))
        seats = pd.DataFrame(run(conn, "data/import_seats", hall_ids=sorted(set(requests.hall_id.tolist()))).all(),
                             columns=["seat_id", "hall_id", "label", "is_active"])
        placed = placement.place(requests, busy, seats[seats.is_active.astype(bool)])
        new_ids = premises.add_seats(conn, placed.new_seats, staged.hall_types)
        out.added["seats"] = out.added.get("seats", 0) + len(new_ids)
        seat[at] = np.array([s if s > 0 else new_ids[-s - 1] for s in placed.seat.tolist()], dtype=np.int64)
        chosen = np.flatnonzero(floating)
        copy_frame(conn.connection.driver_connection, "import_placed",
                   pd.DataFrame({"row_no": chosen, "seat_id": seat[chosen]}))
        _analyze(conn, "import_placed")

    progress(0.65, _("writing visits"))
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
    out.rows_skipped = rows - out.rows_added - out.rows_updated
    if out.guard != GUARD_ON:
        progress(0.90, _("checking that no seat is double-booked"))
        touched = sorted(set(seat[needs & (seat > 0)].tolist()))
        found = run(conn, "data/import_checks", seat_ids=touched).mappings().one()
        if found["overlaps"] or found["missing_seats"]:
            raise DoubleBooked(_("the import would double-book {overlaps} seat times or name {missing} unknown seats; "
                                 "nothing was imported").format(overlaps=found["overlaps"],
                                                                missing=found["missing_seats"]))
        if switch:
            conn.execute(sa.text("alter table bookings enable trigger bookings_no_overlap"))
    return out


def _taken(conn: sa.Connection, lines: np.ndarray, seat_ids: np.ndarray) -> Problems:
    """The rows whose named seat is taken at their time, as bad rows quoting the seat."""
    labels = dict(conn.execute(sa.text("select id, label from seats where id = any(cast(:ids as int[]))"),
                               {"ids": sorted(set(int(s) for s in seat_ids))}).all())
    problems = Problems()
    problems.add(pd.Series(lines), pd.Series(True, index=range(len(lines))),
                 _("the seat is taken at that time (by another row or a stored booking)"),
                 pd.Series([labels.get(int(s), "") for s in seat_ids]))
    return problems

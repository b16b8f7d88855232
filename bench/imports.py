"""Benchmark: import a demo tier's visits as a club system's export into a fresh embedded PostgreSQL.

    python -m bench.imports --size M

The export is what a Russian Excel writes: UTF-8 with a BOM, semicolons, `dd.mm.yyyy HH:MM` club-local
times and decimal commas, one row per visit with its customer, club, hall, seat, amount and statuses.
Prints the seconds of each phase ("import (all)" is the transaction; the planner's statistics and the
analytics views follow it) for: the first import; the same file again (adds nothing); and the
file without its seat column (every visit placed on a seat by the importer).
"""

from __future__ import annotations

import time

import pandas as pd
import sqlalchemy as sa

from bench import peak_mb, scratch_home, size_and_seed
from core.data.imports import Options, import_file
from core.demo.simulate import simulate
from core.platform import server
from core.platform.db import make_engine
from core.platform.migrate import migrate

STATUS = {"завершено": "completed", "активно": "active", "отменено": "cancelled", "неявка": "no-show"}
PAYMENT = {"успешно": "paid", "ошибка": "failed", "возврат": "refunded", "ожидание": "pending"}


def export(data) -> pd.DataFrame:
    """One row per booking, as a club system would export it."""
    seats = data.seats.merge(data.halls, left_on="hall_id", right_on="id", suffixes=("", "_hall"))
    seats = seats.merge(data.clubs[["id", "name", "timezone"]], left_on="club_id", right_on="id",
                        suffixes=("", "_club"))
    b = data.bookings.merge(seats[["id", "label", "name", "hall_type", "name_club", "timezone"]],
                            left_on="seat_id", right_on="id", suffixes=("", "_seat"))
    pay = data.payments.sort_values("paid_at").groupby("booking_id").last()
    b = b.join(pay[["amount", "payment_status", "method"]], on="id")
    b = b.merge(data.users[["id", "full_name", "email", "phone"]], left_on="user_id", right_on="id",
                suffixes=("", "_user"))
    zone = b.timezone.iloc[0]  # the demo's clubs share Kazakhstan's time

    def local(ts: pd.Series) -> pd.Series:
        return ts.dt.tz_convert(zone).dt.strftime("%d.%m.%Y %H:%M")

    return pd.DataFrame({
        "booking_id": "B" + b.id.astype(str), "customer_id": "U" + b.user_id.astype(str),
        "customer_name": b.full_name, "email": b.email, "phone": b.phone, "club": b.name_club, "hall": b.name,
        "hall_type": b.hall_type, "seat": b.label, "started_at": local(b.start_time), "ended_at": local(b.end_time),
        "amount": b.amount.map(lambda a: "" if pd.isna(a) else f"{a:.2f}".replace(".", ",")),
        "booking_status": b.status.map(STATUS), "payment_status": b.payment_status.map(PAYMENT).fillna(""),
        "payment_method": b.method.fillna("")})


def as_file(frame: pd.DataFrame) -> bytes:
    return b"\xef\xbb\xbf" + frame.to_csv(sep=";", index=False).encode("utf-8")


def fresh_database(url: str, name: str) -> sa.Engine:
    admin = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'create database "{name}"'))
    admin.dispose()
    engine = make_engine(sa.make_url(url).set(database=name).render_as_string(hide_password=False))
    migrate(engine)
    return engine


def timed_import(engine: sa.Engine, raw: bytes, name: str) -> tuple[list[tuple[str, float]], object]:
    marks: list[tuple[str, float]] = []
    started = time.perf_counter()

    def progress(fraction: float, message: str) -> None:
        marks.append((message, time.perf_counter() - started))

    report = import_file(engine, raw, name, Options(), imported_by="bench", progress=progress)
    report.wall = time.perf_counter() - started  # with the planner's statistics and the views
    if not report.ok:
        raise SystemExit(f"{name}: {report.result}: {report.message} {report.bad_rows[:3]}")
    phases, last = [], 0.0
    for (message, _), (_, at) in zip(marks, marks[1:]):
        phases.append((message, at - last))
        last = at
    return phases, report


def main() -> None:
    size, seed = size_and_seed(__doc__)
    t0 = time.perf_counter()
    data = simulate(size, seed)
    frame = export(data)
    raw = as_file(frame)
    bare = as_file(frame.drop(columns=["seat"]))
    prepared = time.perf_counter() - t0
    results = {}
    with scratch_home() as home:
        url = server.start(home / "pgdata")
        first = fresh_database(url, "imports_first")
        results["first import"] = timed_import(first, raw, "visits.csv")
        results["the same file again"] = timed_import(first, raw, "visits.csv")
        placed = fresh_database(url, "imports_placed")
        results["without seats (placed)"] = timed_import(placed, bare, "visits-no-seats.csv")
        with placed.connect() as conn:
            overlaps = conn.execute(sa.text("select count(*) from seat_overlaps")).scalar_one()
        first.dispose()
        placed.dispose()

    rows = len(frame)
    print(f"tier {size.name}: {rows:,} visits of {frame.customer_id.nunique():,} customers, "
          f"{len(raw) / 1e6:,.0f} MB (UTF-8 with BOM, semicolons, dd.mm.yyyy, decimal commas); "
          f"export built in {prepared:.1f} s\n")
    names = list(results)
    steps = list(dict.fromkeys(m for phases, _ in results.values() for m, _ in phases))
    print(f"{'phase':<36}" + "".join(f"{n:>26}" for n in names))
    for step in steps:
        cells = []
        for n in names:
            found = dict(results[n][0]).get(step)
            cells.append(f"{found:>26.1f}" if found is not None else f"{'':>26}")
        print(f"{step:<36}" + "".join(cells))
    print(f"{'import (all)':<36}" + "".join(f"{results[n][1].seconds:>26.1f}" for n in names))
    print(f"{'rows per second':<36}" + "".join(f"{rows / results[n][1].seconds:>26,.0f}" for n in names))
    print(f"{'with statistics and views':<36}" + "".join(f"{results[n][1].wall:>26.1f}" for n in names))
    print(f"{'added / updated / skipped':<36}" + "".join(
        f"{f'{r.rows_added:,} / {r.rows_updated:,} / {r.rows_skipped:,}':>26}" for _, r in results.values()))
    placed_report = results["without seats (placed)"][1]
    print(f"\nwithout seats: {placed_report.seats_placed:,} visits placed, {placed_report.seats_added:,} seats "
          f"added, {overlaps} overlapping bookings; seat rule checked {placed_report.seat_guard}")
    print(f"peak memory of the Python process: {peak_mb():,.0f} MB")


if __name__ == "__main__":
    main()

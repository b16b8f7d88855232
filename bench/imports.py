"""Benchmark: import a demo tier's visits as a club system's export into a fresh embedded PostgreSQL.

    python -m bench.imports --size M             # a million visits: three imports
    python -m bench.imports --size M --mb 400    # the tier's visits repeated a year earlier each time, to 400 MB

The export is what a Russian Excel writes: UTF-8 with a BOM, semicolons, `dd.mm.yyyy HH:MM` club-local
times and decimal commas, one row per visit with its customer, club, hall, seat, amount and statuses.
It is written to a file, and each import runs in a child process that reads that file (as `oyna import`
does), so its peak memory is the importer's own. Prints the seconds of each phase ("import (all)" is the
transaction; the planner's statistics and the analytics views follow it) and the importing process's
peak memory, for: the first import; the same file again (adds nothing); and the file without its seat
column (every visit placed on a seat by the importer). With --mb, only the first import of the larger
file (each copy of the tier's visits has its own booking ids, 53 weeks before the previous one).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from bench import peak_mb, scratch_home
from core.demo.sizes import get_size
from core.platform import server
from core.platform.db import make_engine
from core.platform.migrate import migrate
from core.platform.settings import PROJECT_ROOT

STATUS = {"завершено": "completed", "активно": "active", "отменено": "cancelled", "неявка": "no-show"}
PAYMENT = {"успешно": "paid", "ошибка": "failed", "возврат": "refunded", "ожидание": "pending"}
YEAR = pd.Timedelta(weeks=53)  # a copy's shift: past a year of visits, on the same weekdays


def export(data, *, copy: int = 0) -> pd.DataFrame:
    """One row per booking, as a club system would export it (copy k: k years earlier, its own ids)."""
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
        return (ts - copy * YEAR).dt.tz_convert(zone).dt.strftime("%d.%m.%Y %H:%M")

    return pd.DataFrame({
        "booking_id": "B" + b.id.astype(str) + (f"-{copy}" if copy else ""), "customer_id": "U" + b.user_id.astype(str),
        "customer_name": b.full_name, "email": b.email, "phone": b.phone, "club": b.name_club, "hall": b.name,
        "hall_type": b.hall_type, "seat": b.label, "started_at": local(b.start_time), "ended_at": local(b.end_time),
        "amount": b.amount.map(lambda a: "" if pd.isna(a) else f"{a:.2f}".replace(".", ",")),
        "booking_status": b.status.map(STATUS), "payment_status": b.payment_status.map(PAYMENT).fillna(""),
        "payment_method": b.method.fillna("")})


def write_export(data, path: Path, *, mb: float | None = None, seats: bool = True) -> tuple[int, int]:
    """Write the export (copies of it up to `mb` megabytes); (rows, customers)."""
    rows, customers, copy = 0, set(), 0
    with path.open("wb") as f:
        f.write(b"\xef\xbb\xbf")
        while copy == 0 or (mb and f.tell() < mb * 1e6):
            frame = export(data, copy=copy)
            if not seats:
                frame = frame.drop(columns=["seat"])
            f.write(frame.to_csv(sep=";", index=False, header=copy == 0).encode("utf-8"))
            rows, copy = rows + len(frame), copy + 1
            customers |= set(frame.customer_id)
    return rows, len(customers)


def fresh_database(url: str, name: str) -> str:
    admin = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'create database "{name}"'))
    admin.dispose()
    url = sa.make_url(url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    return url


def timed_import(url: str, path: Path) -> dict:
    """Import a file in a child process (`--child`); its phases, report and peak memory."""
    env = dict(os.environ, OYNA_BENCH_DATABASE_URL=url)
    done = subprocess.run([sys.executable, "-m", "bench.imports", "--child", str(path)], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{path.name}: the import's process failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["result"] not in ("imported", "checked"):
        raise SystemExit(f"{path.name}: {result['result']}: {result['message']} {result['bad_rows'][:3]}")
    return result


def child(path: Path) -> None:
    """In the child process: import the file and print what happened as one line of JSON."""
    from core.data.imports import Options, import_file

    engine = make_engine(os.environ["OYNA_BENCH_DATABASE_URL"])
    marks: list[tuple[str, float]] = []
    started = time.perf_counter()

    def progress(fraction: float, message: str) -> None:
        if not marks or marks[-1][0] != message:
            marks.append((message, time.perf_counter() - started))

    report = import_file(engine, path, path.name, Options(), imported_by="bench", progress=progress)
    wall = time.perf_counter() - started  # with the planner's statistics and the views
    phases: dict[str, float] = {}
    for (message, at), (_, then) in zip(marks, marks[1:]):
        phases[message] = phases.get(message, 0.0) + then - at
    engine.dispose()
    print(json.dumps({**{k: getattr(report, k) for k in ("result", "message", "bad_rows", "seconds", "rows_added",
                                                          "rows_updated", "rows_skipped", "seats_placed",
                                                          "seats_added", "seat_guard")},
                      "phases": phases, "wall": wall, "peak_mb": own_peak_mb()}))


def own_peak_mb() -> float:
    """This process's peak resident memory since it started (VmHWM: getrusage's maxrss keeps the peak of the
    process that forked it, the benchmark with its simulated chain)."""
    status = Path("/proc/self/status")
    if status.exists():
        line = next(x for x in status.read_text().splitlines() if x.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024
    return peak_mb()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", default="M")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--mb", type=float, help="repeat the tier's visits up to this many MB; import that once")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child)
    from core.demo.simulate import simulate

    size = get_size(args.size)
    with scratch_home() as home:
        t0 = time.perf_counter()
        data = simulate(size, args.seed)
        files = {"first import": home / "visits.csv"}
        rows, customers = write_export(data, files["first import"], mb=args.mb)
        if not args.mb:
            files["the same file again"] = files["first import"]
            files["without seats (placed)"] = home / "visits-no-seats.csv"
            write_export(data, files["without seats (placed)"], seats=False)
        del data
        prepared = time.perf_counter() - t0
        mb = files["first import"].stat().st_size / 1e6
        url = server.start(home / "pgdata")
        results, overlaps = {}, None
        first = fresh_database(url, "imports_first")
        for name, path in files.items():
            target = first if name != "without seats (placed)" else fresh_database(url, "imports_placed")
            results[name] = timed_import(target, path)
            if name == "without seats (placed)":
                engine = make_engine(target)
                with engine.connect() as conn:
                    overlaps = conn.execute(sa.text("select count(*) from seat_overlaps")).scalar_one()
                engine.dispose()

    print(f"tier {size.name}{f', repeated to {args.mb:,.0f} MB' if args.mb else ''}: {rows:,} visits of "
          f"{customers:,} customers, {mb:,.0f} MB (UTF-8 with BOM, semicolons, dd.mm.yyyy, decimal commas); "
          f"export written in {prepared:.1f} s\n")
    names = list(results)
    steps = list(dict.fromkeys(m for r in results.values() for m in r["phases"]))
    print(f"{'phase':<40}" + "".join(f"{n:>26}" for n in names))
    for step in steps:
        cells = [results[n]["phases"].get(step) for n in names]
        print(f"{step:<40}" + "".join(f"{c:>26.1f}" if c is not None else f"{'':>26}" for c in cells))
    print(f"{'import (all)':<40}" + "".join(f"{results[n]['seconds']:>26.1f}" for n in names))
    print(f"{'rows per second':<40}" + "".join(f"{rows / results[n]['seconds']:>26,.0f}" for n in names))
    print(f"{'with statistics and views':<40}" + "".join(f"{results[n]['wall']:>26.1f}" for n in names))
    counts = [f"{r['rows_added']:,} / {r['rows_updated']:,} / {r['rows_skipped']:,}" for r in results.values()]
    print(f"{'added / updated / skipped':<40}" + "".join(f"{c:>26}" for c in counts))
    print(f"{'peak MB of the importing process':<40}" + "".join(f"{results[n]['peak_mb']:>26,.0f}" for n in names))
    placed = results.get("without seats (placed)")
    if placed:
        print(f"\nwithout seats: {placed['seats_placed']:,} visits placed, {placed['seats_added']:,} seats added, "
              f"{overlaps} overlapping bookings; seat rule checked {placed['seat_guard']}")


if __name__ == "__main__":
    main()

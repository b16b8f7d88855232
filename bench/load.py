"""Benchmark: simulate and load a demo tier into a fresh embedded PostgreSQL.

    python -m bench.load --size M

Prints seconds, rows per second and peak memory for each phase.
"""

from __future__ import annotations

import time

from bench import peak_mb, scratch_home, size_and_seed
from core.platform import server
from core.platform.db import make_engine
from core.demo.load import load
from core.demo.simulate import simulate
from core.platform.migrate import migrate


def main() -> None:
    size, seed = size_and_seed(__doc__)
    with scratch_home() as home:
        engine = make_engine(server.start(home / "pgdata"))
        migrate(engine)
        t0 = time.perf_counter()
        data = simulate(size, seed)
        simulated = time.perf_counter() - t0
        t1 = time.perf_counter()
        timings = load(engine, data, progress=lambda _: None)
        loaded = time.perf_counter() - t1
        engine.dispose()

    rows = data.row_counts()
    total_rows = sum(v for k, v in rows.items() if k != "truth")
    print(f"tier {size.name}: {size.clubs} clubs, {size.days} days, {size.customers:,} customers\n")
    print(f"{'phase':<22}{'seconds':>9}{'rows':>12}{'rows/s':>12}")
    print(f"{'simulate':<22}{simulated:>9.1f}{total_rows:>12,}{total_rows / simulated:>12,.0f}")
    for table in ("users", "bookings", "payments", "audit_logs"):
        print(f"{'  copy ' + table:<22}{timings[table]:>9.1f}{rows[table]:>12,}{rows[table] / timings[table]:>12,.0f}")
    print(f"{'  indexes + keys':<22}{timings['indexes']:>9.1f}")
    print(f"{'  analyze':<22}{timings['analyze']:>9.1f}")
    print(f"{'  rollups (full build)':<22}{timings['rollups']:>9.1f}")
    print(f"{'load (all)':<22}{loaded:>9.1f}{total_rows:>12,}{total_rows / loaded:>12,.0f}")
    print(f"{'TOTAL':<22}{simulated + loaded:>9.1f}{total_rows:>12,}{total_rows / (simulated + loaded):>12,.0f}")
    print(f"\npeak memory of the Python process: {peak_mb():,.0f} MB")


if __name__ == "__main__":
    main()

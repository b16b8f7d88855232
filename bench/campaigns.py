"""How often the campaign measurement's 90% intervals cover the true uplift: `python -m bench.campaigns`.

Simulates campaigns the way the demo's live feed makes them (each customer visits at their own Gamma-
distributed rate; a contacted customer makes one extra visit with probability `uplift`; each visit brings
Gamma-distributed revenue) and prints, per group size and uplift, the share of runs whose interval
covered the truth for visits, revenue and churn, and how often the churn effect was clear (the interval
excluded zero). The generator is the one in tests/campaigns/test_stats.py.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import numpy as np

from core.campaigns.stats import mean_difference, proportion_difference

RUNS = 1000
SHAPE, SCALE, SPEND = 0.8, 1.5, 2500.0
SETUPS = [(170, 30, 0.15), (850, 150, 0.05), (850, 150, 0.15), (1700, 300, 0.15), (8500, 1500, 0.05)]


def _generator():
    path = Path(__file__).resolve().parent.parent / "tests" / "campaigns" / "test_stats.py"
    spec = importlib.util.spec_from_file_location("_campaign_tests", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module._campaign


def main() -> None:
    campaign = _generator()
    print(f"{RUNS} seeded runs per row; 90% intervals; customers' visit rate Gamma({SHAPE}, {SCALE})\n")
    print(f"{'contacted':>9} {'control':>7} {'uplift':>6} | {'visits':>6} {'revenue':>7} {'churn':>6} | "
          f"{'churn effect clear':>18}")
    started = time.perf_counter()
    for n_t, n_c, uplift in SETUPS:
        truth = (uplift, uplift * SPEND, -uplift * (1 + SCALE) ** -SHAPE)
        hits, clear = np.zeros(3), 0
        for seed in range(RUNS):
            rng = np.random.default_rng(seed)
            (tv, tr), (cv, cr) = campaign(rng, n_t, n_c, uplift, SHAPE, SCALE, SPEND)
            diffs = (mean_difference(tv, cv), mean_difference(tr, cr), proportion_difference(tv == 0, cv == 0))
            hits += [d.lo <= t <= d.hi for d, t in zip(diffs, truth)]
            clear += diffs[2].clear
        v, r, c = hits / RUNS
        print(f"{n_t:>9,} {n_c:>7,} {uplift:>6.2f} | {v:>6.3f} {r:>7.3f} {c:>6.3f} | {clear / RUNS:>18.3f}")
    print(f"\n{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()

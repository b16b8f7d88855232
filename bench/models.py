"""Benchmark: retrain every model on a demo tier in a fresh embedded PostgreSQL.

    python -m bench.models --size M

Prints the time of each retrain step (batch scoring included) and the peak memory.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from bench import peak_mb, scratch_home, size_and_seed
from core.platform import server
from core.platform.db import make_engine
from core.demo.truth import evaluate_against_truth
from core.models.registry import load_bundle
from core.models.training import retrain
from core.platform.settings import Settings


def main() -> None:
    size, seed = size_and_seed(__doc__)
    with scratch_home() as home:
        # load in another process, so that the peak memory below is the retrain's own
        subprocess.run([sys.executable, "-m", "core.cli", "demo", "--size", size.name, "--seed", str(seed)],
                       env={**os.environ, "OYNA_HOME": str(home)}, check=True, stdout=subprocess.DEVNULL)
        url = server.start(home / "pgdata")
        engine = make_engine(url)
        settings = Settings(database_url=url, home=home, models_dir=home / "models")
        t0 = time.perf_counter()
        result = retrain(engine, settings, trained_by="bench")
        total = time.perf_counter() - t0
        truth = evaluate_against_truth(engine, load_bundle(settings.models_dir, result.version)["churn"])
        engine.dispose()

    print(f"tier {size.name}: {result.row_counts['customers']:,} customers scored, "
          f"{result.row_counts['bookings']:,} bookings\n")
    print(f"{'step':<36}{'seconds':>9}")
    for step, seconds in result.timings.items():
        print(f"{step:<36}{seconds:>9.1f}")
    print(f"{'retrain (all)':<36}{total:>9.1f}\n")
    churn, fc = result.metrics["churn"], result.metrics["forecast"]
    recency = churn["baselines"]["recency"]["roc_auc"]
    bgnbd = churn["baselines"].get("bgnbd", {}).get("roc_auc", float("nan"))
    print(f"churn ROC AUC {churn['roc_auc']:.3f} (days since last visit {recency:.3f}, BG/NBD {bgnbd:.3f}); "
          f"PR AUC {churn['pr_auc']:.3f}; Brier {churn['brier']:.3f} (base rate {churn['brier_base_rate']:.3f})")
    print(f"against the simulator's hidden next 30 days: churn ROC AUC {truth['roc_auc']:.3f} "
          f"(days since last visit {truth['recency_roc_auc']:.3f}), {truth['customers']:,} customers")
    print(f"chain forecast MASE {fc.get('mase', float('nan')):.2f} (seasonal naive "
          f"{fc.get('baseline_mase', float('nan')):.2f}), 80% coverage {fc.get('coverage_80', float('nan')):.2f}")
    pooled = fc.get("all_series", {})
    if pooled:
        print(f"all {pooled['series']} series (chain and clubs): mean MASE {pooled['mean_mase']:.2f} vs seasonal "
              f"naive {pooled['mean_baseline_mase']:.2f}, better on {pooled['beats_baseline']}; pooled coverage "
              f"80%: {pooled['coverage_80']:.2f}, 95%: {pooled['coverage_95']:.2f}")
    print(f"\npeak memory of the retraining process: {peak_mb():,.0f} MB")


if __name__ == "__main__":
    main()

"""Benchmark: retrain every model on a demo tier in a fresh embedded PostgreSQL.

    python -m bench.models --size M

Prints the time of each retrain step (batch scoring included) and the peak memory, and the churn model
against the simulator's hidden next 30 days next to days since the last visit, BG/NBD's P(no visit in 30
days | history), the learned posterior alone, the history ceiling, the hindsight trees and the oracle
(EVALUATION ONLY: the ceiling uses the simulator's own priors, the hindsight trees are trained on the
hidden future itself with each customer's true rate, the oracle knows each customer's true state), for all
customers and for those seen in the last 90 days, with the share of the recency-to-oracle gap each closes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from bench import peak_mb, scratch_home, size_and_seed
from core.platform import server
from core.platform.db import make_engine
from core.demo.truth import evaluate_against_truth, gap_closed
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
        retrain_mb = peak_mb()
        t1 = time.perf_counter()
        truth = evaluate_against_truth(engine, load_bundle(settings.models_dir, result.version)["churn"],
                                       ceiling=True)
        truth_seconds = time.perf_counter() - t1
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
    posterior = churn["baselines"].get("posterior", {}).get("roc_auc", float("nan"))
    print(f"held-out cutoff: churn ROC AUC {churn['roc_auc']:.3f} (days since last visit {recency:.3f}, BG/NBD "
          f"P(no visit) {bgnbd:.3f}, posterior alone {posterior:.3f}); "
          f"PR AUC {churn['pr_auc']:.3f}; Brier {churn['brier']:.3f} (base rate {churn['brier_base_rate']:.3f})")
    clv = result.metrics["clv"]
    print(f"visits in the held-out {clv['holdout_days']:.0f} days: BG/NBD mean absolute error {clv['mae']:.2f} per "
          f"customer (the customer's own past rate {clv['baseline_rate_mae']:.2f}); churn model: "
          f"{churn.get('model_kind', 'trees')} (held-out ROC AUC of the candidates: "
          f"{', '.join(f'{k} {v:.4f}' for k, v in churn.get('candidates', {}).items())})")
    print(f"\nagainst the simulator's hidden next 30 days (seed {seed}; {truth['customers']:,} customers, "
          f"{truth['recent_customers']:,} seen in the last 90 days; evaluated in {truth_seconds:.0f} s):")
    names = {"model": "churn model", "recency": "days since last visit", "bgnbd": "BG/NBD P(no visit 30 d)",
             "posterior": "learned posterior alone", "ceiling": "history ceiling (sim. priors)",
             "hindsight": "hindsight trees (true future)", "oracle": "oracle (true state)"}
    print(f"{'score':<32}{'ROC AUC all':>12}{'last 90 d':>11}{'gap closed all':>16}{'last 90 d':>11}")
    for key, name in names.items():
        auc = truth["scores"][key]
        print(f"{name:<32}{auc['all']:>12.4f}{auc['recent']:>11.4f}"
              f"{gap_closed(truth['scores'], key, 'all'):>16.0%}{gap_closed(truth['scores'], key, 'recent'):>11.0%}")
    print()
    print(f"chain forecast MASE {fc.get('mase', float('nan')):.2f} (seasonal naive "
          f"{fc.get('baseline_mase', float('nan')):.2f}), 80% coverage {fc.get('coverage_80', float('nan')):.2f}")
    pooled = fc.get("all_series", {})
    if pooled:
        print(f"all {pooled['series']} series (chain and clubs): mean MASE {pooled['mean_mase']:.2f} vs seasonal "
              f"naive {pooled['mean_baseline_mase']:.2f}, better on {pooled['beats_baseline']}; pooled coverage "
              f"80%: {pooled['coverage_80']:.2f}, 95%: {pooled['coverage_95']:.2f}")
    print(f"\npeak memory of the retraining process: {retrain_mb:,.0f} MB (with the evaluation: {peak_mb():,.0f} MB)")


if __name__ == "__main__":
    main()

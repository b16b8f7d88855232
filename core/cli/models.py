"""`oyna refresh`, `oyna retrain` and `oyna models list|activate`: the rollups and the models."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from core.cli.support import UsageError, connect, table
from core.platform.settings import load_settings

BUSY = 75  # EX_TEMPFAIL: another retrain is running; try again later


def add_parsers(sub: Any) -> None:
    refresh = sub.add_parser("refresh", help="rebuild the rollups of the days that changed and grade past predictions")
    refresh.add_argument("--full", action="store_true",
                         help="rebuild every day and every customer's month (a new install, after a restore)")
    refresh.set_defaults(run=run_refresh)

    retrain = sub.add_parser("retrain", help="retrain every model, evaluate it and score every customer")
    retrain.add_argument("--force", action="store_true", help="activate even if worse than the active version")
    retrain.add_argument("--as-of", metavar="TIME", type=_moment,
                         help="train as if the data ended then (ISO date or time, UTC unless given): a backtest, "
                              "graded once its horizon has passed, never activated")
    retrain.add_argument("--by", default="cli", help=argparse.SUPPRESS)
    retrain.add_argument("--via", default="cli", choices=["cli", "system"], help=argparse.SUPPRESS)
    retrain.set_defaults(run=run_retrain)

    models = sub.add_parser("models", help="model versions: list, or activate one (rollback)")
    models.add_argument("action", choices=["list", "activate"])
    models.add_argument("version", nargs="?")
    models.set_defaults(run=run_models)


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO date or time: {text!r} (e.g. 2025-03-01 or "
                                         "2025-03-01T18:00+05:00)") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def run_refresh(args: argparse.Namespace) -> int:
    from core.models.performance import grade
    from core.rollups.refresh import rebuild, refresh

    engine = connect()
    done = (rebuild if args.full else refresh)(engine)
    print(f"rollups: {done.days:,} club days and {done.customer_months:,} customer months rebuilt in "
          f"{done.batches:,} batches, {done.seconds:.1f} s")
    graded = grade(engine)
    if graded:
        print(f"graded {graded} past prediction(s) of model versions against what happened")
    return 0


def run_retrain(args: argparse.Namespace) -> int:
    from core.models.registry import RetrainBusy
    from core.models.training import retrain

    def progress(fraction: float, message: str) -> None:
        print(f"[{fraction:4.0%}] {message}", flush=True)

    try:
        result = retrain(connect(), load_settings(), force=args.force, trained_by=args.by, progress=progress,
                         as_of=args.as_of, via=args.via)
    except RetrainBusy as exc:
        print(f"oyna: {exc}", file=sys.stderr)
        return BUSY
    churn, fc = result.metrics["churn"], result.metrics["forecast"]
    nan = float("nan")
    print(f"version {result.version} {'is now active' if result.activated else 'was NOT activated'} "
          f"({result.reason}); {result.seconds:.1f} s")
    print(f"  churn ROC AUC {churn.get('roc_auc', nan):.3f} "
          f"(days since last visit {churn.get('baselines', {}).get('recency', {}).get('roc_auc', nan):.3f}); "
          f"forecast MASE {fc.get('mase', nan):.2f} (seasonal naive {fc.get('baseline_mase', nan):.2f})")
    return 0


def run_models(args: argparse.Namespace) -> int:
    from core.models.registry import activate, list_versions

    engine = connect()
    if args.action == "activate":
        if not args.version:
            raise UsageError("name the version to activate: oyna models activate VERSION")
        activate(engine, version=args.version, by="cli", via="cli")
        print(f"{args.version} is now active")
        return 0
    versions = list_versions(engine)
    if versions.empty:
        print("no model versions yet; run `oyna retrain`")
        return 0
    cols = ["version", "status", "trained_at", "churn_auc", "recency_auc", "forecast_mase", "customers", "notes"]
    rows = versions[cols].astype(object).where(versions[cols].notna(), None)
    rows["trained_at"] = versions["trained_at"].dt.strftime("%Y-%m-%d %H:%M")
    for c in ("churn_auc", "recency_auc", "forecast_mase"):
        rows[c] = versions[c].map(lambda v: "" if pd.isna(v) else f"{v:.3f}")
    print(table(cols, rows.values.tolist()))
    return 0

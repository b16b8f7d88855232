"""The retrain: train every model from the database, evaluate it on held-out data, score every
customer (`core.models.scoring`), forecast revenue, and activate the new version if it is not worse.

Nothing is visible until the last step: files get a new version name, and the
registry row, the scores and the forecasts are written in one transaction. A
failed or killed retrain leaves the active version and its scores untouched.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.data import requirements
from core.models import registry
from core.customers.churn import train_churn
from core.customers.clv import clv_table
from core.platform.db import copy_frame, load_sql, query_df
from core.customers.features import customer_features
from core.forecast import service as forecast_service
from core.models.scoring import fit_clv, score_customers
from core.platform.refresh import refresh_if_stale
from core.platform.settings import Settings

Progress = Callable[[float, str], None]
NOT_WORSE_MARGIN = 0.005  # a new churn model may lose this much ROC AUC and still go live
SCORE_COLUMNS = ["user_id", "club_id", "segment", "recency_days", "frequency", "monetary_total", "r_score", "f_score",
                 "m_score", "churn_risk", "probability_alive", "expected_visits_30d", "expected_visits_90d", "clv_6m",
                 "clv_12m", "clv_12m_lo", "clv_12m_hi", "upsell_score", "next_visit_date", "recommendations"]


@dataclass
class RetrainResult:
    version: str
    activated: bool
    reason: str
    metrics: dict
    row_counts: dict
    seconds: float
    timings: dict = field(default_factory=dict)


def _quiet(fraction: float, message: str) -> None:
    pass


def retrain(engine: Engine, settings: Settings, *, force: bool = False, trained_by: str | None = None,
            progress: Progress = _quiet, random_state: int = 0) -> RetrainResult:
    """Train, evaluate, save and (if not worse than the active version) activate a new version."""
    with registry.retrain_lock(engine):
        return _retrain(engine, settings, force=force, trained_by=trained_by, progress=progress,
                        random_state=random_state)


def _retrain(engine, settings, *, force, trained_by, progress, random_state) -> RetrainResult:
    started = time.perf_counter()
    timings: dict[str, float] = {}

    def step(fraction: float, message: str, since: float) -> float:
        now = time.perf_counter()
        timings[message] = round(now - since, 2)
        progress(fraction, message)
        return now

    t = time.perf_counter()
    progress(0.02, "refreshing the analytics views")
    refresh_if_stale(engine)
    window = query_df(engine, "platform/data_span").iloc[0]
    if pd.isna(window.data_end):
        raise ValueError("there are no bookings to learn from yet")
    data_end = pd.Timestamp(window.data_end).to_pydatetime()
    t = step(0.10, "refreshed the analytics views", t)

    horizon = settings.churn_horizon_days
    ready = requirements.assess(engine, data_end=data_end, horizon_days=horizon)
    status = {m: {"trained": False, "reason": "", "needs": ready.as_dict()[m]["needs"]} for m in requirements.MODELS}

    def attempt(model: str, work: Callable[[], object], fails: tuple = (ValueError,)):
        """Run a model's work when the data supports it; record why not otherwise (never raise for thin data)."""
        if not ready.ready(model):
            status[model]["reason"] = "not enough data"
            return None
        try:
            result = work()
        except fails as exc:  # odd data the counts did not foresee (one class, a degenerate fit …)
            status[model]["reason"] = str(exc)
            return None
        status[model]["trained"] = True
        return result

    churn = attempt("churn", lambda: train_churn(engine, data_end=data_end, horizon_days=horizon,
                                                 random_state=random_state))
    t = step(0.45, "trained the churn model", t)

    clv_cutoff = churn.evaluation_cutoff if churn else data_end - timedelta(days=horizon)
    clv_metrics = attempt("clv", lambda: _evaluate_clv(
        engine, churn.evaluation_features if churn else None, cutoff=clv_cutoff, data_end=data_end),
        (ValueError, FloatingPointError, np.linalg.LinAlgError)) or {}
    t = step(0.55, "evaluated lifetime value", t)

    def score() -> tuple[pd.DataFrame, dict]:
        features = customer_features(engine, cutoff=data_end)
        lifetime = status["clv"]["trained"]
        try:
            return score_customers(engine, features, churn.model if churn else None, lifetime=lifetime,
                                   cutoff=data_end)
        except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
            if not lifetime:
                raise
            status["clv"].update(trained=False, reason=str(exc))
            return score_customers(engine, features, churn.model if churn else None, lifetime=False,
                                   cutoff=data_end)

    scored = attempt("segments", score)
    scores, clv_models = scored if scored else (pd.DataFrame(columns=SCORE_COLUMNS), {})
    t = step(0.75, "scored every customer", t)

    forecasts, forecast_metrics = attempt("forecast", lambda: forecast_service.forecast_every_series(engine)) or \
        (pd.DataFrame(columns=forecast_service.FORECAST_COLUMNS), {})
    t = step(0.88, "forecast revenue", t)

    version = registry.new_version()
    libraries = registry.library_versions()
    metrics = {"churn": churn.metrics if churn else {}, "clv": clv_metrics, "forecast": forecast_metrics,
               "churn_horizon_days": horizon, "models": status, "data_counts": ready.counts}
    gate_ok, reason = _not_worse(engine, settings, churn) if churn else \
        (True, "churn risk was skipped (" + (status["churn"]["reason"] or "not enough data") + ")")
    activate = force or gate_ok
    reason = "forced" if force and not gate_ok else reason
    trained_rows = churn.row_counts if churn else {}
    row_counts = {"customers": int(len(scores)), "training_rows": int(trained_rows.get("train", 0)),
                  "evaluation_rows": int(trained_rows.get("evaluation", 0)),
                  "bookings": int(window.bookings), "forecast_rows": int(len(forecasts))}
    metadata = {"version": version, "trained_at": datetime.now().astimezone().isoformat(),
                "trained_by": trained_by, "data_window": {"start": str(window.data_start), "end": str(data_end)},
                "row_counts": row_counts, "metrics": metrics, "library_versions": libraries,
                "feature_importance": churn.metrics.get("feature_importance") if churn else None}
    bundle = {**clv_models, **({"churn": churn.model, "features": list(churn.model.feature_names_)} if churn else {})}
    files = registry.save_bundle(settings.models_dir, version, bundle, metadata)
    t = step(0.93, "saved the model files", t)

    with engine.begin() as conn:
        conn.execute(sa.text(load_sql("models/version_insert")), {
            "version": version, "status": "candidate" if activate else "rejected", "trained_by": trained_by,
            "data_start": window.data_start, "data_end": data_end, "row_counts": json.dumps(row_counts),
            "metrics": json.dumps(metrics, default=float), "library_versions": json.dumps(libraries),
            "files": json.dumps(files), "notes": reason})
        raw = conn.connection.driver_connection
        copy_frame(raw, "customer_scores", scores.assign(version=version))
        copy_frame(raw, "revenue_forecasts", forecasts.assign(version=version))
        if activate:
            registry.make_active(conn, version)
        registry.prune_scores(conn)
    step(1.0, "done" if activate else "done; the new version was not activated", t)
    return RetrainResult(version, activate, reason, metrics, row_counts, time.perf_counter() - started, timings)


def _not_worse(engine, settings, churn) -> tuple[bool, str]:
    """Compare with the active version's churn model on the same held-out customers."""
    active = registry.active_version(engine)
    if active is None:
        return True, "first version"
    try:
        bundle = registry.load_bundle(settings.models_dir, active)
    except (registry.UnknownVersion, KeyError, OSError, ValueError) as exc:
        return True, f"the active version's files are unusable ({exc}); replaced"
    if "churn" not in bundle:
        return True, f"the active version {active} has no churn model (the data could not support one)"
    old = bundle["churn"]
    from sklearn.metrics import roc_auc_score

    x, y = churn.evaluation_features, churn.evaluation_labels
    try:
        old_auc = roc_auc_score(y, old.predict_proba(x)[:, 1])
    except (ValueError, KeyError) as exc:
        return True, f"the active model cannot score today's features ({exc}); replaced"
    new_auc = churn.metrics["roc_auc"]  # held out: the model trained before the evaluation cutoff
    verdict = new_auc >= old_auc - NOT_WORSE_MARGIN
    return verdict, (f"churn ROC AUC {new_auc:.3f} vs active {active} {old_auc:.3f} on the same held-out customers"
                     + ("" if verdict else ": worse, kept the active version"))


def _evaluate_clv(engine: Engine, features: pd.DataFrame | None, *, cutoff: datetime, data_end: datetime) -> dict:
    """BG/NBD's expected visits from a held-out cutoff to the data's end against what happened,
    next to a baseline: each customer's own past rate. `features` are the customers' at the cutoff
    (None: computed here)."""
    if features is None:
        features = customer_features(engine, cutoff=cutoff)
    days = (data_end - cutoff).total_seconds() / 86400
    table = clv_table(features)
    bgf, _ = fit_clv(table)
    actual = query_df(engine, "customers/visit_days_between", start=cutoff, end=data_end) \
        .set_index("user_id")["visit_days"].reindex(features.index).fillna(0).to_numpy()
    predicted = bgf.expected_visits(table, t=days)
    naive = (table["frequency"] + 1) / np.maximum(table["T"], 1) * days  # the customer's own historic rate
    return {
        "holdout_days": round(days, 1), "customers": int(len(features)),
        "mae": float(np.mean(np.abs(predicted - actual))),
        "baseline_rate_mae": float(np.mean(np.abs(naive - actual))),
        "predicted_total": float(predicted.sum()), "actual_total": float(actual.sum()),
        "params": {k: float(v) for k, v in bgf.params_.items()},
    }


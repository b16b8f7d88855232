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
from datetime import datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.i18n import N_, use_locale
from core.models import registry
from core.models.gate import CANNOT_SCORE, FILES_UNUSABLE, FIRST_VERSION, FORCED, NOT_WORSE, WORSE, gate_text
from core.customers.churn import train_churn
from core.customers.clv import clv_table
from core.platform.db import copy_frame, load_sql, query_df
from core.customers.features import customer_features
from core.forecast import service as forecast_service
from core.models.scoring import fit_clv, score_customers
from core.platform.refresh import refresh_if_stale
from core.platform.settings import Settings

Progress = Callable[[float, str], None]  # (fraction done, an English step marked with N_: show it as _(step))
NOT_WORSE_MARGIN = 0.005  # a new churn model may lose this much ROC AUC and still go live


@dataclass
class RetrainResult:
    version: str
    activated: bool
    reason: str  # English, as stored in model_versions.notes; gate_text(metrics["gate"]) in any language
    metrics: dict
    row_counts: dict
    seconds: float
    timings: dict = field(default_factory=dict)

    @property
    def reason_text(self) -> str:
        """Why the version was (not) activated, in the current language."""
        return gate_text(self.metrics.get("gate")) or self.reason



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
    progress(0.02, N_("refreshing the analytics views"))
    refresh_if_stale(engine)
    window = query_df(engine, "platform/data_span").iloc[0]
    if pd.isna(window.data_end):
        raise ValueError(_("there are no bookings to learn from yet"))
    data_end = pd.Timestamp(window.data_end).to_pydatetime()
    t = step(0.10, N_("refreshed the analytics views"), t)

    horizon = settings.churn_horizon_days
    churn = train_churn(engine, data_end=data_end, horizon_days=horizon, random_state=random_state)
    t = step(0.45, N_("trained the churn model"), t)

    clv_metrics = _evaluate_clv(engine, churn.evaluation_features, cutoff=churn.evaluation_cutoff,
                                data_end=data_end)
    t = step(0.55, N_("evaluated lifetime value"), t)

    features = customer_features(engine, cutoff=data_end)
    scores, clv_models = score_customers(engine, features, churn.model)
    t = step(0.75, N_("scored every customer"), t)

    forecasts, forecast_metrics = forecast_service.forecast_every_series(engine)
    t = step(0.88, N_("forecast revenue"), t)

    version = registry.new_version()
    libraries = registry.library_versions()
    gate_ok, gate = _not_worse(engine, settings, churn)
    activate = force or gate_ok
    gate = {"message": FORCED, "params": {}} if force and not gate_ok else gate
    with use_locale("en"):
        reason = gate_text(gate)
    metrics = {"churn": churn.metrics, "clv": clv_metrics, "forecast": forecast_metrics,
               "churn_horizon_days": horizon, "gate": gate}
    row_counts = {"customers": int(len(scores)), "training_rows": int(churn.row_counts.get("train", 0)),
                  "evaluation_rows": int(churn.row_counts.get("evaluation", 0)),
                  "bookings": int(window.bookings), "forecast_rows": int(len(forecasts))}
    metadata = {"version": version, "trained_at": datetime.now().astimezone().isoformat(),
                "trained_by": trained_by, "data_window": {"start": str(window.data_start), "end": str(data_end)},
                "row_counts": row_counts, "metrics": metrics, "library_versions": libraries,
                "feature_importance": churn.metrics.get("feature_importance")}
    files = registry.save_bundle(settings.models_dir, version,
                                 {"churn": churn.model, **clv_models, "features": list(churn.model.feature_names_)},
                                 metadata)
    t = step(0.93, N_("saved the model files"), t)

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
    step(1.0, N_("done") if activate else N_("done; the new version was not activated"), t)
    return RetrainResult(version, activate, reason, metrics, row_counts, time.perf_counter() - started, timings)


def _not_worse(engine, settings, churn) -> tuple[bool, dict]:
    """Compare with the active version's churn model on the same held-out customers: (not worse, the gate)."""
    active = registry.active_version(engine)
    if active is None:
        return True, {"message": FIRST_VERSION, "params": {}}
    try:
        old = registry.load_bundle(settings.models_dir, active)["churn"]
    except (registry.UnknownVersion, KeyError, OSError, ValueError) as exc:
        return True, {"message": FILES_UNUSABLE, "params": {"error": str(exc)}}
    from sklearn.metrics import roc_auc_score

    x, y = churn.evaluation_features, churn.evaluation_labels
    try:
        old_auc = roc_auc_score(y, old.predict_proba(x)[:, 1])
    except (ValueError, KeyError) as exc:
        return True, {"message": CANNOT_SCORE, "params": {"error": str(exc)}}
    new_auc = churn.metrics["roc_auc"]  # held out: the model trained before the evaluation cutoff
    verdict = new_auc >= old_auc - NOT_WORSE_MARGIN
    params = {"new": round(float(new_auc), 3), "active": active, "old": round(float(old_auc), 3)}
    return verdict, {"message": NOT_WORSE if verdict else WORSE, "params": params}


def _evaluate_clv(engine: Engine, features: pd.DataFrame, *, cutoff: datetime, data_end: datetime) -> dict:
    """BG/NBD's expected visits from a held-out cutoff to the data's end against what happened,
    next to a baseline: each customer's own past rate."""
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


"""The retrain: train every model from the database, evaluate it on held-out data, score every
customer (`core.models.scoring`), forecast revenue, and activate the new version if it is not worse
than the active one, compared fairly (`core.models.compare`).

Nothing is visible until the last step: files get a new version name, and the registry row, the
scores, the prediction log and the forecasts are written in one transaction. A failed or killed
retrain leaves the active version and its scores untouched.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.accounts import Account, audit
from core.customers.churn_training import train_churn
from core.customers.clv import clv_table
from core.customers.features import CUTOFF_SLACK, as_cutoff, customer_features, model_features
from core.data import requirements
from core.forecast import service as forecast_service
from core.i18n import N_, _
from core.models import compare, performance, registry
from core.models.gate import gate_text
from core.models.scoring import LOG_COLUMNS, fit_clv, score_customers
from core.platform import metrics as instrument
from core.platform.db import copy_frame, load_sql, query_df
from core.rollups.refresh import refresh as refresh_rollups
from core.platform.settings import Settings

Progress = Callable[[float, str], None]  # (fraction done, an English step marked with N_: show it as _(step))
SCORE_COLUMNS = ["user_id", "club_id", "segment", "recency_days", "frequency", "monetary_total", "r_score", "f_score",
                 "m_score", "churn_risk", "probability_alive", "expected_visits_30d", "expected_visits_90d", "clv_6m",
                 "clv_12m", "clv_12m_lo", "clv_12m_hi", "upsell_score", "next_visit_date", "next_visit_lo",
                 "next_visit_hi", "recommendations"]
FIT_FAILS = (ValueError, FloatingPointError, np.linalg.LinAlgError)  # a degenerate fit on odd data

logger = logging.getLogger("oyna.models")


@dataclass
class RetrainResult:
    version: str
    activated: bool
    reason: str  # English, as stored in model_versions.notes; reason_text in the current language
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
            progress: Progress = _quiet, random_state: int = 0, as_of: datetime | None = None,
            actor: Account | None = None, via: str | None = None) -> RetrainResult:
    """Train, evaluate, save and (if not worse than the active version) activate a new version.

    `as_of` trains as if the data ended then (a moment in the past): a backtest, whose predictions are
    logged and graded once their horizon has passed, but which is never activated and scores no
    customer for the pages. With an `actor` (a signed-in manager) or `via` ('cli', 'system'), the
    retrain and an activation go to the activity log.
    """
    with registry.retrain_lock(engine):
        started = time.perf_counter()
        registry.remove_orphans(engine, settings.models_dir)  # files of a retrain killed before its row
        try:
            result = _retrain(engine, settings, force=force, trained_by=trained_by, progress=progress,
                              random_state=random_state, as_of=as_of, actor=actor, via=via)
        except Exception:
            instrument.record_retrain(time.perf_counter() - started, "failed")
            raise
        instrument.record_retrain(result.seconds, "activated" if result.activated else "kept")
        return result


def _retrain(engine, settings, *, force, trained_by, progress, random_state, as_of, actor, via) -> RetrainResult:
    started = time.perf_counter()
    timings: dict[str, float] = {}

    def step(fraction: float, message: str, since: float) -> float:
        now = time.perf_counter()
        timings[message] = round(now - since, 2)
        progress(fraction, message)
        return now

    t = time.perf_counter()
    progress(0.02, N_("refreshing the analytics views"))
    refresh_rollups(engine)  # what the queue holds: the retrain reads the rollups
    performance.grade(engine)  # what earlier versions predicted and is now known
    window = query_df(engine, "platform/data_span").iloc[0]
    if pd.isna(window.data_end):
        raise ValueError(_("there are no bookings to learn from yet"))
    data_end = pd.Timestamp(window.data_end).to_pydatetime()
    backtest = as_of is not None and as_cutoff(as_of, "as_of") < data_end - CUTOFF_SLACK
    if backtest:
        data_end = as_cutoff(as_of, "as_of")
    t = step(0.10, N_("refreshed the analytics views"), t)

    horizon = settings.churn_horizon_days
    # Each model trains only when the data has what it needs (core/data/requirements.py); the others are
    # skipped and the version records why, so thin or odd data never makes the retrain fail. A backtest
    # publishes nothing to the pages and is graded against what happened, so it tries every model.
    ready = requirements.assess(engine, data_end=data_end, horizon_days=horizon)
    trained = {m: {"trained": False, "reason": "", "needs": ready.as_dict()[m]["needs"]} for m in requirements.MODELS}

    def attempt(model: str, work: Callable[[], object], fails: tuple = (ValueError,)):
        if not backtest and not ready.ready(model):
            trained[model]["reason"] = N_("not enough data")  # English; gate_text translates it
            return None
        try:
            result = work()
        except fails as exc:  # odd data the counts did not foresee (one class, a degenerate fit …)
            trained[model]["reason"] = str(exc)
            return None
        trained[model]["trained"] = True
        return result

    churn = attempt("churn", lambda: train_churn(engine, data_end=data_end, horizon_days=horizon,
                                                 random_state=random_state))
    t = step(0.45, N_("trained the churn model"), t)

    clv_cutoff = churn.evaluation_cutoff if churn else data_end - timedelta(days=horizon)
    clv_metrics = attempt("clv", lambda: _evaluate_clv(
        engine, churn.evaluation_features if churn else None, cutoff=clv_cutoff, data_end=data_end), FIT_FAILS) or {}
    t = step(0.55, N_("evaluated lifetime value"), t)

    def score() -> tuple[pd.DataFrame, dict]:
        features = model_features(engine, cutoff=data_end, horizon_days=horizon)
        model, lifetime = (churn.model if churn else None), trained["clv"]["trained"]
        try:
            return score_customers(engine, features, model, data_end, lifetime=lifetime)
        except FIT_FAILS as exc:
            if not lifetime:
                raise
            trained["clv"].update(trained=False, reason=str(exc))
            return score_customers(engine, features, model, data_end, lifetime=False)

    scored = attempt("segments", score)
    scores, clv_models = scored if scored else (pd.DataFrame(columns=SCORE_COLUMNS), {})
    t = step(0.75, N_("scored every customer"), t)

    forecasts, forecast_metrics = attempt("forecast", lambda: forecast_service.forecast_every_series(
        engine, until=data_end if backtest else None)) or (pd.DataFrame(columns=forecast_service.FORECAST_COLUMNS), {})
    t = step(0.88, N_("forecast revenue"), t)

    version = registry.new_version()
    libraries = registry.library_versions()
    if backtest:
        judged = compare.verdict(compare.BACKTEST, False, as_of=data_end.isoformat(timespec="minutes"))
    elif churn is None:
        judged = compare.verdict(compare.NO_CHURN, True, reason=trained["churn"]["reason"])
    else:
        judged = compare.judge(churn, active=registry.active_version(engine), models_dir=settings.models_dir)
        if force and not judged.activate:
            judged = compare.verdict(compare.FORCED, True, **judged.gate["params"])
    activate, reason = judged.activate, judged.text
    status = "backtest" if backtest else "candidate" if activate else "rejected"
    metrics = {"churn": churn.metrics if churn else {}, "clv": clv_metrics, "forecast": forecast_metrics,
               "churn_horizon_days": horizon, "gate": judged.gate, "models": trained, "data_counts": ready.counts}
    churn_rows = churn.row_counts if churn else {}
    row_counts = {"customers": int(len(scores)), "training_rows": int(churn_rows.get("train", 0)),
                  "evaluation_rows": int(churn_rows.get("evaluation", 0)),
                  "bookings": int(window.bookings), "forecast_rows": int(len(forecasts))}
    metadata = {"version": version, "trained_at": datetime.now().astimezone().isoformat(),
                "trained_by": trained_by, "database": registry.database_identity(engine), "data_window": {"start": str(window.data_start), "end": str(data_end)},
                "row_counts": row_counts, "metrics": metrics, "library_versions": libraries,
                "feature_importance": churn.metrics.get("feature_importance") if churn else None}
    bundle = {**clv_models, **({"churn": churn.model, "recipe": compare.candidate_recipe(churn).bundle(),
                                "features": list(churn.model.feature_names_)} if churn else {})}
    files = registry.save_bundle(settings.models_dir, version, bundle, metadata)
    t = step(0.93, N_("saved the model files"), t)

    with engine.begin() as conn:
        conn.execute(sa.text(load_sql("models/version_insert")), {
            "version": version, "status": status, "trained_by": trained_by,
            "data_start": window.data_start, "data_end": data_end, "row_counts": json.dumps(row_counts),
            "metrics": _finite_json(metrics), "library_versions": json.dumps(libraries),
            "files": json.dumps(files), "notes": reason})
        raw = conn.connection.driver_connection
        if not backtest:  # the pages read these; a backtest's are of the past
            copy_frame(raw, "customer_scores", scores.assign(version=version))
        logged = scores[scores.churn_risk.notna()] if len(scores) else scores  # the log grades churn risk
        copy_frame(raw, "prediction_log", logged[LOG_COLUMNS].assign(version=version))
        copy_frame(raw, "revenue_forecasts", forecasts.assign(version=version))
        previous = conn.execute(sa.text("select active_model_version()")).scalar()
        if activate:
            registry.make_active(conn, version, by=trained_by)
        registry.prune_scores(conn)
        if actor is not None or via is not None:
            audit.record(conn, actor, "retrain", object_type="model", object_id=version, via=via or "app",
                         details={"activated": activate, "reason": reason, "forced": force,
                                  "backtest": backtest, "customers": row_counts["customers"]})
            if activate:
                audit.record(conn, actor, "model_activate", object_type="model", object_id=version, via=via or "app",
                             details={"previous": previous, "rollback": False})
    try:  # statistics for the new rows: without them a page's plan can take minutes (never fails the retrain)
        with engine.begin() as conn:
            conn.execute(sa.text(load_sql("models/analyze_tables")))
    except sa.exc.DBAPIError as exc:
        logger.warning("could not refresh the model tables' statistics: %s", exc)
    step(1.0, N_("done") if activate else N_("done; the new version was not activated"), t)
    return RetrainResult(version, activate, reason, metrics, row_counts, time.perf_counter() - started, timings)


def _finite_json(value) -> str:
    """JSON for jsonb: a metric that is no finite number (the MASE of a series without change) is null."""
    def finite(x):
        if isinstance(x, dict):
            return {k: finite(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [finite(v) for v in x]
        if isinstance(x, (float, np.floating)):
            return float(x) if np.isfinite(x) else None
        return x
    return json.dumps(finite(value), default=float, allow_nan=False)


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


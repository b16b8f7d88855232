"""The churn model's training protocol (`train_churn`).

* evaluation cutoff: data_end - N, the latest cutoff whose label window has fully passed;
* training cutoffs: data_end - 2N, then further back (7 to N days apart, up to `max_cutoffs`,
  each with at least `min_history_days` of data before it) until `max_rows` training rows are
  reached; their label windows end on or before the evaluation cutoff, so nothing the model
  learns from overlaps the evaluation window;
* two candidates are trained on the training cutoffs and scored on the evaluation cutoff: the trees
  (`ChurnModel`) and the learned posterior's P(no visit) alone (`PosteriorChurn`); the better one
  (the trees unless the posterior alone ranks churners better) is the model;
* it is compared there with three baselines: days since the last visit, BG/NBD's P(no visit in N
  days | history) and the posterior's, each fitted on the same cutoff;
* the returned model is retrained on all cutoffs up to the evaluation cutoff, for scoring today.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sqlalchemy.engine import Engine

from core.customers.churn import MODEL_FEATURES, ChurnModel, bgnbd_churn_score, recipe
from core.customers.churn_metrics import calibration_table, classification_metrics, lift
from core.customers.features import CUTOFF_SLACK, as_cutoff, churn_labels, data_span, model_features
from core.customers.history import PosteriorChurn
from core.platform.thresholds import CHURN_WINDOW_DAYS


@dataclass
class ChurnResult:
    """What `train_churn` learned and how it did on the held-out cutoff."""

    model: BaseEstimator                   # ChurnModel or PosteriorChurn, on every usable cutoff, to score now
    metrics: dict[str, Any]                # JSON-friendly: model, baselines, calibration, importance, recipe
    baselines: dict[str, dict[str, float]]  # "recency", "bgnbd", "posterior" -> metrics on the held-out cutoff
    calibration: pd.DataFrame              # deciles of the held-out predictions
    evaluation_cutoff: datetime
    training_cutoffs: list[datetime]
    horizon_days: int
    row_counts: dict[str, int]             # train, evaluation, final
    seconds: float
    evaluation_model: BaseEstimator | None = field(default=None, repr=False)  # trained on training cutoffs only
    # the rows it was trained on and the held-out rows (model_features at the evaluation cutoff), for
    # comparing another recipe on the same rows (`core.models.gate`)
    training_features: pd.DataFrame | None = field(default=None, repr=False)
    training_labels: pd.Series | None = field(default=None, repr=False)
    evaluation_features: pd.DataFrame | None = field(default=None, repr=False)
    evaluation_labels: pd.Series | None = field(default=None, repr=False)


def training_cutoffs(data_start: datetime, data_end: datetime, *, horizon_days: int, max_cutoffs: int,
                     min_history_days: int) -> tuple[datetime, list[datetime]]:
    """(evaluation cutoff, training cutoffs newest first).

    The evaluation cutoff is data_end - N; training cutoffs start at data_end - 2N (so their label
    windows end by the evaluation cutoff) and step back, at most N and at least 7 days apart,
    spreading up to `max_cutoffs` over the history that leaves `min_history_days` before each.
    """
    evaluation = data_end - timedelta(days=horizon_days)
    newest = data_end - timedelta(days=2 * horizon_days)
    span = (newest - data_start).total_seconds() / 86400 - min_history_days
    if span < 0:
        need = 2 * horizon_days + min_history_days
        have = (data_end - data_start).total_seconds() / 86400
        raise ValueError(f"churn training needs at least {need} days of bookings for a {horizon_days}-day "
                         f"horizon; the data spans {have:.0f}")
    step = float(np.clip(span / max(max_cutoffs - 1, 1), 7, horizon_days))
    count = min(max_cutoffs, int(span // step) + 1)
    return evaluation, [newest - timedelta(days=step * k) for k in range(count)]


def _labelled(engine: Engine, cutoff: datetime, horizon_days: int,
              data_start: datetime) -> tuple[pd.DataFrame, pd.Series]:
    features = model_features(engine, cutoff=cutoff, horizon_days=horizon_days, data_start=data_start)
    labels = churn_labels(engine, cutoff=cutoff, horizon_days=horizon_days).reindex(features.index)
    if labels.isna().any():
        raise ValueError(f"features and labels disagree on who visited before {cutoff:%Y-%m-%d}")
    return features, labels.astype(int)


def _labelled_cutoffs(engine: Engine, cutoffs: list[datetime], horizon_days: int, data_start: datetime, *,
                      enough_rows: int | None = None, skip: int = 0,
                      workers: int = 3) -> list[tuple[pd.DataFrame, pd.Series]]:
    """Features and labels at each cutoff, in order, a few queries at a time to keep the server busy.

    With `enough_rows`, stops after the batch that brings the rows (not counting the first `skip`
    cutoffs) to at least that many.
    """
    out: list[tuple[pd.DataFrame, pd.Series]] = []
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for i in range(0, len(cutoffs), workers):
            out += pool.map(lambda c: _labelled(engine, c, horizon_days, data_start), cutoffs[i:i + workers])
            if enough_rows is not None and sum(len(f) for f, _ in out[skip:]) >= enough_rows:
                break
    return out


def _cap(X: pd.DataFrame, y: pd.Series, max_rows: int, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.Series]:
    if len(X) <= max_rows:
        return X, y
    keep = np.sort(rng.choice(len(X), max_rows, replace=False))
    return X.iloc[keep], y.iloc[keep]


def train_churn(engine: Engine, *, data_end: datetime, horizon_days: int = CHURN_WINDOW_DAYS, random_state: int = 0,
                max_cutoffs: int = 6, min_history_days: int = 14, max_rows: int = 40_000,
                features: list[str] | None = None, **model_params: Any) -> ChurnResult:
    """Train, evaluate on the latest fully elapsed cutoff against three baselines, then retrain for scoring.

    `features` are the trees' columns (MODEL_FEATURES by default; given, the posterior alone is not
    tried); `max_rows` caps the rows each fit sees (a random sample of the stacked cutoffs);
    `model_params` go to ChurnModel.
    """
    started = time.perf_counter()
    data_end = as_cutoff(data_end, "data_end")
    if isinstance(horizon_days, bool) or not isinstance(horizon_days, int) or horizon_days < 1:
        raise ValueError(f"horizon_days must be a whole number of days >= 1, got {horizon_days!r}")
    if max_cutoffs < 1 or min_history_days < 0 or max_rows < 100:
        raise ValueError("need max_cutoffs >= 1, min_history_days >= 0 and max_rows >= 100")
    data_start, known_end = data_span(engine)
    if data_end > known_end + CUTOFF_SLACK:
        raise ValueError(f"data_end {data_end:%Y-%m-%d %H:%M} is after the end of the data "
                         f"({known_end:%Y-%m-%d %H:%M})")
    data_end = min(data_end, known_end)  # a quiet hour after the last booking: labels end where the data does
    evaluation_cutoff, train_cutoffs = training_cutoffs(
        data_start, data_end, horizon_days=horizon_days, max_cutoffs=max_cutoffs, min_history_days=min_history_days)
    rng = np.random.default_rng(random_state)
    columns = list(features or MODEL_FEATURES)

    # the evaluation cutoff first; training cutoffs until there are max_rows training rows
    stacked = _labelled_cutoffs(engine, [evaluation_cutoff, *train_cutoffs], horizon_days, data_start,
                                enough_rows=max_rows, skip=1)
    X_eval, y_eval = stacked[0]
    train_cutoffs = train_cutoffs[:len(stacked) - 1]
    X_train = pd.concat([f for f, _ in stacked[1:]])
    y_train = pd.concat([y for _, y in stacked[1:]])
    if y_train.nunique() < 2 or y_eval.nunique() < 2:
        raise ValueError("the churn labels have a single class; there is not enough history to learn from")
    Xf, yf = _cap(X_train, y_train, max_rows, rng)
    # the candidates, trained before the evaluation cutoff and scored on its customers
    candidates: dict[str, BaseEstimator] = {
        "trees": ChurnModel(random_state=random_state, importance_rows=0, **model_params)}
    if not features and "posterior_no_visit" in columns:
        candidates["posterior"] = PosteriorChurn(random_state=random_state)
    held_out = {}
    for name, estimator in candidates.items():
        fitted = estimator.fit(Xf[columns], yf, groups=Xf.index)
        held_out[name] = (fitted, fitted.predict_proba(X_eval)[:, 1])
    aucs = {name: classification_metrics(y_eval, p)["roc_auc"] for name, (_, p) in held_out.items()}
    chosen = "posterior" if aucs.get("posterior", -1.0) > aucs["trees"] else "trees"
    evaluation_model, p_eval = held_out[chosen]
    if chosen == "posterior":
        columns = list(evaluation_model.feature_names_)

    model_metrics = classification_metrics(y_eval, p_eval) | lift(y_eval, p_eval)
    base_rate = float(y_eval.mean())
    model_metrics["brier_base_rate"] = float(np.mean((y_eval - base_rate) ** 2))
    baselines = {"recency": classification_metrics(y_eval, X_eval["recency_days"]),
                 "posterior": classification_metrics(y_eval, X_eval["posterior_no_visit"])}
    try:
        baselines["bgnbd"] = classification_metrics(y_eval, bgnbd_churn_score(X_eval, horizon_days))
    except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
        baselines["bgnbd"] = {"error": str(exc)}
    calibration = calibration_table(y_eval, p_eval)

    # the model to score with: every cutoff whose labels are known, newest included
    X_all, y_all = _cap(pd.concat([X_eval, X_train]), pd.concat([y_eval, y_train]), max_rows, rng)
    final = ChurnModel(random_state=random_state, **model_params) if chosen == "trees" \
        else PosteriorChurn(random_state=random_state)
    model = final.fit(X_all[columns], y_all, groups=X_all.index)

    metrics = {
        "horizon_days": horizon_days,
        "evaluation_cutoff": evaluation_cutoff.isoformat(),
        "training_cutoffs": [c.isoformat() for c in train_cutoffs],
        "base_rate": base_rate,
        **model_metrics,
        "baselines": baselines,
        "calibration": calibration.to_dict(orient="records"),
        "feature_importance": {k: float(v) for k, v in model.feature_importances_.items()},
        "posterior_origin": X_eval.attrs.get("origin"),
        "model_kind": chosen,
        "candidates": aucs,
        "recipe": recipe(evaluation_model, columns, horizon_days=horizon_days, max_rows=max_rows,
                         max_cutoffs=max_cutoffs, min_history_days=min_history_days,
                         evaluation_cutoff=evaluation_cutoff.isoformat(),
                         training_cutoffs=[c.isoformat() for c in train_cutoffs]),
    }
    row_counts = {"train": int(len(Xf)), "train_available": int(len(X_train)), "evaluation": int(len(X_eval)),
                  "final": int(len(X_all))}
    return ChurnResult(model=model, metrics=metrics, baselines=baselines, calibration=calibration,
                       evaluation_cutoff=evaluation_cutoff, training_cutoffs=train_cutoffs,
                       horizon_days=horizon_days, row_counts=row_counts,
                       seconds=time.perf_counter() - started, evaluation_model=evaluation_model,
                       training_features=Xf, training_labels=yf, evaluation_features=X_eval,
                       evaluation_labels=y_eval)

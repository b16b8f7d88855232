"""EVALUATION ONLY: the demo simulator's hidden future (`demo_truth`), which no model and no page may use.

Benchmarks and tests read it to check the models against what really happens next in the simulated chain,
next to the simple scores and the bounds: the oracle (which knows each customer's true state), the
history ceiling and the hindsight trees (`core.demo.ceiling`, the best any model of the history alone could do).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sqlalchemy.engine import Engine

from core.customers.churn import ChurnModel, bgnbd_churn_score, classification_metrics
from core.customers.features import data_span, model_features
from core.platform.db import query_df

HORIZON = 30  # the simulator keeps 30 hidden days
RECENT_DAYS = 90  # "seen in the last 90 days"


def truth_frame(engine: Engine) -> pd.DataFrame:
    """Per customer (indexed by user_id): no_visit_30d, churned_at, true_visit_rate (per week),
    signed_up_at, and the data_end the hidden days follow."""
    truth = query_df(engine, "demo/truth_eval")
    if truth.empty:
        raise ValueError("this database holds no demo truth (load demo data with `oyna demo`)")
    return truth.set_index("user_id")


def oracle_score(truth: pd.DataFrame) -> np.ndarray:
    """P(no visit in the hidden 30 days | the true state): 1 for a customer who had already stopped at
    the data end, else exp(-true rate x 30 days)."""
    stopped = (pd.to_datetime(truth["churned_at"], utc=True) <= pd.to_datetime(truth["data_end"], utc=True)).to_numpy()
    return np.where(stopped, 1.0, np.exp(-truth["true_visit_rate"].to_numpy(float) * HORIZON / 7))


def evaluate_against_truth(engine: Engine, model: ChurnModel, *, ceiling: bool = False) -> dict[str, Any]:
    """Score customers at the demo's data end and compare with the simulator's hidden future
    (no visit in the next 30 days). Never feed this to a model.

    Returns the model's ROC AUC, PR AUC and Brier, the truth's churn rate and the number of customers,
    and `scores`: ROC AUC of each score (model, days since the last visit, BG/NBD P(no visit in 30 days),
    the learned posterior, the oracle and, with `ceiling`, the history ceiling and the hindsight trees) for all
    customers ("all") and those seen in the last 90 days ("recent").
    """
    truth = truth_frame(engine)
    cutoff = pd.Timestamp(truth["data_end"].iloc[0]).to_pydatetime()
    features = model_features(engine, cutoff=cutoff, horizon_days=HORIZON)
    truth = truth.reindex(features.index)
    if truth["no_visit_30d"].isna().any():
        raise ValueError("the demo truth does not cover every customer with a visit")
    y = truth["no_visit_30d"].astype(int).to_numpy()
    p = model.predict_proba(features)[:, 1]
    out: dict[str, Any] = {"cutoff": cutoff.isoformat(), "customers": int(len(y)), "churn_rate": float(y.mean())}
    out.update(classification_metrics(y, p))
    out["recency_roc_auc"] = float(roc_auc_score(y, features["recency_days"]))
    scores = {"model": p, "recency": features["recency_days"].to_numpy(),
              "bgnbd": bgnbd_churn_score(features, HORIZON), "posterior": features["posterior_no_visit"].to_numpy(),
              "oracle": oracle_score(truth)}
    if ceiling:
        from core.demo.ceiling import ceiling_score, hindsight_score

        full = truth_frame(engine)  # every customer's true rate makes the prior
        scores["ceiling"] = ceiling_score(features, full, data_start=data_span(engine)[0], data_end=cutoff)
        scores["hindsight"] = hindsight_score(features, truth, scores["ceiling"])
    recent = features["recency_days"].to_numpy() <= RECENT_DAYS
    out["recent_customers"] = int(recent.sum())
    out["scores"] = {name: {"all": float(roc_auc_score(y, s)), "recent": float(roc_auc_score(y[recent], s[recent]))}
                     for name, s in scores.items()}
    return out


def gap_closed(scores: dict[str, dict[str, float]], name: str, group: str) -> float:
    """The share of the gap between the recency rule and the oracle that a score closes (0: no better than
    recency, 1: as good as the oracle)."""
    recency, oracle = scores["recency"][group], scores["oracle"][group]
    return (scores[name][group] - recency) / (oracle - recency)


def campaign_truth(engine: Engine, campaign_id: int) -> dict[str, Any] | None:
    """What the demo really did for a campaign (`demo_truth.campaign_*`): its true uplift, how many treated
    customers were drawn, responded and had their extra visit booked, and that visit's revenue. None when
    the live feed has not seen the campaign. Never feed this to a model."""
    rows = query_df(engine, "demo/campaign_truth", campaign_id=int(campaign_id))
    return None if rows.empty else {k: (float(v) if k in ("uplift", "booked_revenue") else int(v))
                                    for k, v in rows.iloc[0].items()}

"""EVALUATION ONLY: the demo simulator's hidden future (`demo_truth`), which no model and no page may use.

Benchmarks and tests read it to check the models against what really happens next in the simulated chain.
"""

from __future__ import annotations

from typing import Any

from sklearn.metrics import roc_auc_score
from sqlalchemy.engine import Engine

from core.customers.churn import ChurnModel, classification_metrics
from core.customers.features import customer_features
from core.platform.db import query_df


def evaluate_against_truth(engine: Engine, model: ChurnModel) -> dict[str, Any]:
    """Score customers at the demo's data end and compare with the simulator's hidden future
    (`demo_truth.customer_future`: no visit in the next 30 days). Never feed this to a model.

    Returns ROC AUC, PR AUC and Brier of the model, the recency rule's ROC AUC, the truth's churn rate
    and the number of customers.
    """
    truth = query_df(engine, "demo/truth_eval")
    if truth.empty:
        raise ValueError("this database holds no demo truth (load demo data with `oyna demo`)")
    cutoff = truth["data_end"].iloc[0]
    cutoff = cutoff.to_pydatetime() if hasattr(cutoff, "to_pydatetime") else cutoff
    features = customer_features(engine, cutoff=cutoff)
    y = truth.set_index("user_id")["no_visit_30d"].reindex(features.index)
    if y.isna().any():
        raise ValueError("the demo truth does not cover every customer with a visit")
    y = y.astype(int)
    p = model.predict_proba(features)[:, 1]
    out: dict[str, Any] = {"cutoff": cutoff.isoformat(), "customers": int(len(y)), "churn_rate": float(y.mean())}
    out.update(classification_metrics(y, p))
    out["recency_roc_auc"] = float(roc_auc_score(y, features["recency_days"]))
    return out


def campaign_truth(engine: Engine, campaign_id: int) -> dict[str, Any] | None:
    """What the demo really did for a campaign (`demo_truth.campaign_*`): its true uplift, how many treated
    customers were drawn, responded and had their extra visit booked, and that visit's revenue. None when
    the live feed has not seen the campaign. Never feed this to a model."""
    rows = query_df(engine, "demo/campaign_truth", campaign_id=int(campaign_id))
    return None if rows.empty else {k: (float(v) if k in ("uplift", "booked_revenue") else int(v))
                                    for k, v in rows.iloc[0].items()}

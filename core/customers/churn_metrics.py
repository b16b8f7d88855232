"""How good churn scores are: ROC AUC with its standard error, PR AUC, Brier score, calibration by decile,
lift in the top of the list, and a quality grade a manager can read.

Pure functions of labels (1 = churned) and scores; the retrain stores their results with each version.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

TOP_SHARES = (0.10, 0.20)  # lift is reported for the top 10% and 20% of customers by risk


def classification_metrics(y: Any, p: Any) -> dict[str, float]:
    """ROC AUC (and its standard error), PR AUC (average precision) and Brier score of scores p
    against labels y; the Brier score only when p are probabilities."""
    # imported here: the pages read only the grade below, and scikit-learn takes 2 s to import
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    y, p = np.asarray(y, dtype=int), np.asarray(p, dtype=float)
    if len(np.unique(y)) < 2:
        raise ValueError("labels have only one class; ROC AUC is undefined")
    auc = float(roc_auc_score(y, p))
    out = {"roc_auc": auc, "roc_auc_se": auc_standard_error(auc, int(y.sum()), int(len(y) - y.sum())),
           "pr_auc": float(average_precision_score(y, p))}
    if np.all((p >= 0) & (p <= 1)):
        out["brier"] = float(brier_score_loss(y, p))
    return out


def auc_standard_error(auc: float, positives: int, negatives: int) -> float:
    """Hanley & McNeil's (1982) standard error of a ROC AUC from its value and the class sizes."""
    if positives < 1 or negatives < 1:
        return float("nan")
    q1, q2 = auc / (2 - auc), 2 * auc ** 2 / (1 + auc)
    var = (auc * (1 - auc) + (positives - 1) * (q1 - auc ** 2) + (negatives - 1) * (q2 - auc ** 2)) \
        / (positives * negatives)
    return float(np.sqrt(max(var, 0.0)))


def calibration_table(y: Any, p: Any, bins: int = 10) -> pd.DataFrame:
    """Mean predicted probability vs observed churn rate by decile of the prediction."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    bins = max(1, min(bins, len(p)))
    decile = pd.qcut(pd.Series(p).rank(method="first"), bins, labels=False) + 1
    table = pd.DataFrame({"decile": decile, "predicted": p, "observed": y}).groupby("decile").agg(
        customers=("observed", "size"), mean_predicted=("predicted", "mean"), observed_rate=("observed", "mean"))
    return table.reset_index()


def lift(y: Any, p: Any, shares: tuple[float, ...] = TOP_SHARES) -> dict[str, float]:
    """For the top share of customers by score: their churn rate against everyone's (lift) and the
    share of all churners among them (capture). Keys lift_top10, capture_top10, ... ."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    if len(y) == 0 or y.sum() == 0:
        raise ValueError("lift needs at least one churner")
    order = np.argsort(-p, kind="stable")
    out = {}
    for share in shares:
        top = order[:max(1, int(round(share * len(y))))]
        name = f"top{round(share * 100)}"
        out[f"lift_{name}"] = float(y[top].mean() / y.mean())
        out[f"capture_{name}"] = float(y[top].sum() / y.sum())
    return out


def quality_score(auc: float | None) -> float | None:
    """A 0-100 grade of how well scores rank churners above the others: 0 is a coin flip (AUC 0.5),
    100 is perfect (AUC 1.0); 2 AUC - 1 (the Gini coefficient) in percent, never below 0."""
    if auc is None or not np.isfinite(auc):
        return None
    return float(np.clip(round(200 * auc - 100, 9), 0, 100))

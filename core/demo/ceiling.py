"""EVALUATION ONLY: the best churn score any model that sees only the history could reach on the demo.

The "history ceiling" is the Bayes posterior P(no visit in the next 30 days) from each customer's visit
count, last visit, sign-up and bookings made ahead, under the simulator's own priors (its lifetime
distribution from sign-up and the spread of true visit rates, which no real chain would know). It is what
`bench.models` compares the churn model with: no history-only model beats it on average, and the gap
between it and the oracle (which knows whether each customer has already stopped) is what the history
cannot tell.

The "hindsight trees" check that claim without the simulator's formulas: gradient-boosted trees trained on
the hidden next 30 days themselves (5 folds, each customer scored by trees that never saw them), given every
model feature, the ceiling and each customer's true visit rate. No model trained on the past can know more.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold

from core.customers.churn import MODEL_FEATURES
from core.customers.features import CATEGORICAL_FEATURES
from core.demo import simulate

HORIZON = 30
VISIT_SHARE = 0.6  # of the simulator's candidate visits, the share that become visits (measured: customers
RATE_SPREAD = 0.3  # active all year); and the spread (log scale) of the rates that result


def _lifetime_pdf(age: np.ndarray) -> np.ndarray:
    short, life = simulate.SHORT_LIVED_SHARE, simulate.LIFE_MEDIAN_DAYS
    return np.where(age > 0, short * stats.expon.pdf(age, scale=simulate.SHORT_LIFE_DAYS)
                    + (1 - short) * stats.lognorm.pdf(age, simulate.LIFE_SIGMA, scale=life), 0.0)


def _lifetime_sf(age: np.ndarray) -> np.ndarray:
    short, life = simulate.SHORT_LIVED_SHARE, simulate.LIFE_MEDIAN_DAYS
    return np.where(age > 0, short * stats.expon.sf(age, scale=simulate.SHORT_LIFE_DAYS)
                    + (1 - short) * stats.lognorm.sf(age, simulate.LIFE_SIGMA, scale=life), 1.0)


def ceiling_score(features: pd.DataFrame, truth: pd.DataFrame, *, data_start, data_end) -> np.ndarray:
    """P(no visit in the 30 days after `data_end`) per row of `features` (model_features at data_end:
    frequency, recency_days, booked_ahead), under the simulator's priors; `truth` is
    `core.demo.truth.truth_frame` (signed_up_at and every customer's true_visit_rate)."""
    start = pd.Timestamp(data_start).floor("D")
    T = (pd.Timestamp(data_end) - start).total_seconds() / 86400
    signed = pd.to_datetime(truth["signed_up_at"].reindex(features.index), utc=True)
    signup = (signed - start).dt.total_seconds().to_numpy() / 86400
    x = features["frequency"].to_numpy(float)
    t_x = T - features["recency_days"].to_numpy(float)
    lam = np.exp(np.linspace(np.log(1e-3), np.log(4.0), 90))
    edges = np.concatenate([[0], np.sqrt(lam[1:] * lam[:-1]), [np.inf]])
    rates = truth["true_visit_rate"].to_numpy(float) * VISIT_SHARE / 7
    with np.errstate(divide="ignore"):
        z = (np.log(edges[None, :]) - np.log(rates[:, None])) / RATE_SPREAD
    prior = np.diff(stats.norm.cdf(z), axis=1).mean(0)
    score = _bayes_no_visit(x, t_x, T, np.maximum(signup, 0.0), signup, lam, np.log(np.maximum(prior, 1e-300)))
    return np.where(features["booked_ahead"].to_numpy(float) > 0, 0.0, score)


def hindsight_score(features: pd.DataFrame, truth: pd.DataFrame, ceiling: np.ndarray, *,
                    random_state: int = 0) -> np.ndarray:
    """Out-of-fold P(no visit) from trees fitted on the hidden future (`truth.no_visit_30d`, aligned with
    `features`), given the churn model's features, the ceiling and the true visit rate."""
    X = features[MODEL_FEATURES].copy()
    for name in CATEGORICAL_FEATURES:
        X[name] = X[name].astype("category")
    X["ceiling"] = ceiling
    X["true_visit_rate"] = truth["true_visit_rate"].to_numpy(float)
    y = truth["no_visit_30d"].astype(int).to_numpy()
    out = np.empty(len(y))
    for train, test in StratifiedKFold(5, shuffle=True, random_state=random_state).split(X, y):
        # early stopping always (scikit-learn turns it on by itself only past 10,000 rows, as on tier M): on a
        # thousand customers 300 rounds overfit and fall below the ceiling they are given
        trees = HistGradientBoostingClassifier(learning_rate=0.05, max_iter=300, categorical_features="from_dtype",
                                               early_stopping=True, random_state=random_state)
        out[test] = trees.fit(X.iloc[train], y[train]).predict_proba(X.iloc[test])[:, 1]
    return out


def _bayes_no_visit(x, t_x, T, entry, origin, lam, log_prior, h=HORIZON, bins=48, fbins=12, chunk=2000):
    """P(no visit in (T, T+h]): a stop moment with the lifetime density from `origin`, rates on a grid."""
    out = np.empty(len(x))
    L = lam[None, None, :]

    def mean_decay(first, lo, hi):
        width = np.maximum(hi - lo, 1e-12)
        z = L * width[:, :, None]
        return np.exp(-L * (lo - first[:, None])[:, :, None]) * np.where(z > 1e-8, -np.expm1(-z) / z, 1.0)

    for s0 in range(0, len(x), chunk):
        sl = slice(s0, s0 + chunk)
        xx, tx, aa, oo = x[sl], t_x[sl], entry[sl], origin[sl]
        TT = np.full(len(xx), T)
        rec = np.maximum(TT - tx, 1e-6)
        e = tx[:, None] + rec[:, None] * (np.arange(bins + 1) / bins)[None, :]
        lo, hi = e[:, :-1], e[:, 1:]
        dead = np.einsum("mb,mbl->ml", _lifetime_pdf(0.5 * (lo + hi) - oo[:, None]) * (hi - lo),
                         mean_decay(tx, lo, hi))
        alive = _lifetime_sf(TT - oo)[:, None] * np.exp(-lam[None, :] * rec[:, None])
        fe = TT[:, None] + h * (np.arange(fbins + 1) / fbins)[None, :]
        flo, fhi = fe[:, :-1], fe[:, 1:]
        fut = np.einsum("mb,mbl->ml", _lifetime_pdf(0.5 * (flo + fhi) - oo[:, None]) * (fhi - flo),
                        mean_decay(TT, flo, fhi)) + _lifetime_sf(TT + h - oo)[:, None] * np.exp(-lam[None, :] * h)
        fut = fut * np.exp(-lam[None, :] * rec[:, None])
        logw = log_prior[None, :] + xx[:, None] * np.log(lam)[None, :] - lam[None, :] * (tx - aa)[:, None]
        w = np.exp(logw - logw.max(axis=1, keepdims=True))
        out[sl] = (w * (dead + fut)).sum(1) / (w * (dead + alive)).sum(1)
    return out

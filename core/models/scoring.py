"""Scoring every customer for a model version: churn risk, P(alive), expected visits, lifetime value,
the upsell score, the expected next visit with its range and the recommended actions.

`score_customers` returns one row per customer, the columns of `customer_scores`; `prediction_log`
keeps what grading needs of them (`LOG_COLUMNS`).
"""

from __future__ import annotations

import json
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from core.customers.churn import ChurnModel
from core.customers.clv import BetaGeoModel, GammaGammaModel, clv_table, customer_lifetime_value
from core.customers.recommend import recommend
from core.customers.segments import segment_customers
from core.platform.db import query_df
from core.platform.thresholds import NEAR_CAPACITY

LIKELY_ACTIVE = 0.3     # P(alive) from which a customer gets an expected next visit ...
NEXT_VISIT_RISK = 80.0  # ... unless their churn risk is this high
NEXT_VISIT_QUANTILES = (0.1, 0.5, 0.9)  # the range and the middle of the wait to the next visit
MAX_WAIT_DAYS = 365


LOG_COLUMNS = ["user_id", "club_id", "churn_risk", "expected_visits_30d", "expected_visits_90d", "clv_12m"]


def fit_clv(table: pd.DataFrame) -> tuple[BetaGeoModel, GammaGammaModel]:
    """BG/NBD and Gamma-Gamma fitted on a customer table (`clv_table(features)`)."""
    return BetaGeoModel().fit(table), GammaGammaModel().fit(table)


def score_customers(engine: Engine, features: pd.DataFrame, churn_model: ChurnModel | None, cutoff: datetime, *,
                    lifetime: bool = True) -> tuple[pd.DataFrame, dict[str, BetaGeoModel | GammaGammaModel]]:
    """Every customer's scores at `cutoff` (one row per customer, user_id a column) and the lifetime
    models fitted.

    Without a churn model (the data cannot support one yet) churn risk is left empty; without
    `lifetime`, so are P(alive), expected visits, lifetime value, the upsell score and the next visit:
    an empty score, never a weak one shown as if it were sound (core/data/requirements.py)."""
    risk = (np.clip(churn_model.predict_proba(features)[:, 1] * 100, 0, 100) if churn_model is not None
            else np.full(len(features), np.nan))
    segments = segment_customers(features)

    out = pd.DataFrame(index=features.index)
    out["club_id"] = pd.to_numeric(features["fav_club_id"], errors="coerce").astype("Int64")
    out["segment"] = segments["segment"]
    out["recency_days"] = features["recency_days"].round(1)
    out["frequency"] = features["frequency"]
    out["monetary_total"] = features["monetary_total"].round(2)
    for col in ("r_score", "f_score", "m_score"):
        out[col] = segments[col]
    out["churn_risk"] = risk.round(1)
    models: dict[str, BetaGeoModel | GammaGammaModel] = {}
    visits90 = np.full(len(features), np.nan)
    if lifetime:
        table = clv_table(features)
        bgf, ggf = fit_clv(table)
        models = {"bgnbd": bgf, "gamma_gamma": ggf}
        p_alive = bgf.probability_alive(table)
        visits30 = bgf.expected_visits(table, t=30)
        visits90 = bgf.expected_visits(table, t=90)
        clv6 = customer_lifetime_value(bgf, ggf, table, months=6, n_draws=10, random_state=0)
        clv12 = customer_lifetime_value(bgf, ggf, table, months=12, random_state=0)
        out["probability_alive"] = np.clip(p_alive, 0, 1).round(4)
        out["expected_visits_30d"] = visits30.round(2)
        out["expected_visits_90d"] = visits90.round(2)
        out["clv_6m"] = clv6["clv"].to_numpy().round(2)
        out["clv_12m"] = clv12["clv"].to_numpy().round(2)
        out["clv_12m_lo"] = clv12["clv_lo"].to_numpy().round(2)
        out["clv_12m_hi"] = clv12["clv_hi"].to_numpy().round(2)
        known_risk = np.nan_to_num(risk, nan=50.0)  # without churn risk, neither low nor high
        out["upsell_score"] = upsell_score(features, visits90, clv12["expected_spend"].to_numpy(), known_risk).round(1)
        out["next_visit_date"], out["next_visit_lo"], out["next_visit_hi"] = next_visit_dates(
            table, bgf, p_alive, np.nan_to_num(risk, nan=0.0), cutoff)
    else:
        for col in ("probability_alive", "expected_visits_30d", "expected_visits_90d", "clv_6m", "clv_12m",
                    "clv_12m_lo", "clv_12m_hi", "upsell_score"):
            out[col] = np.nan
        for col in ("next_visit_date", "next_visit_lo", "next_visit_hi"):
            out[col] = None
    out["recommendations"] = _recommendations(engine, features, out, risk, visits90)
    out = out.reset_index().rename(columns={"index": "user_id"})
    return out, models


def _recommendations(engine: Engine, features: pd.DataFrame, scores: pd.DataFrame, risk: np.ndarray,
                     visits90: np.ndarray) -> list[str]:
    """Each customer's recommended actions as JSON, from the features, the scores and the crowded halls."""
    context = features.assign(fav_club_id=scores["club_id"].fillna(0).astype(int), churn_risk=risk,
                              clv_12m=scores["clv_12m"], upsell_score=scores["upsell_score"],
                              segment=scores["segment"], expected_visits_90d=visits90)
    crowded = set(map(tuple, query_df(engine, "utilization/crowded_halls", threshold=NEAR_CAPACITY)
                      [["club_id", "hall_type"]].itertuples(index=False)))
    return [json.dumps(r, ensure_ascii=False) for r in recommend(context, crowded)]


def _percentile(x: np.ndarray) -> np.ndarray:
    return pd.Series(x).rank(pct=True).to_numpy() if len(x) else x


def upsell_score(features: pd.DataFrame, visits90: np.ndarray, spend: np.ndarray, risk: np.ndarray) -> np.ndarray:
    """0-100: how likely a bigger package lands, from expected visits, spend, low churn risk and a rising trend."""
    trend = features["trend"].fillna(0).to_numpy(float)
    score = (0.35 * _percentile(visits90) + 0.25 * _percentile(spend)
             + 0.25 * (1 - risk / 100) + 0.15 * _percentile(trend))
    return np.clip(score * 100, 0, 100)


def next_visit_dates(table: pd.DataFrame, bgf: BetaGeoModel, p_alive: np.ndarray, risk: np.ndarray,
                     cutoff: datetime) -> tuple[list, list, list]:
    """The expected next visit of customers likely still active, with its 80% range: the median and the
    10% and 90% quantiles of the wait from `cutoff`, given that the customer is active
    (`BetaGeoModel.wait_quantiles`); None for the others. Days are counted from the cutoff's date.

    `table` is the lifetime models' customer table (frequency and T in days).
    """
    waits = np.clip(np.round(bgf.wait_quantiles(table, NEXT_VISIT_QUANTILES)), 0, MAX_WAIT_DAYS)
    start = np.datetime64(pd.Timestamp(cutoff).date(), "D")
    likely = (p_alive >= LIKELY_ACTIVE) & (risk < NEXT_VISIT_RISK)

    def day(column: int) -> list:  # datetime.date objects (numpy's day dates turn into them), or None
        days = (start + waits[:, column].astype("timedelta64[D]")).astype(object)
        return np.where(likely, days, None).tolist()

    return day(1), day(0), day(2)

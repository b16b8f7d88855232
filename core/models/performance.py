"""Live predictions checked against what happened: each version's published churn risk, expected visits,
lifetime values and revenue forecasts, graded once their horizon has passed (migration 014 does the
grading in SQL, so `ai_model_performance()` gives any SQL client the same numbers).

A version's live quality falls "clearly below" its promise when its live ROC AUC is lower than the
held-out AUC it showed at training by more than LIVE_AUC_TOLERANCE and by more than LIVE_AUC_Z standard
errors of the difference (`below_promise`, computed in SQL with the product's thresholds).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.platform.db import load_sql, query_df

CHAIN = 0  # the club id of the whole chain's rows


def grade(engine: Engine) -> int:
    """Grade every prediction whose horizon has passed and drop the logs grading no longer needs, in one
    transaction; returns how many measures were graded."""
    with engine.begin() as conn:
        graded = conn.execute(sa.text(load_sql("models/grade"))).scalar()
        conn.execute(sa.text(load_sql("models/prune_log")))
    return int(graded or 0)


def performance(engine: Engine, *, club_ids: Sequence[int]) -> pd.DataFrame:
    """`ai_model_performance(club_ids)`: one row per graded version and scope, newest first (club_id 0 is
    the whole chain, present when the clubs are the whole chain)."""
    return query_df(engine, "models/performance", club_ids=[int(c) for c in club_ids])


def scope_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The rows to show for a scope: the whole chain's when present, otherwise each club's."""
    if table.empty:
        return table
    chain = table[table.club_id == CHAIN]
    return chain if not chain.empty else table


def churn_graded(table: pd.DataFrame) -> pd.DataFrame:
    """The rows whose churn predictions have been graded (live AUC known), newest first."""
    return table[table.live_auc.notna()] if not table.empty else table


def latest_check(table: pd.DataFrame) -> pd.DataFrame:
    """The scope's rows of the newest version whose churn predictions have been graded (empty: none yet)."""
    graded = churn_graded(scope_rows(table))
    if graded.empty:
        return graded
    newest = graded.sort_values(["data_end", "version"], ascending=False).version.iloc[0]
    return graded[graded.version == newest]


def declines(table: pd.DataFrame) -> pd.DataFrame:
    """Of the newest graded version, the scopes whose live churn quality fell clearly below its promise."""
    latest = latest_check(table)
    return latest[latest.below_promise.fillna(False).astype(bool)] if not latest.empty else latest


def deciles(engine: Engine, *, version: str, club_ids: Sequence[int]) -> pd.DataFrame:
    """Realized churn by decile of predicted risk for one version, in the same scopes as `performance`
    (club_id, decile, customers, mean_risk, churn_rate)."""
    return query_df(engine, "models/grade_deciles", version=version, club_ids=[int(c) for c in club_ids])


def auc_trend(table: pd.DataFrame) -> pd.DataFrame:
    """Promised (held out at training) and live ROC AUC of every graded version in a scope, oldest first
    (version, data_end, club_id, which, value): a line per kind."""
    graded = churn_graded(scope_rows(table)).sort_values("data_end")
    if graded.empty:
        return pd.DataFrame(columns=["version", "data_end", "club_id", "which", "value"])
    long = graded.melt(id_vars=["version", "data_end", "club_id"], value_vars=["promised_auc", "live_auc"],
                       var_name="which", value_name="value")
    return long.dropna(subset=["value"])

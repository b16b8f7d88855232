"""Per-customer features at a cutoff, and churn labels after it; the aggregation is in SQL.

Only data from before the cutoff enters the features: bookings that started before it and
payments made before it. Visits are live or completed bookings ('активно', 'завершено');
spend is successful payments ('успешно'). Known approximation: statuses are read as they are
now, so a payment refunded after the cutoff no longer counts as spend at that cutoff.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.platform.db import load_sql
from core.platform.thresholds import CHURN_WINDOW_DAYS

Bind = Engine | sa.Connection  # an engine, or a connection to work inside the caller's transaction

WORK_MEM = "256MB"  # per sort / hash, for this query's transaction only
# a feature cutoff may lie this far after the last booking made (a quiet night), not further
CUTOFF_SLACK = timedelta(days=1)

NUMERIC_FEATURES = [
    "recency_days", "frequency", "tenure_days", "monetary_total", "monetary_avg", "monetary_90d",
    "avg_session_hours", "visits_per_week", "overdue_visits", "visits_30d", "visits_90d", "trend", "night_share",
    "cancel_share", "no_show_share", "failed_payment_share", "days_since_signup",
]
CATEGORICAL_FEATURES = ["fav_club_id", "fav_hall_type", "fav_band"]
BG_COLUMNS = ["bg_frequency", "bg_recency", "bg_T", "bg_monetary"]
# what the history says beyond the SQL features (`model_features`): bookings already made for after the
# cutoff, and the learned posterior of `core.customers.history`
HISTORY_FEATURES = ["booked_ahead", "posterior_no_visit", "posterior_active", "posterior_weekly_rate"]
FEATURE_COLUMNS = NUMERIC_FEATURES + CATEGORICAL_FEATURES + BG_COLUMNS
_INTEGER = ["frequency", "visits_30d", "visits_90d", "fav_club_id", "bg_frequency", "bg_recency"]


def as_cutoff(cutoff: object, name: str = "cutoff") -> datetime:
    """A timezone-aware datetime, or ValueError."""
    if isinstance(cutoff, pd.Timestamp):
        cutoff = cutoff.to_pydatetime()
    if not isinstance(cutoff, datetime):
        raise ValueError(f"{name} must be a datetime, got {type(cutoff).__name__}")
    if cutoff.tzinfo is None or cutoff.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (e.g. datetime.now(timezone.utc))")
    return cutoff


def _frame(bind: Bind, name: str, params: dict) -> pd.DataFrame:
    """Run a named query with sorts and hashes in memory (for this transaction only)."""
    def run(conn: sa.Connection) -> pd.DataFrame:
        conn.execute(sa.text("select set_config('work_mem', :m, true)"), {"m": WORK_MEM})
        result = conn.execute(sa.text(load_sql(name)), params)
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))

    if isinstance(bind, sa.Connection):
        return run(bind)
    with bind.begin() as conn:
        return run(conn)


def data_span(engine: Bind) -> tuple[datetime, datetime]:
    """(first booking's start, latest moment the data knows about); ValueError without bookings."""
    row = _frame(engine, "platform/data_span", {}).iloc[0]
    if pd.isna(row.data_end):
        raise ValueError("there are no bookings yet")
    return pd.Timestamp(row.data_start).to_pydatetime(), pd.Timestamp(row.data_end).to_pydatetime()


def data_end(engine: Bind) -> datetime:
    """The latest moment the data knows about: the last booking made, never later than now."""
    return data_span(engine)[1]


def customer_features(engine: Bind, *, cutoff: datetime) -> pd.DataFrame:
    """One row per customer with a visit before `cutoff`, indexed by user_id (columns: FEATURE_COLUMNS).

    Times are in days. `visits_per_week` is the pace since the first visit (over at least a week) and
    `overdue_visits` = recency_days x that pace per day: the visits "missed" since the last one.
    `trend` compares the last 30 days with the 30-90 day average per 30 days as
    (recent - earlier) / (recent + earlier): -1 stopped, 0 steady, +1 only recent. The bg_* columns are
    the BG/NBD and Gamma-Gamma inputs in days of visits: repeat visit days, days from the first to the
    last visit day, days from the first visit to the cutoff, mean spend per repeat visit day (0 if none).
    """
    cutoff = as_cutoff(cutoff)
    start, end = data_span(engine)
    if cutoff > end + CUTOFF_SLACK:
        raise ValueError(f"cutoff {cutoff:%Y-%m-%d %H:%M} is in the future of the data, which ends "
                         f"{end:%Y-%m-%d %H:%M}")
    frame = _frame(engine, "customers/features", {"cutoff": cutoff})
    if frame.empty:
        raise ValueError(f"no customer visited before the cutoff {cutoff:%Y-%m-%d %H:%M} "
                         f"(the data starts {start:%Y-%m-%d})")
    frame = frame.set_index("user_id")
    frame.index = frame.index.astype("int64")
    for col in FEATURE_COLUMNS:
        if col in _INTEGER:
            frame[col] = frame[col].astype("int64")
        elif col in CATEGORICAL_FEATURES:
            frame[col] = frame[col].astype(str)
        else:
            frame[col] = frame[col].astype("float64")
    return frame[FEATURE_COLUMNS]


def churn_labels(engine: Bind, *, cutoff: datetime, horizon_days: int = CHURN_WINDOW_DAYS) -> pd.Series:
    """1 when a customer with a visit before `cutoff` has no visit in (cutoff, cutoff + horizon_days].

    Only defined once the window has passed: raises ValueError if cutoff + horizon_days is after the
    end of the data.
    """
    cutoff = as_cutoff(cutoff)
    if isinstance(horizon_days, bool) or not isinstance(horizon_days, int) or horizon_days < 1:
        raise ValueError(f"horizon_days must be a whole number of days >= 1, got {horizon_days!r}")
    end = data_end(engine)
    if cutoff + timedelta(days=horizon_days) > end:
        raise ValueError(f"the label window ends {cutoff + timedelta(days=horizon_days):%Y-%m-%d %H:%M}, after the "
                         f"end of the data ({end:%Y-%m-%d %H:%M}); use a cutoff at least {horizon_days} days earlier")
    frame = _frame(engine, "customers/churn_labels", {"cutoff": cutoff, "horizon_days": horizon_days})
    if frame.empty:
        raise ValueError(f"no customer visited before the cutoff {cutoff:%Y-%m-%d %H:%M}")
    labels = frame.set_index("user_id")["churned"].astype("int64")
    labels.index = labels.index.astype("int64")
    return labels.rename("churned")


def model_features(engine: Bind, *, cutoff: datetime, horizon_days: int = CHURN_WINDOW_DAYS,
                   data_start: datetime | None = None, origin: str | None = None) -> pd.DataFrame:
    """`customer_features` plus HISTORY_FEATURES: `booked_ahead` (bookings made before the cutoff for a
    time at or after it, whatever their status is now) and the posterior of the customers' visit rate and
    lifetime fitted on this cutoff's customers, for the next `horizon_days` (see
    `core.customers.history.posterior_features`; its origin is in `attrs["origin"]`)."""
    from core.customers.history import posterior_features

    features = customer_features(engine, cutoff=cutoff)
    if data_start is None:
        data_start = data_span(engine)[0]
    booked = _frame(engine, "customers/booked_ahead", {"cutoff": cutoff})
    ahead = pd.Series(booked["booked_ahead"].to_numpy(), index=booked["user_id"].astype("int64"), dtype=float)
    features["booked_ahead"] = ahead.reindex(features.index).fillna(0.0)
    posterior = posterior_features(features, cutoff=cutoff, data_start=data_start, horizon_days=horizon_days,
                                   origin=origin)
    out = features.join(posterior)
    out.attrs["origin"] = posterior.attrs["origin"]
    return out

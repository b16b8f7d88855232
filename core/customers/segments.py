"""Customer segments from RFM scores, a manager's summary of them, and how customers move between them.

RFM scores are quintiles (1-5) among the customers scored together: R from days since the last
visit (5 = most recent), F from the number of visits, M from successful spend (5 = most). Named
segments follow these rules, first match wins:

| segment        | rule                                   | in words                                   |
|----------------|----------------------------------------|--------------------------------------------|
| New            | first visit within the last 30 days    | too new to judge                           |
| Champions      | R >= 4, F >= 4, M >= 4                 | came lately, come often, spend the most    |
| Loyal          | R >= 3, F >= 4                         | regulars                                   |
| Promising      | R >= 4, F <= 3                         | came lately, not yet often                 |
| Can't lose     | R <= 2, F = 5, M >= 4                  | were among the best, have gone quiet       |
| At risk        | R <= 2, F >= 3                         | used to come often, not lately             |
| Need attention | R = 3, F <= 3                          | middling on both                           |
| Hibernating    | R = 2, F <= 2                          | rare and not lately                        |
| Lost           | R = 1, F <= 2                          | rare and long gone                         |

Every (R, F, M) combination falls in exactly one segment.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from core.i18n import N_, _
from core.platform.db import query_df
from core.customers.features import data_span
from core.platform.clubs import chain_calendar

SEGMENTS = ["Champions", "Loyal", "Promising", "New", "Need attention", "At risk", "Can't lose",
            "Hibernating", "Lost"]
NOT_YET = "Not yet a customer"
# Segments are stored as these English codes; people read them in their language (segment_label).
SEGMENT_NAMES = {
    "Champions": N_("Champions"),
    "Loyal": N_("Loyal"),
    "Promising": N_("Promising"),
    "New": N_("New"),
    "Need attention": N_("Need attention"),
    "At risk": N_("At risk"),
    "Can't lose": N_("Can't lose"),
    "Hibernating": N_("Hibernating"),
    "Lost": N_("Lost"),
    NOT_YET: N_("Not yet a customer"),
}
SEGMENT_RULES = {
    "New": "first visit within the last 30 days",
    "Champions": "R >= 4, F >= 4, M >= 4",
    "Loyal": "R >= 3, F >= 4",
    "Promising": "R >= 4, F <= 3",
    "Can't lose": "R <= 2, F = 5, M >= 4",
    "At risk": "R <= 2, F >= 3",
    "Need attention": "R = 3, F <= 3",
    "Hibernating": "R = 2, F <= 2",
    "Lost": "R = 1, F <= 2",
}
NEW_DAYS = 30
RFM_COLUMNS = ["recency_days", "frequency", "monetary_total", "tenure_days"]
MIN_HISTORY_DAYS = 28  # a month-end cutoff needs this much history before it


def segment_label(code: str) -> str:
    """A stored segment code in the current language ('Loyal' -> 'Лояльные'); unknown codes as they are."""
    return _(SEGMENT_NAMES[code]) if code in SEGMENT_NAMES else str(code)


def _quintile(values: pd.Series) -> pd.Series:
    """1-5 by percentile rank (ties share a score); 5 = the highest values."""
    pct = values.rank(pct=True, method="average")
    return np.ceil(pct * 5).clip(1, 5).astype("int64")


def _check(features: pd.DataFrame) -> None:
    if not isinstance(features, pd.DataFrame):
        raise ValueError("features must be a pandas DataFrame (see core.features.customer_features)")
    missing = [c for c in RFM_COLUMNS if c not in features.columns]
    if missing:
        raise ValueError(f"features lack the columns {', '.join(missing)}")
    if features.empty:
        raise ValueError("features has no customers")
    values = features[RFM_COLUMNS]
    if values.isna().any().any():
        raise ValueError("recency, frequency, spend and tenure must not be missing")
    if (values < 0).any().any():
        raise ValueError("recency, frequency, spend and tenure must not be negative")


def segment_customers(features: pd.DataFrame) -> pd.DataFrame:
    """r_score, f_score, m_score (1-5) and segment for each customer (same index as features)."""
    _check(features)
    r = _quintile(-features["recency_days"])
    f = _quintile(features["frequency"])
    m = _quintile(features["monetary_total"])
    segment = name_segments(r, f, m, features["tenure_days"] <= NEW_DAYS)
    return pd.DataFrame({"r_score": r, "f_score": f, "m_score": m, "segment": segment}, index=features.index)


def name_segments(r: pd.Series, f: pd.Series, m: pd.Series, new: pd.Series) -> np.ndarray:
    """The named segment of each customer from their R, F, M scores and whether they are new."""
    conditions = [
        new,
        (r >= 4) & (f >= 4) & (m >= 4),
        (r >= 3) & (f >= 4),
        (r >= 4) & (f <= 3),
        (r <= 2) & (f == 5) & (m >= 4),
        (r <= 2) & (f >= 3),
        r == 3,
        r == 2,
        r == 1,
    ]
    names = ["New", "Champions", "Loyal", "Promising", "Can't lose", "At risk", "Need attention",
             "Hibernating", "Lost"]
    segment = np.select(conditions, names, default="")
    if (segment == "").any():  # cannot happen: the rules cover every score combination
        raise RuntimeError("a customer matched no segment rule")
    return segment


def segment_summary(features: pd.DataFrame, segments: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per segment: its name in the current language, customers, share of customers, revenue over the last
    90 days and its share.

    Revenue is `monetary_90d` from customer_features (successful payments in the 90 days before the
    cutoff). Every segment appears, in SEGMENTS order, with zeros when empty.
    """
    if "monetary_90d" not in getattr(features, "columns", []):
        raise ValueError("features lack monetary_90d (use core.features.customer_features)")
    if segments is None:
        segments = segment_customers(features)
    if "segment" not in segments.columns or not segments.index.equals(features.index):
        raise ValueError("segments must come from segment_customers(features) for the same customers")
    frame = pd.DataFrame({"segment": segments["segment"], "revenue": features["monetary_90d"]})
    table = frame.groupby("segment").agg(customers=("revenue", "size"), revenue_90d=("revenue", "sum"))
    table = table.reindex(SEGMENTS, fill_value=0)
    table["customers"] = table["customers"].astype("int64")
    table["customer_share"] = table["customers"] / max(int(table["customers"].sum()), 1)
    total = float(table["revenue_90d"].sum())
    table["revenue_share"] = table["revenue_90d"] / total if total > 0 else 0.0
    table["label"] = [segment_label(s) for s in table.index]
    table.index.name = "segment"
    return table[["label", "customers", "customer_share", "revenue_90d", "revenue_share"]]


def month_end_cutoffs(engine: Engine, *, months: int) -> list[datetime]:
    """The last `months` + 1 month ends (local midnight on the 1st, in the chain's main time zone)
    with at least MIN_HISTORY_DAYS of data before them, oldest first."""
    start, end = data_span(engine)
    tz = ZoneInfo(chain_calendar(engine).timezone)
    local_end = pd.Timestamp(end).tz_convert(tz)
    firsts = pd.date_range(end=local_end.normalize(), periods=months + 2, freq="MS", tz=tz)
    earliest = pd.Timestamp(start) + pd.Timedelta(days=MIN_HISTORY_DAYS)
    usable = [t.to_pydatetime() for t in firsts if earliest <= t <= local_end]
    return usable[-(months + 1):]


def segment_transitions(engine: Engine, *, club_ids: Sequence[int], months: int = 6) -> pd.DataFrame:
    """How the customers of some clubs move between segments from one month end to the next.

    One row per (from_cutoff, to_cutoff, from_segment, to_segment) with the number of customers:
    a flow list for a Sankey; `transition_matrix` sums it into a from x to table for a heatmap.
    Customers whose first visit falls within a month come from "Not yet a customer". For each
    pair of month ends the counts sum to the customers at the later one. Segments are judged against
    the whole chain (`customers/segment_rfm`); only customers who booked at `club_ids` are counted.
    """
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise ValueError(f"months must be a whole number >= 1, got {months!r}")
    cutoffs = month_end_cutoffs(engine, months=months)
    if len(cutoffs) < 2:
        raise ValueError(f"need at least two month ends with {MIN_HISTORY_DAYS} days of history before them; "
                         f"the data has {len(cutoffs)}")
    ids = [int(c) for c in club_ids]
    with ThreadPoolExecutor(max_workers=3) as pool:  # a few queries at a time keep the server busy
        frames = list(pool.map(lambda c: query_df(engine, "customers/segment_rfm", cutoff=c, club_ids=ids)
                               .set_index("user_id"), cutoffs))
    segments = {c: pd.Series(name_segments(f.r_score, f.f_score, f.m_score, f.tenure_days <= NEW_DAYS),
                             index=f.index, dtype=object) for c, f in zip(cutoffs, frames)}
    flows = []
    for before, after in zip(cutoffs, cutoffs[1:]):
        pair = pd.DataFrame({"to_segment": segments[after]})
        pair["from_segment"] = segments[before].reindex(pair.index).fillna(NOT_YET)
        counts = pair.groupby(["from_segment", "to_segment"]).size().rename("customers").reset_index()
        flows.append(counts.assign(from_cutoff=before, to_cutoff=after))
    out = pd.concat(flows, ignore_index=True)
    return out[["from_cutoff", "to_cutoff", "from_segment", "to_segment", "customers"]]


def transition_matrix(transitions: pd.DataFrame) -> pd.DataFrame:
    """From-segment rows x to-segment columns, customers summed over the months (for a heatmap)."""
    needed = {"from_segment", "to_segment", "customers"}
    if not needed <= set(getattr(transitions, "columns", [])):
        raise ValueError("transitions must come from segment_transitions")
    matrix = transitions.pivot_table(index="from_segment", columns="to_segment", values="customers",
                                     aggfunc="sum", fill_value=0)
    rows = [s for s in [NOT_YET, *SEGMENTS] if s in matrix.index]
    cols = [s for s in SEGMENTS if s in matrix.columns]
    return matrix.loc[rows, cols].astype("int64")

"""RFM scores, named segments, their summary and month-to-month transitions."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from core.customers.features import customer_features, data_end
from core.customers.segments import (NOT_YET, SEGMENT_NAMES, SEGMENTS, month_end_cutoffs, segment_customers,
                                    segment_summary, segment_transitions, transition_matrix)
from core.i18n import use_locale
from core.platform.db import query_df


@pytest.fixture(scope="module")
def features(engine, demo) -> pd.DataFrame:
    return customer_features(engine, cutoff=data_end(engine))


def _customers(**columns) -> pd.DataFrame:
    """A synthetic population of 100: recency 1..100 days, frequency 1..100, spend 100 per visit."""
    base = pd.DataFrame({"recency_days": np.arange(1, 101, dtype=float), "frequency": np.arange(100, 0, -1),
                         "tenure_days": 200.0})
    base["monetary_total"] = base["frequency"] * 100.0
    base["monetary_90d"] = base["monetary_total"] / 2
    for name, values in columns.items():
        base[name] = values
    return base


def test_everyone_gets_scores_and_one_known_segment(features):
    seg = segment_customers(features)
    assert seg.index.equals(features.index)
    assert list(seg.columns) == ["r_score", "f_score", "m_score", "segment"]
    assert not seg.isna().any().any()
    assert set(seg["segment"]) <= set(SEGMENTS)
    for col in ("r_score", "f_score", "m_score"):
        assert set(seg[col]) <= {1, 2, 3, 4, 5}
    assert set(SEGMENTS) | {NOT_YET} == set(SEGMENT_NAMES)


def test_scores_are_quintiles_in_the_right_direction(features):
    seg = segment_customers(features)
    by_r = features.groupby(seg["r_score"])["recency_days"].median()
    by_f = features.groupby(seg["f_score"])["frequency"].median()
    assert by_r.is_monotonic_decreasing and by_f.is_monotonic_increasing
    assert seg["r_score"].value_counts(normalize=True).max() < 0.4


def test_rules_give_sensible_segments():
    people = _customers()
    seg = segment_customers(people)["segment"]
    assert seg.iloc[0] == "Champions"          # came yesterday, most visits, most spend
    assert seg.iloc[-1] == "Lost"              # 100 days away, one visit
    new = segment_customers(_customers(tenure_days=[5.0] + [200.0] * 99))["segment"]
    assert new.iloc[0] == "New"
    # recent and frequent but spending little: still a regular
    cheap = _customers(monetary_total=np.r_[0.0, np.arange(99, 0, -1) * 100.0])
    assert segment_customers(cheap)["segment"].iloc[0] == "Loyal"
    # the most frequent customers who stopped coming
    gone = _customers(recency_days=np.r_[np.arange(91, 101), np.arange(1, 91)].astype(float))
    assert set(segment_customers(gone)["segment"].iloc[:10]) <= {"Can't lose", "At risk"}


def _documented_rule(r: int, f: int, m: int) -> str:
    """The rules of core.segments' docstring, written out once more."""
    if r >= 4 and f >= 4 and m >= 4:
        return "Champions"
    if r >= 3 and f >= 4:
        return "Loyal"
    if r >= 4:
        return "Promising"
    if r <= 2 and f == 5 and m >= 4:
        return "Can't lose"
    if r <= 2 and f >= 3:
        return "At risk"
    return {3: "Need attention", 2: "Hibernating", 1: "Lost"}[r]


def test_every_score_combination_follows_the_documented_rules():
    combos = pd.DataFrame(list(itertools.product(range(1, 6), repeat=3)), columns=["r", "f", "m"])
    people = pd.DataFrame({"recency_days": (6 - combos.r) * 10.0, "frequency": combos.f,
                           "monetary_total": combos.m * 1000.0, "tenure_days": 200.0})
    seg = segment_customers(people)
    assert (seg.r_score == combos.r).all() and (seg.f_score == combos.f).all() and (seg.m_score == combos.m).all()
    expected = [_documented_rule(r, f, m) for r, f, m in combos.itertuples(index=False)]
    assert list(seg.segment) == expected
    assert set(seg.segment) == set(SEGMENTS) - {"New"}


def test_summary_sizes_and_revenue_add_up(features):
    seg = segment_customers(features)
    summary = segment_summary(features, seg)
    assert list(summary.index) == SEGMENTS
    assert summary["customers"].sum() == len(features)
    assert summary["customer_share"].sum() == pytest.approx(1.0)
    assert summary["revenue_share"].sum() == pytest.approx(1.0)
    assert summary["revenue_90d"].sum() == pytest.approx(features["monetary_90d"].sum())
    assert summary.loc["Champions", "revenue_90d"] / summary.loc["Champions", "customers"] > \
        summary.loc["Lost", "revenue_90d"] / max(summary.loc["Lost", "customers"], 1)
    assert summary.loc["Loyal", "label"] == "Loyal"
    with use_locale("ru"):
        assert segment_summary(features, seg).loc["Loyal", "label"] == "Лояльные"


def test_transitions_sum_to_the_customers_at_each_month_end(engine, demo):
    flows = segment_transitions(engine, club_ids=query_df(engine, "platform/club_ids").club_id.tolist(), months=6)
    assert set(flows.columns) == {"from_cutoff", "to_cutoff", "from_segment", "to_segment", "customers"}
    assert (flows["customers"] > 0).all()
    assert set(flows["from_segment"]) <= set(SEGMENTS) | {NOT_YET}
    with engine.connect() as conn:
        for to_cutoff, pair in flows.groupby("to_cutoff"):
            visitors = conn.execute(sa.text(
                "select count(distinct user_id) from bookings where start_time < :c "
                "and status in ('завершено', 'активно')"), {"c": to_cutoff.to_pydatetime()}).scalar()
            assert pair["customers"].sum() == visitors
            assert to_cutoff.day == 1 and to_cutoff.hour == 0
    matrix = transition_matrix(flows)
    assert matrix.to_numpy().sum() == flows["customers"].sum()


def test_sql_scores_are_the_same_quintiles(engine, demo):
    """customers/segment_rfm scores in SQL (so a club's query returns only its customers) exactly as
    segment_customers does in Python, judged against the whole chain."""
    ids = query_df(engine, "platform/club_ids").club_id.tolist()
    cutoff = month_end_cutoffs(engine, months=1)[-1]
    chain = query_df(engine, "customers/segment_rfm", cutoff=cutoff, club_ids=ids).set_index("user_id")
    python = segment_customers(chain[["recency_days", "frequency", "monetary_total", "tenure_days"]])
    for score in ("r_score", "f_score", "m_score"):
        assert (chain[score] == python[score]).all(), score
    one = query_df(engine, "customers/segment_rfm", cutoff=cutoff, club_ids=ids[:1]).set_index("user_id")
    assert 0 < len(one) < len(chain)
    pd.testing.assert_frame_equal(one, chain.loc[one.index])  # the same scores, fewer customers
    assert query_df(engine, "customers/segment_rfm", cutoff=cutoff, club_ids=[]).empty


def test_bad_inputs_are_refused(engine, features):
    with pytest.raises(ValueError, match="no customers"):
        segment_customers(features.iloc[:0])
    with pytest.raises(ValueError, match="lack the columns"):
        segment_customers(features.drop(columns=["frequency"]))
    with pytest.raises(ValueError, match="must not be negative"):
        segment_customers(_customers(recency_days=-1.0))
    with pytest.raises(ValueError, match="DataFrame"):
        segment_customers([1, 2, 3])
    with pytest.raises(ValueError, match="monetary_90d"):
        segment_summary(features.drop(columns=["monetary_90d"]))
    for months in (0, -1, 2.5):
        with pytest.raises(ValueError, match="months"):
            segment_transitions(engine, club_ids=[1], months=months)
    with pytest.raises(ValueError):
        transition_matrix(pd.DataFrame({"a": [1]}))

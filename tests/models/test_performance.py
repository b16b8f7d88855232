"""Live predictions checked against what happened, on tier-S data whose "future" has arrived: versions
trained as of 30 days before the data end (backtests, with a 14-day churn window; `graded_backtests` in
tests/conftest.py) are graded against the bookings and payments that followed, in SQL, and the numbers
are checked against Python's.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sklearn.metrics import roc_auc_score

from core.customers.features import churn_labels
from core.models import performance, registry
from core.overview import service as overview
from core.platform.clubs import all_club_ids
from core.platform.db import query_df

from tests.conftest import BACKTEST_HORIZON as HORIZON
from tests.conftest import CHAIN_VIEWER, viewer_of


@pytest.fixture(scope="module")
def as_of(graded_backtests):
    return graded_backtests.as_of


@pytest.fixture(scope="module")
def backtest(graded_backtests):
    return graded_backtests.honest


@pytest.fixture(scope="module")
def degraded(graded_backtests):
    return graded_backtests.degraded


def _log(engine, version):
    return pd.read_sql(sa.text("select * from prediction_log where version = :v"), engine, params={"v": version})


def test_a_backtest_is_logged_but_never_active(engine, backtest, as_of):
    row = query_df(engine, "models/versions").set_index("version").loc[backtest.version]
    assert row.status == "backtest" and not backtest.activated and "backtest" in backtest.reason
    assert pd.Timestamp(row.data_end) == pd.Timestamp(as_of)
    assert not row.has_scores  # the pages never see a backtest's scores
    log = _log(engine, backtest.version)
    assert len(log) == backtest.row_counts["customers"] and log.churn_risk.between(0, 100).all()
    with pytest.raises(registry.UnknownVersion, match="backtest"):
        registry.activate(engine, version=backtest.version)


def test_churn_is_graded_as_the_labels_count_it(engine, backtest, as_of):
    grades = pd.read_sql(sa.text("select * from model_grades where version = :v"), engine,
                         params={"v": backtest.version})
    assert set(grades.measure) == {"churn", "visits_30d", "revenue"}  # 90 and 365 days have not passed
    chain = grades[(grades.measure == "churn") & (grades.club_id == 0)].iloc[0]
    log = _log(engine, backtest.version).set_index("user_id")
    y = churn_labels(engine, cutoff=as_of, horizon_days=HORIZON).reindex(log.index)
    assert chain.n == len(log) and chain.actual == pytest.approx(y.mean())
    assert chain.auc == pytest.approx(roc_auc_score(y, log.churn_risk), abs=1e-9)
    assert chain.brier == pytest.approx(np.mean((log.churn_risk / 100 - y) ** 2), rel=1e-6)
    assert 0 < chain.auc_se < 0.05
    clubs = grades[(grades.measure == "churn") & (grades.club_id > 0)]
    assert clubs.n.sum() == chain.n  # every customer has one favourite club

    deciles = performance.deciles(engine, version=backtest.version, club_ids=all_club_ids(engine))
    chain_deciles = deciles[deciles.club_id == 0]
    assert list(chain_deciles.decile) == list(range(1, 11)) and chain_deciles.customers.sum() == chain.n
    assert chain_deciles.churn_rate.iloc[-1] > chain_deciles.churn_rate.iloc[0] + 0.5
    assert performance.deciles(engine, version=backtest.version, club_ids=[]).empty  # fails closed


def test_visits_and_revenue_are_graded(engine, backtest, as_of):
    rows = performance.performance(engine, club_ids=all_club_ids(engine))
    chain = rows[(rows.version == backtest.version) & (rows.club_id == 0)].iloc[0]
    actual = query_df(engine, "customers/visit_days_between", start=as_of, end=as_of + timedelta(days=30))
    logged = set(_log(engine, backtest.version).user_id)
    assert chain.actual_visits_30d == actual[actual.user_id.isin(logged)].visit_days.sum()
    assert chain.expected_visits_30d > 0 and chain.visits_30d_mae > 0
    assert chain.forecast_days == HORIZON and chain.actual_revenue > 0
    assert 0 <= chain.coverage_95 <= 1 and chain.coverage_80 <= chain.coverage_95
    assert abs(chain.forecast_revenue / chain.actual_revenue - 1) < 0.5
    assert pd.isna(chain.expected_visits_90d) and pd.isna(chain.predicted_clv_12m)


def test_an_honest_version_keeps_its_promise(engine, backtest):
    rows = performance.performance(engine, club_ids=all_club_ids(engine))
    chain = rows[(rows.version == backtest.version) & (rows.club_id == 0)].iloc[0]
    assert chain.promised_auc == pytest.approx(backtest.metrics["churn"]["roc_auc"])
    assert chain.live_auc > 0.85 and not chain.below_promise


def test_a_degraded_version_is_flagged(engine, degraded, backtest):
    everyone = all_club_ids(engine)
    rows = performance.performance(engine, club_ids=everyone)
    latest = performance.latest_check(rows)
    assert list(latest.version) == [degraded.version] and list(latest.club_id) == [0]
    row = latest.iloc[0]
    assert row.promised_auc > 0.85 and row.live_auc < 0.6 and row.below_promise
    assert list(performance.declines(rows).version) == [degraded.version]
    # one club's view: that club's own rows, never the chain's
    one = performance.performance(engine, club_ids=everyone[:1])
    assert set(one.club_id) == {everyone[0]} and performance.declines(one).version.tolist() == [degraded.version]
    assert performance.performance(engine, club_ids=[]).empty
    # ai_model_performance() is the same for any SQL client
    with engine.connect() as conn:
        sql = conn.execute(sa.text("select * from ai_model_performance() where version = :v and club_id = 0"),
                           {"v": degraded.version}).one()
    assert sql.below_promise and sql.live_auc == pytest.approx(row.live_auc)
    # and the Overview lists it among its alerts
    declines = overview.live_quality(engine, viewer=CHAIN_VIEWER, club_ids=everyone)
    assert overview.live_quality(engine, viewer=viewer_of([]), club_ids=everyone).empty  # no clubs: nothing
    result = overview.overview(overview.live_figures(engine, viewer=CHAIN_VIEWER, club_ids=everyone), None, None,
                               None, names={},
                               whole_chain=True, quality=declines)
    found = [a for a in result.alerts if "worse than promised" in a.title]
    assert len(found) == 1 and degraded.version in found[0].detail and found[0].level == "warning"


def test_grading_is_idempotent(engine, backtest):
    before = pd.read_sql("select version, measure, club_id, n, auc from model_grades order by 1, 2, 3", engine)
    assert performance.grade(engine) == 0
    after = pd.read_sql("select version, measure, club_id, n, auc from model_grades order by 1, 2, 3", engine)
    pd.testing.assert_frame_equal(before, after)


def test_the_log_is_kept_until_grading_no_longer_needs_it(conn):
    """Retention: dropped once the 90-day measures are graded, except the first version published in a
    month, which keeps its log for its 12-month values; nothing past 400 days; never the active version's."""
    for version, data_end_sql, activated in [("v-jan-first", "now() - interval '200 days'", True),
                                             ("v-jan-second", "now() - interval '199 days'", True),
                                             ("v-ancient", "now() - interval '500 days'", False),
                                             ("v-fresh", "now() - interval '10 days'", True)]:
        conn.execute(sa.text(f"""
            insert into model_versions (version, status, data_end, activated_at)
            values (:v, 'retired', {data_end_sql}, case when :a then now() end)"""), {"v": version, "a": activated})
        conn.execute(sa.text("insert into prediction_log (version, user_id, churn_risk) "
                             "select :v, id, 50 from users order by id limit 3"), {"v": version})
    for version in ("v-jan-first", "v-jan-second"):
        conn.execute(sa.text("""
            insert into model_grades (version, measure, club_id, window_start, window_end, n)
            values (:v, 'visits_90d', 0, now(), now(), 3)"""), {"v": version})
    conn.execute(sa.text("update model_versions set data_end = date_trunc('month', now() - interval '200 days') "
                         "+ interval '1 day' where version = 'v-jan-first'"))
    conn.execute(sa.text("update model_versions set data_end = date_trunc('month', now() - interval '200 days') "
                         "+ interval '2 days' where version = 'v-jan-second'"))
    conn.execute(sa.text("select prune_prediction_log()"))
    kept = dict(conn.execute(sa.text("select version, count(*) from prediction_log where version like 'v-%' "
                                     "group by version")).all())
    assert kept == {"v-jan-first": 3, "v-fresh": 3}

"""Customer features at a cutoff and churn labels after it."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from core.customers.clv import BetaGeoModel, clv_table
from core.customers.features import FEATURE_COLUMNS, churn_labels, customer_features, data_end

VISIT = ("завершено", "активно")


@pytest.fixture(scope="module")
def cutoff(engine, demo) -> datetime:
    return data_end(engine) - timedelta(days=40)


@pytest.fixture(scope="module")
def features(engine, cutoff) -> pd.DataFrame:
    return customer_features(engine, cutoff=cutoff)


def _history(engine, user_id: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    with engine.connect() as conn:
        bookings = pd.DataFrame(conn.execute(sa.text(
            "select id, date, start_time, end_time, status from bookings where user_id = :u"),
            {"u": user_id}).mappings().all())
        payments = pd.DataFrame(conn.execute(sa.text(
            "select p.booking_id, p.amount, p.paid_at, p.payment_status from payments p "
            "join bookings b on b.id = p.booking_id where b.user_id = :u"), {"u": user_id}).mappings().all())
    return bookings, payments


def test_one_row_per_customer_who_visited_before_the_cutoff(engine, features, cutoff):
    with engine.connect() as conn:
        visitors = conn.execute(sa.text(
            "select count(distinct user_id) from bookings "
            "where start_time < :c and status in ('завершено', 'активно')"), {"c": cutoff}).scalar()
    assert list(features.columns) == FEATURE_COLUMNS
    assert features.index.is_unique and features.index.name == "user_id"
    assert len(features) == visitors
    assert not features.drop(columns=["avg_session_hours"]).isna().any().any()
    assert (features["frequency"] >= 1).all()
    assert (features["recency_days"] >= 0).all() and (features["recency_days"] <= features["tenure_days"]).all()
    assert features["trend"].between(-1, 1).all()
    for share in ("night_share", "cancel_share", "no_show_share", "failed_payment_share"):
        assert features[share].between(0, 1).all()
    assert set(features["fav_band"]) <= {"morning", "day", "evening", "night"}


def test_a_hand_checked_customer(engine, features, cutoff):
    user_id = int(features.query("frequency >= 4 and bg_frequency >= 2").index[0])
    bookings, payments = _history(engine, user_id)
    before = bookings[bookings.start_time < cutoff]
    visits = before[before.status.isin(VISIT)]
    paid = payments[(payments.payment_status == "успешно") & (payments.paid_at < cutoff)
                    & payments.booking_id.isin(before.id)]
    days = sorted(visits.date.unique())
    row = features.loc[user_id]
    assert row.frequency == len(visits)
    assert row.recency_days == pytest.approx((cutoff - visits.start_time.max()).total_seconds() / 86400)
    assert row.tenure_days == pytest.approx((cutoff - visits.start_time.min()).total_seconds() / 86400)
    assert row.visits_30d == (visits.start_time >= cutoff - timedelta(days=30)).sum()
    assert row.monetary_total == pytest.approx(float(paid.amount.sum()))
    assert row.cancel_share == pytest.approx((before.status == "отменено").mean())
    assert row.bg_frequency == len(days) - 1
    assert row.bg_recency == (days[-1] - days[0]).days
    repeat = paid[paid.booking_id.isin(visits[visits.date > days[0]].id)].amount.sum()
    assert row.bg_monetary == pytest.approx(float(repeat) / (len(days) - 1))


def test_bg_inputs_are_valid_for_the_lifetime_model(features):
    f = features
    assert (f.bg_frequency <= f.frequency - 1).all()
    assert (f.bg_recency <= f.bg_T).all()
    assert (f.bg_recency[f.bg_frequency == 0] == 0).all()
    assert (f.bg_monetary[f.bg_frequency == 0] == 0).all()
    table = clv_table(f)
    model = BetaGeoModel().fit(table)
    alive = model.probability_alive(table)
    assert np.all((alive >= 0) & (alive <= 1))


def test_features_ignore_what_happens_after_the_cutoff(conn, cutoff):
    """A visit and a payment after the cutoff, inside a transaction that is rolled back, change nothing."""
    before = customer_features(conn, cutoff=cutoff)
    user_id = int(before.index[0])
    seat = conn.execute(sa.text(
        "select s.id from seats s where not exists (select 1 from bookings b where b.seat_id = s.id "
        "and b.status <> 'отменено' and b.start_time < :c + interval '4 hours' and b.end_time > :c) "
        "order by s.id limit 1"), {"c": cutoff}).scalar()
    booking = conn.execute(sa.text(
        "insert into bookings (user_id, seat_id, date, start_time, end_time, status, price, created_at) "
        "values (:u, :s, cast(:c as date), :c + interval '1 hour', :c + interval '3 hours', 'завершено', 5000, :c) "
        "returning id"), {"u": user_id, "s": seat, "c": cutoff}).scalar()
    conn.execute(sa.text(
        "insert into payments (booking_id, amount, paid_at, payment_status, method) "
        "values (:b, 5000, :c + interval '10 minutes', 'успешно', 'card')"), {"b": booking, "c": cutoff})
    after = customer_features(conn, cutoff=cutoff)
    pd.testing.assert_frame_equal(before, after)
    labels = churn_labels(conn, cutoff=cutoff, horizon_days=30)
    assert labels.loc[user_id] == 0  # the new visit does count for the label window


def test_labels_on_hand_checked_customers(engine, features, cutoff):
    labels = churn_labels(engine, cutoff=cutoff, horizon_days=30)
    assert labels.index.equals(features.index)
    assert set(labels.unique()) == {0, 1}
    end = cutoff + timedelta(days=30)
    for label in (0, 1):
        user_id = int(labels[labels == label].index[0])
        bookings, _ = _history(engine, user_id)
        visits = bookings[bookings.status.isin(VISIT)]
        came_back = ((visits.start_time > cutoff) & (visits.start_time <= end)).any()
        assert label == int(not came_back)


def test_labels_need_an_elapsed_window(engine, demo):
    end = data_end(engine)
    churn_labels(engine, cutoff=end - timedelta(days=7), horizon_days=7)
    with pytest.raises(ValueError, match="after the end of the data"):
        churn_labels(engine, cutoff=end - timedelta(days=7), horizon_days=8)


@pytest.mark.parametrize("horizon", [0, -3, 1.5, "30", True])
def test_bad_horizons_are_refused(engine, cutoff, horizon):
    with pytest.raises(ValueError, match="horizon_days"):
        churn_labels(engine, cutoff=cutoff, horizon_days=horizon)


def test_bad_cutoffs_are_refused(engine, demo):
    end = data_end(engine)
    with pytest.raises(ValueError, match="future of the data"):
        customer_features(engine, cutoff=end + timedelta(days=2))
    with pytest.raises(ValueError, match="timezone-aware"):
        customer_features(engine, cutoff=end.replace(tzinfo=None))
    with pytest.raises(ValueError, match="must be a datetime"):
        customer_features(engine, cutoff="2025-01-01")
    with pytest.raises(ValueError, match="no customer visited"):
        customer_features(engine, cutoff=end - timedelta(days=400))
    with pytest.raises(ValueError, match="no customer visited"):
        churn_labels(engine, cutoff=end - timedelta(days=400))

"""The simulated chain is realistic enough for the models, and it is consistent."""

from datetime import timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from core.platform.db import load_sql, query_df
from core.demo.simulate import simulate
from core.demo.sizes import get_size

from tests.conftest import DEMO_END, DEMO_SEED


def _scalar(engine, sql: str):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar()


def test_no_seat_is_double_booked(engine, demo):
    assert query_df(engine, "data/seat_overlaps").empty


def test_overlap_query_finds_an_overlap(engine, demo):
    with engine.connect() as conn, conn.begin() as tx:
        conn.execute(sa.text("alter table bookings disable trigger bookings_no_overlap"))
        conn.execute(sa.text(
            "insert into bookings (user_id, seat_id, date, start_time, end_time, price, status) "
            "select user_id, seat_id, date, start_time + interval '10 minutes', end_time, price, 'завершено' "
            "from bookings where status = 'завершено' order by id limit 1"))
        found = conn.execute(sa.text(load_sql("data/seat_overlaps"))).fetchall()
        tx.rollback()
    assert len(found) == 1


def test_every_kept_booking_is_paid_once_for_its_price(engine, demo):
    assert query_df(engine, "data/payment_mismatches").empty


def test_payments_include_failures_and_refunds(demo):
    statuses = set(demo.payments.payment_status)
    assert {"успешно", "ошибка", "возврат"} <= statuses
    assert {"завершено", "отменено", "неявка"} <= set(demo.bookings.status)
    assert (demo.payments.payment_status == "успешно").mean() > 0.9


def test_same_seed_same_data():
    a = simulate(get_size("S"), DEMO_SEED, end=DEMO_END)
    b = simulate(get_size("S"), DEMO_SEED, end=DEMO_END)
    c = simulate(get_size("S"), DEMO_SEED + 1, end=DEMO_END)
    for name in ("users", "bookings", "payments", "audit_logs", "truth"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert not a.bookings[["user_id", "seat_id"]].equals(c.bookings[["user_id", "seat_id"]])


def test_data_ends_now(demo):
    assert demo.bookings.created_at.max() <= pd.Timestamp(DEMO_END)
    assert demo.bookings.created_at.max() >= pd.Timestamp(DEMO_END) - timedelta(hours=3)
    assert (demo.bookings.status == "активно").any() or demo.bookings.end_time.max() > pd.Timestamp(DEMO_END)


def test_weekends_and_evenings_are_busier(engine, demo):
    by_dow = query_df(engine, "demo/shape_weekday")
    weekend = by_dow[by_dow.dow.isin([6, 7])].bookings_per_day.mean()
    weekday = by_dow[by_dow.dow.isin([1, 2, 3])].bookings_per_day.mean()
    assert weekend > 1.15 * weekday
    by_hour = query_df(engine, "demo/shape_hour").set_index("local_hour").bookings
    assert by_hour.loc[18:22].mean() > 2 * by_hour.loc[8:11].mean()


def test_churn_is_real_and_unlabelled(engine, demo):
    truth = demo.truth
    churned = truth.churned_at < pd.Timestamp(DEMO_END)
    assert 0.2 < churned.mean() < 0.95
    # churned customers have no future visits; most active ones do
    assert truth.loc[churned, "visits_next_30d"].sum() == 0
    assert (truth.loc[~churned, "visits_next_30d"] > 0).mean() > 0.5
    with engine.connect() as conn:
        public = set(conn.execute(sa.text(
            "select column_name from information_schema.columns where table_schema = 'public'")).scalars())
    assert not {"churned_at", "true_visit_rate"} & public


def test_truth_table_is_filled(engine, demo):
    rows = _scalar(engine, "select count(*) from demo_truth.customer_future")
    users = _scalar(engine, "select count(*) from users")
    assert rows == users == get_size("S").customers
    assert _scalar(engine, "select sum(visits_next_30d) from demo_truth.customer_future") > 0


def test_customers_differ(demo):
    per_user = demo.bookings.groupby("user_id").agg(visits=("id", "size"), spend=("price", "mean"))
    assert per_user.visits.quantile(0.9) > 3 * per_user.visits.quantile(0.25)
    assert per_user.spend.quantile(0.9) > 1.5 * per_user.spend.quantile(0.1)
    assert demo.bookings.package.eq("night").any()


def test_sizes_are_validated():
    with pytest.raises(ValueError, match="unknown demo size"):
        get_size("XL")


def test_loading_twice_is_refused(engine, demo):
    from core.demo.load import DemoLoadError, load

    with pytest.raises(DemoLoadError, match="already holds data"):
        load(engine, demo, progress=lambda _: None)
    assert _scalar(engine, "select count(*) from bookings") >= len(demo.bookings)


def test_payment_query_finds_a_mismatch(engine, demo):
    with engine.connect() as conn, conn.begin() as tx:
        conn.execute(sa.text(
            "update payments set amount = amount + 1 where id = "
            "(select min(id) from payments where payment_status = 'успешно')"))
        found = conn.execute(sa.text(load_sql("data/payment_mismatches"))).fetchall()
        tx.rollback()
    assert len(found) == 1

"""The forecast service: backtest windows, the daily revenue series, the page's forecast and words, and
the retrain's forecast of every series, on the tier-S demo chain where a database is needed."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from core.forecast import service
from core.forecast.model import MIN_DAYS, Backtest
from core.platform.clubs import all_club_ids


@pytest.mark.parametrize(("days", "horizon", "windows"), [
    (MIN_DAYS - 1, 7, 0), (MIN_DAYS + 6, 7, 0), (MIN_DAYS + 7, 7, 1), (MIN_DAYS + 20, 7, 2),
    (400, 7, 4), (400, 30, 4), (MIN_DAYS + 89, 30, 2), (MIN_DAYS + 89, 90, 0),
])
def test_backtest_windows(days, horizon, windows):
    assert service.backtest_windows(days, horizon) == windows


def _series(days: int, level: float = 100_000.0) -> pd.Series:
    index = pd.date_range("2025-01-01", periods=days, freq="D")
    weekly = 1 + 0.3 * np.sin(2 * np.pi * np.arange(days) / 7)
    noise = np.random.default_rng(0).normal(1, 0.05, days)
    return pd.Series(level * weekly * noise, index=index, name="revenue")


def test_revenue_forecast_and_its_figures():
    history = _series(200)
    result = service.revenue_forecast(history, 30)
    assert len(result.table) == 30 and result.history_days == 200
    assert len(result.recent) == service.SHOW_HISTORY_DAYS
    assert result.total == pytest.approx(result.table.yhat.sum())
    assert result.next_week == pytest.approx(result.table.yhat.iloc[:7].sum())
    assert result.week_change == pytest.approx(result.next_week / history.iloc[-7:].sum() - 1)
    assert isinstance(result.backtest, Backtest) and result.backtest.windows == 4
    assert result.accuracy.startswith("Over the last 4 periods of 30 days, the forecast was off by ")
    assert "the 80% band held the actual value" in result.accuracy
    frame = service.export_frame(result, "Whole chain")
    assert list(frame.columns[:2]) == ["scope", "day"] and (frame.scope == "Whole chain").all()


def test_a_short_history_has_no_forecast_or_no_track_record():
    assert service.revenue_forecast(_series(MIN_DAYS - 1), 7) is None
    young = service.revenue_forecast(_series(MIN_DAYS + 3), 30)
    assert young is not None and young.backtest is None
    assert young.accuracy == (f"There is not enough history yet to test a 30-day forecast: it needs {MIN_DAYS + 30} "
                              f"days and there are {MIN_DAYS + 3}. Try a shorter horizon.")


def test_daily_revenue_is_gap_free_and_limited_to_the_clubs(engine, demo, chain_viewer):
    ids = all_club_ids(engine)
    by_club = service.revenue_by_club(engine, club_ids=ids)
    chain = service.daily_revenue(engine, viewer=chain_viewer, club_ids=ids)
    assert chain.index.is_monotonic_increasing and chain.index.is_unique
    assert len(chain) == (chain.index.max() - chain.index.min()).days + 1
    assert chain.sum() == pytest.approx(by_club.revenue.sum())
    one = service.daily_revenue(engine, viewer=chain_viewer, club_ids=ids[:1])
    assert 0 < one.sum() < chain.sum()
    until = chain.index.max().date() + timedelta(days=3)
    padded = service.daily_revenue(engine, viewer=chain_viewer, club_ids=ids, until=until)
    assert padded.index.max() == pd.Timestamp(until) and (padded.iloc[-3:] == 0).all()
    assert service.daily_revenue(engine, viewer=chain_viewer, club_ids=[]).empty  # no clubs: nothing, never everything


def test_daily_revenue_from_the_rollups_follows_a_late_payment(engine, demo):
    """The series reads rollup_club_days: a payment added to a past day shows after the next refresh."""
    from core.rollups.refresh import refresh

    ids = all_club_ids(engine)
    before = service.revenue_by_club(engine, club_ids=ids).set_index(["day", "club_id"]).revenue
    day, club = before.index[len(before) // 2]
    with engine.begin() as conn:
        booking = conn.execute(sa.text("select booking_id from club_bookings where club_id = :c and date = :d "
                                       "order by booking_id limit 1"), {"c": club, "d": day}).scalar()
        payment = conn.execute(sa.text("insert into payments (booking_id, amount, paid_at, payment_status, method) "
                                       "values (:b, 123, now(), 'успешно', 'cash') returning id"), {"b": booking}).scalar()
    try:
        refresh(engine)
        after = service.revenue_by_club(engine, club_ids=ids).set_index(["day", "club_id"]).revenue
        assert after[(day, club)] == pytest.approx(before[(day, club)] + 123)
        assert after.drop((day, club)).equals(before.drop((day, club)))
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("delete from payments where id = :p"), {"p": payment})
        refresh(engine)


def test_forecast_every_series(engine, demo):
    table, metrics = service.forecast_every_series(engine)
    ids = all_club_ids(engine)
    assert set(table.club_id) == {service.CHAIN, *ids}
    assert (table.groupby("club_id").size() == service.EVERY_SERIES_HORIZON).all()
    assert (table.lo_95 <= table.yhat).all() and (table.yhat <= table.hi_95).all()
    assert metrics["horizon"] == service.EVERY_SERIES_BACKTEST and metrics["windows"] >= 1
    assert set(metrics["clubs"]) == {str(c) for c in ids}
    assert metrics["all_series"]["series"] == len(ids) + 1

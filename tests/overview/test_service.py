"""The Overview's service on the tier-S demo chain: live figures, today's forecast, risk counts, alerts."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from core.overview import kpis as kpi
from core.overview import service
from core.platform.clubs import chain_today, club_names, list_clubs
from tests.conftest import CHAIN_VIEWER as chain_viewer


@pytest.fixture(scope="module")
def chain(engine, demo):
    clubs = list_clubs(engine, viewer=chain_viewer)
    return {"ids": [int(c) for c in clubs.club_id], "names": club_names(clubs), "today": chain_today(clubs)}


def test_live_figures_are_sensible_and_self_consistent(engine, chain):
    live = service.live_figures(engine, viewer=chain_viewer, club_ids=chain["ids"])
    rows = live.rows
    assert set(rows.weeks_ago) == {0, 1, 2, 3, 4}
    assert len(rows) == 5 * len(chain["ids"])
    past = rows[rows.weeks_ago > 0]
    assert (past.revenue_full_day >= past.revenue_by_now).all()
    assert (past.bookings_full_day >= past.bookings_by_now).all()
    assert (rows.occupied <= rows.seats).all()
    assert (rows.seat_hours_by_now <= rows.seats * 24 + 1e-6).all()
    assert past.revenue_full_day.sum() > 0
    cards = service.cards(live, None)
    bookings = next(c for c in cards if c.key == "bookings_today")
    assert bookings.predicted > 0 and bookings.current == live.totals.today("bookings_by_now")
    assert 0 <= next(c for c in cards if c.key == "utilization_today").current <= 100


def test_live_figures_are_limited_to_the_clubs_given(engine, chain):
    first = chain["ids"][0]
    one = service.live_figures(engine, viewer=chain_viewer, club_ids=[first])
    assert set(one.rows.club_id) == {first} and one.totals.clubs == (first,)
    everyone = service.live_figures(engine, viewer=chain_viewer, club_ids=chain["ids"])
    assert one.totals.today("seats") < everyone.totals.today("seats")
    nobody = service.live_figures(engine, viewer=chain_viewer, club_ids=[])
    assert nobody.rows.empty and nobody.totals.today("seats") == 0  # no clubs: nothing, never everything


def test_today_forecast_from_the_history_up_to_yesterday(engine, chain):
    history = service.revenue_history(engine, viewer=chain_viewer, club_ids=chain["ids"], today=chain["today"])
    assert history.index.max() == pd.Timestamp(chain["today"] - timedelta(days=1))
    fc = service.today_forecast(history, chain["today"])
    assert isinstance(fc, kpi.Forecast)
    assert fc.lo_95 <= fc.lo_80 <= fc.yhat <= fc.hi_80 <= fc.hi_95
    assert 0 <= fc.confidence <= 100
    assert service.today_forecast(history.iloc[:20], chain["today"]) is None  # under four weeks of history


def test_revenue_trend_shows_the_chosen_days_with_a_weekly_average(engine, chain):
    history = service.revenue_history(engine, viewer=chain_viewer, club_ids=chain["ids"], today=chain["today"])
    end = chain["today"] - timedelta(days=1)
    trend = service.revenue_trend(history, end - timedelta(days=13), end)
    assert len(trend) == 14 and list(trend.columns) == ["revenue", "week_average"]
    assert trend.week_average.iloc[-1] == pytest.approx(history.iloc[-7:].mean())
    assert "week_average" not in service.revenue_trend(history, end - timedelta(days=2), end)


def test_risk_counts_and_alerts_with_a_model(engine, chain, trained):
    risk = service.risk_counts(engine, viewer=chain_viewer, club_ids=chain["ids"])
    assert risk is not None and risk.at_risk_now >= risk.high_value_now >= 0
    assert 0 < risk.confidence <= 100  # the active model's ROC AUC
    one = service.risk_counts(engine, viewer=chain_viewer, club_ids=chain["ids"][:1])
    assert one.at_risk_now <= risk.at_risk_now
    live = service.live_figures(engine, viewer=chain_viewer, club_ids=chain["ids"])
    summary = service.chain_summary(engine, viewer=chain_viewer, club_ids=chain["ids"])
    assert {"bookings_today", "customers_at_risk"} <= set(summary.metric_name)
    result = service.overview(live, None, risk, summary, names=chain["names"], whole_chain=True)
    assert [c.key for c in result.cards] == ["revenue_today", "bookings_today", "seats_occupied_now",
                                             "utilization_today", "customers_at_risk"]
    assert result.card("customers_at_risk").current is not None
    ranks = [kpi.RANK[a.level] for a in result.alerts]
    assert ranks == sorted(ranks, reverse=True)

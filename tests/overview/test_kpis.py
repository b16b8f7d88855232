"""The overview's KPI cards (core/overview/kpis.py): pure functions on small hand-made frames."""

from __future__ import annotations

import pandas as pd
import pytest

from core.overview import alerts as rules
from core.overview import kpis as kpi
from tests.overview.support import NOW, card, club_rows


def test_totals_sum_the_chosen_clubs_per_week():
    live = pd.concat([club_rows(1), club_rows(2, today={"bookings_by_now": 5})])
    both = kpi.totals(live)
    one = kpi.totals(live, [2])
    assert both.today("bookings_by_now") == 45
    assert one.today("bookings_by_now") == 5
    assert one.usual("bookings_by_now") == 40
    assert both.today("open_seat_hours_by_now") == 2 * 20 * 10
    assert both.fetched_at == NOW
    assert one.clubs == (2,)
    assert both.day_share == pytest.approx(0.4)


def test_a_normal_day_raises_no_alert():
    t = kpi.totals(club_rows())
    forecast = kpi.Forecast(yhat=100_000, lo_80=85_000, lo_95=75_000, confidence=92)
    cards = kpi.build_kpis(t, forecast, kpi.RiskCounts(at_risk_now=10, at_risk_before=10))
    assert [c.key for c in cards] == ["revenue_today", "bookings_today", "seats_occupied_now",
                                      "utilization_today", "customers_at_risk"]
    assert all(c.alert == kpi.NORMAL for c in cards)
    revenue = card(cards, "revenue_today")
    assert revenue.current == 40_000 and revenue.predicted == 100_000 and revenue.confidence == 92
    assert revenue.expected_by_now == pytest.approx(40_000)
    assert card(cards, "utilization_today").current == pytest.approx(100 * 60 / 200)


@pytest.mark.parametrize(("so_far", "level"), [
    (40_000, kpi.NORMAL),    # on track
    (33_000, kpi.WARNING),   # below 85k * 0.4 = 34k (the 80% band's lower bound by now)
    (29_000, kpi.CRITICAL),  # below 75k * 0.4 = 30k (the 95% band's)
])
def test_revenue_below_the_forecast_band(so_far, level):
    forecast = kpi.Forecast(yhat=100_000, lo_80=85_000, lo_95=75_000)
    assert kpi.revenue_level(so_far, forecast, share=0.4) == level
    cards = kpi.build_kpis(kpi.totals(club_rows(today={"revenue_by_now": so_far})), forecast)
    assert card(cards, "revenue_today").alert == level
    found = rules.revenue_alerts(cards, "whole chain")
    assert [a.level for a in found] == ([] if level == kpi.NORMAL else [level])


def test_revenue_is_not_judged_early_in_the_day_or_without_a_forecast():
    forecast = kpi.Forecast(yhat=100_000, lo_80=85_000, lo_95=75_000)
    assert kpi.revenue_level(0, forecast, share=0.05) == kpi.NORMAL
    assert kpi.revenue_level(0, None, share=0.5) == kpi.NORMAL
    assert kpi.revenue_level(0, forecast, share=None) == kpi.NORMAL
    cards = kpi.build_kpis(kpi.totals(club_rows()), None)
    revenue = card(cards, "revenue_today")
    assert revenue.predicted == 100_000  # the same weekday's average instead
    assert "no forecast" in revenue.note


def test_bookings_and_seats_far_below_usual_warn():
    t = kpi.totals(club_rows(today={"bookings_by_now": 15, "occupied": 3}))
    cards = kpi.build_kpis(t)
    assert card(cards, "bookings_today").alert == kpi.WARNING
    assert card(cards, "seats_occupied_now").alert == kpi.WARNING
    quiet = kpi.totals(club_rows(today={"bookings_by_now": 1}, past={"bookings_by_now": 4}))
    assert card(kpi.build_kpis(quiet), "bookings_today").alert == kpi.NORMAL  # too few to judge


@pytest.mark.parametrize(("today", "past", "level"), [
    (0.50, [0.50, 0.52, 0.48, 0.50], kpi.NORMAL),
    (0.36, [0.50, 0.52, 0.48, 0.50], kpi.WARNING),
    (0.45, [0.50, 0.52, 0.40, 0.50], kpi.NORMAL),  # not below every recent week
    (0.20, [0.50, 0.52, 0.48, 0.50], kpi.CRITICAL),
    (0.01, [0.02, 0.03, 0.02, 0.01], kpi.NORMAL),  # usually empty at this time
    (None, [0.5], kpi.NORMAL),
])
def test_utilization_falling_against_the_same_weekday(today, past, level):
    assert kpi.utilization_level(today, past) == level


@pytest.mark.parametrize(("now", "before", "level"), [
    (100, 100, kpi.NORMAL), (112, 100, kpi.WARNING), (140, 100, kpi.CRITICAL), (140, None, kpi.NORMAL),
    (5, 0, kpi.NORMAL),
])
def test_jump_in_high_value_customers_at_risk(now, before, level):
    risk = kpi.RiskCounts(at_risk_now=500, at_risk_before=500, high_value_now=now, high_value_before=before)
    found = rules.high_value_alerts(risk)
    assert [a.level for a in found] == ([] if level == kpi.NORMAL else [level])
    cards = kpi.build_kpis(kpi.totals(club_rows()), None, risk)
    assert card(cards, "customers_at_risk").alert == level


def test_worst_level():
    assert kpi.worst([]) == kpi.NORMAL
    assert kpi.worst([kpi.NORMAL, kpi.CRITICAL, kpi.WARNING]) == kpi.CRITICAL


@pytest.mark.parametrize(("key", "current", "predicted", "expected_by_now", "change"), [
    ("bookings_today", 50, 100, 40, 0.25),  # against the usual by now, as a fraction
    ("bookings_today", 50, 100, None, None),
    ("customers_at_risk", 120, 100, None, 20),  # against the previous model, as a count
    ("customers_at_risk", 120, None, None, None),
    ("revenue_today", None, 100, 40, None),
])
def test_card_change(key, current, predicted, expected_by_now, change):
    shown = kpi.Kpi(key, "label", current, predicted, expected_by_now=expected_by_now)
    assert shown.change == (pytest.approx(change) if change is not None else None)


def test_without_scores_the_customers_card_is_empty():
    cards = kpi.build_kpis(kpi.totals(club_rows()), None, None)
    assert card(cards, "customers_at_risk").current is None
    assert rules.high_value_alerts(None) == []


def summary_frame(**changes) -> pd.DataFrame:
    rows = {
        "revenue_today": (30_000, None, 0, "normal"),
        "bookings_today": (41, 99, 80, "normal"),
        "seats_occupied_now": (12, 9, 75, "warning"),
        "utilization_today": (3.0, 19.0, 80, "normal"),
        "customers_at_risk": (0, None, 0, "normal"),
        "high_value_at_risk": (0, None, 0, "normal"),
    }
    rows.update(changes)
    return pd.DataFrame([{"metric_name": k, "metric_category": "x", "current_value": v[0], "predicted_value": v[1],
                          "confidence_level": v[2], "alert_level": v[3]} for k, v in rows.items()])


def test_dashboard_summary_overrides_the_metrics_it_shares():
    forecast = kpi.Forecast(yhat=100_000, lo_80=85_000, lo_95=75_000, confidence=90)
    cards = kpi.apply_summary(kpi.build_kpis(kpi.totals(club_rows()), forecast, None), summary_frame())
    assert card(cards, "bookings_today").current == 41 and card(cards, "bookings_today").predicted == 99
    assert card(cards, "seats_occupied_now").alert == kpi.WARNING
    # revenue without a model forecast in the function, and utilization, stay ours
    assert card(cards, "revenue_today").current == 40_000 and card(cards, "revenue_today").predicted == 100_000
    assert card(cards, "utilization_today").current == pytest.approx(30.0)
    # no scores: the function's 0 customers at risk is not shown as a number
    assert card(cards, "customers_at_risk").current is None


def test_dashboard_summary_model_forecast_and_customer_alerts():
    forecast = kpi.Forecast(yhat=100_000, lo_80=85_000, lo_95=75_000, confidence=90)
    risk = kpi.RiskCounts(at_risk_now=500, at_risk_before=480, high_value_now=50, high_value_before=50)
    summary = summary_frame(revenue_today=(10_000, 120_000, 88, "critical"),
                            customers_at_risk=(510, 480, 81, "normal"),
                            high_value_at_risk=(80, 50, 81, "critical"))
    cards = kpi.apply_summary(kpi.build_kpis(kpi.totals(club_rows()), forecast, risk), summary)
    revenue = card(cards, "revenue_today")
    # its forecast and confidence; our value and our alert (on track by this hour)
    assert (revenue.current, revenue.predicted, revenue.confidence, revenue.alert) == (40_000, 120_000, 88, kpi.NORMAL)
    customers = card(cards, "customers_at_risk")
    assert (customers.current, customers.predicted, customers.alert) == (510, 480, kpi.CRITICAL)

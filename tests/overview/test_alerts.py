"""The overview's alert rules (core/overview/alerts.py): pure functions on small hand-made frames."""

from __future__ import annotations

import pandas as pd
import pytest

from core.i18n import use_locale
from core.overview import alerts as rules
from core.overview import kpis as kpi
from tests.overview.support import club_rows


def test_utilization_alert_names_the_club():
    live = pd.concat([club_rows(1), club_rows(2, today={"seat_hours_by_now": 20.0})])
    found = rules.utilization_alerts(live, names={2: "Pixel"})
    assert [(a.level, a.club_id) for a in found] == [(kpi.CRITICAL, 2)]
    assert "Pixel" in found[0].title and "10%" in found[0].detail and "30%" in found[0].detail


def test_a_silent_open_club_is_critical():
    live = pd.concat([
        club_rows(1),
        club_rows(2, today={"bookings_recent": 0}),  # usually 8 in two hours, none today
        club_rows(3, today={"bookings_recent": 0}, open_now=False),  # closed: fine
        club_rows(4, today={"bookings_recent": 0}, past={"bookings_recent": 1}),  # usually quiet: fine
    ])
    found = rules.silent_clubs(live, names={2: "Respawn"})
    assert [(a.level, a.club_id) for a in found] == [(kpi.CRITICAL, 2)]
    assert "Respawn" in found[0].title and "2 hours" in found[0].title
    assert "08:55 UTC" in found[0].detail  # the last booking, five minutes before the cut
    assert rules.silent_clubs(live, [1, 3, 4]) == []


@pytest.mark.parametrize(("so_far", "level", "band"), [(40_000, None, None), (33_000, kpi.WARNING, "80%"),
                                                       (29_000, kpi.CRITICAL, "95%")])
def test_revenue_below_the_band_says_how_far(so_far, level, band):
    forecast = kpi.Forecast(yhat=100_000, lo_80=85_000, lo_95=75_000)
    cards = kpi.build_kpis(kpi.totals(club_rows(today={"revenue_by_now": so_far})), forecast)
    found = rules.revenue_alerts(cards, "whole chain")
    if level is None:
        assert found == []
        return
    assert [a.level for a in found] == [level]
    assert found[0].title == f"Revenue below the forecast's {band} band (whole chain)"
    assert found[0].detail == (f"₸{so_far:,.0f} so far against a forecast of ₸100,000 for the day; "
                               "about ₸40,000 is usual by now.")


def test_high_value_alert_counts_and_compares():
    risk = kpi.RiskCounts(at_risk_now=500, at_risk_before=500, high_value_now=140, high_value_before=100)
    [alert] = rules.high_value_alerts(risk)
    assert alert.level == kpi.CRITICAL
    assert alert.detail.startswith("140 of the top 20% of customers by lifetime value are at risk of leaving, "
                                   "up 40% from 100")


def test_alerts_speak_the_current_language():
    live = pd.concat([club_rows(1), club_rows(2, today={"seat_hours_by_now": 20.0})])
    with use_locale("ru"):
        detail = rules.utilization_alerts(live, names={2: "Pixel"})[0].detail
    assert "10\u00a0%" in detail and "30\u00a0%" in detail  # Russian puts a space before the percent sign


def test_sorting_puts_the_most_severe_first():
    found = [rules.Alert(kpi.WARNING, "w", ""), rules.Alert(kpi.CRITICAL, "c", ""), rules.Alert(kpi.NORMAL, "n", "")]
    assert [a.title for a in rules.sort_alerts(found)] == ["c", "w", "n"]

"""Forecast: daily revenue of the chain or a club for the next 7-90 days, with its track record."""

from __future__ import annotations

import math
from datetime import timedelta

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.forecast.model import MIN_DAYS, Backtest, backtest, forecast
from pages.common import (
    card_columns,
    club_names,
    daily_revenue,
    filters,
    local_today,
    money,
    page_guard,
    plot,
    style_figure,
)

HORIZONS = (7, 90)
LEVELS = (80, 95)
BACKTEST_WINDOWS = 4
SHOW_HISTORY_DAYS = 120  # history drawn before the forecast, at most


@st.cache_data(ttl=3600, show_spinner="Forecasting…", max_entries=128)
def run_forecast(history: pd.Series, horizon: int) -> tuple[pd.DataFrame, Backtest | None]:
    """The forecast and its backtest for one history and horizon (cached for an hour per input)."""
    table = forecast(history, horizon, LEVELS)
    windows = min(BACKTEST_WINDOWS, (len(history) - MIN_DAYS) // horizon)
    scores = backtest(history, horizon, windows, LEVELS) if windows >= 1 else None
    return table, scores


def accuracy_words(scores: Backtest | None, horizon: int, history_days: int) -> str:
    """The backtest in plain words."""
    if scores is None:
        return (f"There is not enough history yet to test a {horizon}-day forecast: it needs "
                f"{MIN_DAYS + horizon} days and there are {history_days}. Try a shorter horizon.")
    periods = "period" if scores.windows == 1 else f"{scores.windows} periods"
    text = f"Over the last {periods} of {horizon} days, the forecast was off by {scores.smape:.0f}% on average"
    if math.isfinite(scores.baseline_mase) and scores.baseline_mase > 0 and math.isfinite(scores.mase):
        gain = 100 * (1 - scores.mase / scores.baseline_mase)
        if gain >= 0.5:
            text += f"; it beat the 'same day last week' rule by {gain:.0f}%"
        elif gain <= -0.5:
            text += f"; it did {-gain:.0f}% worse than the 'same day last week' rule"
        else:
            text += "; it did as well as the 'same day last week' rule"
    coverage = scores.coverage.get(80)
    if coverage is not None and math.isfinite(coverage):
        text += f"; the 80% band held the actual value {100 * coverage:.0f}% of the time"
        wide = scores.coverage.get(95)
        if wide is not None and math.isfinite(wide):
            text += f" (the 95% band: {100 * wide:.0f}%)"
    return text + "."


def chart(history: pd.Series, table: pd.DataFrame) -> go.Figure:
    shown = history.iloc[-SHOW_HISTORY_DAYS:]
    fig = go.Figure()
    x = list(table.index) + list(table.index[::-1])
    for level, color in ((95, "rgba(108, 76, 241, 0.12)"), (80, "rgba(108, 76, 241, 0.25)")):
        fig.add_trace(go.Scatter(
            x=x, y=list(table[f"hi_{level}"]) + list(table[f"lo_{level}"][::-1]), fill="toself",
            fillcolor=color, line={"width": 0}, name=f"{level}% band", hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=shown.index, y=shown.values, name="Actual", mode="lines",
                             line={"color": "#3C4043", "width": 1.6},
                             hovertemplate="%{y:,.0f} ₸<extra>actual</extra>"))
    fig.add_trace(go.Scatter(x=table.index, y=table.yhat, name="Forecast", mode="lines",
                             line={"color": "#6C4CF1", "width": 2.2},
                             hovertemplate="%{y:,.0f} ₸<extra>forecast</extra>"))
    fig.update_yaxes(tickformat="~s", ticksuffix=" ₸", rangemode="tozero")
    return style_figure(fig, height=380)


def download_frame(table: pd.DataFrame, scope: str) -> pd.DataFrame:
    out = table.round(0).reset_index(names="day")
    out["day"] = out.day.dt.date
    out.insert(0, "scope", scope)
    return out


st.title("Forecast", anchor=False)
with page_guard("forecast"):
    f = filters()
    names = club_names()
    all_selected = set(f.club_ids) == set(names)
    group = "Whole chain" if all_selected else "Selected clubs together"
    options = ([group] if len(f.club_ids) > 1 else []) + [names[c] for c in f.club_ids if c in names]
    left, right = st.columns([2, 3])
    scope = left.selectbox("Revenue of", options, key="forecast_scope")
    horizon = right.slider("Days ahead", min_value=HORIZONS[0], max_value=HORIZONS[1], value=30, step=1,
                           key="forecast_horizon")

    ids = f.club_ids if scope == group else tuple(c for c in f.club_ids if names.get(c) == scope)
    yesterday = local_today() - timedelta(days=1)
    history = daily_revenue(ids, until=yesterday)
    observed = int(history.gt(0).sum())
    if observed < MIN_DAYS:
        st.info(f"{scope} has {observed} days with revenue so far; a forecast needs at least {MIN_DAYS}.")
        st.stop()

    table, scores = run_forecast(history, int(horizon))
    first, last = table.index[0], table.index[-1]
    a, b, c = card_columns(3, "forecast")
    a.metric(f"Next {horizon} days", money(float(table.yhat.sum()), compact=True),
             help="The sum of the daily forecasts.")
    week = float(table.yhat.iloc[:7].sum())
    past_week = float(history.iloc[-7:].sum())
    b.metric("Next 7 days", money(week, compact=True),
             f"{100 * (week / past_week - 1):+.0f}% vs last 7 days" if past_week > 0 else None)
    c.metric("Average day", money(float(table.yhat.mean()), compact=True),
             help=f"{first:%d.%m} – {last:%d.%m}")

    plot(chart(history, table), key="forecast_chart")
    st.markdown(accuracy_words(scores, int(horizon), len(history)))
    st.caption("The model learns from every day of history; the chart shows the last "
               f"{min(len(history), SHOW_HISTORY_DAYS)}. Bands: the range the day's revenue should fall in "
               "80% and 95% of the time.")

    frame = download_frame(table, scope)
    st.dataframe(
        frame.drop(columns=["scope"]),
        hide_index=True,
        height=300,
        column_config={
            "day": st.column_config.DateColumn("Day", format="ddd DD.MM.YYYY"),
            "yhat": st.column_config.NumberColumn("Forecast, ₸", format="localized"),
            "lo_80": st.column_config.NumberColumn("80% low", format="localized"),
            "hi_80": st.column_config.NumberColumn("80% high", format="localized"),
            "lo_95": st.column_config.NumberColumn("95% low", format="localized"),
            "hi_95": st.column_config.NumberColumn("95% high", format="localized"),
        },
        key="forecast_table",
    )
    st.download_button(
        "Download CSV", frame.to_csv(index=False).encode("utf-8"),
        file_name=f"revenue-forecast-{scope.lower().replace(' ', '-')}-{first:%Y%m%d}-{horizon}d.csv",
        mime="text/csv", icon=":material/download:", on_click="ignore")

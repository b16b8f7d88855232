"""Overview: today's live KPIs against their predictions, alerts, and the revenue trend."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.overview import kpis as kpi
from core.forecast.model import MIN_DAYS, backtest, forecast
from pages.common import (
    Filters,
    ago,
    card_columns,
    club_names,
    clubs,
    daily_revenue,
    filters,
    local_today,
    money,
    number,
    optional_query,
    page_guard,
    plot,
    run_query,
    style_figure,
)

LIVE_SECONDS = 30  # the live part reruns this often ...
LIVE_TTL = 15  # ... and its queries are cached for less, so every rerun sees new bookings

PREDICTED_LABEL = {
    "revenue_today": "Day forecast",
    "bookings_today": "Usual day",
    "seats_occupied_now": "Usual now",
    "utilization_today": "Usual day",
    "customers_at_risk": "Previous model",
}
BADGE = {
    kpi.NORMAL: ("Normal", "green", ":material/check_circle:"),
    kpi.WARNING: ("Warning", "orange", ":material/warning:"),
    kpi.CRITICAL: ("Critical", "red", ":material/error:"),
}


@st.cache_data(ttl=3600, show_spinner=False, max_entries=64)
def _forecast_today(history: pd.Series, days_ahead: int) -> kpi.Forecast | None:
    """The forecast for `days_ahead` days after the history (today), with a 7-day backtest's confidence."""
    if history.gt(0).sum() < MIN_DAYS:
        return None
    fc = forecast(history, days_ahead, (80, 95)).iloc[-1]
    windows = min(4, (len(history) - MIN_DAYS) // 7)
    confidence = None
    if windows >= 1:
        smape = backtest(history, 7, windows).smape
        confidence = max(0.0, 100.0 - smape) if pd.notna(smape) else None
    return kpi.Forecast(yhat=float(fc.yhat), lo_80=float(fc.lo_80), lo_95=float(fc.lo_95),
                        hi_80=float(fc.hi_80), hi_95=float(fc.hi_95), confidence=confidence)


def today_forecast(club_ids: tuple[int, ...]) -> kpi.Forecast | None:
    today = local_today()
    history = daily_revenue(club_ids, until=today - timedelta(days=1))
    if history.empty:
        return None
    return _forecast_today(history, (pd.Timestamp(today) - history.index.max()).days)


def risk_counts(club_ids: tuple[int, ...]) -> kpi.RiskCounts | None:
    frame = optional_query("overview/customers_at_risk", ttl=600, club_ids=club_ids)
    if frame is None or frame.empty:
        return None
    chosen = frame[frame.club_id.isin(club_ids)]
    previous = bool(frame.has_previous.any())
    model = optional_query("models/active_model", ttl=60)
    auc = None if model is None or model.empty or pd.isna(model.churn_auc.iloc[0]) else float(model.churn_auc.iloc[0])
    return kpi.RiskCounts(
        at_risk_now=int(chosen.at_risk_now.sum()),
        at_risk_before=int(chosen.at_risk_before.sum()) if previous else None,
        high_value_now=int(chosen.high_value_now.sum()),
        high_value_before=int(chosen.high_value_before.sum()) if previous else None,
        confidence=None if auc is None else 100 * auc,
    )


def _value(card: kpi.Kpi, value: float | None) -> str:
    if value is None:
        return "—"
    if card.unit == "₸":
        return money(value, compact=True)
    if card.unit == "%":
        return f"{value:.1f}%"
    return number(value)


def _delta(card: kpi.Kpi) -> str | None:
    if card.current is None:
        return None
    if card.key == "customers_at_risk":
        if card.predicted is None:
            return None
        return f"{card.current - card.predicted:+,.0f} vs before".replace(",", " ")
    if not card.expected_by_now:
        return None
    change = 100 * (card.current / card.expected_by_now - 1)
    return f"{change:+.0f}% vs usual"


def render_card(card: kpi.Kpi) -> None:
    help_text = card.note
    if card.expected_by_now is not None and card.key != "customers_at_risk":
        help_text += f". Usual by this time: {_value(card, card.expected_by_now)}."
    with st.container(border=True, height="stretch"):
        st.metric(card.label, _value(card, card.current), _delta(card),
                  delta_color="inverse" if card.key == "customers_at_risk" else "normal")
        confidence = "" if card.confidence is None else f"  \n{card.confidence:.0f}% confidence"
        st.caption(f"{PREDICTED_LABEL.get(card.key, 'Predicted')} **{_value(card, card.predicted)}**{confidence}")
        text, color, icon = BADGE.get(card.alert, BADGE[kpi.NORMAL])
        st.badge(text, color=color, icon=icon, help=help_text)


def render_alerts(alerts: list[kpi.Alert]) -> None:
    st.subheader("Alerts", anchor=False)
    if not alerts:
        st.success("Nothing needs attention right now.", icon=":material/check_circle:")
        return
    for alert in kpi.sort_alerts(alerts):
        show = st.error if alert.level == kpi.CRITICAL else st.warning
        show(f"**{alert.title}.** {alert.detail}", icon=":material/error:" if alert.level == kpi.CRITICAL
             else ":material/warning:")


def revenue_chart(f: Filters, today_so_far: float, fc: kpi.Forecast | None, usual_by_now: float | None
                  ) -> go.Figure:
    today = local_today()
    history = daily_revenue(f.club_ids, until=today - timedelta(days=1))
    shown = history[(history.index >= pd.Timestamp(f.start)) & (history.index <= pd.Timestamp(f.end))]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=shown.index, y=shown.values, name="Daily revenue", mode="lines",
                             line={"color": "#6C4CF1", "width": 2},
                             hovertemplate="%{y:,.0f} ₸<extra>revenue</extra>"))
    if len(shown) >= 7:
        week = history.rolling(7).mean().reindex(shown.index)
        fig.add_trace(go.Scatter(x=week.index, y=week.values, name="7-day average", mode="lines",
                                 line={"color": "#9AA0A6", "width": 1.5, "dash": "dot"},
                                 hovertemplate="%{y:,.0f} ₸<extra>7-day average</extra>"))
    if f.end >= today:
        day = pd.Timestamp(today)
        if fc is not None:
            fig.add_trace(go.Scatter(
                x=[day], y=[fc.yhat], name="Forecast today (95% band)", mode="markers",
                marker={"color": "#F4A340", "size": 10, "symbol": "diamond"},
                error_y={"type": "data", "symmetric": False, "array": [fc.hi_95 - fc.yhat],
                         "arrayminus": [fc.yhat - fc.lo_95], "color": "#F4A340"},
                hovertemplate="%{y:,.0f} ₸<extra>forecast</extra>"))
        if usual_by_now:
            fig.add_trace(go.Scatter(x=[day], y=[usual_by_now], name="Usual by now", mode="markers",
                                     marker={"color": "#9AA0A6", "size": 9, "symbol": "circle-open",
                                             "line": {"width": 2}},
                                     hovertemplate="%{y:,.0f} ₸<extra>usual by now</extra>"))
        fig.add_trace(go.Scatter(x=[day], y=[today_so_far], name="Today so far", mode="markers",
                                 marker={"color": "#E5484D", "size": 10},
                                 hovertemplate="%{y:,.0f} ₸<extra>so far</extra>"))
    fig.update_yaxes(title=None, tickformat="~s", ticksuffix=" ₸", rangemode="tozero")
    fig.update_xaxes(title=None)
    return style_figure(fig, height=340)


def render_live(f: Filters, all_selected: bool) -> None:
    # Laid out top to bottom, filled in the order the data arrives: the chart needs only the live
    # query and the (long-cached) forecast, so it is drawn before the slower chain-wide summary.
    status, cards_area, alerts_area, chart_area = st.container(), st.container(), st.container(), st.container()

    live = run_query("overview/live_kpis", ttl=LIVE_TTL, silent_hours=kpi.SILENT_HOURS, club_ids=f.club_ids)
    totals = kpi.totals(live, f.club_ids)
    fc = today_forecast(f.club_ids)
    cards = kpi.build_kpis(totals, fc)

    fetched = totals.fetched_at
    tz = ZoneInfo(str(clubs().timezone.iloc[0])) if len(clubs()) else timezone.utc
    when = fetched.astimezone(tz).strftime("%H:%M:%S") if fetched else "—"
    paused = not st.session_state.get("overview_live", True)
    status.caption(f"Updated {ago(fetched, datetime.now(timezone.utc))} (data as of {when} club time)"
                   + (" · paused" if paused else f" · refreshes every {LIVE_SECONDS} s"))

    with chart_area:
        st.subheader("Revenue", anchor=False)
        revenue_card = next(c for c in cards if c.key == "revenue_today")
        plot(revenue_chart(f, totals.today("revenue_by_now"), fc, revenue_card.expected_by_now),
             key="overview_revenue")
        st.caption("Revenue of each club-local day (successful payments of the day's bookings). "
                   "Today's red point grows through the day; the hollow circle is what the same weekday had by "
                   "this time, the diamond today's forecast with its 95% band.")

    risk = risk_counts(f.club_ids)
    cards = kpi.build_kpis(totals, fc, risk)
    if all_selected:
        summary = optional_query("overview/dashboard_summary", ttl=LIVE_TTL, club_ids=f.club_ids)
        if summary is not None:
            cards = kpi.apply_summary(cards, summary)
    with cards_area:
        for column, card in zip(card_columns(len(cards), "overview"), cards):
            with column:
                render_card(card)

    names = club_names()
    alerts = kpi.revenue_alerts(cards, "selected clubs" if not all_selected else "whole chain")
    alerts += kpi.silent_clubs(live, f.club_ids, names=names)
    alerts += kpi.utilization_alerts(live, f.club_ids, names=names)
    alerts += kpi.high_value_alerts(risk)
    with alerts_area:
        render_alerts(alerts)


st.title("Overview", anchor=False)
with page_guard("overview"):
    f = filters()
    names = club_names()
    all_selected = set(f.club_ids) == set(names)
    scope = "Whole chain" if all_selected else ", ".join(names.get(c, str(c)) for c in f.club_ids)
    head, switch = st.columns([3, 1], vertical_alignment="center")
    head.caption(f"{scope} · {local_today():%A %d %B} (club-local day)")
    live_on = switch.toggle("Live updates", value=True, key="overview_live",
                            help=f"Refresh the figures every {LIVE_SECONDS} seconds.")

    @st.fragment(run_every=LIVE_SECONDS if live_on else None)
    def live_section() -> None:
        with page_guard("overview-live"):
            render_live(f, all_selected)

    live_section()

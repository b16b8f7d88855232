"""Overview: today's live KPIs against their predictions, alerts, and the revenue trend."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.i18n import N_, _
from core.i18n.format import (
    date_text,
    duration,
    money,
    number,
    percent,
    signed_number,
    signed_percent,
    time_text,
)
from core.models import service as models
from core.overview import kpis, service
from pages.ui.age import live_age
from pages.ui.cache import cached, refreshed
from pages.ui.charts import GREY, PURPLE, money_axis, money_hover, plot, style_figure
from pages.ui.guard import is_outage, page_guard
from pages.ui.layout import ALERT_ICON, card_columns, delta_style, metric_card
from pages.ui.session import current_account, settings, still_signed_in
from pages.ui.sidebar import Filters, display_timezone, club_names, data_moment, filters, local_today
from pages.ui.text import md

LIVE_SECONDS = settings().live_seconds  # the live part reruns this often (OYNA_LIVE_SECONDS) ...
LIVE_TTL = LIVE_SECONDS // 2  # ... and its figures are cached for less, so every rerun sees new bookings
HISTORY_TTL = 600
FORECAST_TTL = 3600
RISK_TTL = 600
LAST_SHOWN = "overview_last_shown"  # the session's last good live figures

logger = logging.getLogger("oyna.pages")

PREDICTED_LABEL = {
    "revenue_today": N_("Day forecast"),
    "bookings_today": N_("Usual day"),
    "seats_occupied_now": N_("Usual now"),
    "utilization_today": N_("Usual day"),
    "customers_at_risk": N_("Previous model"),
}
BADGE = {
    kpis.NORMAL: (N_("Normal"), "green", ":material/check_circle:"),
    kpis.WARNING: (N_("Warning"), "orange", ":material/warning:"),
    kpis.CRITICAL: (N_("Critical"), "red", ":material/error:"),
}


def value_text(card: kpis.Kpi, value: float | None) -> str:
    if card.unit == "₸":
        return money(value, compact=True)
    if card.unit == "%":
        return percent(None if value is None else value / 100, 1)
    return number(value)


def delta_text(card: kpis.Kpi) -> str | None:
    change = card.change
    if change is None:
        return None
    if card.key == "customers_at_risk":
        return _("{change} vs before").format(change=signed_number(change))
    return _("{change} vs usual").format(change=signed_percent(change))


def render_card(card: kpis.Kpi) -> None:
    help_text = card.note
    if card.expected_by_now is not None and card.key != "customers_at_risk":
        help_text += ". " + _("Usual by this time: {value}.").format(value=value_text(card, card.expected_by_now))
    value = value_text(card, card.current)
    with metric_card(value, card.key):
        delta = delta_text(card)
        st.metric(card.label, value, delta,
                  **delta_style(delta, inverse=card.key == "customers_at_risk"))
        confidence = "" if card.confidence is None else "  \n" + _("{share} confidence").format(
            share=percent(card.confidence / 100))
        st.caption(f"{_(PREDICTED_LABEL.get(card.key, N_('Predicted')))} **{value_text(card, card.predicted)}**"
                   f"{confidence}")
        text, color, icon = BADGE.get(card.alert, BADGE[kpis.NORMAL])
        st.badge(_(text), color=color, icon=icon, help=help_text)


def render_alerts(found: list) -> None:
    st.subheader(_("Alerts"), anchor=False)
    if not found:
        st.success(_("Nothing needs attention right now."), icon=":material/check_circle:")
        return
    for alert in found:
        critical = alert.level == kpis.CRITICAL
        show = st.error if critical else st.warning
        show(f"**{md(alert.title)}.** {md(alert.detail)}", icon=ALERT_ICON if critical else ":material/warning:")


def revenue_chart(trend: pd.DataFrame, today: pd.Timestamp | None, today_so_far: float,
                  fc: kpis.Forecast | None, usual_by_now: float | None) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=trend.index, y=trend.revenue, name=_("Daily revenue"), mode="lines",
                             line={"color": PURPLE, "width": 2},
                             hovertemplate=money_hover() + "<extra>" + _("revenue") + "</extra>"))
    if "week_average" in trend:
        fig.add_trace(go.Scatter(x=trend.index, y=trend.week_average, name=_("7-day average"), mode="lines",
                                 line={"color": GREY, "width": 1.5, "dash": "dot"},
                                 hovertemplate=money_hover() + "<extra>" + _("7-day average") + "</extra>"))
    if today is not None:
        if fc is not None:
            fig.add_trace(go.Scatter(
                x=[today], y=[fc.yhat], name=_("Forecast today (95% band)"), mode="markers",
                marker={"color": "#F4A340", "size": 10, "symbol": "diamond"},
                error_y={"type": "data", "symmetric": False, "array": [fc.hi_95 - fc.yhat],
                         "arrayminus": [fc.yhat - fc.lo_95], "color": "#F4A340"},
                hovertemplate=money_hover() + "<extra>" + _("forecast") + "</extra>"))
        if usual_by_now:
            fig.add_trace(go.Scatter(x=[today], y=[usual_by_now], name=_("Usual by now"), mode="markers",
                                     marker={"color": GREY, "size": 9, "symbol": "circle-open", "line": {"width": 2}},
                                     hovertemplate=money_hover() + "<extra>" + _("usual by now") + "</extra>"))
        fig.add_trace(go.Scatter(x=[today], y=[today_so_far], name=_("Today so far"), mode="markers",
                                 marker={"color": "#E5484D", "size": 10},
                                 hovertemplate=money_hover() + "<extra>" + _("so far") + "</extra>"))
    fig.update_yaxes(title=None, rangemode="tozero")
    money_axis(fig.update_yaxes)
    fig.update_xaxes(title=None)
    return style_figure(fig, height=340)


@dataclass(frozen=True)
class Shown:
    """What the live part drew, kept in the session: during a database outage it stays on screen."""

    scope: tuple
    fetched: datetime | None
    when: str
    chart: go.Figure
    result: service.Overview


def render_live(f: Filters, whole_chain: bool) -> None:
    # Laid out top to bottom, filled in the order the data arrives: the chart needs only the live
    # figures and the (long-cached) forecast, so it is drawn before the slower chain-wide summary.
    status, cards_area, alerts_area, chart_area = st.empty(), st.empty(), st.empty(), st.empty()
    scope = (tuple(f.club_ids), f.start, f.end)
    try:
        still_signed_in()  # a refresh checks the session without keeping it alive
        shown = fetch_and_draw_chart(f, whole_chain, scope, chart_area)
    except Exception as exc:  # noqa: BLE001 - an outage keeps the last numbers; anything else goes to the guard
        last = st.session_state.get(LAST_SHOWN)
        if not is_outage(exc) or last is None or last.scope != scope:
            raise
        logger.warning("database unavailable on the overview; showing the figures of %s", last.fetched)
        draw(last, status, cards_area, alerts_area, chart_area, stale=True)
        return
    st.session_state[LAST_SHOWN] = shown
    draw(shown, status, cards_area, alerts_area, None, stale=False)


def fetch_and_draw_chart(f: Filters, whole_chain: bool, scope: tuple, chart_area) -> Shown:
    today = local_today()
    viewer = current_account()
    # many sessions re-read these on the same timer: refreshed in the background, so nobody waits for them
    live = refreshed(service.live_figures, ttl=LIVE_TTL)(viewer=viewer, club_ids=f.club_ids)
    history = refreshed(service.revenue_history, ttl=HISTORY_TTL)(viewer=viewer, club_ids=f.club_ids, today=today)
    fc = cached(service.today_forecast, ttl=FORECAST_TTL, engine=False, max_entries=64)(history, today)
    first = service.cards(live, fc)
    revenue = next(c for c in first if c.key == "revenue_today")
    trend = service.revenue_trend(history, f.start, f.end)
    chart = revenue_chart(trend, pd.Timestamp(today) if f.end >= today else None,
                          live.totals.today("revenue_by_now"), fc, revenue.expected_by_now)
    draw_chart(chart_area, chart)

    risk = refreshed(service.risk_counts, ttl=RISK_TTL)(viewer=viewer, club_ids=f.club_ids)
    summary = (refreshed(service.chain_summary, ttl=LIVE_TTL)(viewer=viewer, club_ids=f.club_ids) if whole_chain
               else None)
    quality = refreshed(service.live_quality, ttl=RISK_TTL)(viewer=viewer, club_ids=f.club_ids)
    risk_note = cached(models.skipped_models, ttl=60)().get("churn")
    result = service.overview(live, fc, risk, summary, names=club_names(), whole_chain=whole_chain,
                              quality=quality, risk_note=risk_note)
    fetched = live.totals.fetched_at
    when = time_text(fetched.astimezone(ZoneInfo(display_timezone())), seconds=True) if fetched else "—"
    return Shown(scope, fetched, when, chart, result)


def draw_chart(area, chart: go.Figure) -> None:
    with area.container():
        st.subheader(_("Revenue"), anchor=False)
        plot(chart, key="overview_revenue")
        st.caption(_("Revenue of each club-local day (successful payments of the day's bookings). Today's red point "
                     "grows through the day; the hollow circle is what the same weekday had by this time, the "
                     "diamond today's forecast with its 95% band."))


def draw(shown: Shown, status, cards_area, alerts_area, chart_area, *, stale: bool) -> None:
    """The status line, the cards and the alerts (and the chart, when it is not drawn yet); `stale`: the
    database is down and these are the last figures that came through, under a banner, with their age."""
    paused = not st.session_state.get("overview_live", True)
    with status.container():
        if stale:
            st.warning(_("The database is not reachable. These are the last figures that came through, from {time} "
                         "club time; they update by themselves when it is back.").format(time=shown.when),
                       icon=":material/cloud_off:")
            template = _("Stale: updated {ago} (data as of {time} club time)").format(ago="{ago}", time=shown.when)
        else:
            template = _("Updated {ago} (data as of {time} club time)").format(ago="{ago}", time=shown.when)
        template += " · " + (_("paused") if paused else _("refreshes every {period}").format(
            period=duration(LIVE_SECONDS)))
        live_age(shown.fetched, template, key="overview", stale=stale)
    with cards_area.container(key="overview_stale" if stale else None):
        for column, card in zip(card_columns(len(shown.result.cards), "overview"), shown.result.cards):
            with column:
                render_card(card)
    with alerts_area.container():
        render_alerts(shown.result.alerts)
    if chart_area is not None:
        draw_chart(chart_area, shown.chart)


st.title(_("Overview"), anchor=False)
with page_guard("overview"):
    f = filters()
    names = club_names()
    whole_chain = f.whole_chain
    scope = _("Whole chain") if whole_chain else ", ".join(md(names.get(c, c)) for c in f.club_ids)
    head, switch = st.columns([3, 1], vertical_alignment="center")
    moment = data_moment()
    if moment is not None and moment["ended"]:  # the history ends in the past: its last day, not an empty today
        head.caption(_("{scope} · {day}, the last day of data").format(
            scope=scope, day=date_text(local_today(), "EEEE d MMMM y")))
    else:
        head.caption(_("{scope} · {day} (club-local day)").format(scope=scope,
                                                                 day=date_text(local_today(), "EEEE d MMMM")))
    live_on = switch.toggle(_("Live updates"), value=True, key="overview_live",
                            help=_("Refresh the figures every {period}.").format(period=duration(LIVE_SECONDS)))

    @st.fragment(run_every=LIVE_SECONDS if live_on else None)
    def live_section() -> None:
        with page_guard("overview-live"):
            render_live(f, whole_chain)

    live_section()

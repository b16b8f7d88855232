"""Forecast: daily revenue of the chain or a club for the next 7-90 days, with its track record."""

from __future__ import annotations

import re
from datetime import timedelta

import plotly.graph_objects as go
import streamlit as st

from core.forecast import service
from core.i18n import _
from core.i18n.format import date_text, money, percent, signed_percent
from pages.ui.cache import cached
from pages.ui.charts import INK, PURPLE, money_axis, money_hover, plot, style_figure
from pages.ui.export import downloads
from pages.ui.guard import page_guard
from pages.ui.layout import card_columns, delta_style
from pages.ui.session import current_account, engine
from pages.ui.sidebar import club_names, filters, local_today
from pages.ui.text import md

HORIZONS = (7, 90)
HISTORY_TTL = 600
FORECAST_TTL = 3600


def chart(result: service.RevenueForecast) -> go.Figure:
    table, shown = result.table, result.recent
    fig = go.Figure()
    x = list(table.index) + list(table.index[::-1])
    for level, color in ((95, "rgba(108, 76, 241, 0.12)"), (80, "rgba(108, 76, 241, 0.25)")):
        fig.add_trace(go.Scatter(
            x=x, y=list(table[f"hi_{level}"]) + list(table[f"lo_{level}"][::-1]), fill="toself",
            fillcolor=color, line={"width": 0}, name=_("{level} band").format(level=percent(level / 100)),
            hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=shown.index, y=shown.values, name=_("Actual"), mode="lines",
                             line={"color": INK, "width": 1.6},
                             hovertemplate=money_hover() + "<extra>" + _("actual") + "</extra>"))
    fig.add_trace(go.Scatter(x=table.index, y=table.yhat, name=_("Forecast"), mode="lines",
                             line={"color": PURPLE, "width": 2.2},
                             hovertemplate=money_hover() + "<extra>" + _("forecast") + "</extra>"))
    fig.update_yaxes(rangemode="tozero")
    money_axis(fig.update_yaxes)
    return style_figure(fig, height=380)


st.title(_("Forecast"), anchor=False)
with page_guard("forecast"):
    f = filters()
    names = club_names()
    viewer = current_account()
    group = _("Whole chain") if f.whole_chain else _("Selected clubs together")
    options = ([group] if len(f.club_ids) > 1 else []) + [names[c] for c in f.club_ids if c in names]
    left, right = st.columns([2, 3])
    scope = left.selectbox(_("Revenue of"), options, key="forecast_scope")
    horizon = int(right.slider(_("Days ahead"), min_value=HORIZONS[0], max_value=HORIZONS[1], value=30, step=1,
                               key="forecast_horizon"))

    ids = f.club_ids if scope == group else tuple(c for c in f.club_ids if names.get(c) == scope)
    until = local_today() - timedelta(days=1)
    history = cached(service.daily_revenue, ttl=HISTORY_TTL)(viewer=viewer, club_ids=ids, until=until)
    notice = service.not_enough_history(history)
    if notice:
        st.info(_("{scope}: {notice}.").format(scope=md(scope), notice=notice), icon=":material/hourglass_empty:")
        st.stop()
    result = cached(service.revenue_forecast, ttl=FORECAST_TTL, engine=False, spinner=_("Forecasting…"))(
        history, horizon)

    first, last = result.table.index[0], result.table.index[-1]
    a, b, c = card_columns(3, "forecast")
    a.metric(_("Next {days} days").format(days=horizon), money(result.total, compact=True),
             help=_("The sum of the daily forecasts."))
    week_delta = (None if result.week_change is None else
                  _("{change} vs last 7 days").format(change=signed_percent(result.week_change)))
    b.metric(_("Next 7 days"), money(result.next_week, compact=True), week_delta, **delta_style(week_delta))
    c.metric(_("Average day"), money(result.average_day, compact=True),
             help=f"{date_text(first, 'd MMM')} – {date_text(last, 'd MMM')}")

    plot(chart(result), key="forecast_chart")
    st.markdown(result.accuracy)
    st.caption(_("The model learns from every day of history; the chart shows the last {days}. Bands: the range "
                 "the day's revenue should fall in 80% and 95% of the time.").format(days=len(result.recent)))

    frame = service.export_frame(result, scope)
    labels = {"scope": _("Revenue of"), "day": _("Day"), "yhat": _("Forecast, ₸"), "lo_80": _("80% low"),
              "hi_80": _("80% high"), "lo_95": _("95% low"), "hi_95": _("95% high")}
    shown = frame.drop(columns=["scope"]).assign(weekday=[date_text(d, "EEE") for d in frame.day])
    st.dataframe(
        shown,  # the day, the forecast and its 80% band first: they fit a phone's width
        hide_index=True,
        height=300,
        column_order=["day", "weekday", "yhat", "lo_80", "hi_80", "lo_95", "hi_95"],
        column_config={
            "day": st.column_config.DateColumn(labels["day"], format="DD.MM.YY", pinned=True),
            "weekday": st.column_config.TextColumn(_("Weekday")),
            **{c: st.column_config.NumberColumn(labels[c], format="localized")
               for c in ("yhat", "lo_80", "hi_80", "lo_95", "hi_95")},
        },
        key="forecast_table",
    )
    export = engine()
    slug = re.sub(r"[^\w]+", "-", scope.lower()).strip("-")
    downloads(lambda who, fmt, names: service.forecast_export(export, viewer=who, club_ids=ids, until=until,
                                                              horizon=horizon, label=scope, fmt=fmt, labels=names),
              account=viewer, club_ids=ids, file_name=f"revenue-forecast-{slug}-{first:%Y%m%d}-{horizon}d",
              labels=labels, key="forecast")

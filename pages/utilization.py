"""Utilization: when seats are used (weekday x hour), which seats sit idle, and what to do about it."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.i18n import N_, _
from core.i18n.format import date_text, number, percent, weekday_name
from core.utilization import service
from core.utilization.rules import IDLE_SEAT, Suggestion
from pages.ui.cache import cached
from pages.ui.charts import PURPLE, percent_hover, plot, style_figure
from pages.ui.guard import page_guard
from pages.ui.layout import card_columns
from pages.ui.session import current_account
from pages.ui.sidebar import club_names, filters
from pages.ui.text import md

TTL = 900  # the grid reads weeks of bookings; a quarter of an hour is fresh enough
SHOW_PER_KIND = 4

KIND_TITLES = {
    "offpeak": (N_("Off-peak offers"), ":material/sell:"),
    "capacity": (N_("Halls near capacity at peak"), ":material/groups:"),
    "idle_seats": (N_("Seats that sit idle"), ":material/chair:"),
}


def heatmap(table: pd.DataFrame) -> go.Figure:
    z = (100 * table).round(0)
    text = z.map(lambda v: "" if pd.isna(v) else number(v))
    fig = go.Figure(go.Heatmap(
        z=z.to_numpy(), x=[weekday_name(d) for d in table.columns], y=[service.hour_text(h) for h in table.index],
        text=text.to_numpy(), texttemplate="%{text}", textfont={"size": 11, "color": "#1F1B2D"},
        colorscale=[[0, "#F6F4FE"], [0.5, "#BFB0F9"], [1, "#7E61F2"]], zmin=0, zmax=100, xgap=1, ygap=1,
        showscale=False, hoverongaps=False,
        hovertemplate="%{x} %{y}: " + percent_hover("%{z:.0f}") + " " + _("booked") + "<extra></extra>"))
    fig.update_yaxes(autorange="reversed", dtick=2, title=None)
    fig.update_xaxes(side="top", title=None)
    style_figure(fig, height=620, legend=False)
    fig.update_layout(hovermode="closest")
    return fig


def hall_bars(halls: pd.DataFrame) -> go.Figure:
    fig = go.Figure(go.Bar(
        x=halls.use, y=halls.hall_name, orientation="h", marker_color=PURPLE,
        text=[percent(u) for u in halls.use.fillna(0)], textposition="auto",
        hovertemplate="%{y}: %{x:.0%} " + _("of open seat-hours booked") + "<extra></extra>"))
    fig.update_xaxes(range=[0, 1], tickformat=".0%", title=None)
    fig.update_yaxes(title=None)
    style_figure(fig, height=90 + 36 * len(halls), legend=False)
    fig.update_layout(hovermode="closest")
    return fig


def render_suggestions(found: list[Suggestion]) -> None:
    st.subheader(_("Suggestions"), anchor=False)
    if not found:
        st.info(_("No suggestions for these clubs and dates: no empty stretches, crowded halls or idle seats."))
        return
    for kind, (title, icon) in KIND_TITLES.items():
        items = [s for s in found if s.kind == kind]
        if not items:
            continue
        st.markdown(f"**{_(title)}** ({len(items)})")
        for item in items[:SHOW_PER_KIND]:
            st.info(f"**{md(item.title)}.** {md(item.detail)}", icon=icon)
        if len(items) > SHOW_PER_KIND:
            with st.expander(_("{count} more").format(count=len(items) - SHOW_PER_KIND)):
                for item in items[SHOW_PER_KIND:]:
                    st.markdown(f"- **{md(item.title)}.** {md(item.detail)}")


st.title(_("Utilization"), anchor=False)
with page_guard("utilization"):
    f = filters()
    names = club_names()
    period = {"viewer": current_account(), "club_ids": f.club_ids, "start": f.start, "end": f.end}
    hourly = cached(service.hourly_use, ttl=TTL)(**period)
    if hourly.empty:
        st.info(_("No opening hours in these dates for the chosen clubs."))
        st.stop()

    left, right = st.columns(2)
    club_id = left.selectbox(_("Club"), service.clubs_with_hours(hourly, f.club_ids),
                             format_func=lambda c: names.get(c, str(c)), key="util_club")
    hall_names = service.halls(hourly, club_id)
    hall_id = right.selectbox(_("Hall"), [None, *hall_names], key="util_hall",
                              format_func=lambda h: _("All halls") if h is None else hall_names[h])

    week = service.week(hourly, club_id, hall_id)
    a, b, c = card_columns(3, "utilization")
    a.metric(_("Average use"), percent(week.average),
             help=_("Booked seat-hours over open seat-hours in these dates."))
    if week.busiest:
        b.metric(_("Busiest hour"), service.slot_text(week.busiest[0]),
                 _("{share} booked").format(share=percent(week.busiest[0].utilization)),
                 delta_color="off", delta_arrow="off")
    if week.emptiest:
        c.metric(_("Emptiest hour"), service.slot_text(week.emptiest[0]),
                 _("{share} booked").format(share=percent(week.emptiest[0].utilization)),
                 delta_color="off", delta_arrow="off")

    st.subheader(_("When seats are booked"), anchor=False)
    st.caption(_("Share of seats booked by club-local weekday and hour, {start}–{end}. Blank cells: the club is "
                 "closed.").format(start=date_text(f.start), end=date_text(f.end)))
    plot(heatmap(week.table), key="util_heatmap")
    if week.busiest and week.emptiest:
        st.markdown(_("**Peak hours:** {busiest}  \n**Idle hours:** {emptiest}").format(
            busiest=", ".join(service.slot_text(s, with_share=True) for s in week.busiest),
            emptiest=", ".join(service.slot_text(s, with_share=True) for s in week.emptiest)))

    st.subheader(_("Seats"), anchor=False)
    seats = cached(service.seat_use, ttl=TTL)(**period)  # after the grid is drawn
    shown = service.seat_table(seats, club_id, hall_id)
    if not shown.empty:
        plot(hall_bars(service.hall_use(seats, club_id)), key="util_halls")
        st.dataframe(
            shown[["seat_label", "hall_name", "use", "booked_hours", "bookings", "idle"]],
            hide_index=True, height=320,
            column_config={
                "seat_label": st.column_config.TextColumn(_("Seat")),
                "hall_name": st.column_config.TextColumn(_("Hall")),
                "use": st.column_config.ProgressColumn(_("Use"), format="percent", min_value=0, max_value=1),
                "booked_hours": st.column_config.NumberColumn(_("Booked h"), format="%.0f"),
                "bookings": st.column_config.NumberColumn(_("Bookings")),
                "idle": st.column_config.CheckboxColumn(_("Idle")),
            },
            key="util_seats")
        st.caption(_("Idle: under {share} of the club's open hours booked. Least used first.").format(
            share=percent(IDLE_SEAT)))

    render_suggestions(cached(service.suggestions, ttl=TTL, engine=False, max_entries=64)(hourly, seats, names))

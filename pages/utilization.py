"""Utilization: when seats are used (weekday x hour), which seats sit idle, and what to do about it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.utilization import rules as util
from pages.common import card_columns, club_names, filters, page_guard, plot, run_query, style_figure

TTL = 900  # the grid reads weeks of bookings; a quarter of an hour is fresh enough
SHOW_PER_KIND = 4

KIND_TITLES = {
    "offpeak": ("Off-peak offers", ":material/sell:"),
    "capacity": ("Halls near capacity at peak", ":material/groups:"),
    "idle_seats": ("Seats that sit idle", ":material/chair:"),
}


@st.cache_data(ttl=TTL, show_spinner=False, max_entries=64)
def suggestions_for(start, end, club_ids: tuple[int, ...]) -> list[util.Suggestion]:
    """The suggestion rules on the chosen clubs and dates (cached: they group every hall's grid)."""
    hourly = run_query("utilization/hourly", ttl=TTL, start_day=start, end_day=end, club_ids=club_ids)
    seats = run_query("utilization/seat_use", ttl=TTL, start_day=start, end_day=end, club_ids=club_ids)
    return util.suggestions(hourly[hourly.club_id.isin(club_ids)], seats[seats.club_id.isin(club_ids)],
                            club_names())


def heatmap(table: pd.DataFrame) -> go.Figure:
    z = (100 * table).round(0)
    text = z.map(lambda v: "" if pd.isna(v) else f"{v:.0f}")
    fig = go.Figure(go.Heatmap(
        z=z.to_numpy(), x=list(util.DAYS), y=[util.hour_label(h) for h in table.index],
        text=text.to_numpy(), texttemplate="%{text}", textfont={"size": 11, "color": "#1F1B2D"},
        colorscale=[[0, "#F6F4FE"], [0.5, "#BFB0F9"], [1, "#7E61F2"]], zmin=0, zmax=100, xgap=1, ygap=1,
        showscale=False,
        hovertemplate="%{x} %{y}: %{z:.0f}% booked<extra></extra>", hoverongaps=False))
    fig.update_yaxes(autorange="reversed", dtick=2, title=None)
    fig.update_xaxes(side="top", title=None)
    style_figure(fig, height=620, legend=False)
    fig.update_layout(hovermode="closest")
    return fig


def hall_bars(seats: pd.DataFrame) -> go.Figure:
    halls = seats.groupby(["hall_id", "hall_name"], as_index=False).agg(
        booked=("booked_hours", "sum"), open_hours=("open_hours", "max"), seats=("seat_id", "count"))
    halls["use"] = 100 * halls.booked / (halls.open_hours * halls.seats).replace(0, np.nan)
    halls = halls.sort_values("use")
    fig = go.Figure(go.Bar(
        x=halls.use, y=halls.hall_name, orientation="h", marker_color="#6C4CF1",
        text=[f"{u:.0f}%" for u in halls.use.fillna(0)], textposition="auto",
        hovertemplate="%{y}: %{x:.0f}% of open seat-hours booked<extra></extra>"))
    fig.update_xaxes(range=[0, 100], ticksuffix="%", title=None)
    fig.update_yaxes(title=None)
    style_figure(fig, height=90 + 36 * len(halls), legend=False)
    fig.update_layout(hovermode="closest")
    return fig


def render_suggestions(found: list[util.Suggestion]) -> None:
    st.subheader("Suggestions", anchor=False)
    if not found:
        st.info("No suggestions for these clubs and dates: no empty stretches, crowded halls or idle seats.")
        return
    for kind, (title, icon) in KIND_TITLES.items():
        items = [s for s in found if s.kind == kind]
        if not items:
            continue
        st.markdown(f"**{title}** ({len(items)})")
        for item in items[:SHOW_PER_KIND]:
            st.info(f"**{item.title}.** {item.detail}", icon=icon)
        if len(items) > SHOW_PER_KIND:
            with st.expander(f"{len(items) - SHOW_PER_KIND} more"):
                for item in items[SHOW_PER_KIND:]:
                    st.markdown(f"- **{item.title}.** {item.detail}")


st.title("Utilization", anchor=False)
with page_guard("utilization"):
    f = filters()
    names = club_names()
    hourly = run_query("utilization/hourly", ttl=TTL, start_day=f.start, end_day=f.end, club_ids=f.club_ids)
    hourly = hourly[hourly.club_id.isin(f.club_ids)]
    if hourly.empty:
        st.info("No opening hours in these dates for the chosen clubs.")
        st.stop()

    left, right = st.columns(2)
    club_options = [c for c in f.club_ids if c in set(hourly.club_id)]
    club_id = left.selectbox("Club", club_options, format_func=lambda c: names.get(c, str(c)), key="util_club")
    club_halls = hourly[hourly.club_id == club_id].drop_duplicates("hall_id")
    hall_options = [None] + list(club_halls.hall_id)
    hall_names = dict(zip(club_halls.hall_id, club_halls.hall_name))
    hall_id = right.selectbox("Hall", hall_options, format_func=lambda h: "All halls" if h is None else hall_names[h],
                              key="util_hall")

    table = util.grid(hourly, [club_id], None if hall_id is None else [hall_id])
    busiest, emptiest = util.peak_and_idle(table, n=3)
    scope = hourly[(hourly.club_id == club_id) & ((hourly.hall_id == hall_id) if hall_id is not None else True)]
    capacity = float((scope.seats * scope.occurrences).sum())
    average = float(scope.booked_seat_hours.sum() / capacity) if capacity else float("nan")

    a, b, c = card_columns(3, "utilization")
    a.metric("Average use", f"{100 * average:.0f}%", help="Booked seat-hours over open seat-hours in these dates.")
    if busiest:
        b.metric("Busiest hour", util.slot_label(busiest[0]), f"{100 * busiest[0].utilization:.0f}% booked",
                 delta_color="off", delta_arrow="off")
    if emptiest:
        c.metric("Emptiest hour", util.slot_label(emptiest[0]), f"{100 * emptiest[0].utilization:.0f}% booked",
                 delta_color="off", delta_arrow="off")

    st.subheader("When seats are booked", anchor=False)
    st.caption(f"Share of seats booked by club-local weekday and hour, {f.start:%d.%m.%Y}–{f.end:%d.%m.%Y}. "
               "Blank cells: the club is closed.")
    plot(heatmap(table), key="util_heatmap")
    if busiest and emptiest:
        st.markdown("**Peak hours:** " + ", ".join(f"{util.slot_label(s)} ({100 * s.utilization:.0f}%)"
                                                   for s in busiest)
                    + "  \n**Idle hours:** " + ", ".join(f"{util.slot_label(s)} ({100 * s.utilization:.0f}%)"
                                                         for s in emptiest))

    st.subheader("Seats", anchor=False)
    seats = run_query("utilization/seat_use", ttl=TTL, start_day=f.start, end_day=f.end,  # after the grid is drawn
                      club_ids=f.club_ids)
    seats = seats[seats.club_id.isin(f.club_ids)]
    club_seats = seats[seats.club_id == club_id]
    if hall_id is not None:
        club_seats = club_seats[club_seats.hall_id == hall_id]
    if not club_seats.empty:
        plot(hall_bars(seats[seats.club_id == club_id]), key="util_halls")
        shown = club_seats.assign(
            use=100 * club_seats.utilization.fillna(0),
            idle=club_seats.utilization.fillna(0) < util.IDLE_SEAT,
        ).sort_values("use")
        st.dataframe(
            shown[["seat_label", "hall_name", "use", "booked_hours", "bookings", "idle"]],
            hide_index=True, height=320,
            column_config={
                "seat_label": st.column_config.TextColumn("Seat"),
                "hall_name": st.column_config.TextColumn("Hall"),
                "use": st.column_config.ProgressColumn("Use", format="%.0f%%", min_value=0, max_value=100),
                "booked_hours": st.column_config.NumberColumn("Booked h", format="%.0f"),
                "bookings": st.column_config.NumberColumn("Bookings"),
                "idle": st.column_config.CheckboxColumn("Idle"),
            },
            key="util_seats")
        st.caption(f"Idle: under {100 * util.IDLE_SEAT:.0f}% of the club's open hours booked. Least used first.")

    render_suggestions(suggestions_for(f.start, f.end, f.club_ids))

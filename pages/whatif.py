"""What-if: change prices, run a retention campaign, add seats or change opening hours, and see what
revenue and utilization would do, with a range; save scenarios and compare them side by side.

Thin: the widgets build a `core.whatif.Scenario`, `core.whatif` does the arithmetic and keeps the saved
scenarios, this page draws them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core import whatif
from core.i18n import N_, _, current_locale, ngettext, use_locale
from core.i18n import format as fmt
from core.platform.thresholds import HIGH_RISK
from pages.ui.cache import cached
from pages.ui.charts import money_axis, percent_hover, plot, style_figure
from pages.ui.guard import page_guard
from pages.ui.layout import delta_style
from pages.ui.session import current_account, engine
from pages.ui.sidebar import filters
from pages.ui.text import md

WEEKS = (8, 12)
N_DRAWS = 500
HALL_LABEL = {"standard": N_("Standard"), "vip": N_("VIP"), "bootcamp": N_("Bootcamp"), "console": N_("Console"),
              "streaming": N_("Streaming")}
BAND_LABEL = {"morning": N_("Morning 08–12"), "day": N_("Day 12–17"), "evening": N_("Evening 17–23"),
              "night": N_("Night 23–08")}
EVERY = 0  # "every club" in the club pickers
COMPARE_KEY = "compare_ids"
BASE_COLOR, SCEN_COLOR = "#9AA0A6", "#6C4CF1"


def baseline_for(viewer, club_ids: tuple[int, ...], weeks: int) -> whatif.Baseline:
    """The baseline, cached per viewer and language (`cached` keys by both; its notes are words)."""
    return cached(whatif.load_baseline, ttl=600, max_entries=32, spinner=_("Reading the last weeks of history…"))(
        viewer=viewer, club_ids=club_ids, weeks=weeks)


def measured_save_rate(viewer, club_ids: tuple[int, ...]) -> dict | None:
    """The save rate closed campaigns measured at the viewer's clubs among these (None: none has)."""
    return cached(whatif.measured_save_rate, ttl=300, max_entries=32)(viewer=viewer, club_ids=club_ids)


@st.cache_data(ttl=600, show_spinner=_("Running the scenario…"), max_entries=64)
def result_for(_baseline: whatif.Baseline, club_ids: tuple[int, ...], weeks: int,
               scenario: whatif.Scenario, language: str) -> whatif.ScenarioResult:
    with use_locale(language):
        return whatif.run_scenario(_baseline, scenario, n_draws=N_DRAWS, random_state=0)


def hall(h: str) -> str:
    return _(HALL_LABEL[h]) if h in HALL_LABEL else h


def band(b: str) -> str:
    return _(BAND_LABEL[b]) if b in BAND_LABEL else b


def pct(x: float | None) -> str:
    """A change in percent for a metric's delta ('+1.2%'; st.metric reads a leading '-' as down)."""
    return fmt.signed_percent(None if x is None else x / 100, 1)


# ---------------------------------------------------------------- levers


def price_controls(prefix: str, hall_types: list[str], default_pct: int = 0) -> list[tuple[str, str, float]]:
    chosen = st.selectbox(_("Halls"), ["*", *hall_types], key=f"{prefix}_hall",
                          format_func=lambda h: _("All halls") if h == "*" else hall(h))
    bands = st.multiselect(_("Time bands"), list(BAND_LABEL), default=["evening"], key=f"{prefix}_bands",
                           format_func=band, placeholder=_("All bands"))
    change = st.slider(_("Price change, %"), min_value=-50, max_value=100, value=default_pct, step=5,
                       key=f"{prefix}_pct")
    return [(chosen, b, change) for b in (bands or ["*"])]


def levers(baseline: whatif.Baseline, viewer) -> tuple[list, dict[str, Any]]:
    """The lever widgets, in one form; returns raw choices (validated by Scenario)."""
    names = baseline.club_names
    hall_types = baseline.hall_types
    e = baseline.elasticity
    raw: dict[str, Any] = {}
    with st.form("whatif_levers", border=True):
        with st.expander(_("Prices"), expanded=True, icon=":material/sell:"):
            prices = price_controls("p1", hall_types)
            if st.checkbox(_("Another price change"), key="p2_on"):
                prices += price_controls("p2", hall_types)
            modes = {"estimated": _("From the data"), "manual": _("Set by hand")}
            mode = st.radio(_("Price elasticity"), list(modes), horizontal=True, key="el_mode", format_func=modes.get)
            st.caption(_("From the data: {estimate}. Elasticity −0.6 means a 10% higher price sells about 6% fewer "
                         "seat-hours.").format(estimate=e.label()))
            manual = st.slider(_("Elasticity when set by hand"), min_value=-2.5, max_value=-0.1, step=0.05,
                               value=float(round(e.value / 0.05) * 0.05), key="el_value",
                               help=_("Used when 'Set by hand' is chosen."))
        raw["elasticity"] = manual if mode == "manual" else None

        with st.expander(_("Retention campaign"), icon=":material/campaign:"):
            raw["campaign_on"] = st.checkbox(_("Run a campaign"), key="camp_on")
            raw["risk"] = st.slider(_("Contact customers with churn risk above"), 0, 100, int(HIGH_RISK), step=5,
                                    key="camp_risk")
            raw["discount"] = st.slider(_("Discount for those who stay, %"), 0, 50, 10, key="camp_discount")
            measured = measured_save_rate(viewer, tuple(baseline.club_ids))
            start = 20 if measured is None else int(round(measured["rate"] * 100))
            raw["save_rate"] = st.slider(_("Expected to stay, %"), 0, 100, start, key="camp_save",
                                         help=_("The share of contacted customers the campaign keeps."))
            if measured is not None:
                st.caption(_("Starts from the save rate {n} closed campaigns measured against their control groups: "
                             "{rate}.").format(n=fmt.number(measured["campaigns"]),
                                               rate=fmt.percent(measured["rate"], 1)))
            raw["cost"] = st.number_input(_("Cost per contact, ₸"), min_value=0, max_value=100_000, value=300,
                                          step=50, key="camp_cost")
            source = (_("the active churn model") if baseline.risk_source == "model"
                      else _("a recency proxy (no churn model is active)"))
            st.caption(_("Churn risk comes from {source}. Revenue kept: their spend of the last 90 days × the share "
                         "who stay × (1 − discount).").format(source=source))

        with st.expander(_("Seats and opening hours"), icon=":material/event_seat:"):
            club_options = [EVERY, *names]

            def club(c: int) -> str:
                return _("Every club") if c == EVERY else names[c]

            raw["seat_club"] = st.selectbox(_("Seats at"), club_options, key="seat_club", format_func=club)
            raw["seat_hall"] = st.selectbox(_("Hall"), hall_types, key="seat_hall", format_func=hall)
            raw["seat_delta"] = st.number_input(_("Seats to add (negative removes)"), min_value=-200, max_value=200,
                                                value=0, step=1, key="seat_delta")
            hours_modes = {"keep": _("Keep"), "24h": _("Open 24 hours"), "custom": _("Custom")}
            raw["hours_mode"] = st.radio(_("Opening hours"), list(hours_modes), key="hours_mode",
                                         format_func=hours_modes.get, horizontal=True)
            hours = list(range(24))
            raw["opens"] = st.selectbox(_("Opens at"), hours, index=10, key="hours_open",
                                        format_func=lambda h: f"{h:02d}:00")
            raw["closes"] = st.selectbox(_("Closes at"), hours, index=2, key="hours_close",
                                         format_func=lambda h: f"{h:02d}:00")
            raw["hours_club"] = st.selectbox(_("Hours at"), club_options, key="hours_club", format_func=club)
            raw["shift"] = st.slider(_("Share of demand that moves to other hours, %"), 0, 100, 30, step=5,
                                     key="hours_shift")
        st.form_submit_button(_("Run scenario"), type="primary", icon=":material/play_arrow:", key="whatif_run")
    return prices, raw


def build_scenario(prices: list, raw: dict[str, Any]) -> whatif.Scenario:
    campaign = None
    if raw["campaign_on"]:
        campaign = whatif.RetentionCampaign(risk_threshold=raw["risk"], discount_pct=raw["discount"],
                                            save_rate=raw["save_rate"] / 100, cost_per_contact=raw["cost"])
    seats = {}
    if raw["seat_delta"]:
        club = None if raw["seat_club"] == EVERY else raw["seat_club"]
        seats = {(club, raw["seat_hall"]): int(raw["seat_delta"])}
    hours = None
    if raw["hours_mode"] != "keep":
        opens, closes = (0, 0) if raw["hours_mode"] == "24h" else (raw["opens"], raw["closes"])
        clubs = () if raw["hours_club"] == EVERY else (raw["hours_club"],)
        hours = whatif.OpeningHours(opens, closes, club_ids=clubs, shift_share=raw["shift"] / 100)
    merged: dict[tuple[str, str], float] = {}
    for hall_type, time_band, change in prices:     # a later row for the same cell wins
        merged[(hall_type, time_band)] = change
    return whatif.Scenario(price_pct=merged, elasticity=raw["elasticity"], campaign=campaign,
                           seat_changes=seats, hours=hours)


# ---------------------------------------------------------------- charts


def bars(clubs: pd.DataFrame, *, base: str, scen: str, lo: str, hi: str,
         base_lo: str | None = None, base_hi: str | None = None, percent: bool = False) -> go.Figure:
    """Baseline vs scenario as horizontal bars (they fit a phone), with 10th–90th percentile whiskers."""
    rows = clubs                      # the total is in the metrics above; on one axis it would dwarf the clubs
    labels = rows["club_name"].tolist()
    scale = 100 if percent else 1
    fig = go.Figure()
    base_err = None
    if base_lo and base_hi:
        base_err = {"type": "data", "symmetric": False, "array": (rows[base_hi] - rows[base]) * scale,
                    "arrayminus": (rows[base] - rows[base_lo]) * scale, "color": "#5F6368"}
    fig.add_trace(go.Bar(y=labels, x=rows[base] * scale, name=_("Baseline"), orientation="h",
                         marker_color=BASE_COLOR, error_x=base_err))
    fig.add_trace(go.Bar(y=labels, x=rows[scen] * scale, name=_("Scenario"), orientation="h",
                         marker_color=SCEN_COLOR,
                         error_x={"type": "data", "symmetric": False, "array": (rows[hi] - rows[scen]) * scale,
                                  "arrayminus": (rows[scen] - rows[lo]) * scale, "color": "#2A1B7A"}))
    fig.update_layout(barmode="group", hovermode="y unified")
    fig.update_yaxes(autorange="reversed")
    if percent:
        fig.update_xaxes(ticksuffix="%", rangemode="tozero")
    else:
        fig.update_xaxes(rangemode="tozero")
        money_axis(fig.update_xaxes)
    return style_figure(fig, height=140 + 46 * len(rows))


def compare_chart(table: pd.DataFrame) -> go.Figure:
    """Each saved scenario's change against its own baseline: revenue in %, utilization in pp, with ranges."""
    def whiskers(col: str) -> dict[str, Any]:
        return {"type": "data", "symmetric": False, "array": (table[f"{col}_hi"] - table[col]).fillna(0),
                "arrayminus": (table[col] - table[f"{col}_lo"]).fillna(0), "color": "#2A1B7A"}

    fig = go.Figure()
    fig.add_trace(go.Bar(x=table["name"], y=table["revenue_change_pct"], name=_("Revenue, %"),
                         marker_color=SCEN_COLOR, error_y=whiskers("revenue_change_pct"),
                         hovertemplate=percent_hover("%{y:+.1f}") + "<extra>" + _("revenue") + "</extra>"))
    fig.add_trace(go.Bar(x=table["name"], y=table["utilization_change_pp"], name=_("Utilization, pp"),
                         marker_color="#F29D38", error_y=whiskers("utilization_change_pp"),
                         hovertemplate=_("{value} pp").format(value="%{y:+.1f}") + "<extra>" + _("utilization")
                         + "</extra>"))
    fig.update_layout(barmode="group")
    fig.update_yaxes(zeroline=True, zerolinewidth=1.5, zerolinecolor="#5F6368", title_text=_("change"))
    return style_figure(fig, height=340)


# ---------------------------------------------------------------- sections


def show_result(result: whatif.ScenarioResult) -> None:
    t = result.total
    st.info(md(result.summary), icon=":material/lightbulb:")
    a, b = st.columns(2)
    revenue_delta, util_delta = pct(t["revenue_change_pct"]), whatif.pp(t["utilization_change_pp"])
    a.metric(_("Revenue per 30 days"), fmt.money(t["revenue"], compact=True), revenue_delta,
             **delta_style(revenue_delta),
             help=_("Baseline {base}; range {lo} – {hi} (10th–90th percentile).").format(
                 base=fmt.money(t["revenue_base"], compact=True), lo=fmt.money(t["revenue_lo"], compact=True),
                 hi=fmt.money(t["revenue_hi"], compact=True)))
    b.metric(_("Utilization"), fmt.percent(t["utilization"], 1), util_delta, **delta_style(util_delta),
             help=_("Baseline {base}: booked seat-hours over open seat-hours.").format(
                 base=fmt.percent(t["utilization_base"], 1)))
    if result.campaign:
        c = result.campaign
        a, b = st.columns(2)
        a.metric(_("Campaign: net over {days} days").format(days=c["horizon_days"]),
                 fmt.money(c["net"], compact=True),
                 help=_("Kept {kept} − contacts {cost}; range {lo} – {hi}.").format(
                     kept=fmt.money(c["retained_revenue"], compact=True), cost=fmt.money(c["cost"], compact=True),
                     lo=fmt.money(c["net_lo"], compact=True), hi=fmt.money(c["net_hi"], compact=True)))
        b.metric(_("Campaign ROI"), fmt.percent(c["roi"]),
                 help=_("{contacted} contacted, about {kept} kept ({lo}–{hi}).").format(
                     contacted=fmt.number(c["targeted"]), kept=fmt.number(c["saved"]), lo=fmt.number(c["saved_lo"]),
                     hi=fmt.number(c["saved_hi"])))

    st.subheader(_("Revenue per 30 days"), anchor=False)
    plot(bars(result.clubs, base="revenue_base", scen="revenue", lo="revenue_lo", hi="revenue_hi",
              base_lo="revenue_base_lo", base_hi="revenue_base_hi"), key="whatif_revenue_chart")
    st.subheader(_("Utilization"), anchor=False)
    plot(bars(result.clubs, base="utilization_base", scen="utilization", lo="utilization_lo",
              hi="utilization_hi", percent=True), key="whatif_util_chart")
    st.caption(_("Per club; the totals are in the figures above. Whiskers: the 10th–90th percentile range from the "
                 "elasticity's uncertainty, the share of customers a campaign keeps and ordinary week-to-week "
                 "variation."))

    rows = pd.concat([result.clubs, pd.DataFrame([t])], ignore_index=True)
    st.dataframe(
        rows.assign(revenue_change_pct=rows["revenue_change_pct"].map(pct))[
            ["club_name", "revenue_change_pct", "revenue", "revenue_base", "utilization", "utilization_base",
             "turned_away_seat_hours_base"]],
        hide_index=True, key="whatif_clubs_table",
        column_config={
            "club_name": st.column_config.TextColumn(_("Club")),
            "revenue_base": st.column_config.NumberColumn(_("Baseline ₸/30 d"), format="compact"),
            "revenue": st.column_config.NumberColumn(_("Scenario ₸/30 d"), format="compact"),
            "revenue_change_pct": st.column_config.TextColumn(_("Change")),
            "utilization_base": st.column_config.NumberColumn(_("Util. before"), format="percent"),
            "utilization": st.column_config.NumberColumn(_("Util. after"), format="percent"),
            "turned_away_seat_hours_base": st.column_config.NumberColumn(
                _("Turned away, seat-h/30 d"), format="%.0f",
                help=_("Demand estimated to have found the hall full (hours at 95% or more).")),
        })
    with st.expander(_("By hall type and time band")):
        bands = result.by_hall_type_and_band()
        bands["hall_type"], bands["band"] = bands["hall_type"].map(hall), bands["band"].map(band)
        st.dataframe(bands[["hall_type", "band", "revenue_base", "revenue", "utilization_base", "utilization"]],
                     hide_index=True, key="whatif_band_table",
                     column_config={
                         "hall_type": _("Hall"), "band": _("Band"),
                         "revenue_base": st.column_config.NumberColumn(_("Baseline ₸"), format="compact"),
                         "revenue": st.column_config.NumberColumn(_("Scenario ₸"), format="compact"),
                         "utilization_base": st.column_config.NumberColumn(_("Util. before"), format="percent"),
                         "utilization": st.column_config.NumberColumn(_("Util. after"), format="percent"),
                     })
    for note in result.notes:
        st.caption(md(fmt.sentence(note)))


def save_section(result: whatif.ScenarioResult, author) -> None:
    st.subheader(_("Save this scenario"), anchor=False)
    with st.form("whatif_save", clear_on_submit=False, border=False):
        name = st.text_input(_("Name"), max_chars=120, key="save_name", placeholder=_("e.g. VIP evenings +10%"))
        overwrite = st.checkbox(_("Replace my scenario with the same name"), key="save_overwrite")
        submitted = st.form_submit_button(_("Save"), icon=":material/save:", key="whatif_save_button")
    if submitted:
        try:
            sid = whatif.save_scenario(engine(), name=name, author=author, scenario=result.scenario, result=result,
                                       overwrite=overwrite)
        except whatif.ScenarioError as exc:
            st.warning(md(fmt.sentence(str(exc))), icon=":material/warning:")
        else:
            st.success(_("Saved “{name}”.").format(name=md(" ".join(name.split()))), icon=":material/check:")
            # show the new scenario next to the ones already being compared
            st.session_state[COMPARE_KEY] = [sid, *[i for i in st.session_state.get(COMPARE_KEY, []) if i != sid]]
            st.session_state["_whatif_just_saved"] = True


def compare_section(author) -> None:
    st.subheader(_("Compare saved scenarios"), anchor=False)
    saved = whatif.list_scenarios(engine(), viewer=author)
    if saved.empty:
        st.caption(_("Nothing saved yet: run a scenario and save it above."))
        return
    labels = {int(r.id): _("{name} — {author}, {when}").format(
                  name=r.name, author=r.author,
                  when=f"{fmt.date_text(r.created_at, 'dd.MM')} {fmt.time_text(r.created_at)}")
              for r in saved.itertuples()}
    chosen = [i for i in st.session_state.get(COMPARE_KEY, list(labels)[:2]) if i in labels]
    if st.session_state.pop("_whatif_just_saved", False) and len(chosen) < 2:
        chosen += [i for i in labels if i not in chosen][:2 - len(chosen)]
    st.session_state[COMPARE_KEY] = chosen
    picked = st.multiselect(_("Scenarios"), list(labels), format_func=labels.get, key=COMPARE_KEY)
    if len(picked) < 2:
        st.caption(_("Pick two or more to compare them side by side."))
        return
    table = whatif.compare_scenarios(engine(), picked, viewer=author)
    st.dataframe(
        table.assign(revenue_change_pct=table["revenue_change_pct"].map(pct),
                     utilization_change_pp=table["utilization_change_pp"].map(whatif.pp))[
            ["name", "revenue_change_pct", "utilization_change_pp", "revenue", "revenue_base", "utilization",
             "utilization_base", "net_change_30d", "levers", "author", "clubs"]],
        hide_index=True, key="compare_table",
        column_config={
            "name": _("Scenario"), "author": _("By"),
            "revenue_base": st.column_config.NumberColumn(_("Baseline ₸/30 d"), format="compact"),
            "revenue": st.column_config.NumberColumn(_("Scenario ₸/30 d"), format="compact"),
            "revenue_change_pct": st.column_config.TextColumn(_("Revenue")),
            "utilization_change_pp": st.column_config.TextColumn(_("Util.")),
            "utilization_base": st.column_config.NumberColumn(_("Util. before"), format="percent"),
            "utilization": st.column_config.NumberColumn(_("Util. after"), format="percent"),
            "net_change_30d": st.column_config.NumberColumn(_("Net ₸/30 d"), format="compact",
                                                            help=_("Revenue change less campaign costs.")),
            "levers": _("Levers"), "clubs": _("Club ids"),
        })
    plot(compare_chart(table), key="compare_chart")

    mine = {int(i): labels[int(i)] for i in table.loc[table["author"] == author.username, "id"]}
    if mine:
        with st.expander(_("Delete one of mine")):
            gone = st.selectbox(_("Scenario"), list(mine), format_func=mine.get, key="delete_id")
            if st.button(_("Delete"), key="delete_button", icon=":material/delete:"):
                try:
                    whatif.delete_scenario(engine(), id=gone, author=author)
                except (whatif.ScenarioNotFound, whatif.NotYourScenario) as exc:
                    st.warning(md(fmt.sentence(str(exc))))
                else:
                    st.rerun()


# ---------------------------------------------------------------- page

st.title(_("What-if"), anchor=False)
with page_guard("whatif"):
    account = current_account()
    if account is None:
        st.warning(_("Sign in to try scenarios."), icon=":material/lock:")
        st.stop()
    f = filters()
    weeks = st.slider(_("History to start from, weeks"), min_value=WEEKS[0], max_value=WEEKS[1], value=WEEKS[1],
                      key="whatif_weeks", help=_("The full weeks before today, for the clubs chosen in the sidebar."))
    try:
        baseline = baseline_for(account, tuple(f.club_ids), int(weeks))
    except whatif.ScenarioError as exc:
        st.info(md(fmt.sentence(str(exc))), icon=":material/info:")
        st.stop()
    last_day = baseline.end_day - timedelta(days=1)
    n_clubs = len(baseline.club_ids)
    st.caption(ngettext("Baseline: {first} – {last}, {n} club; amounts per 30 days. Scenarios start from the latest "
                        "full weeks, so the sidebar's dates do not apply here.",
                        "Baseline: {first} – {last}, {n} clubs; amounts per 30 days. Scenarios start from the latest "
                        "full weeks, so the sidebar's dates do not apply here.", n_clubs).format(
        first=fmt.date_text(baseline.first_day), last=fmt.date_text(last_day), n=fmt.number(n_clubs)))
    prices, raw = levers(baseline, account)
    try:
        scenario = build_scenario(prices, raw)
        result = result_for(baseline, tuple(baseline.club_ids), int(weeks), scenario, current_locale())
    except whatif.ScenarioError as exc:
        st.error(md(fmt.sentence(str(exc))), icon=":material/error:")
        st.stop()
    show_result(result)
    save_section(result, account)
    compare_section(account)

"""What-if: change prices, run a retention campaign, add seats or change opening hours, and see what
revenue and utilization would do, with a range; save scenarios and compare them side by side.

Thin: the widgets build a `core.scenarios.Scenario`, `run_scenario` does the arithmetic, this page draws it.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.platform.thresholds import HIGH_RISK
from core.whatif import scenarios as sc
from pages.common import current_account, engine, filters, money, page_guard, plot, style_figure

WEEKS = (8, 12)
N_DRAWS = 500
HALL_LABEL = {"standard": "Standard", "vip": "VIP", "bootcamp": "Bootcamp", "console": "Console",
              "streaming": "Streaming"}
BAND_LABEL = {"morning": "Morning 08–12", "day": "Day 12–17", "evening": "Evening 17–23", "night": "Night 23–08"}
EVERY = 0  # "every club" in the club pickers
COMPARE_KEY = "compare_ids"
BASE_COLOR, SCEN_COLOR = "#9AA0A6", "#6C4CF1"


@st.cache_data(ttl=600, show_spinner="Reading the last weeks of history…", max_entries=32)
def baseline_for(club_ids: tuple[int, ...], weeks: int) -> sc.Baseline:
    return sc.load_baseline(engine(), club_ids=club_ids, weeks=weeks)


@st.cache_data(ttl=600, show_spinner="Running the scenario…", max_entries=64)
def result_for(_baseline: sc.Baseline, club_ids: tuple[int, ...], weeks: int, scenario: sc.Scenario) -> sc.ScenarioResult:
    return sc.run_scenario(_baseline, scenario, n_draws=N_DRAWS, random_state=0)


def pct(x: float | None, digits: int = 1) -> str:
    """A metric delta: ASCII minus, which st.metric reads as 'down'."""
    return sc.signed(x, "%", digits).replace("−", "-")


def pp(x: float | None) -> str:
    return sc.signed(x, " pp", 1).replace("−", "-")


def share(x: float | None) -> str:
    return "—" if x is None or not math.isfinite(x) else f"{100 * x:.1f}%"


# ---------------------------------------------------------------- levers


def price_controls(prefix: str, hall_types: list[str], default_pct: int = 0) -> list[tuple[str, str, float]]:
    hall = st.selectbox("Halls", ["*", *hall_types], key=f"{prefix}_hall",
                        format_func=lambda h: "All halls" if h == "*" else HALL_LABEL.get(h, h))
    bands = st.multiselect("Time bands", list(BAND_LABEL), default=["evening"], key=f"{prefix}_bands",
                           format_func=BAND_LABEL.get, placeholder="All bands")
    change = st.slider("Price change, %", min_value=-50, max_value=100, value=default_pct, step=5,
                       key=f"{prefix}_pct")
    return [(hall, band, change) for band in (bands or ["*"])]


def levers(baseline: sc.Baseline) -> tuple[list, dict[str, Any]]:
    """The lever widgets, in one form; returns raw choices (validated by Scenario)."""
    names = baseline.club_names
    hall_types = [h for h in sc.HALL_TYPES if h in set(baseline.cells["hall_type"])]
    e = baseline.elasticity
    raw: dict[str, Any] = {}
    with st.form("whatif_levers", border=True):
        with st.expander("Prices", expanded=True, icon=":material/sell:"):
            prices = price_controls("p1", hall_types)
            if st.checkbox("Another price change", key="p2_on"):
                prices += price_controls("p2", hall_types)
            mode = st.radio("Price elasticity", ["estimated", "manual"], horizontal=True, key="el_mode",
                            format_func={"estimated": "From the data", "manual": "Set by hand"}.get)
            st.caption(f"From the data: {e.label()}. "
                       "Elasticity −0.6 means a 10% higher price sells about 6% fewer seat-hours.")
            manual = st.slider("Elasticity when set by hand", min_value=-2.5, max_value=-0.1, step=0.05,
                               value=float(round(e.value / 0.05) * 0.05), key="el_value",
                               help="Used when 'Set by hand' is chosen.")
        raw["elasticity"] = manual if mode == "manual" else None

        with st.expander("Retention campaign", icon=":material/campaign:"):
            raw["campaign_on"] = st.checkbox("Run a campaign", key="camp_on")
            raw["risk"] = st.slider("Contact customers with churn risk above", 0, 100, int(HIGH_RISK), step=5, key="camp_risk")
            raw["discount"] = st.slider("Discount for those who stay, %", 0, 50, 10, key="camp_discount")
            raw["save_rate"] = st.slider("Expected to stay, %", 0, 100, 20, key="camp_save")
            raw["cost"] = st.number_input("Cost per contact, ₸", min_value=0, max_value=100_000, value=300,
                                          step=50, key="camp_cost")
            source = ("the active churn model" if baseline.risk_source == "model"
                      else "a recency proxy (no churn model is active)")
            st.caption(f"Churn risk comes from {source}. Revenue kept: their spend of the last 90 days × "
                       "the share who stay × (1 − discount).")

        with st.expander("Seats and opening hours", icon=":material/event_seat:"):
            club_options = [EVERY, *names]
            raw["seat_club"] = st.selectbox("Seats at", club_options, key="seat_club",
                                            format_func=lambda c: "Every club" if c == EVERY else names[c])
            raw["seat_hall"] = st.selectbox("Hall", hall_types, key="seat_hall",
                                            format_func=lambda h: HALL_LABEL.get(h, h))
            raw["seat_delta"] = st.number_input("Seats to add (negative removes)", min_value=-200, max_value=200,
                                                value=0, step=1, key="seat_delta")
            raw["hours_mode"] = st.radio("Opening hours", ["keep", "24h", "custom"], key="hours_mode",
                                         format_func={"keep": "Keep", "24h": "Open 24 hours",
                                                      "custom": "Custom"}.get, horizontal=True)
            hours = list(range(24))
            raw["opens"] = st.selectbox("Opens at", hours, index=10, key="hours_open", format_func=lambda h: f"{h:02d}:00")
            raw["closes"] = st.selectbox("Closes at", hours, index=2, key="hours_close",
                                         format_func=lambda h: f"{h:02d}:00")
            raw["hours_club"] = st.selectbox("Hours at", club_options, key="hours_club",
                                             format_func=lambda c: "Every club" if c == EVERY else names[c])
            raw["shift"] = st.slider("Share of demand that moves to other hours, %", 0, 100, 30, step=5,
                                     key="hours_shift")
        st.form_submit_button("Run scenario", type="primary", icon=":material/play_arrow:", key="whatif_run")
    return prices, raw


def build_scenario(prices: list, raw: dict[str, Any]) -> sc.Scenario:
    campaign = None
    if raw["campaign_on"]:
        campaign = sc.RetentionCampaign(risk_threshold=raw["risk"], discount_pct=raw["discount"],
                                        save_rate=raw["save_rate"] / 100, cost_per_contact=raw["cost"])
    seats = {}
    if raw["seat_delta"]:
        club = None if raw["seat_club"] == EVERY else raw["seat_club"]
        seats = {(club, raw["seat_hall"]): int(raw["seat_delta"])}
    hours = None
    if raw["hours_mode"] != "keep":
        opens, closes = (0, 0) if raw["hours_mode"] == "24h" else (raw["opens"], raw["closes"])
        clubs = () if raw["hours_club"] == EVERY else (raw["hours_club"],)
        hours = sc.OpeningHours(opens, closes, club_ids=clubs, shift_share=raw["shift"] / 100)
    merged: dict[tuple[str, str], float] = {}
    for hall, band, change in prices:     # a later row for the same cell wins
        merged[(hall, band)] = change
    return sc.Scenario(price_pct=merged, elasticity=raw["elasticity"], campaign=campaign,
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
    fig.add_trace(go.Bar(y=labels, x=rows[base] * scale, name="Baseline", orientation="h",
                         marker_color=BASE_COLOR, error_x=base_err))
    fig.add_trace(go.Bar(y=labels, x=rows[scen] * scale, name="Scenario", orientation="h", marker_color=SCEN_COLOR,
                         error_x={"type": "data", "symmetric": False, "array": (rows[hi] - rows[scen]) * scale,
                                  "arrayminus": (rows[scen] - rows[lo]) * scale, "color": "#2A1B7A"}))
    fig.update_layout(barmode="group", hovermode="y unified")
    fig.update_yaxes(autorange="reversed")
    if percent:
        fig.update_xaxes(ticksuffix="%", rangemode="tozero")
    else:
        fig.update_xaxes(tickformat="~s", ticksuffix=" ₸", rangemode="tozero")
    return style_figure(fig, height=140 + 46 * len(rows))


def compare_chart(table: pd.DataFrame) -> go.Figure:
    """Each saved scenario's change against its own baseline: revenue in %, utilization in pp, with ranges."""
    def whiskers(col: str) -> dict[str, Any]:
        return {"type": "data", "symmetric": False, "array": (table[f"{col}_hi"] - table[col]).fillna(0),
                "arrayminus": (table[col] - table[f"{col}_lo"]).fillna(0), "color": "#2A1B7A"}

    fig = go.Figure()
    fig.add_trace(go.Bar(x=table["name"], y=table["revenue_change_pct"], name="Revenue, %",
                         marker_color=SCEN_COLOR, error_y=whiskers("revenue_change_pct"),
                         hovertemplate="%{y:+.1f}%<extra>revenue</extra>"))
    fig.add_trace(go.Bar(x=table["name"], y=table["utilization_change_pp"], name="Utilization, pp",
                         marker_color="#F29D38", error_y=whiskers("utilization_change_pp"),
                         hovertemplate="%{y:+.1f} pp<extra>utilization</extra>"))
    fig.update_layout(barmode="group")
    fig.update_yaxes(zeroline=True, zerolinewidth=1.5, zerolinecolor="#5F6368", title_text="change")
    return style_figure(fig, height=340)


# ---------------------------------------------------------------- sections


def show_result(result: sc.ScenarioResult) -> None:
    t = result.total
    st.info(result.summary, icon=":material/lightbulb:")
    a, b = st.columns(2)
    a.metric("Revenue per 30 days", money(t["revenue"], compact=True), pct(t["revenue_change_pct"]),
             help=f"Baseline {money(t['revenue_base'], compact=True)}; range {money(t['revenue_lo'], compact=True)}"
                  f" – {money(t['revenue_hi'], compact=True)} (10th–90th percentile).")
    b.metric("Utilization", share(t["utilization"]), pp(t["utilization_change_pp"]),
             help=f"Baseline {share(t['utilization_base'])}: booked seat-hours over open seat-hours.")
    if result.campaign:
        c = result.campaign
        a, b = st.columns(2)
        a.metric(f"Campaign: net over {c['horizon_days']} days", money(c["net"], compact=True),
                 help=f"Kept {money(c['retained_revenue'], compact=True)} − contacts {money(c['cost'], compact=True)}; "
                      f"range {money(c['net_lo'], compact=True)} – {money(c['net_hi'], compact=True)}.")
        b.metric("Campaign ROI", "—" if c["roi"] is None else f"{c['roi']:.0%}",
                 help=f"{c['targeted']:,} contacted, about {c['saved']:.0f} kept "
                      f"({c['saved_lo']:.0f}–{c['saved_hi']:.0f}).")

    st.subheader("Revenue per 30 days", anchor=False)
    plot(bars(result.clubs, base="revenue_base", scen="revenue", lo="revenue_lo", hi="revenue_hi",
              base_lo="revenue_base_lo", base_hi="revenue_base_hi"), key="whatif_revenue_chart")
    st.subheader("Utilization", anchor=False)
    plot(bars(result.clubs, base="utilization_base", scen="utilization", lo="utilization_lo",
              hi="utilization_hi", percent=True), key="whatif_util_chart")
    st.caption("Per club; the totals are in the figures above. Whiskers: the 10th–90th percentile range from "
               "the elasticity's uncertainty, the share of customers a campaign keeps and ordinary week-to-week "
               "variation.")

    rows = pd.concat([result.clubs, pd.DataFrame([t])], ignore_index=True)
    st.dataframe(
        rows[["club_name", "revenue_change_pct", "revenue", "revenue_base", "utilization", "utilization_base",
              "turned_away_seat_hours_base"]],
        hide_index=True, key="whatif_clubs_table",
        column_config={
            "club_name": st.column_config.TextColumn("Club"),
            "revenue_base": st.column_config.NumberColumn("Baseline ₸/30 d", format="compact"),
            "revenue": st.column_config.NumberColumn("Scenario ₸/30 d", format="compact"),
            "revenue_change_pct": st.column_config.NumberColumn("Change", format="%+.1f%%"),
            "utilization_base": st.column_config.NumberColumn("Util. before", format="percent"),
            "utilization": st.column_config.NumberColumn("Util. after", format="percent"),
            "turned_away_seat_hours_base": st.column_config.NumberColumn(
                "Turned away, seat-h/30 d", format="%.0f",
                help="Demand estimated to have found the hall full (hours at 95% or more)."),
        })
    with st.expander("By hall type and time band"):
        band = result.by_band.groupby(["hall_type", "band"], as_index=False)[
            ["revenue_base", "revenue", "seat_hours_base", "seat_hours", "open_seat_hours_base",
             "open_seat_hours"]].sum()
        band["utilization_base"] = band["seat_hours_base"] / band["open_seat_hours_base"].where(
            band["open_seat_hours_base"] > 0)
        band["utilization"] = band["seat_hours"] / band["open_seat_hours"].where(band["open_seat_hours"] > 0)
        band["hall_type"] = band["hall_type"].map(HALL_LABEL)
        st.dataframe(band[["hall_type", "band", "revenue_base", "revenue", "utilization_base", "utilization"]],
                     hide_index=True, key="whatif_band_table",
                     column_config={
                         "hall_type": "Hall", "band": "Band",
                         "revenue_base": st.column_config.NumberColumn("Baseline ₸", format="compact"),
                         "revenue": st.column_config.NumberColumn("Scenario ₸", format="compact"),
                         "utilization_base": st.column_config.NumberColumn("Util. before", format="percent"),
                         "utilization": st.column_config.NumberColumn("Util. after", format="percent"),
                     })
    for note in result.notes:
        st.caption(note[:1].upper() + note[1:] + ("" if note.endswith(".") else "."))


def save_section(result: sc.ScenarioResult, author: str) -> None:
    st.subheader("Save this scenario", anchor=False)
    with st.form("whatif_save", clear_on_submit=False, border=False):
        name = st.text_input("Name", max_chars=120, key="save_name", placeholder="e.g. VIP evenings +10%")
        overwrite = st.checkbox("Replace my scenario with the same name", key="save_overwrite")
        submitted = st.form_submit_button("Save", icon=":material/save:", key="whatif_save_button")
    if submitted:
        try:
            sid = sc.save_scenario(engine(), name=name, author=author, scenario=result.scenario, result=result,
                                   overwrite=overwrite)
        except sc.ScenarioError as exc:
            st.warning(str(exc)[:1].upper() + str(exc)[1:], icon=":material/warning:")
        else:
            st.success(f"Saved “{' '.join(name.split())}”.", icon=":material/check:")
            # show the new scenario next to the ones already being compared
            st.session_state[COMPARE_KEY] = [sid, *[i for i in st.session_state.get(COMPARE_KEY, []) if i != sid]]
            st.session_state["_whatif_just_saved"] = True


def compare_section(author: str) -> None:
    st.subheader("Compare saved scenarios", anchor=False)
    saved = sc.list_scenarios(engine())
    if saved.empty:
        st.caption("Nothing saved yet: run a scenario and save it above.")
        return
    labels = {int(r.id): f"{r.name} — {r.author}, {pd.Timestamp(r.created_at):%d.%m %H:%M}"
              for r in saved.itertuples()}
    chosen = [i for i in st.session_state.get(COMPARE_KEY, list(labels)[:2]) if i in labels]
    if st.session_state.pop("_whatif_just_saved", False) and len(chosen) < 2:
        chosen += [i for i in labels if i not in chosen][:2 - len(chosen)]
    st.session_state[COMPARE_KEY] = chosen
    picked = st.multiselect("Scenarios", list(labels), format_func=labels.get, key=COMPARE_KEY)
    if len(picked) < 2:
        st.caption("Pick two or more to compare them side by side.")
        return
    loaded = [sc.load_scenario(engine(), id=i) for i in picked]
    table = sc.compare_saved(loaded)
    totals = {s.id: s.result.get("total", {}) for s in loaded}
    for col in ("revenue_change_pct_lo", "revenue_change_pct_hi", "utilization_change_pp_lo",
                "utilization_change_pp_hi"):
        table[col] = [totals[i].get(col) for i in table["id"]]
    table = table.fillna(value=math.nan).infer_objects()
    table["clubs"] = [", ".join(str(c) for c in s.result.get("baseline", {}).get("club_ids", [])) for s in loaded]
    st.dataframe(
        table[["name", "revenue_change_pct", "utilization_change_pp", "revenue", "revenue_base", "utilization",
               "utilization_base", "net_change_30d", "levers", "author", "clubs"]],
        hide_index=True, key="compare_table",
        column_config={
            "name": "Scenario", "author": "By",
            "revenue_base": st.column_config.NumberColumn("Baseline ₸/30 d", format="compact"),
            "revenue": st.column_config.NumberColumn("Scenario ₸/30 d", format="compact"),
            "revenue_change_pct": st.column_config.NumberColumn("Revenue", format="%+.1f%%"),
            "utilization_change_pp": st.column_config.NumberColumn("Util.", format="%+.1f pp"),
            "utilization_base": st.column_config.NumberColumn("Util. before", format="percent"),
            "utilization": st.column_config.NumberColumn("Util. after", format="percent"),
            "net_change_30d": st.column_config.NumberColumn("Net ₸/30 d", format="compact",
                                                            help="Revenue change less campaign costs."),
            "levers": "Levers", "clubs": "Club ids",
        })
    plot(compare_chart(table), key="compare_chart")

    mine = {i: labels[i] for i in picked if any(s.id == i and s.author == author for s in loaded)}
    if mine:
        with st.expander("Delete one of mine"):
            gone = st.selectbox("Scenario", list(mine), format_func=mine.get, key="delete_id")
            if st.button("Delete", key="delete_button", icon=":material/delete:"):
                try:
                    sc.delete_scenario(engine(), id=gone, author=author)
                except (sc.ScenarioNotFound, sc.NotYourScenario) as exc:
                    st.warning(str(exc))
                else:
                    st.rerun()


# ---------------------------------------------------------------- page

st.title("What-if", anchor=False)
with page_guard("whatif"):
    account = current_account()
    if account is None:
        st.warning("Sign in to try scenarios.", icon=":material/lock:")
        st.stop()
    f = filters()
    weeks = st.slider("History to start from, weeks", min_value=WEEKS[0], max_value=WEEKS[1], value=WEEKS[1],
                      key="whatif_weeks", help="The full weeks before today, for the clubs chosen in the sidebar.")
    try:
        baseline = baseline_for(tuple(f.club_ids), int(weeks))
    except sc.ScenarioError as exc:
        st.info(str(exc)[:1].upper() + str(exc)[1:] + ".", icon=":material/info:")
        st.stop()
    last_day = baseline.end_day - timedelta(days=1)
    st.caption(f"Baseline: {baseline.first_day:%d.%m.%Y} – {last_day:%d.%m.%Y}, "
               f"{len(baseline.club_ids)} club{'s' if len(baseline.club_ids) != 1 else ''}; amounts per 30 days. "
               "Scenarios start from the latest full weeks, so the sidebar's dates do not apply here.")
    prices, raw = levers(baseline)
    try:
        scenario = build_scenario(prices, raw)
        result = result_for(baseline, tuple(f.club_ids), int(weeks), scenario)
    except sc.ScenarioError as exc:
        st.error(str(exc)[:1].upper() + str(exc)[1:], icon=":material/error:")
        st.stop()
    show_result(result)
    save_section(result, account.username)
    compare_section(account.username)

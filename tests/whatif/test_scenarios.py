"""What-if scenarios on the tier-S demo chain: baseline sums, lever arithmetic, validation, the
elasticity estimate and saved scenarios."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from core.platform.db import query_df
from core.whatif import elasticity as el
from core.whatif import store
from core.whatif.baseline import load_baseline, make_baseline
from core.whatif.campaign import with_risk
from core.whatif.demand import unconstrain
from core.whatif.levers import HALL_TYPES, OpeningHours, RetentionCampaign, Scenario, ScenarioError
from core.whatif.simulate import run_scenario
from core.whatif.store import (
    NotYourScenario,
    ScenarioExists,
    ScenarioNotFound,
    compare_saved,
    compare_scenarios,
    delete_scenario,
    list_scenarios,
    load_scenario,
    save_scenario,
)
from tests.conftest import CHAIN_VIEWER, viewer_of

WEEKS = 12
ANA = replace(CHAIN_VIEWER, id=-11, username="ana")
BOB = replace(CHAIN_VIEWER, id=-12, username="bob")


@pytest.fixture(scope="module")
def baseline(engine, demo):
    return load_baseline(engine, viewer=CHAIN_VIEWER, club_ids=query_df(engine, "platform/club_ids").club_id.tolist(),
                         weeks=WEEKS)


def _scalar(engine, sql: str) -> float:
    with engine.connect() as conn:
        return float(conn.execute(sa.text(sql), {"days": 7 * WEEKS}).scalar() or 0)


_WINDOW = """
    join seats s on s.id = b.seat_id
    join halls h on h.id = s.hall_id
    join clubs c on c.id = h.club_id
    where b.date >= greatest((now() at time zone c.timezone)::date - :days, c.opened_on)
      and b.date < (now() at time zone c.timezone)::date
"""


# --- baseline -------------------------------------------------------------------------------------

def test_baseline_sums_match_base_tables(engine, baseline):
    cells = baseline.cells
    revenue = _scalar(engine, "select sum(p.amount) from payments p join bookings b on b.id = p.booking_id"
                      + _WINDOW + " and p.payment_status = 'успешно'")
    hours = _scalar(engine, "select sum(extract(epoch from b.end_time - b.start_time) / 3600) from bookings b"
                    + _WINDOW + " and b.status <> 'отменено'")
    bookings = _scalar(engine, "select count(*) from bookings b" + _WINDOW + " and b.status <> 'отменено'")
    open_hours = _scalar(engine, """
        select sum(n.seats * (case when c.opens_at = c.closes_at then 24
                                   else extract(epoch from (c.closes_at - c.opens_at)) / 3600
                                        + case when c.closes_at < c.opens_at then 24 else 0 end end)
                   * ((now() at time zone c.timezone)::date
                      - greatest((now() at time zone c.timezone)::date - :days, c.opened_on)))
        from clubs c
        join (select h.club_id, count(*) as seats from seats s join halls h on h.id = s.hall_id
              where s.is_active group by h.club_id) n on n.club_id = c.id""")
    assert revenue > 0 and hours > 0
    assert cells["revenue"].sum() == pytest.approx(revenue, rel=1e-9)
    assert cells["booked_seat_hours"].sum() == pytest.approx(hours, rel=1e-9)
    assert cells["bookings"].sum() == bookings
    assert cells["open_seat_hours"].sum() == pytest.approx(open_hours, rel=1e-9)
    # the slots hold the same seat-hours, hall by hall and hour by hour
    assert baseline.slots["booked_seat_hours"].sum() == pytest.approx(hours, rel=1e-9)
    assert (baseline.slots["demand"] >= baseline.slots["booked_seat_hours"]).all()

    bands = baseline.by_band()
    assert set(bands["band"]) == {"morning", "day", "evening", "night"}
    assert set(bands["day_type"]) == {"weekday", "weekend"}
    assert bands["revenue"].sum() == pytest.approx(revenue, rel=1e-9)
    assert bands["utilization"].between(0, 1).all()
    assert baseline.hall_types == [h for h in HALL_TYPES if h in set(cells["hall_type"])]


# --- levers -----------------------------------------------------------------------------------------

def test_zero_change_scenario_equals_baseline(baseline):
    for scenario in (Scenario(), Scenario(price_pct={("vip", "evening"): 0, ("*", "*"): 0.0}),
                     Scenario(seat_changes={"vip": 0})):
        result = run_scenario(baseline, scenario, n_draws=50)
        t = result.total
        assert t["revenue"] == t["revenue_base"]
        assert t["utilization"] == t["utilization_base"]
        assert t["revenue_change_pct"] == 0 and t["utilization_change_pp"] == 0
        assert (result.clubs["revenue"] == result.clubs["revenue_base"]).all()
        assert (result.clubs["seat_hours"] == result.clubs["seat_hours_base"]).all()
        assert (result.by_band["revenue"] == result.by_band["revenue_base"]).all()
        assert "equals the baseline" in result.summary
    # per 30 days: the window's revenue scaled by 30 / window days
    per_30 = baseline.cells["revenue"].sum() * 30 / (7 * WEEKS)
    assert result.total["revenue_base"] == pytest.approx(per_30, rel=1e-9)


@pytest.mark.parametrize("elasticity, revenue_up", [(-0.5, True), (-1.5, False)])
def test_price_rise_direction_follows_elasticity(baseline, elasticity, revenue_up):
    result = run_scenario(baseline, Scenario(price_pct={("*", "*"): 10}, elasticity=elasticity), n_draws=50)
    t = result.total
    assert (t["revenue"] > t["revenue_base"]) is revenue_up
    assert t["utilization"] < t["utilization_base"]
    assert t["seat_hours"] < t["seat_hours_base"]
    cut = run_scenario(baseline, Scenario(price_pct={("*", "*"): -10}, elasticity=elasticity), n_draws=50).total
    assert cut["utilization"] > cut["utilization_base"]


def test_price_change_only_touches_its_cells(baseline):
    result = run_scenario(baseline, Scenario(price_pct={("vip", "evening"): 10}, elasticity=-0.5), n_draws=0)
    b = result.by_band
    touched = (b["hall_type"] == "vip") & (b["band"] == "evening")
    assert (b.loc[~touched, "revenue"] == b.loc[~touched, "revenue_base"]).all()
    assert (b.loc[touched, "revenue"] > b.loc[touched, "revenue_base"]).all()
    assert (b.loc[touched, "seat_hours"] <= b.loc[touched, "seat_hours_base"]).all()
    # the selected clubs together, per hall type and band
    chain = result.by_hall_type_and_band().set_index(["hall_type", "band"])
    assert len(chain) == len(b.groupby(["hall_type", "band"]))
    assert chain["revenue"].sum() == pytest.approx(result.total["revenue"], rel=1e-9)
    vip = b[touched]
    assert chain.loc[("vip", "evening"), "utilization"] == pytest.approx(
        vip["seat_hours"].sum() / vip["open_seat_hours"].sum())
    assert chain.loc[("vip", "evening"), "utilization"] < chain.loc[("vip", "evening"), "utilization_base"]


def test_estimated_elasticity_gives_a_range(baseline):
    result = run_scenario(baseline, Scenario(price_pct={("vip", "evening"): 10}), n_draws=300, random_state=1)
    t = result.total
    assert result.elasticity is baseline.elasticity
    assert t["revenue_change_pct_lo"] < t["revenue_change_pct_hi"]
    assert t["revenue_change_pct_lo"] <= t["revenue_change_pct"] <= t["revenue_change_pct_hi"]
    assert t["utilization_change_pp_lo"] <= t["utilization_change_pp"] <= t["utilization_change_pp_hi"] <= 0
    assert t["revenue_lo"] < t["revenue"] < t["revenue_hi"]
    assert "VIP halls by 10%" in result.summary and "range" in result.summary
    again = run_scenario(baseline, Scenario(price_pct={("vip", "evening"): 10}), n_draws=300, random_state=1)
    assert again.total == t


def test_campaign_roi_arithmetic(baseline):
    campaign = RetentionCampaign(risk_threshold=60, discount_pct=15, save_rate=0.25, cost_per_contact=400,
                                 horizon_days=90)
    result = run_scenario(baseline, Scenario(campaign=campaign), n_draws=200)
    c = result.campaign
    target = baseline.customers[baseline.customers["risk"] > 60]
    spend = target["spend_90d"].sum()
    assert c["targeted"] == len(target) > 0
    assert c["saved"] == pytest.approx(len(target) * 0.25)
    assert c["retained_revenue"] == pytest.approx(spend * 0.25 * 0.85)
    assert c["cost"] == pytest.approx(len(target) * 400)
    assert c["net"] == pytest.approx(c["retained_revenue"] - c["cost"])
    assert c["roi"] == pytest.approx(c["net"] / c["cost"])
    assert c["saved_lo"] <= c["saved"] <= c["saved_hi"]
    # the model's scores when a model is active (other tests may have trained one), else the proxy
    assert c["risk_source"] == baseline.risk_source in ("model", "recency proxy")
    if baseline.risk_source == "recency proxy":
        assert any("recency proxy" in n for n in result.notes)
    t = result.total
    assert t["revenue"] - t["revenue_base"] == pytest.approx(c["retained_revenue"] * 30 / 90)
    assert t["net_change_30d"] == pytest.approx(t["revenue_change"] - c["cost"] * 30 / 90)
    assert t["utilization"] == t["utilization_base"]
    # nobody above the threshold: nothing targeted, nothing spent
    none = run_scenario(baseline, Scenario(campaign=replace(campaign, risk_threshold=100)), n_draws=10).campaign
    assert none["targeted"] == 0 and none["cost"] == 0 and none["roi"] is None


def test_churn_risk_prefers_the_model_and_falls_back_to_recency():
    frame = pd.DataFrame({"user_id": [1, 2, 3], "home_club_id": [1, 1, 2], "visits_180d": [5, 9, 1],
                          "days_since_last": [40.0, 3.0, 20.0], "mean_gap_days": [7.0, 3.0, None],
                          "spend_90d": [1000.0, 5000.0, 0.0], "model_risk": [80.0, None, 10.0]})
    notes: list[str] = []
    scored, source = with_risk(frame, notes)
    assert source == "model"
    assert scored["risk"].tolist()[0] == 80.0 and scored["risk"].tolist()[2] == 10.0
    assert scored["risk"].iloc[1] == pytest.approx(100 * (1 - np.exp(-3 / 3)), abs=0.05)
    assert any("no model score yet" in n for n in notes)
    notes = []
    proxy, source = with_risk(frame.assign(model_risk=None), notes)
    assert source == "recency proxy" and "recency proxy" in notes[0]
    assert proxy["risk"].iloc[0] > proxy["risk"].iloc[1]          # long absence vs a usual gap
    assert proxy["risk"].between(0, 100).all()


@pytest.mark.parametrize("hall_type", ["standard", "console", "vip"])
def test_capacity_increase_never_lowers_revenue(baseline, hall_type):
    previous = run_scenario(baseline, Scenario(), n_draws=0).total
    for seats in (1, 5, 20):
        t = run_scenario(baseline, Scenario(seat_changes={hall_type: seats}), n_draws=0).total
        assert t["revenue"] >= previous["revenue"]
        assert t["seat_hours"] >= previous["seat_hours"]
        assert t["open_seat_hours"] > previous["open_seat_hours"]
        previous = t
    # with a price cut there is more demand for the new seats to catch
    cut = {("*", "*"): -20}
    without = run_scenario(baseline, Scenario(price_pct=cut, elasticity=-1.0), n_draws=0).total
    more = run_scenario(baseline, Scenario(price_pct=cut, elasticity=-1.0, seat_changes={hall_type: 10}),
                        n_draws=0).total
    assert more["revenue"] >= without["revenue"]
    fewer = run_scenario(baseline, Scenario(seat_changes={hall_type: -3}), n_draws=0).total
    assert fewer["revenue"] <= fewer["revenue_base"]


def test_turned_away_demand_is_captured_by_new_seats(baseline):
    base = run_scenario(baseline, Scenario(), n_draws=0).clubs.set_index("club_id")
    full = baseline.slots[baseline.slots["full"]]
    assert len(full) > 0
    club, hall_type = full.groupby(["club_id", "hall_type"]).size().idxmax()
    assert base.loc[club, "turned_away_seat_hours_base"] > 0
    more = run_scenario(baseline, Scenario(seat_changes={(club, hall_type): 10}), n_draws=0).clubs.set_index("club_id")
    assert more.loc[club, "seat_hours"] > base.loc[club, "seat_hours"]
    captured = more.loc[club, "seat_hours"] - base.loc[club, "seat_hours"]
    assert captured <= base.loc[club, "turned_away_seat_hours_base"] + 1e-9
    other = [c for c in base.index if c != club]
    assert (more.loc[other, "revenue"] == base.loc[other, "revenue"]).all()


@pytest.mark.parametrize("mean, low, high", [(40, 0.7, 1.3), (50, 0.7, 1.3), (60, 0.5, 1.0)])
def test_unconstraining_recovers_turned_away_demand(mean, low, high):
    """Simulated hall of 48 seats: on days demand exceeds the seats it fills to 95-100% (seats are
    never perfectly packed); the EM estimate of the turned-away seat-hours lands near the truth, and
    errs low (the cautious side for buying seats) when the hall is full nearly every day."""
    rng = np.random.default_rng(7)
    seats, days, true, estimated = 48, 60, 0.0, 0.0
    for _ in range(20):
        demand = np.clip(rng.normal(mean, 10, days), 0, None)
        held = np.where(demand >= seats, rng.uniform(0.95, 1.0, days) * seats, demand)
        slots = pd.DataFrame({"club_id": 1, "hall_id": 1, "hall_type": "standard", "day": range(days),
                              "day_type": "weekday", "hour": 20, "seats": seats, "booked_seat_hours": held})
        cells = pd.DataFrame({"club_id": [1], "hall_type": ["standard"], "day_type": ["weekday"], "hour": [20],
                              "occurrences": [days]})
        out = unconstrain(slots, cells)
        assert (out["demand"] >= out["booked_seat_hours"]).all()
        assert (out.loc[~out["full"], "demand"] == out.loc[~out["full"], "booked_seat_hours"]).all()
        true += (demand - held).sum()
        estimated += (out["demand"] - out["booked_seat_hours"]).sum()
    assert low * true <= estimated <= high * true


def test_closing_hours_lowers_open_seat_hours(baseline):
    t = run_scenario(baseline, Scenario(hours=OpeningHours(10, 2, shift_share=0.0)), n_draws=0).total
    assert t["open_seat_hours"] < t["open_seat_hours_base"]
    assert t["open_seat_hours"] == pytest.approx(t["open_seat_hours_base"] * 16 / 24)
    assert t["revenue"] < t["revenue_base"]
    shifted = run_scenario(baseline, Scenario(hours=OpeningHours(10, 2, shift_share=1.0)), n_draws=0).total
    assert t["revenue"] < shifted["revenue"] <= shifted["revenue_base"] + 1e-6
    club = baseline.club_ids[0]
    one = run_scenario(baseline, Scenario(hours=OpeningHours(10, 2, club_ids=(club,))), n_draws=0).clubs
    one = one.set_index("club_id")
    assert one.loc[club, "open_seat_hours"] < one.loc[club, "open_seat_hours_base"]
    rest = [c for c in one.index if c != club]
    assert (one.loc[rest, "open_seat_hours"] == one.loc[rest, "open_seat_hours_base"]).all()


def test_opening_new_hours_adds_demand_from_peers(baseline):
    # pretend the first club was closed 04:00-10:00 and then opens 24 hours again
    club = baseline.club_ids[0]
    cells, slots = baseline.cells.copy(), baseline.slots.copy()
    closed = (cells["club_id"] == club) & cells["hour"].between(4, 9)
    cells.loc[closed, ["occurrences", "open_seat_hours", "bookings", "booked_seat_hours", "revenue"]] = 0
    slots = slots[~((slots["club_id"] == club) & slots["hour"].between(4, 9))]
    short = make_baseline(cells, slots[["club_id", "hall_id", "hall_type", "day", "day_type", "hour", "seats",
                                        "booked_seat_hours"]],
                          baseline.weekly, baseline.customers, elasticity=baseline.elasticity, weeks=WEEKS,
                          risk_source=baseline.risk_source)
    result = run_scenario(short, Scenario(hours=OpeningHours(0, 0, club_ids=(club,), shift_share=0.5)), n_draws=0)
    row = result.clubs.set_index("club_id").loc[club]
    assert row["open_seat_hours"] > row["open_seat_hours_base"]
    assert row["revenue"] > row["revenue_base"]
    assert any("newly opened hours" in n for n in result.notes)


# --- validation ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("make, message", [
    (lambda: Scenario(price_pct={("vip", "evening"): 150}), "between -50% and +100%"),
    (lambda: Scenario(price_pct={("vip", "evening"): -60}), "between -50% and +100%"),
    (lambda: Scenario(price_pct={("sauna", "evening"): 10}), "unknown hall type"),
    (lambda: Scenario(price_pct={("vip", "lunch"): 10}), "unknown time band"),
    (lambda: Scenario(price_pct={("vip", "evening"): "a lot"}), "must be a number"),
    (lambda: Scenario(price_pct=[("vip", "evening", 5), ("vip", "evening", 6)]), "given twice"),
    (lambda: Scenario(elasticity=0.4), "between -5 and 0"),
    (lambda: Scenario(elasticity=float("nan")), "finite"),
    (lambda: RetentionCampaign(save_rate=1.5), "save rate must be between 0 and 1"),
    (lambda: RetentionCampaign(save_rate=-0.1), "save rate must be between 0 and 1"),
    (lambda: RetentionCampaign(discount_pct=120), "discount"),
    (lambda: RetentionCampaign(risk_threshold=101), "churn-risk threshold"),
    (lambda: RetentionCampaign(cost_per_contact=-5), "cannot be negative"),
    (lambda: OpeningHours(opens_at=24), "whole hour from 0 to 23"),
    (lambda: OpeningHours(10, 2, shift_share=2), "shifted share"),
    (lambda: Scenario(seat_changes={"vip": 2.5}), "whole numbers"),
    (lambda: Scenario(seat_changes={"vip": 5000}), "not plausible"),
])
def test_bad_levers_raise_clear_errors(make, message):
    with pytest.raises(ValueError, match=message.replace("+", r"\+")):
        make()


def test_bad_inputs_against_the_baseline_raise(baseline, engine):
    with pytest.raises(ValueError, match="negative number of seats"):
        run_scenario(baseline, Scenario(seat_changes={"vip": -1000}))
    with pytest.raises(ValueError, match="not in the selection"):
        run_scenario(baseline, Scenario(seat_changes={(999, "vip"): 2}))
    with pytest.raises(ValueError, match="not in the selection"):
        run_scenario(baseline, Scenario(hours=OpeningHours(10, 2, club_ids=(999,))))
    with pytest.raises(ValueError, match="n_draws"):
        run_scenario(baseline, Scenario(), n_draws=-1)
    with pytest.raises(ValueError, match="weeks"):
        load_baseline(engine, viewer=CHAIN_VIEWER, weeks=2)
    with pytest.raises(ValueError, match="no clubs match"):
        load_baseline(engine, viewer=CHAIN_VIEWER, club_ids=[999], estimate=False)
    with pytest.raises(ValueError, match="no clubs match"):  # clubs outside a manager's scope are not read
        load_baseline(engine, viewer=viewer_of([2]), club_ids=[1], estimate=False)


def test_scenario_round_trips_through_a_dict():
    s = Scenario(price_pct={("vip", "evening"): 10, ("*", "morning"): -15}, elasticity=-0.8,
                 campaign=RetentionCampaign(risk_threshold=65, save_rate=0.3),
                 seat_changes={"console": 4, (2, "vip"): -2}, hours=OpeningHours(10, 2, club_ids=(1,)))
    assert Scenario.from_dict(json.loads(json.dumps(s.to_dict()))) == s
    assert s.price_change("vip", "evening") == 10
    assert s.price_change("standard", "morning") == -15
    assert s.price_change("standard", "evening") == 0
    with pytest.raises(ValueError, match="unknown scenario fields"):
        Scenario.from_dict({"prices": []})


# --- elasticity ---------------------------------------------------------------------------------------

def test_elasticity_estimate_is_in_range_with_an_interval(baseline):
    e = baseline.elasticity
    assert el.CLAMP[0] <= e.value <= el.CLAMP[1]
    assert e.source in ("estimated", "default")
    assert e.estimate is not None and e.se > 0
    assert e.ci80[0] < e.estimate < e.ci80[1]
    assert e.ci95[0] < e.ci80[0] and e.ci80[1] < e.ci95[1]
    assert e.n_obs >= el.MIN_CELLS and e.n_bookings >= el.MIN_BOOKINGS
    assert "80% CI" in e.label()
    if e.source == "default":  # the demo's demand does not react to price: the data should not pretend it does
        assert e.value == el.DEFAULT_ELASTICITY and e.reason


def _synthetic_cells(elasticity: float, seed: int = 0) -> pd.DataFrame:
    """Smooth daily demand with the band price steps and a known elasticity."""
    rng = np.random.default_rng(seed)
    factor = {h: 0.8 if h >= 23 or h < 8 else 0.7 if h < 12 else 0.85 if h < 17 else 1.0 for h in range(24)}
    rows = []
    for hall_id, price in enumerate([800, 1500, 1200, 1300, 900, 1600], start=1):
        for day_type, shift in (("weekday", 0.0), ("weekend", -2.0)):
            for hour in range(24):
                p = price * factor[hour]
                gap = (hour - 18 - shift + 12) % 24 - 12          # hours from the peak, around the clock
                smooth = np.exp(-0.5 * (gap / 4.0) ** 2) + 0.15
                rate = smooth * (p / price) ** elasticity * 0.3 * np.exp(rng.normal(0, 0.03))
                seats, occ = 40, 60
                hours = rate * seats * occ
                rows.append({"club_id": 1 + hall_id // 4, "hall_id": hall_id, "hall_type": "standard",
                             "day_type": day_type, "hour": hour, "seats": seats, "occurrences": occ,
                             "hourly_price": price, "bookings": int(hours / 2.5) + 1, "seat_hours": hours,
                             "price_per_hour": p})
    return pd.DataFrame(rows)


def test_elasticity_recovers_a_known_price_response():
    e = el.estimate_from_cells(_synthetic_cells(-1.2))
    assert e.source == "estimated"
    assert e.ci95[0] <= -1.2 <= e.ci95[1]
    assert e.value == pytest.approx(-1.2, abs=0.15)
    assert "estimated" in e.label()
    flat = el.estimate_from_cells(_synthetic_cells(0.0))
    assert flat.source == "default" and flat.value == el.DEFAULT_ELASTICITY
    steep = el.estimate_from_cells(_synthetic_cells(-4.0))
    assert steep.source == "estimated" and steep.value == el.CLAMP[0]
    few = el.estimate_from_cells(_synthetic_cells(-1.2).head(20))
    assert few.source == "default" and "too little data" in few.reason_text()


# --- saved scenarios ------------------------------------------------------------------------------------

@pytest.fixture
def saved_result(baseline):
    scenario = Scenario(price_pct={("vip", "evening"): 10})
    return scenario, run_scenario(baseline, scenario, n_draws=50)


def _count(engine, name: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("select count(*) from scenarios where name = :n"), {"n": name}).scalar()


def test_save_list_load_delete_round_trip(engine, saved_result, forget_logs):
    scenario, result = saved_result
    sid = save_scenario(engine, name="VIP evenings +10%", author=ANA, scenario=scenario, result=result)
    listed = list_scenarios(engine, viewer=ANA)
    row = listed.set_index("id").loc[sid]
    assert row["name"] == "VIP evenings +10%" and row["author"] == "ana"
    assert row["revenue"] == pytest.approx(result.total["revenue"])
    assert row["summary"] == result.summary
    loaded = load_scenario(engine, id=sid, viewer=ANA)
    assert loaded.scenario == scenario
    assert loaded.result["total"]["revenue_change_pct"] == pytest.approx(result.total["revenue_change_pct"])
    assert loaded.result["elasticity"]["value"] == result.elasticity.value
    assert len(loaded.result["clubs"]) == len(result.clubs)
    table = compare_saved([loaded, loaded])
    assert len(table) == 2 and table["levers"].iloc[0] == "raising evening prices in VIP halls by 10%"
    assert table["revenue_change_pct_lo"].iloc[0] == pytest.approx(result.total["revenue_change_pct_lo"])
    assert table["utilization_change_pp_hi"].iloc[0] == pytest.approx(result.total["utilization_change_pp_hi"])
    assert table["clubs"].iloc[0] == ", ".join(str(c) for c in result.baseline_window["club_ids"])
    assert compare_scenarios(engine, [sid], viewer=ANA).drop(columns="created_at").equals(
        table.head(1).drop(columns="created_at"))

    with pytest.raises(NotYourScenario, match="only ana"):
        delete_scenario(engine, id=sid, author=BOB)
    delete_scenario(engine, id=sid, author=ANA)
    assert sid not in set(list_scenarios(engine, viewer=ANA)["id"])
    with pytest.raises(ScenarioNotFound):
        load_scenario(engine, id=sid, viewer=ANA)
    with pytest.raises(ScenarioNotFound):
        delete_scenario(engine, id=sid, author=ANA)


def test_duplicate_name_is_refused_unless_overwriting(engine, saved_result, forget_logs):
    scenario, result = saved_result
    first = save_scenario(engine, name="dup", author=ANA, scenario=scenario, result=result)
    with pytest.raises(ScenarioExists, match="already have a scenario named 'dup'"):
        save_scenario(engine, name="  dup ", author=ANA, scenario=Scenario(), result=result)
    other = save_scenario(engine, name="dup", author=BOB, scenario=scenario, result=result)  # names are per author
    second = save_scenario(engine, name="dup", author=ANA, scenario=Scenario(), result=result, overwrite=True)
    assert second != first
    assert load_scenario(engine, id=second, viewer=ANA).scenario == Scenario()
    assert _count(engine, "dup") == 2
    for sid, author in ((second, ANA), (other, BOB)):
        delete_scenario(engine, id=sid, author=author)
    with pytest.raises(ValueError, match="cannot be empty"):
        save_scenario(engine, name="  ", author=ANA, scenario=scenario, result=result)


def test_saving_is_atomic(engine, saved_result, monkeypatch, forget_logs):
    scenario, result = saved_result
    kept = save_scenario(engine, name="atomic", author=ANA, scenario=scenario, result=result)

    def broken(_result):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "_result_json", broken)   # fails after the row is inserted
    with pytest.raises(RuntimeError, match="disk full"):
        save_scenario(engine, name="atomic-new", author=ANA, scenario=scenario, result=result)
    assert _count(engine, "atomic-new") == 0
    with pytest.raises(RuntimeError, match="disk full"):
        save_scenario(engine, name="atomic", author=ANA, scenario=Scenario(), result=result, overwrite=True)
    survivor = load_scenario(engine, id=kept, viewer=ANA)               # the overwrite's delete was rolled back too
    assert survivor.scenario == scenario and survivor.result["total"]
    monkeypatch.undo()
    delete_scenario(engine, id=kept, author=ANA)


def test_saved_scenarios_are_shown_only_to_who_may_see_their_clubs(engine, demo, forget_logs):
    ids = query_df(engine, "platform/club_ids").club_id.tolist()
    mine = replace(viewer_of(ids[:1]), id=-13, username="club-one")
    local = load_baseline(engine, viewer=mine, club_ids=ids, weeks=WEEKS, estimate=False)
    assert local.club_ids == tuple(ids[:1])   # the club picker's whole chain, cut to the manager's club
    chain = load_baseline(engine, viewer=ANA, club_ids=ids, weeks=WEEKS, estimate=False)
    scenario = Scenario(price_pct={("vip", "evening"): 10})
    wide = save_scenario(engine, name="chain-wide", author=ANA, scenario=scenario,
                         result=run_scenario(chain, scenario, n_draws=20))
    own = save_scenario(engine, name="one club", author=mine, scenario=scenario,
                        result=run_scenario(local, scenario, n_draws=20))
    with pytest.raises(ScenarioError, match="clubs you cannot see"):
        save_scenario(engine, name="not mine", author=mine, scenario=scenario,
                      result=run_scenario(chain, scenario, n_draws=20))
    assert own in set(list_scenarios(engine, viewer=mine).id) and wide not in set(list_scenarios(engine, viewer=mine).id)
    assert {own, wide} <= set(list_scenarios(engine, viewer=ANA).id)
    with pytest.raises(ScenarioNotFound):
        load_scenario(engine, id=wide, viewer=mine)
    with pytest.raises(ScenarioNotFound):
        compare_scenarios(engine, [own, wide], viewer=mine)
    assert list(compare_scenarios(engine, [own], viewer=mine).id) == [own]
    delete_scenario(engine, id=wide, author=ANA)
    delete_scenario(engine, id=own, author=mine)
    with engine.connect() as conn:
        logged = conn.execute(sa.text("select action, username, club_ids from activity_log "
                                      "where object_type = 'scenario' and object_id = :o order by id"),
                              {"o": str(own)}).all()
    assert [(r.action, r.username, list(r.club_ids)) for r in logged] == [
        ("scenario_save", "club-one", ids[:1]), ("scenario_delete", "club-one", ids[:1])]


def test_result_is_plain_json(baseline):
    result = run_scenario(baseline, Scenario(price_pct={("*", "night"): 20}, campaign=RetentionCampaign(),
                                             seat_changes={"console": 3}, hours=OpeningHours(9, 3)), n_draws=100)
    text = json.dumps(result.to_dict(), allow_nan=False)
    back = json.loads(text)
    assert back["total"]["revenue"] == pytest.approx(result.total["revenue"])
    assert back["summary"].startswith("Raising night prices by 20%")

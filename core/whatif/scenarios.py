"""What-if scenarios: change prices, run a retention campaign, add seats or change opening hours,
and see what revenue and utilization would do, with an honest range.

The pieces:

* `load_baseline(engine, ...)` reads the last `weeks` full weeks (SQL does the aggregation) into a
  `Baseline`: per club × hall type × weekday type × local hour (with its time band) the bookings,
  booked seat-hours, revenue (successful payments), open seat-hours and so utilization; the hourly
  slots of every hall (to find full hours); weekly revenue (for ordinary variation); the customers a
  retention campaign could target; and the price elasticity estimate (`core.elasticity`).
* `Scenario` is a frozen, validated set of levers; bad input raises ValueError with a clear message.
* `run_scenario(baseline, scenario)` is pure: it returns a `ScenarioResult` with baseline vs scenario
  revenue (per 30 days) and utilization, per club and in total, with 10th–90th percentile ranges
  from sampling the elasticity, the campaign's save rate and the weekly revenue variation.
* `save_scenario`, `list_scenarios`, `load_scenario`, `delete_scenario` keep scenarios in the
  `scenarios` table (migration 008).

How the model works (one step per lever, all on the same hourly cells):

1. Demand. A slot (hall × local day × hour) at 95% or more of what the hall can really hold (a
   sold-out hall keeps a few seat-minutes free: `_practical_capacity`) may have turned people away.
   Its unconstrained demand is estimated by EM for normal demand censored at that capacity, per
   hall × weekday type × hour (the usual revenue-management "unconstraining"; `_full_slot_moments`),
   capped at 1.5× the seats; hours full on most days, where EM cannot see far, take the larger of
   that and what the rest of the chain's daily demand shape implies (`_shape_demand`). Other slots'
   demand is what they booked. Checked against the demo's hidden simulation (tier M): 10 more
   standard seats at its busiest club would catch 2,800 seat-hours a month, the model says 2,200;
   4 more console seats in a 7-seat hall, 1,500 vs 750. It errs low, the cautious side for buying seats.
2. Price. A price change p in a hall type × band multiplies demand by (1 + p)^ε and the price per
   seat-hour by (1 + p). Revenue per seat-hour is the cell's own (payments spread over the hours a
   booking covers), so revenue moves by (1 + p)^(1 + ε) while capacity does not bind: it rises with
   a price rise when |ε| < 1 and falls when |ε| > 1.
3. Capacity. Served demand is min(demand, capacity). A slot that was not full can hold up to its
   seats; a full slot holds what it held, scaled by the change in seats. So added seats capture
   the turned-away demand of full hours, and removed seats lose what no longer fits.
4. Opening hours. Hours that close lose their demand except `shift_share`, which moves to the same
   hall's open hours of that day where they have room after their own demand, bringing the revenue
   per seat-hour it had in the closed hours (so moving demand never makes money by itself). Hours
   that open get the utilization peers (clubs in the selection open at that hour, same hall type
   and weekday type) show, scaled by the club's own level, times (1 − `shift_share`) because part of
   it would have come at other hours anyway.
5. Campaign. Customers of the selected clubs with churn risk above the threshold are contacted.
   Expected saved = contacted × save rate; revenue retained over the horizon = their spend of the
   last 90 days × save rate × (1 − discount) scaled to the horizon; cost = contacted × cost per
   contact; net = retained − cost; ROI = net / cost. A 30-day share of the retained revenue is
   added to the scenario's revenue. Churn risk comes from the active model's `customer_scores`;
   without scores it is a recency proxy, and the result says so.

Bookings (counted at their start hour) follow the seat-hours of their club × hall type × weekday
type. The campaign changes revenue, not seat-hours: utilization does not count the customers it keeps.
Clubs' weekly variations are drawn independently, so the chain's range is on the narrow side.

With no levers the scenario equals the baseline exactly (the same sums of the same numbers).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta, timezone
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from scipy import stats
from sqlalchemy.engine import Engine

from core.whatif import elasticity as el
from core.platform.calendar import public_holidays
from core.platform.db import load_sql, query_df
from core.whatif.elasticity import ElasticityEstimate

HALL_TYPES = ("standard", "vip", "bootcamp", "console", "streaming")
BANDS = ("morning", "day", "evening", "night")
ANY = "*"
PRICE_PCT_RANGE = (-50.0, 100.0)
FULL = 0.95              # a slot at or above this share of its seats was full
LATENT_CAP = 1.5         # unconstrained demand of a full slot by EM alone: at most 1.5× its seats
PEER_CAP = 3.0           # ... and from the chain's daily demand shape: at most 3× its seats
PACKED_MIN = 0.90       # hours at 90%+ of the seats show the level a sold-out hall really holds
SHAPE_CLEAN = 0.10       # hours full on at most this share of days show their demand (fit the shape)
SHAPE_HEAVY = 0.3       # hours full on more than this share of days may take their demand from the shape
SAVE_RATE_CONCENTRATION = 30.0   # Beta(save·κ, (1−save)·κ) around the expected save rate
PERIOD_DAYS = 30
CAMPAIGN_LOOKBACK_DAYS = 90
MIN_WEEKS, MAX_WEEKS = 4, 26


class ScenarioError(ValueError):
    """Bad input to a scenario; the message says what to change."""


class ScenarioExists(ScenarioError):
    """The author already has a scenario with this name."""


class ScenarioNotFound(LookupError):
    """No saved scenario has this id."""


class NotYourScenario(PermissionError):
    """Only the author may delete a saved scenario."""


# --- levers -------------------------------------------------------------------------------------

def _number(value: Any, what: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ScenarioError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(x):
        raise ScenarioError(f"{what} must be a finite number, got {value!r}")
    return x


def _between(value: Any, lo: float, hi: float, what: str) -> float:
    x = _number(value, what)
    if not lo <= x <= hi:
        raise ScenarioError(f"{what} must be between {lo:g} and {hi:g}, got {x:g}")
    return x


def _hour(value: Any, what: str) -> int:
    x = _number(value, what)
    if x != int(x) or not 0 <= x <= 23:
        raise ScenarioError(f"{what} must be a whole hour from 0 to 23, got {value!r}")
    return int(x)


@dataclass(frozen=True)
class RetentionCampaign:
    """Contact every customer whose churn risk (0–100) is above `risk_threshold`."""

    risk_threshold: float = 70.0
    discount_pct: float = 10.0          # discount offered to those who stay, percent of their spend
    save_rate: float = 0.2              # expected share of contacted customers who stay (0–1)
    cost_per_contact: float = 300.0     # KZT per contacted customer
    horizon_days: int = 90

    def __post_init__(self) -> None:
        object.__setattr__(self, "risk_threshold", _between(self.risk_threshold, 0, 100, "the churn-risk threshold"))
        object.__setattr__(self, "discount_pct", _between(self.discount_pct, 0, 100, "the discount (%)"))
        object.__setattr__(self, "save_rate", _between(self.save_rate, 0, 1, "the save rate"))
        cost = _number(self.cost_per_contact, "the cost per contact")
        if cost < 0:
            raise ScenarioError(f"the cost per contact cannot be negative, got {cost:g}")
        object.__setattr__(self, "cost_per_contact", cost)
        days = _between(self.horizon_days, 1, 365, "the campaign horizon (days)")
        if days != int(days):
            raise ScenarioError("the campaign horizon must be a whole number of days")
        object.__setattr__(self, "horizon_days", int(days))


@dataclass(frozen=True)
class OpeningHours:
    """New opening hours (local, whole hours; `opens_at == closes_at` means 24 hours)."""

    opens_at: int = 0
    closes_at: int = 0
    club_ids: tuple[int, ...] = ()      # empty: every club of the baseline
    shift_share: float = 0.3            # share of the changed hours' demand that moves to / comes from other hours

    def __post_init__(self) -> None:
        object.__setattr__(self, "opens_at", _hour(self.opens_at, "the opening hour"))
        object.__setattr__(self, "closes_at", _hour(self.closes_at, "the closing hour"))
        object.__setattr__(self, "club_ids", _club_ids(self.club_ids))
        object.__setattr__(self, "shift_share", _between(self.shift_share, 0, 1, "the shifted share"))

    @property
    def all_day(self) -> bool:
        return self.opens_at == self.closes_at

    def is_open(self, hour: np.ndarray | int) -> np.ndarray | bool:
        h = np.asarray(hour)
        if self.all_day:
            return np.ones_like(h, dtype=bool) if h.ndim else True
        if self.opens_at < self.closes_at:
            out = (h >= self.opens_at) & (h < self.closes_at)
        else:
            out = (h >= self.opens_at) | (h < self.closes_at)
        return out if h.ndim else bool(out)

    def label(self) -> str:
        return "24 hours" if self.all_day else f"{self.opens_at:02d}:00–{self.closes_at:02d}:00"


def _club_ids(value: Any) -> tuple[int, ...]:
    if value is None:
        return ()
    if isinstance(value, (int, np.integer)):
        value = (value,)
    out = []
    for v in value:
        x = _number(v, "a club id")
        if x != int(x) or x <= 0:
            raise ScenarioError(f"a club id must be a positive whole number, got {v!r}")
        out.append(int(x))
    return tuple(sorted(set(out)))


def _price_entries(value: Any) -> tuple[tuple[str, str, float], ...]:
    """{(hall type, band): pct} or [(hall type, band, pct), ...] -> sorted triples; '*' means any."""
    if value is None:
        return ()
    items = [(k[0], k[1], v) for k, v in value.items()] if isinstance(value, Mapping) else list(value)
    out: dict[tuple[str, str], float] = {}
    for item in items:
        try:
            hall_type, band, pct = item
        except (TypeError, ValueError):
            raise ScenarioError(f"a price change is (hall type, band, percent), got {item!r}") from None
        hall_type, band = str(hall_type).strip().lower(), str(band).strip().lower()
        if hall_type not in (*HALL_TYPES, ANY):
            raise ScenarioError(f"unknown hall type {hall_type!r}; use one of {', '.join(HALL_TYPES)} or '*'")
        if band not in (*BANDS, ANY):
            raise ScenarioError(f"unknown time band {band!r}; use one of {', '.join(BANDS)} or '*'")
        pct = _number(pct, f"the price change for {hall_type}/{band}")
        if not PRICE_PCT_RANGE[0] <= pct <= PRICE_PCT_RANGE[1]:
            raise ScenarioError(f"a price change must be between {PRICE_PCT_RANGE[0]:+.0f}% and "
                                f"{PRICE_PCT_RANGE[1]:+.0f}%, got {pct:+g}% for {hall_type}/{band}")
        if (hall_type, band) in out:
            raise ScenarioError(f"the price change for {hall_type}/{band} is given twice")
        if pct != 0:
            out[(hall_type, band)] = pct
    return tuple(sorted((h, b, p) for (h, b), p in out.items()))


def _seat_entries(value: Any) -> tuple[tuple[int | None, str, int], ...]:
    """{hall type: n} / {(club id, hall type): n} / [(club id or None, hall type, n)] -> sorted triples."""
    if value is None:
        return ()
    if isinstance(value, Mapping):
        items = [((None, k) if isinstance(k, str) else tuple(k)) + (v,) for k, v in value.items()]
    else:
        items = [tuple(x) for x in value]
    out: dict[tuple[int | None, str], int] = {}
    for item in items:
        if len(item) == 2:
            item = (None, *item)
        try:
            club, hall_type, n = item
        except (TypeError, ValueError):
            raise ScenarioError(f"a seat change is (club id or None, hall type, seats), got {item!r}") from None
        club = None if club in (None, 0, ANY) else _club_ids([club])[0]
        hall_type = str(hall_type).strip().lower()
        if hall_type not in HALL_TYPES:
            raise ScenarioError(f"unknown hall type {hall_type!r}; use one of {', '.join(HALL_TYPES)}")
        x = _number(n, "a change in seats")
        if x != int(x):
            raise ScenarioError(f"seats are whole numbers, got {n!r}")
        if abs(x) > 1000:
            raise ScenarioError(f"a change of {int(x)} seats is not plausible (at most ±1000)")
        if (club, hall_type) in out:
            raise ScenarioError(f"the seat change for {hall_type} at {club or 'every club'} is given twice")
        if x != 0:
            out[(club, hall_type)] = int(x)
    return tuple(sorted(((c, h, n) for (c, h), n in out.items()), key=lambda t: (t[0] or 0, t[1])))


@dataclass(frozen=True)
class Scenario:
    """Levers of a what-if scenario. Build it with plain values; it validates and normalises them.

    price_pct     {(hall type, band): percent} ('*' for any), e.g. {("vip", "evening"): 10};
                  each cell uses the most specific entry; −50 … +100
    elasticity    price elasticity of demand set by hand (−5 … 0); None: the baseline's estimate
    campaign      a RetentionCampaign, or None
    seat_changes  {hall type: seats} for every club, or {(club id, hall type): seats}; negative removes
    hours         new OpeningHours, or None to keep each club's hours
    """

    price_pct: tuple[tuple[str, str, float], ...] = ()
    elasticity: float | None = None
    campaign: RetentionCampaign | None = None
    seat_changes: tuple[tuple[int | None, str, int], ...] = ()
    hours: OpeningHours | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "price_pct", _price_entries(self.price_pct))
        object.__setattr__(self, "seat_changes", _seat_entries(self.seat_changes))
        if self.elasticity is not None:
            x = _number(self.elasticity, "the price elasticity")
            if not -5 <= x <= 0:
                raise ScenarioError(f"the price elasticity must be between -5 and 0 (demand falls as price "
                                    f"rises), got {x:g}")
            object.__setattr__(self, "elasticity", x)
        if isinstance(self.campaign, Mapping):
            object.__setattr__(self, "campaign", RetentionCampaign(**self.campaign))
        elif self.campaign is not None and not isinstance(self.campaign, RetentionCampaign):
            raise ScenarioError("campaign must be a RetentionCampaign or None")
        if isinstance(self.hours, Mapping):
            object.__setattr__(self, "hours", OpeningHours(**self.hours))
        elif self.hours is not None and not isinstance(self.hours, OpeningHours):
            raise ScenarioError("hours must be OpeningHours or None")

    @property
    def is_empty(self) -> bool:
        return not (self.price_pct or self.campaign or self.seat_changes or self.hours)

    def price_change(self, hall_type: str, band: str) -> float:
        """The percent change for a hall type and band: the most specific entry wins."""
        table = {(h, b): p for h, b, p in self.price_pct}
        for key in ((hall_type, band), (hall_type, ANY), (ANY, band), (ANY, ANY)):
            if key in table:
                return table[key]
        return 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "price_pct": [list(x) for x in self.price_pct],
            "elasticity": self.elasticity,
            "campaign": None if self.campaign is None else {f.name: getattr(self.campaign, f.name)
                                                             for f in fields(self.campaign)},
            "seat_changes": [list(x) for x in self.seat_changes],
            "hours": None if self.hours is None else {"opens_at": self.hours.opens_at,
                                                      "closes_at": self.hours.closes_at,
                                                      "club_ids": list(self.hours.club_ids),
                                                      "shift_share": self.hours.shift_share},
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Scenario:
        unknown = set(d) - {f.name for f in fields(cls)}
        if unknown:
            raise ScenarioError(f"unknown scenario fields: {', '.join(sorted(unknown))}")
        hours = d.get("hours")
        if hours is not None:
            hours = OpeningHours(**{**hours, "club_ids": tuple(hours.get("club_ids") or ())})
        campaign = d.get("campaign")
        return cls(price_pct=[tuple(x) for x in d.get("price_pct") or ()],
                   elasticity=d.get("elasticity"),
                   campaign=RetentionCampaign(**campaign) if campaign else None,
                   seat_changes=[tuple(x) for x in d.get("seat_changes") or ()],
                   hours=hours)

    def describe(self, club_names: Mapping[int, str] | None = None, targeted: int | None = None) -> list[str]:
        """The levers in plain words, e.g. ['raising evening prices in VIP halls by 10%']."""
        names = club_names or {}
        parts = []
        for hall_type, band, pct in self.price_pct:
            verb = "raising" if pct > 0 else "cutting"
            what = "all prices" if band == ANY else f"{band} prices"
            where = "" if hall_type == ANY else f" in {_hall_label(hall_type)} halls"
            if band == ANY and hall_type != ANY:
                what = "prices"
            parts.append(f"{verb} {what}{where} by {abs(pct):g}%")
        for club, hall_type, n in self.seat_changes:
            where = "in every club" if club is None else f"at {names.get(club, f'club {club}')}"
            parts.append(f"{'adding' if n > 0 else 'removing'} {abs(n)} {_hall_label(hall_type)} "
                         f"seat{'s' if abs(n) != 1 else ''} {where}")
        if self.hours is not None:
            where = "every club" if not self.hours.club_ids else \
                ", ".join(names.get(c, f"club {c}") for c in self.hours.club_ids)
            if self.hours.all_day:
                parts.append(f"opening 24 hours at {where}")
            else:
                parts.append(f"opening {self.hours.label()} at {where}")
        if self.campaign is not None:
            c = self.campaign
            who = f"{targeted:,} customers" if targeted is not None else "customers"
            parts.append(f"a retention campaign for {who} with churn risk above {c.risk_threshold:g} "
                         f"({c.discount_pct:g}% discount, {c.save_rate:.0%} expected to stay)")
        return parts


def _hall_label(hall_type: str) -> str:
    return "VIP" if hall_type == "vip" else hall_type


# --- baseline -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Baseline:
    """History the scenarios start from. Build it with `load_baseline`."""

    cells: pd.DataFrame        # club × hall type × weekday type × hour (all 24), see scenario_baseline.sql
    slots: pd.DataFrame        # hall × local day × hour with bookings, plus `full` and `demand` (unconstrained)
    weekly: pd.DataFrame       # club × week revenue
    customers: pd.DataFrame    # campaign candidates with `risk` (0–100)
    elasticity: ElasticityEstimate
    weeks: int
    risk_source: str           # 'model' | 'recency proxy'
    notes: tuple[str, ...] = ()

    @property
    def club_ids(self) -> tuple[int, ...]:
        return tuple(int(c) for c in sorted(self.cells["club_id"].unique()))

    @property
    def club_names(self) -> dict[int, str]:
        c = self.cells.drop_duplicates("club_id")
        return dict(zip(c["club_id"].astype(int), c["club_name"]))

    @property
    def first_day(self) -> date:
        return min(self.cells["first_day"])

    @property
    def end_day(self) -> date:
        return max(self.cells["end_day"])

    def by_band(self) -> pd.DataFrame:
        """The baseline per club × hall type × time band × weekday type, with utilization."""
        keys = ["club_id", "club_name", "hall_type", "band", "day_type"]
        g = self.cells.groupby(keys, as_index=False)[
            ["bookings", "booked_seat_hours", "open_seat_hours", "revenue"]].sum()
        g["utilization"] = g["booked_seat_hours"] / g["open_seat_hours"].where(g["open_seat_hours"] > 0)
        return g

    def weekly_cv(self) -> pd.Series:
        """Ordinary week-to-week variation of each club's revenue: the residual spread around a linear
        trend, relative to the mean (0 when there are fewer than three full weeks)."""
        out = {}
        for club, w in self.weekly.groupby("club_id"):
            y = w["revenue"].to_numpy(float)
            if len(y) < 3 or y.mean() <= 0:
                out[club] = 0.0
                continue
            x = np.arange(len(y), dtype=float)
            resid = y - np.polyval(np.polyfit(x, y, 1), x)
            out[club] = float(np.sqrt(np.sum(resid ** 2) / (len(y) - 2)) / y.mean())
        return pd.Series(out, dtype=float).reindex(self.club_ids).fillna(0.0)


def load_baseline(engine: Engine, *, club_ids: Iterable[int] | None = None, weeks: int = 12,
                  as_of: date | None = None, estimate: bool = True) -> Baseline:
    """Read the last `weeks` full weeks before `as_of` (default: each club's local today) for the clubs."""
    if not isinstance(weeks, (int, np.integer)) or not MIN_WEEKS <= weeks <= MAX_WEEKS:
        raise ScenarioError(f"the baseline needs {MIN_WEEKS} to {MAX_WEEKS} weeks of history, got {weeks!r}")
    ids = list(_club_ids(club_ids))
    end = as_of or datetime.now(timezone.utc).date() + timedelta(days=1)
    holidays = public_holidays(end - timedelta(days=7 * weeks + 3), end)
    params = dict(club_ids=ids, as_of=as_of, weeks=int(weeks), holidays=holidays)
    as_of_ts = None if as_of is None else datetime.combine(as_of, datetime.min.time(), timezone.utc)
    with ThreadPoolExecutor(max_workers=5) as pool:   # independent reads, each on its own connection
        jobs = {
            "cells": pool.submit(query_df, engine, "whatif/baseline", **params),
            "slots": pool.submit(query_df, engine, "whatif/slots", **params),
            "weekly": pool.submit(query_df, engine, "whatif/weekly_revenue", club_ids=ids, as_of=as_of,
                                  weeks=int(weeks)),
            "customers": pool.submit(query_df, engine, "whatif/campaign_customers", club_ids=ids, as_of=as_of_ts),
            "elasticity": pool.submit(el.estimate_elasticity, engine, club_ids=ids, weeks=weeks, as_of=as_of,
                                      holidays=holidays) if estimate else None,
        }
        got = {k: (None if f is None else f.result()) for k, f in jobs.items()}
    cells = got["cells"]
    if cells.empty:
        raise ScenarioError("no clubs match the selection" if ids else "there are no clubs in the database")
    notes: list[str] = []
    customers, risk_source = _with_risk(got["customers"], notes)
    elasticity = got["elasticity"] or el.default("not estimated")
    slots, weekly = got["slots"], got["weekly"]
    return make_baseline(cells, slots, weekly, customers, elasticity=elasticity, weeks=int(weeks),
                         risk_source=risk_source, notes=tuple(notes))


def make_baseline(cells: pd.DataFrame, slots: pd.DataFrame, weekly: pd.DataFrame, customers: pd.DataFrame, *,
                  elasticity: ElasticityEstimate, weeks: int, risk_source: str,
                  notes: tuple[str, ...] = ()) -> Baseline:
    """Assemble a Baseline from query results (pure: estimates the full slots' unconstrained demand)."""
    cells = cells.copy()
    for col in ("bookings", "booked_seat_hours", "open_seat_hours", "revenue"):
        cells[col] = cells[col].astype(float)
    slots = _unconstrain(slots.copy(), cells)
    return Baseline(cells=cells.reset_index(drop=True), slots=slots, weekly=weekly.copy(),
                    customers=customers.reset_index(drop=True), elasticity=elasticity, weeks=weeks,
                    risk_source=risk_source, notes=notes)


def _with_risk(customers: pd.DataFrame, notes: list[str]) -> tuple[pd.DataFrame, str]:
    """Churn risk 0–100: the active model's score, else a recency proxy (and a note saying so)."""
    c = customers.copy()
    for col in ("days_since_last", "mean_gap_days", "spend_90d", "model_risk"):
        c[col] = pd.to_numeric(c[col], errors="coerce").astype(float)
    typical_gap = float(np.nanmedian(c["mean_gap_days"])) if c["mean_gap_days"].notna().any() else 14.0
    gap = c["mean_gap_days"].fillna(typical_gap).clip(2, 60)
    proxy = 100 * (1 - np.exp(-c["days_since_last"].clip(lower=0) / gap))
    if c["model_risk"].notna().any():
        missing = int(c["model_risk"].isna().sum())
        c["risk"] = c["model_risk"].fillna(proxy)
        source = "model"
        if missing:
            notes.append(f"{missing:,} recent customers have no model score yet; their churn risk is the recency proxy")
    else:
        c["risk"] = proxy
        source = "recency proxy"
        notes.append("no active churn model scores (customer_scores), so churn risk is a recency proxy: "
                     "100 × (1 − exp(−days since the last visit / the customer's usual gap between visits))")
    c["risk"] = c["risk"].round(1)
    return c, source


def _unconstrain(slots: pd.DataFrame, cells: pd.DataFrame, iterations: int = 60) -> pd.DataFrame:
    """Add `capacity` (what a slot can really hold, see _practical_capacity), `full` (at least 95% of
    that held) and `demand`: what a full slot would have sold without the seat limit, by EM for
    normal demand censored at the capacity, per hall × weekday type × hour (slots without bookings
    count as zeros), capped at LATENT_CAP × capacity; for hours full nearly every day, from the
    chain's daily shape of demand (_shape_demand) when that says more."""
    slots["booked_seat_hours"] = slots["booked_seat_hours"].astype(float)
    slots["capacity"] = _practical_capacity(slots)
    seats = slots["capacity"].to_numpy(float)
    booked = slots["booked_seat_hours"].to_numpy(float)
    full = (seats > 0) & (booked >= FULL * seats)
    slots["full"] = full
    demand = booked.copy()
    if full.any():
        occ = cells.set_index(["club_id", "hall_type", "day_type", "hour"])["occurrences"]
        key = pd.MultiIndex.from_frame(slots[["club_id", "hall_type", "day_type", "hour"]])
        n_days = occ.reindex(key).fillna(0).to_numpy(float)
        group_key = slots["hall_id"].astype(str) + "|" + slots["day_type"] + "|" + slots["hour"].astype(str)
        groups, g = np.unique(group_key.to_numpy(), return_inverse=True)
        has_full = np.bincount(g, weights=full, minlength=len(groups)) > 0
        m = has_full[g]
        gi = np.unique(g[m], return_inverse=True)[1]
        x, c, s = booked[m], full[m], seats[m]
        k = gi.max() + 1
        count = np.bincount(gi, minlength=k)
        n = np.maximum(np.bincount(gi, weights=n_days[m], minlength=k) / np.maximum(count, 1), count)
        s_g = np.bincount(gi, weights=s, minlength=k) / count
        s1 = np.bincount(gi, weights=np.where(c, 0, x), minlength=k)
        s2 = np.bincount(gi, weights=np.where(c, 0, x * x), minlength=k)
        mu = np.bincount(gi, weights=x, minlength=k) / n
        var = np.maximum(np.bincount(gi, weights=x * x, minlength=k) / n - mu ** 2, (0.1 * s_g) ** 2)
        cap = LATENT_CAP * s
        for _ in range(iterations):
            ex, ex2 = _full_slot_moments(x, s, mu[gi], np.sqrt(var)[gi], cap)
            mu_new = (s1 + np.bincount(gi, weights=np.where(c, ex, 0), minlength=k)) / n
            mu_new = np.minimum(mu_new, LATENT_CAP * s_g)
            var = np.maximum((s2 + np.bincount(gi, weights=np.where(c, ex2, 0), minlength=k)) / n - mu_new ** 2,
                             (0.02 * s_g) ** 2)
            if np.allclose(mu_new, mu, rtol=1e-6, atol=1e-6):
                mu = mu_new
                break
            mu = mu_new
        latent = np.clip(_full_slot_moments(x, s, mu[gi], np.sqrt(var)[gi], cap)[0], x, cap)
        demand[m] = np.where(c, latent, x)
        demand = np.maximum(demand, _shape_demand(slots, n_days, full))
    slots["demand"] = demand
    return slots


def _practical_capacity(slots: pd.DataFrame) -> np.ndarray:
    """Seat-hours a slot of each hall can really hold. Bookings start and end at odd minutes, so a
    sold-out hall still has seat-minutes free; its sold-out hours hold a steady level a little under
    its seats. That level is the median of the hall's hours above PACKED_MIN of its seats (when it
    has at least five); a hall that never gets there can hold its seats."""
    if slots.empty:
        return np.zeros(0)
    seats = slots["seats"].to_numpy(float)
    ratio = np.divide(slots["booked_seat_hours"].to_numpy(float), seats, out=np.zeros(len(slots)), where=seats > 0)
    high = pd.Series(ratio).where(ratio >= PACKED_MIN)
    hall = slots["hall_id"].to_numpy()
    level = high.groupby(hall).median().where(high.groupby(hall).count() >= 5)
    return seats * pd.Series(hall).map(level.fillna(1.0).clip(upper=1.0)).to_numpy(float)


def _shape_demand(slots: pd.DataFrame, n_days: np.ndarray, full: np.ndarray) -> np.ndarray:
    """Demand of hours that are full on many days, from the rest of the chain.

    EM cannot see past a hall that is sold out on most days at some hour. So the seat-hours a
    club's halls of one type would sell per day at an hour are modelled, in logs, as
      A: club × weekday-type level + hall-type × weekday-type × hour shape, or, where no clean
         hall of that type shows the hour,
      B: club × weekday-type level + hall-type × weekday-type level + weekday-type × hour shape,
    fitted (by backfitting, weighted by seat-hours) on the hours that are rarely full (at most
    SHAPE_CLEAN of their slots) across the selection: a club's level comes from its other hours and
    hall types, the shape from other clubs. For an hour full on more than SHAPE_HEAVY of its slots,
    the prediction's excess over what was held is spread evenly over its full slots (at most
    PEER_CAP × seats each). A term needs support (3+ clean cells; a shape needs 2+ clean clubs),
    or the hour keeps the EM estimate. Returns the slots' demand by this route (what they held where
    it does not apply). When nearly every hall is sold out at the peak the data cannot show how much
    more was wanted, and this errs low."""
    out = slots["booked_seat_hours"].to_numpy(float).copy()
    keys = ["club_id", "hall_type", "day_type", "hour"]
    g = slots.assign(_n=n_days, _full=full.astype(float))
    groups = g.groupby(keys, sort=False).agg(
        held=("booked_seat_hours", "sum"), full_slots=("_full", "sum"), halls=("hall_id", "nunique"),
        n=("_n", "first")).reset_index()
    groups = groups[groups["n"] > 0].reset_index(drop=True)
    if groups.empty:
        return out
    share_full = groups["full_slots"] / (groups["n"] * groups["halls"])
    clean = (share_full <= SHAPE_CLEAN) & (groups["held"] > 0)
    heavy = share_full > SHAPE_HEAVY
    if not heavy.any() or clean.sum() < 10:
        return out
    terms = {
        "club": groups["club_id"].astype(str) + "|" + groups["day_type"],
        "type": groups["hall_type"] + "|" + groups["day_type"],
        "type_hour": groups["hall_type"] + "|" + groups["day_type"] + "|" + groups["hour"].astype(str),
        "hour": groups["day_type"] + "|" + groups["hour"].astype(str),
    }
    y = np.log(groups["held"] / groups["n"])
    wanted = pd.Series(np.nan, index=groups.index)
    for model in (("club", "type_hour"), ("club", "type", "hour")):
        pred = _backfit(y, groups["held"], clean, {t: terms[t] for t in model}, groups["club_id"])
        wanted = wanted.fillna(pred)
    ok = heavy & wanted.notna()
    if not ok.any():
        return out
    excess = ((wanted[ok] * groups.loc[ok, "n"] - groups.loc[ok, "held"]).clip(lower=0)
              / groups.loc[ok, "full_slots"].clip(lower=1))
    per_group = pd.Series(excess.to_numpy(), index=pd.MultiIndex.from_frame(groups.loc[ok, keys]))
    add = per_group.reindex(pd.MultiIndex.from_frame(slots[keys])).fillna(0).to_numpy()
    seats = slots["seats"].to_numpy(float)
    return np.where(full, np.minimum(out + add, np.maximum(PEER_CAP * seats, out)), out)


def _backfit(y: pd.Series, w: pd.Series, fit_on: pd.Series, terms: dict[str, pd.Series], club: pd.Series,
             sweeps: int = 30) -> pd.Series:
    """exp(sum of additive effects) × Duan's smearing factor, fitted on `fit_on` rows; NaN where a
    term lacks support (3+ fitted rows; the hour terms 2+ clubs)."""
    yf, wf = y[fit_on], w[fit_on]
    keys = {t: k[fit_on] for t, k in terms.items()}
    effects = {t: pd.Series(0.0, index=k.unique()) for t, k in keys.items()}
    for _ in range(sweeps):
        for t, k in keys.items():
            others = sum(keys[o].map(effects[o]) for o in keys if o != t)
            r = yf - others
            effects[t] = (r * wf).groupby(k).sum() / wf.groupby(k).sum()
    resid = yf - sum(keys[t].map(effects[t]) for t in keys)
    smear = float(np.average(np.exp(resid), weights=wf))
    log_pred = sum(terms[t].map(effects[t]) for t in terms)
    supported = pd.Series(True, index=y.index)
    for t, k in terms.items():
        if t in ("type_hour", "hour"):
            support = club[fit_on].groupby(k).nunique()
            supported &= k.map(support).fillna(0).ge(2)
        else:
            supported &= k.map(keys[t].value_counts()).fillna(0).ge(3)
    return np.exp(log_pred).where(supported) * smear


def _full_slot_moments(held: np.ndarray, seats: np.ndarray, mu: np.ndarray, sd: np.ndarray,
                       cap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """E[X] and E[X²] of a full slot's demand X ~ N(mu, sd²), given that it held `held` seat-hours.

    A slot at 95–100% of its capacity either ran out of seats (X ≥ capacity; it then held anywhere
    from 95% to 100% of it, taken as uniform) or simply had that demand (X = held). q is the
    posterior probability of the first: P(X ≥ capacity) / width against the normal density at
    `held`. In simulations this recovers the turned-away seat-hours within about ±20% while a hall is
    full on up to two days in three, and errs low when it is full nearly every day (see _shape_demand)."""
    top = np.maximum(seats, held)
    width = np.maximum((1 - FULL) * seats, 1e-9)
    a_seats = (top - mu) / sd
    log_ran_out = stats.norm.logsf(a_seats) - np.log(width)
    log_had = stats.norm.logpdf((held - mu) / sd) - np.log(sd)
    q = 1 / (1 + np.exp(np.clip(log_had - log_ran_out, -700, 700)))
    lam = np.exp(stats.norm.logpdf(a_seats) - stats.norm.logsf(a_seats))
    above = np.minimum(mu + sd * lam, cap)                         # E[X | X ≥ capacity]
    above2 = mu ** 2 + sd ** 2 + sd * (top + mu) * lam              # E[X² | X ≥ capacity]
    return (1 - q) * held + q * above, (1 - q) * held ** 2 + q * above2


# --- running a scenario -------------------------------------------------------------------------

@dataclass(frozen=True)
class ScenarioResult:
    """Baseline vs scenario, per 30 days. Ranges are 10th–90th percentiles of the draws."""

    scenario: Scenario
    elasticity: ElasticityEstimate
    clubs: pd.DataFrame          # one row per club
    total: dict[str, Any]
    by_band: pd.DataFrame        # club × hall type × band, central numbers
    campaign: dict[str, Any] | None
    notes: tuple[str, ...]
    n_draws: int
    baseline_window: dict[str, Any] = field(default_factory=dict)
    club_names: dict[int, str] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        return _summary(self)

    def to_dict(self) -> dict[str, Any]:
        return _clean({
            "scenario": self.scenario.to_dict(),
            "elasticity": self.elasticity.to_dict(),
            "total": self.total,
            "clubs": self.clubs.to_dict(orient="records"),
            "by_band": self.by_band.to_dict(orient="records"),
            "campaign": self.campaign,
            "notes": list(self.notes),
            "n_draws": self.n_draws,
            "baseline": self.baseline_window,
            "summary": self.summary,
        })


def run_scenario(baseline: Baseline, scenario: Scenario, *, n_draws: int = 500,
                 random_state: int | None = 0) -> ScenarioResult:
    """Apply the levers to the baseline; pure, and deterministic for a given random_state.

    The central numbers use the elasticity's point value, the expected save rate and no weekly noise,
    so a scenario without levers equals the baseline exactly. Ranges come from `n_draws` draws of the
    elasticity (normal with its standard error, clamped), the save rate (Beta around the expected
    rate) and each club's ordinary week-to-week revenue variation.
    """
    if not isinstance(baseline, Baseline):
        raise ScenarioError("run_scenario needs a Baseline (see load_baseline)")
    if not isinstance(scenario, Scenario):
        raise ScenarioError("run_scenario needs a Scenario")
    if isinstance(n_draws, bool) or not isinstance(n_draws, (int, np.integer)) or not 0 <= n_draws <= 20_000:
        raise ScenarioError(f"n_draws must be a whole number from 0 to 20000, got {n_draws!r}")
    rng = np.random.default_rng(random_state)
    notes = list(baseline.notes)
    elasticity = el.manual(scenario.elasticity) if scenario.elasticity is not None else baseline.elasticity
    model = _Model(baseline, scenario)
    f = model.period_factor                                   # 30 / days in each club's window

    central = model.evaluate(elasticity.value)
    eps = _elasticity_draws(elasticity, n_draws, rng) if model.price_sensitive else None
    if eps is not None:
        evaluated = [model.evaluate(e) for e in eps]
        rev_draws = np.array([d["revenue"] for d in evaluated]) * f
        seat_draws = np.array([d["seat_hours"] for d in evaluated]) * f
    else:
        rev_draws = np.repeat((central["revenue"] * f)[None, :], n_draws, axis=0)
        seat_draws = np.repeat((central["seat_hours"] * f)[None, :], n_draws, axis=0)

    campaign, camp_club, camp_draws = _campaign(baseline, scenario, model, n_draws, rng)
    cv = baseline.weekly_cv().reindex(model.club_ids).fillna(0).to_numpy()
    noise = 1 + rng.normal(0, 1, (n_draws, len(model.club_ids))) * cv[None, :] * math.sqrt(7 / PERIOD_DAYS)

    base = {k: v * f for k, v in model.base.items()}
    scen = {k: central[k] * f for k in ("revenue", "seat_hours", "open_seat_hours", "bookings")}
    scen["revenue"] = scen["revenue"] + camp_club
    base_rev_draws = base["revenue"][None, :] * noise
    scen_rev_draws = rev_draws * noise + camp_draws

    names = baseline.club_names
    rows = [_row(club, names.get(club, f"club {club}"), {k: v[i] for k, v in base.items()},
                 {k: v[i] for k, v in scen.items()}, base_rev_draws[:, i], scen_rev_draws[:, i], seat_draws[:, i])
            for i, club in enumerate(model.club_ids)]
    total = _row(0, "All selected clubs", {k: float(v.sum()) for k, v in base.items()},
                 {k: float(v.sum()) for k, v in scen.items()}, base_rev_draws.sum(axis=1),
                 scen_rev_draws.sum(axis=1), seat_draws.sum(axis=1))
    cost_30d = 0.0 if campaign is None else campaign["cost"] * PERIOD_DAYS / campaign["horizon_days"]
    total["campaign_cost_30d"] = cost_30d
    total["net_change_30d"] = total["revenue_change"] - cost_30d
    notes.extend(model.notes)
    if model.price_sensitive and elasticity.source == "default":
        notes.append(f"price response uses the default elasticity {signed(elasticity.value, '', 2)}: "
                     f"{elasticity.reason}")
    return ScenarioResult(
        scenario=scenario, elasticity=elasticity, clubs=pd.DataFrame(rows), total=total,
        by_band=model.by_band(central), campaign=campaign, notes=tuple(dict.fromkeys(notes)),
        n_draws=int(n_draws), club_names=names,
        baseline_window={"weeks": baseline.weeks, "first_day": str(baseline.first_day),
                         "end_day": str(baseline.end_day), "club_ids": list(model.club_ids)})


def _elasticity_draws(e: ElasticityEstimate, n: int, rng: np.random.Generator) -> np.ndarray | None:
    if n == 0 or e.sampling_se == 0:
        return None
    return np.clip(rng.normal(e.value, e.sampling_se, n), *el.CLAMP)


def _range(draws: np.ndarray, central: float) -> tuple[float, float]:
    if len(draws) == 0:
        return central, central
    lo, hi = np.percentile(draws, [10, 90])
    return float(lo), float(hi)


def _row(club: int, name: str, base: dict[str, float], scen: dict[str, float], base_rev: np.ndarray,
         scen_rev: np.ndarray, seat: np.ndarray) -> dict[str, Any]:
    """One line of the result (all amounts per 30 days)."""
    def util(seat_hours, open_hours):
        return float(seat_hours / open_hours) if open_hours > 0 else float("nan")

    rb, rs = float(base["revenue"]), float(scen["revenue"])
    ub, us = util(base["seat_hours"], base["open_seat_hours"]), util(scen["seat_hours"], scen["open_seat_hours"])
    with np.errstate(divide="ignore", invalid="ignore"):
        change = scen_rev / base_rev - 1 if rb > 0 else np.full(len(scen_rev), np.nan)
        util_draws = seat / scen["open_seat_hours"] if scen["open_seat_hours"] > 0 else np.full(len(seat), np.nan)
    change_pct = (rs / rb - 1) * 100 if rb > 0 else float("nan")
    row = {
        "club_id": int(club), "club_name": name,
        "revenue_base": rb, "revenue": rs, "revenue_change": rs - rb, "revenue_change_pct": change_pct,
        "utilization_base": ub, "utilization": us, "utilization_change_pp": (us - ub) * 100,
        "seat_hours_base": float(base["seat_hours"]), "seat_hours": float(scen["seat_hours"]),
        "open_seat_hours_base": float(base["open_seat_hours"]), "open_seat_hours": float(scen["open_seat_hours"]),
        "bookings_base": float(base["bookings"]), "bookings": float(scen["bookings"]),
        "turned_away_seat_hours_base": float(base["turned_away"]),
    }
    row["revenue_base_lo"], row["revenue_base_hi"] = _range(base_rev, rb)
    row["revenue_lo"], row["revenue_hi"] = _range(scen_rev, rs)
    lo, hi = _range(change[np.isfinite(change)] * 100, change_pct)
    row["revenue_change_pct_lo"], row["revenue_change_pct_hi"] = min(lo, change_pct), max(hi, change_pct)
    lo, hi = _range(util_draws[np.isfinite(util_draws)], us)
    row["utilization_lo"], row["utilization_hi"] = min(lo, us), max(hi, us)
    row["utilization_change_pp_lo"] = (row["utilization_lo"] - ub) * 100
    row["utilization_change_pp_hi"] = (row["utilization_hi"] - ub) * 100
    return row


class _Model:
    """The scenario's arithmetic on the baseline's hourly cells and slots (see the module doc)."""

    def __init__(self, baseline: Baseline, scenario: Scenario):
        self.notes: list[str] = []
        cells = baseline.cells
        self.cells = cells
        self.club_ids = baseline.club_ids
        names = baseline.club_names
        pos = {c: i for i, c in enumerate(self.club_ids)}
        self.ci = cells["club_id"].map(pos).to_numpy()
        self.n_clubs = len(self.club_ids)
        window = cells.groupby("club_id")["window_days"].max().reindex(self.club_ids).to_numpy(float)
        self.period_factor = PERIOD_DAYS / np.maximum(window, 1.0)

        hall_type = cells["hall_type"].to_numpy()
        hour = cells["hour"].to_numpy()
        self.price_pct = np.array([scenario.price_change(h, b) for h, b in zip(hall_type, cells["band"])], float)
        self.price = 1 + self.price_pct / 100
        self.price_sensitive = bool(np.any(self.price_pct != 0))

        # capacity: seats per club × hall type
        seats = cells["seats"].to_numpy(float)
        delta = np.zeros(len(cells))
        for club, ht, n in scenario.seat_changes:
            if club is not None and club not in pos:
                raise ScenarioError(f"club {club} is not in the selection; choose it in the sidebar or "
                                    f"apply the seat change to every club")
            m = (hall_type == ht) & ((cells["club_id"] == club).to_numpy() if club is not None else True)
            has = m & (seats > 0)
            missing = sorted({names.get(c, str(c)) for c in cells.loc[m & ~has, "club_id"]}
                             - {names.get(c, str(c)) for c in cells.loc[has, "club_id"]})
            if club is not None and not has.any():
                missing = [names.get(club, str(club))]
            if missing:
                self.notes.append(f"no {_hall_label(ht)} hall at {', '.join(missing)}: its seat change is left out")
            delta[has] += n
        new_seats = seats + delta
        bad = new_seats < 0
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ScenarioError(
                f"{names.get(int(cells['club_id'].iloc[i]), '')} has {int(seats[i])} {_hall_label(hall_type[i])} "
                f"seats; removing {int(-delta[i])} would leave a negative number of seats")
        self.seat_ratio = np.where(seats > 0, new_seats / np.where(seats > 0, seats, 1), 1.0)
        self.new_seats = np.where(seats > 0, new_seats, 0.0)

        # opening hours
        occ = cells["occurrences"].to_numpy(float)
        open_now = occ > 0
        open_new = open_now.copy()
        self.shift = 0.0
        if scenario.hours is not None:
            h = scenario.hours
            unknown = [c for c in h.club_ids if c not in pos]
            if unknown:
                raise ScenarioError(f"club {unknown[0]} is not in the selection; choose it in the sidebar first")
            affected = cells["club_id"].isin(h.club_ids).to_numpy() if h.club_ids else np.ones(len(cells), bool)
            open_new = np.where(affected, h.is_open(hour), open_now)
            self.shift = h.shift_share
        self.closed = open_now & ~open_new
        self.opened = ~open_now & open_new
        occ_new = np.where(open_new, np.where(open_now, occ, cells["days"].to_numpy(float)), 0.0)
        self.open_new = self.new_seats * occ_new

        # slots: demand, capacity, the cell and hall-day they belong to
        slots = baseline.slots
        index = pd.Series(np.arange(len(cells)),
                          index=pd.MultiIndex.from_frame(cells[["club_id", "hall_type", "day_type", "hour"]]))
        key = pd.MultiIndex.from_frame(slots[["club_id", "hall_type", "day_type", "hour"]])
        si = index.reindex(key).to_numpy()
        if np.isnan(si.astype(float)).any():
            raise ScenarioError("the baseline's slots do not match its cells; load the baseline again")
        self.si = si.astype(int)
        self.demand = slots["demand"].to_numpy(float)
        booked = slots["booked_seat_hours"].to_numpy(float)
        full = slots["full"].to_numpy(bool)
        ratio = self.seat_ratio[self.si]
        self.cap = np.where(full, booked * ratio, slots["capacity"].to_numpy(float) * ratio)
        self.slot_closed = self.closed[self.si]
        self.hall_day = np.unique(slots["hall_id"].astype(str) + "|" + slots["day"].astype(str),
                                  return_inverse=True)[1] if len(slots) else np.zeros(0, int)
        self.base_served = np.bincount(self.si, weights=booked, minlength=len(cells))

        self.group = np.unique(cells["club_id"].astype(str) + "|" + cells["hall_type"] + "|" + cells["day_type"],
                               return_inverse=True)[1]
        self.booked = cells["booked_seat_hours"].to_numpy(float)
        self.revenue = cells["revenue"].to_numpy(float)
        # revenue per seat-hour of each club × hall type × weekday type's closing hours (at the new prices)
        k = self.group.max() + 1
        closed_rev = np.bincount(self.group, weights=np.where(self.closed, self.revenue * self.price, 0.0), minlength=k)
        closed_hours = np.bincount(self.group, weights=np.where(self.closed, self.booked, 0.0), minlength=k)
        self.closed_rate = np.divide(closed_rev, closed_hours, out=np.zeros(k), where=closed_hours > 0)[self.group]
        self.bookings = cells["bookings"].to_numpy(float)
        open_base = cells["open_seat_hours"].to_numpy(float)
        turned = np.bincount(self.si, weights=self.demand - booked, minlength=len(cells))
        self.base = {
            "revenue": self._club_sum(self.revenue), "seat_hours": self._club_sum(self.booked),
            "open_seat_hours": self._club_sum(open_base), "bookings": self._club_sum(self.bookings),
            "turned_away": self._club_sum(turned),
        }
        self._new_hours(names)

    def _club_sum(self, x: np.ndarray) -> np.ndarray:
        return np.bincount(self.ci, weights=x, minlength=self.n_clubs)

    def _new_hours(self, names: dict[int, str]) -> None:
        """Utilization, revenue per seat-hour and hours per booking for hours that open."""
        n = len(self.cells)
        self.new_util = np.zeros(n)
        self.new_rate = np.zeros(n)
        self.new_hours_per_booking = np.ones(n)
        if not self.opened.any():
            return
        c = self.cells.assign(_open=self.cells["occurrences"] > 0)
        open_c = c[c["_open"]]
        peer = open_c.groupby(["hall_type", "day_type", "hour"])[["booked_seat_hours", "open_seat_hours"]].sum()
        peer_util = (peer["booked_seat_hours"] / peer["open_seat_hours"].where(peer["open_seat_hours"] > 0)).fillna(0)
        # a club's level: its utilization over its open hours vs the peers' over the same hours
        mine = open_c.groupby(["club_id", "hall_type", "day_type"])[["booked_seat_hours", "open_seat_hours"]].sum()
        expected = open_c.assign(
            _exp=open_c.set_index(["hall_type", "day_type", "hour"]).index.map(peer_util).to_numpy(float)
            * open_c["open_seat_hours"]).groupby(["club_id", "hall_type", "day_type"])["_exp"].sum()
        level = (mine["booked_seat_hours"] / expected.where(expected > 0)).fillna(1.0).clip(0.2, 5.0)
        # revenue per booked seat-hour: the club's hall type in that band, else the peers', else the club's hall type
        by_band = c.groupby(["club_id", "hall_type", "band"])[["revenue", "booked_seat_hours"]].sum()
        own_band = (by_band["revenue"] / by_band["booked_seat_hours"].where(by_band["booked_seat_hours"] > 0))
        peers_band = c.groupby(["hall_type", "band"])[["revenue", "booked_seat_hours"]].sum()
        peer_band = peers_band["revenue"] / peers_band["booked_seat_hours"].where(peers_band["booked_seat_hours"] > 0)
        own_all = c.groupby(["club_id", "hall_type"])[["revenue", "booked_seat_hours", "bookings"]].sum()
        own_rate = own_all["revenue"] / own_all["booked_seat_hours"].where(own_all["booked_seat_hours"] > 0)
        hpb = (own_all["booked_seat_hours"] / own_all["bookings"].where(own_all["bookings"] > 0)).fillna(2.5)
        no_peer: set[int] = set()
        for i in np.flatnonzero(self.opened):
            r = self.cells.iloc[i]
            k3 = (r.hall_type, r.day_type, r.hour)
            if k3 not in peer_util.index or peer_util[k3] <= 0:
                no_peer.add(int(r.hour))
                continue
            self.new_util[i] = peer_util[k3] * level.get((r.club_id, r.hall_type, r.day_type), 1.0)
            rate = own_band.get((r.club_id, r.hall_type, r.band), np.nan)
            if not np.isfinite(rate):
                rate = peer_band.get((r.hall_type, r.band), np.nan)
            if not np.isfinite(rate):
                rate = own_rate.get((r.club_id, r.hall_type), 0.0)
            self.new_rate[i] = float(rate) if np.isfinite(rate) else 0.0
            self.new_hours_per_booking[i] = float(hpb.get((r.club_id, r.hall_type), 2.5))
        self.notes.append("demand in newly opened hours follows clubs in the selection that are open then, "
                          f"scaled by each club's own level; {self.shift:.0%} of it is taken from other hours")
        if no_peer:
            hours = ", ".join(f"{h:02d}:00" for h in sorted(no_peer))
            self.notes.append(f"no club in the selection is open at {hours}, so no demand is assumed there")

    def evaluate(self, elasticity: float) -> dict[str, np.ndarray]:
        """Per club (unscaled window totals): revenue, seat-hours, open seat-hours, bookings; and the cells."""
        m = self.price ** elasticity                      # exactly 1 where the price does not change
        x = self.demand * m[self.si]
        n_cells = len(self.cells)
        shifted_cell = np.zeros(n_cells)
        if self.slot_closed.any():
            # the closed hours' demand: a share moves to the same hall's open hours that day, where it
            # fits after the hours' own demand, and brings the revenue per seat-hour it had
            k = self.hall_day.max() + 1
            lost = np.bincount(self.hall_day, weights=np.where(self.slot_closed, x, 0.0), minlength=k)
            x = np.where(self.slot_closed, 0.0, x)
            kept = np.bincount(self.hall_day, weights=x, minlength=k)
            share = np.divide(x, kept[self.hall_day], out=np.zeros_like(x), where=kept[self.hall_day] > 0)
            moved = self.shift * lost[self.hall_day] * share
            served = np.minimum(x, self.cap)
            shifted_cell = np.bincount(self.si, weights=np.minimum(x + moved, self.cap) - served, minlength=n_cells)
        else:
            served = np.minimum(x, self.cap)
        served_cell = np.bincount(self.si, weights=served, minlength=n_cells)
        ratio = np.divide(served_cell, self.base_served, out=m.copy(), where=self.base_served > 0)
        ratio = np.where(self.closed, 0.0, ratio)
        seat = self.booked * ratio + shifted_cell
        revenue = self.revenue * ratio * self.price + shifted_cell * self.closed_rate
        # bookings are counted at their start hour but hold seats over several: they follow the
        # seat-hours of their club × hall type × weekday type as a whole
        k = self.group.max() + 1
        group_base = np.bincount(self.group, weights=self.booked, minlength=k)
        group_new = np.bincount(self.group, weights=seat, minlength=k)
        group_ratio = np.divide(group_new, group_base, out=np.ones(k), where=group_base > 0)
        bookings = self.bookings * group_ratio[self.group]
        if self.opened.any():
            occ = np.divide(self.open_new, self.new_seats, out=np.zeros_like(self.open_new), where=self.new_seats > 0)
            new = np.minimum(self.new_util * m, 1.0) * self.new_seats * occ * (1 - self.shift)
            new = np.where(self.opened, new, 0.0)
            seat = seat + new
            revenue = revenue + new * self.new_rate * self.price
            bookings = bookings + new / self.new_hours_per_booking
        return {"revenue": self._club_sum(revenue), "seat_hours": self._club_sum(seat),
                "open_seat_hours": self._club_sum(self.open_new), "bookings": self._club_sum(bookings),
                "cells": pd.DataFrame({"seat_hours": seat, "revenue": revenue, "open_seat_hours": self.open_new})}

    def by_band(self, central: dict[str, Any]) -> pd.DataFrame:
        """Club × hall type × band, baseline vs scenario, per 30 days (central numbers)."""
        c = self.cells[["club_id", "club_name", "hall_type", "band"]].copy()
        f = self.period_factor[self.ci]
        c["revenue_base"] = self.revenue * f
        c["revenue"] = central["cells"]["revenue"].to_numpy() * f
        c["seat_hours_base"] = self.booked * f
        c["seat_hours"] = central["cells"]["seat_hours"].to_numpy() * f
        c["open_seat_hours_base"] = self.cells["open_seat_hours"].to_numpy(float) * f
        c["open_seat_hours"] = central["cells"]["open_seat_hours"].to_numpy() * f
        c["price_change_pct"] = self.price_pct
        g = c.groupby(["club_id", "club_name", "hall_type", "band"], as_index=False).agg(
            revenue_base=("revenue_base", "sum"), revenue=("revenue", "sum"),
            seat_hours_base=("seat_hours_base", "sum"), seat_hours=("seat_hours", "sum"),
            open_seat_hours_base=("open_seat_hours_base", "sum"), open_seat_hours=("open_seat_hours", "sum"),
            price_change_pct=("price_change_pct", "max"))
        g["utilization_base"] = g["seat_hours_base"] / g["open_seat_hours_base"].where(g["open_seat_hours_base"] > 0)
        g["utilization"] = g["seat_hours"] / g["open_seat_hours"].where(g["open_seat_hours"] > 0)
        return g


def _campaign(baseline: Baseline, scenario: Scenario, model: _Model, n_draws: int, rng: np.random.Generator):
    """The campaign's figures over its horizon, and its 30-day revenue per club (central and draws)."""
    n_clubs = model.n_clubs
    if scenario.campaign is None:
        return None, np.zeros(n_clubs), np.zeros((n_draws, n_clubs))
    c = scenario.campaign
    cust = baseline.customers
    target = cust[(cust["risk"] > c.risk_threshold) & cust["home_club_id"].isin(model.club_ids)]
    pos = {club: i for i, club in enumerate(model.club_ids)}
    idx = target["home_club_id"].map(pos).to_numpy(int)
    contacted = np.bincount(idx, minlength=n_clubs).astype(float)
    scale = c.horizon_days / CAMPAIGN_LOOKBACK_DAYS
    spend = np.bincount(idx, weights=target["spend_90d"].to_numpy(float), minlength=n_clubs) * scale
    keep = 1 - c.discount_pct / 100
    retained_club = spend * c.save_rate * keep
    cost_club = contacted * c.cost_per_contact
    if n_draws and 0 < c.save_rate < 1:
        k = SAVE_RATE_CONCENTRATION
        save = rng.beta(c.save_rate * k, (1 - c.save_rate) * k, n_draws)
    else:
        save = np.full(n_draws, c.save_rate)
    n_target, total_spend = float(contacted.sum()), float(spend.sum())
    cost = float(cost_club.sum())
    retained, retained_d = float(retained_club.sum()), total_spend * save * keep
    net, net_d = retained - cost, total_spend * save * keep - cost

    def rng_of(draws, central):
        return _range(draws, central) if n_draws else (central, central)

    out = {
        "risk_source": baseline.risk_source, "risk_threshold": c.risk_threshold, "horizon_days": c.horizon_days,
        "discount_pct": c.discount_pct, "save_rate": c.save_rate, "cost_per_contact": c.cost_per_contact,
        "targeted": int(n_target), "spend_90d_of_targeted": float(target["spend_90d"].sum()),
        "saved": n_target * c.save_rate, "retained_revenue": retained, "cost": cost, "net": net,
        "roi": (net / cost) if cost > 0 else None,
        "per_club": [{"club_id": int(club), "targeted": int(contacted[i]), "retained_revenue": float(retained_club[i]),
                      "cost": float(cost_club[i])} for i, club in enumerate(model.club_ids)],
    }
    out["saved_lo"], out["saved_hi"] = rng_of(n_target * save, out["saved"])
    out["retained_revenue_lo"], out["retained_revenue_hi"] = rng_of(retained_d, retained)
    out["net_lo"], out["net_hi"] = rng_of(net_d, net)
    if cost > 0:
        out["roi_lo"], out["roi_hi"] = rng_of(net_d / cost, net / cost)
    else:
        out["roi_lo"] = out["roi_hi"] = None
    per_30 = PERIOD_DAYS / c.horizon_days
    camp_club = retained_club * per_30
    ratio = save / c.save_rate if c.save_rate > 0 else np.ones(n_draws)
    return out, camp_club, camp_club[None, :] * ratio[:, None]


# --- words --------------------------------------------------------------------------------------

def money(x: float | None) -> str:
    """1.2M ₸, 350k ₸, 900 ₸ (the app's compact style)."""
    if x is None or not np.isfinite(x):
        return "—"
    sign = "−" if x < 0 else ""
    a = abs(x)
    if a >= 1e6:
        return f"{sign}{a / 1e6:.1f}M ₸"
    if a >= 1e4:
        return f"{sign}{a / 1e3:.0f}k ₸"
    return f"{sign}{a:,.0f} ₸".replace(",", " ")


def signed(x: float, unit: str = "%", digits: int = 1) -> str:
    if x is None or not np.isfinite(x):
        return "—"
    text = f"{x:+.{digits}f}{unit}"
    return text.replace("-", "−")


def _summary(result: ScenarioResult) -> str:
    t = result.total
    targeted = result.campaign["targeted"] if result.campaign else None
    parts = result.scenario.describe(result.club_names, targeted)
    if not parts:
        return (f"No levers are set: the scenario equals the baseline, {money(t['revenue_base'])} of revenue "
                f"per 30 days at {t['utilization_base']:.0%} utilization.")
    levers = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]

    def span(key: str, unit: str) -> str:
        lo, hi = t[f"{key}_lo"], t[f"{key}_hi"]
        if lo is None or hi is None or not (np.isfinite(lo) and np.isfinite(hi)) or abs(hi - lo) < 0.05:
            return ""
        return f" (range {signed(lo, unit)} to {signed(hi, unit)})"

    text = (f"{levers[0].upper()}{levers[1:]} would change revenue by {signed(t['revenue_change_pct'])}"
            f"{span('revenue_change_pct', '%')}, to {money(t['revenue'])} per 30 days, and utilization by "
            f"{signed(t['utilization_change_pp'], ' pp')}{span('utilization_change_pp', ' pp')}.")
    if result.campaign:
        c = result.campaign
        roi = "no cost" if c["roi"] is None else f"ROI {c['roi']:.0%}"
        text += (f" The campaign would keep about {c['saved']:.0f} customers ({c['saved_lo']:.0f}–{c['saved_hi']:.0f}) "
                 f"and {money(c['retained_revenue'])} of revenue over {c['horizon_days']} days for "
                 f"{money(c['cost'])} of contacts: net {money(c['net'])}, {roi}.")
    return text


def _clean(x: Any) -> Any:
    """JSON-safe copy: numpy scalars to Python, NaN/inf to None, dates to ISO strings."""
    if isinstance(x, Mapping):
        return {str(k): _clean(v) for k, v in x.items() if not str(k).startswith("_")}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, np.ndarray):
        return [_clean(v) for v in x.tolist()]
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return float(x) if math.isfinite(float(x)) else None
    if isinstance(x, (np.bool_,)):
        return bool(x)
    if isinstance(x, (datetime, date, pd.Timestamp)):
        return x.isoformat()
    return x


# --- saved scenarios ----------------------------------------------------------------------------

@dataclass(frozen=True)
class SavedScenario:
    id: int
    name: str
    author: str
    created_at: datetime
    scenario: Scenario
    result: dict[str, Any]


def _result_json(result: ScenarioResult | Mapping[str, Any]) -> str:
    data = result.to_dict() if isinstance(result, ScenarioResult) else _clean(result)
    return json.dumps(data, ensure_ascii=False, allow_nan=False)


def _clean_name(name: Any, what: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ScenarioError(f"the scenario's {what} cannot be empty")
    name = " ".join(name.split())
    if len(name) > 120:
        raise ScenarioError(f"the scenario's {what} is too long (at most 120 characters)")
    return name


def save_scenario(engine: Engine, *, name: str, author: str, scenario: Scenario,
                  result: ScenarioResult | Mapping[str, Any], overwrite: bool = False) -> int:
    """Save in one transaction and return the id. A name the author already used raises ScenarioExists
    unless overwrite=True, which replaces it (the old row goes only if the new one is written)."""
    name, author = _clean_name(name, "name"), _clean_name(author, "author")
    if not isinstance(scenario, Scenario):
        raise ScenarioError("save_scenario needs a Scenario")
    levers = json.dumps(_clean(scenario.to_dict()), ensure_ascii=False, allow_nan=False)
    try:
        with engine.begin() as conn:
            existing = conn.execute(sa.text(load_sql("whatif/find")), {"author": author, "name": name}).first()
            if existing is not None:
                if not overwrite:
                    raise ScenarioExists(f"you already have a scenario named {name!r}; choose another name "
                                         f"or overwrite it")
                conn.execute(sa.text(load_sql("whatif/delete_named")), {"author": author, "name": name})
            row = conn.execute(sa.text(load_sql("whatif/insert")),
                               {"name": name, "author": author, "levers": levers}).one()
            conn.execute(sa.text(load_sql("whatif/set_result")), {"id": row.id, "result": _result_json(result)})
            return int(row.id)
    except sa.exc.IntegrityError as exc:   # a concurrent save of the same name won the race
        if "unique" in str(exc.orig).lower():
            raise ScenarioExists(f"you already have a scenario named {name!r}; choose another name "
                                 f"or overwrite it") from None
        raise


def list_scenarios(engine: Engine) -> pd.DataFrame:
    """Saved scenarios, newest first, with their headline numbers."""
    return query_df(engine, "whatif/list")


def load_scenario(engine: Engine, *, id: int) -> SavedScenario:
    rows = query_df(engine, "whatif/load", id=int(id))
    if rows.empty:
        raise ScenarioNotFound(f"there is no saved scenario with id {id}")
    r = rows.iloc[0]
    levers = r["levers"] if isinstance(r["levers"], dict) else json.loads(r["levers"])
    result = r["result"] if isinstance(r["result"], dict) else json.loads(r["result"])
    return SavedScenario(id=int(r["id"]), name=r["name"], author=r["author"], created_at=r["created_at"],
                         scenario=Scenario.from_dict(levers), result=result)


def delete_scenario(engine: Engine, *, id: int, author: str) -> None:
    """Delete a saved scenario; only its author may."""
    with engine.begin() as conn:
        deleted = conn.execute(sa.text(load_sql("whatif/delete")), {"id": int(id), "author": author}).first()
        if deleted is not None:
            return
        owner = conn.execute(sa.text(load_sql("whatif/exists")), {"id": int(id)}).first()
    if owner is None:
        raise ScenarioNotFound(f"there is no saved scenario with id {id}")
    raise NotYourScenario(f"only {owner.author} can delete this scenario")


def compare_saved(saved: list[SavedScenario]) -> pd.DataFrame:
    """One row per saved scenario with its headline numbers, for a side-by-side table."""
    rows = []
    for s in saved:
        t = s.result.get("total", {})
        rows.append({
            "id": s.id, "name": s.name, "author": s.author, "created_at": s.created_at,
            "revenue_base": t.get("revenue_base"), "revenue": t.get("revenue"),
            "revenue_change_pct": t.get("revenue_change_pct"),
            "revenue_change_pct_lo": t.get("revenue_change_pct_lo"),
            "revenue_change_pct_hi": t.get("revenue_change_pct_hi"),
            "utilization_base": t.get("utilization_base"), "utilization": t.get("utilization"),
            "utilization_change_pp": t.get("utilization_change_pp"),
            "net_change_30d": t.get("net_change_30d"),
            "levers": "; ".join(s.scenario.describe()) or "no levers",
        })
    return pd.DataFrame(rows)

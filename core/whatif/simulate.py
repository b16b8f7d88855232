"""Running a scenario: the levers applied to the baseline's hourly cells, with an honest range.

How the model works (one step per lever, all on the same hourly cells):

1. Demand. A slot's demand is what it booked, or for a full slot its turned-away demand too
   (`core.whatif.demand`).
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
5. Campaign. A 30-day share of the revenue it retains is added to the scenario's revenue
   (`core.whatif.campaign`).

Bookings (counted at their start hour) follow the seat-hours of their club × hall type × weekday
type. The campaign changes revenue, not seat-hours: utilization does not count the customers it keeps.
Clubs' weekly variations are drawn independently, so the chain's range is on the narrow side.

With no levers the scenario equals the baseline exactly (the same sums of the same numbers).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from core.i18n import _
from core.i18n.format import percent, signed_number
from core.whatif import elasticity as el
from core.whatif.baseline import Baseline
from core.whatif.campaign import campaign_effect
from core.whatif.elasticity import ElasticityEstimate
from core.whatif.levers import OpeningHours, Scenario, ScenarioError
from core.whatif.result import PERIOD_DAYS, ScenarioResult, club_row, with_utilization
from core.whatif.words import club_label, hall_label

MAX_DRAWS = 20_000


def run_scenario(baseline: Baseline, scenario: Scenario, *, n_draws: int = 500,
                 random_state: int | None = 0) -> ScenarioResult:
    """Apply the levers to the baseline; pure, and deterministic for a given random_state.

    The central numbers use the elasticity's point value, the expected save rate and no weekly noise,
    so a scenario without levers equals the baseline exactly. Ranges come from `n_draws` draws of the
    elasticity (normal with its standard error, clamped), the save rate (Beta around the expected
    rate) and each club's ordinary week-to-week revenue variation.
    """
    _check(baseline, scenario, n_draws)
    rng = np.random.default_rng(random_state)
    elasticity = el.manual(scenario.elasticity) if scenario.elasticity is not None else baseline.elasticity
    model = _Model(baseline, scenario)
    f = model.period_factor                                   # 30 / days in each club's window

    central = model.evaluate(elasticity.value)
    rev_draws, seat_draws = _price_draws(model, central, elasticity, n_draws, rng)
    campaign, camp_club, camp_draws = campaign_effect(scenario.campaign, baseline.customers, baseline.risk_source,
                                                      model.club_ids, n_draws, rng)
    cv = baseline.weekly_cv().reindex(model.club_ids).fillna(0).to_numpy()
    noise = 1 + rng.normal(0, 1, (n_draws, len(model.club_ids))) * cv[None, :] * math.sqrt(7 / PERIOD_DAYS)

    base = {k: v * f for k, v in model.base.items()}
    scen = {k: central[k] * f for k in ("revenue", "seat_hours", "open_seat_hours", "bookings")}
    scen["revenue"] = scen["revenue"] + camp_club
    base_rev_draws = base["revenue"][None, :] * noise
    scen_rev_draws = rev_draws * noise + camp_draws

    names = baseline.club_names
    rows = [club_row(club, names.get(club, _("club {id}").format(id=club)), {k: v[i] for k, v in base.items()},
                     {k: v[i] for k, v in scen.items()}, base_rev_draws[:, i], scen_rev_draws[:, i], seat_draws[:, i])
            for i, club in enumerate(model.club_ids)]
    total = club_row(0, _("All selected clubs"), {k: float(v.sum()) for k, v in base.items()},
                     {k: float(v.sum()) for k, v in scen.items()}, base_rev_draws.sum(axis=1),
                     scen_rev_draws.sum(axis=1), seat_draws.sum(axis=1))
    cost_30d = 0.0 if campaign is None else campaign["cost"] * PERIOD_DAYS / campaign["horizon_days"]
    total["campaign_cost_30d"] = cost_30d
    total["net_change_30d"] = total["revenue_change"] - cost_30d
    notes = [*baseline.notes, *model.notes]
    if model.price_sensitive and elasticity.source == "default":
        notes.append(_("price response uses the default elasticity {value}: {reason}").format(
            value=signed_number(elasticity.value, 2), reason=elasticity.reason_text()))
    return ScenarioResult(
        scenario=scenario, elasticity=elasticity, clubs=pd.DataFrame(rows), total=total,
        by_band=model.by_band(central), campaign=campaign, notes=tuple(dict.fromkeys(notes)),
        n_draws=int(n_draws), club_names=names,
        baseline_window={"weeks": baseline.weeks, "first_day": str(baseline.first_day),
                         "end_day": str(baseline.end_day), "club_ids": list(model.club_ids)})


def _check(baseline: Baseline, scenario: Scenario, n_draws: int) -> None:
    if not isinstance(baseline, Baseline):
        raise ScenarioError(_("run_scenario needs a Baseline (see load_baseline)"))
    if not isinstance(scenario, Scenario):
        raise ScenarioError(_("run_scenario needs a Scenario"))
    if isinstance(n_draws, bool) or not isinstance(n_draws, (int, np.integer)) or not 0 <= n_draws <= MAX_DRAWS:
        raise ScenarioError(_("n_draws must be a whole number from 0 to {most}, got {value!r}").format(
            most=MAX_DRAWS, value=n_draws))


def _price_draws(model: _Model, central: dict, elasticity: ElasticityEstimate, n_draws: int,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Revenue and seat-hours per club over 30 days (draws × clubs) for draws of the elasticity;
    the central numbers repeated when the price does not change or the elasticity is certain."""
    f = model.period_factor
    eps = _elasticity_draws(elasticity, n_draws, rng) if model.price_sensitive else None
    if eps is None:
        return (np.repeat((central["revenue"] * f)[None, :], n_draws, axis=0),
                np.repeat((central["seat_hours"] * f)[None, :], n_draws, axis=0))
    evaluated = [model.evaluate(e) for e in eps]
    return (np.array([d["revenue"] for d in evaluated]) * f,
            np.array([d["seat_hours"] for d in evaluated]) * f)


def _elasticity_draws(e: ElasticityEstimate, n: int, rng: np.random.Generator) -> np.ndarray | None:
    if n == 0 or e.sampling_se == 0:
        return None
    return np.clip(rng.normal(e.value, e.sampling_se, n), *el.CLAMP)


CELL_KEYS = ["club_id", "hall_type", "day_type", "hour"]
HOURS_PER_BOOKING = 2.5      # for hours that open at a club whose hall type has no bookings to go by


class _Model:
    """The scenario's arithmetic on the baseline's hourly cells and slots (see the module doc).

    Built in steps, each setting the arrays the next ones use: the clubs, prices, seats, opening
    hours, the slots, the history and what newly opened hours would get. `evaluate` then applies an
    elasticity."""

    def __init__(self, baseline: Baseline, scenario: Scenario):
        self.notes: list[str] = []
        self.cells = baseline.cells
        self.club_ids = baseline.club_ids
        self.names = baseline.club_names
        self._index_clubs()
        self._set_prices(scenario)
        self._set_seats(scenario.seat_changes)
        self._set_hours(scenario.hours)
        self._index_slots(baseline.slots)
        self._set_history()
        self._new_hours()

    def _index_clubs(self) -> None:
        """Each cell's club (position) and group (club × hall type × weekday type); the 30-day factor."""
        cells = self.cells
        self.pos = {c: i for i, c in enumerate(self.club_ids)}
        self.ci = cells["club_id"].map(self.pos).to_numpy()
        self.n_clubs = len(self.club_ids)
        window = cells.groupby("club_id")["window_days"].max().reindex(self.club_ids).to_numpy(float)
        self.period_factor = PERIOD_DAYS / np.maximum(window, 1.0)
        self.group = np.unique(cells["club_id"].astype(str) + "|" + cells["hall_type"] + "|" + cells["day_type"],
                               return_inverse=True)[1]

    def _set_prices(self, scenario: Scenario) -> None:
        cells = self.cells
        self.price_pct = np.array([scenario.price_change(h, b) for h, b in zip(cells["hall_type"], cells["band"])],
                                  float)
        self.price = 1 + self.price_pct / 100
        self.price_sensitive = bool(np.any(self.price_pct != 0))

    def _set_seats(self, changes: tuple[tuple[int | None, str, int], ...]) -> None:
        """Seats per cell after the changes (per club × hall type), and their ratio to today's."""
        seats = self.cells["seats"].to_numpy(float)
        delta = np.zeros(len(self.cells))
        for club, hall_type, n in changes:
            delta[self._seat_change_cells(club, hall_type, seats)] += n
        new_seats = seats + delta
        if (new_seats < 0).any():
            i = int(np.flatnonzero(new_seats < 0)[0])
            raise ScenarioError(_("{club} has {seats} {hall} seats; removing {removed} would leave a negative "
                                  "number of seats").format(
                club=self.names.get(int(self.cells["club_id"].iloc[i]), ""), seats=int(seats[i]),
                hall=hall_label(self.cells["hall_type"].iloc[i]), removed=int(-delta[i])))
        self.seat_ratio = np.where(seats > 0, new_seats / np.where(seats > 0, seats, 1), 1.0)
        self.new_seats = np.where(seats > 0, new_seats, 0.0)

    def _seat_change_cells(self, club: int | None, hall_type: str, seats: np.ndarray) -> np.ndarray:
        """The cells a seat change applies to (halls of that type that have seats); a note for clubs without one."""
        cells = self.cells
        if club is not None and club not in self.pos:
            raise ScenarioError(_("club {club} is not in the selection; choose it in the sidebar or apply the seat "
                                  "change to every club").format(club=club))
        m = (cells["hall_type"].to_numpy() == hall_type) & (
            (cells["club_id"] == club).to_numpy() if club is not None else True)
        has = m & (seats > 0)
        missing = sorted({club_label(c, self.names) for c in cells.loc[m & ~has, "club_id"]}
                         - {club_label(c, self.names) for c in cells.loc[has, "club_id"]})
        if club is not None and not has.any():
            missing = [club_label(club, self.names)]
        if missing:
            self.notes.append(_("no {hall} hall at {clubs}: its seat change is left out").format(
                hall=hall_label(hall_type), clubs=", ".join(missing)))
        return has

    def _set_hours(self, hours: OpeningHours | None) -> None:
        """Which cells close or open, and the open seat-hours after the change."""
        cells = self.cells
        occ = cells["occurrences"].to_numpy(float)
        open_now = occ > 0
        open_new = open_now.copy()
        self.shift = 0.0
        if hours is not None:
            unknown = [c for c in hours.club_ids if c not in self.pos]
            if unknown:
                raise ScenarioError(_("club {club} is not in the selection; choose it in the sidebar first").format(
                    club=unknown[0]))
            affected = cells["club_id"].isin(hours.club_ids).to_numpy() if hours.club_ids else np.ones(len(cells), bool)
            open_new = np.where(affected, hours.is_open(cells["hour"].to_numpy()), open_now)
            self.shift = hours.shift_share
        self.closed = open_now & ~open_new
        self.opened = ~open_now & open_new
        occ_new = np.where(open_new, np.where(open_now, occ, cells["days"].to_numpy(float)), 0.0)
        self.open_new = self.new_seats * occ_new

    def _index_slots(self, slots: pd.DataFrame) -> None:
        """Each slot's demand, its capacity after the seat change, its cell and its hall-day."""
        index = pd.Series(np.arange(len(self.cells)), index=pd.MultiIndex.from_frame(self.cells[CELL_KEYS]))
        si = index.reindex(pd.MultiIndex.from_frame(slots[CELL_KEYS])).to_numpy()
        if np.isnan(si.astype(float)).any():
            raise ScenarioError(_("the baseline's slots do not match its cells; load the baseline again"))
        self.si = si.astype(int)
        self.demand = slots["demand"].to_numpy(float)
        self.slot_booked = slots["booked_seat_hours"].to_numpy(float)
        ratio = self.seat_ratio[self.si]
        self.cap = np.where(slots["full"].to_numpy(bool), self.slot_booked * ratio,
                            slots["capacity"].to_numpy(float) * ratio)
        self.slot_closed = self.closed[self.si]
        self.hall_day = np.unique(slots["hall_id"].astype(str) + "|" + slots["day"].astype(str),
                                  return_inverse=True)[1] if len(slots) else np.zeros(0, int)
        self.base_served = np.bincount(self.si, weights=self.slot_booked, minlength=len(self.cells))

    def _set_history(self) -> None:
        """The cells' history, the baseline per club, and the revenue per seat-hour of closing hours."""
        cells = self.cells
        self.booked = cells["booked_seat_hours"].to_numpy(float)
        self.revenue = cells["revenue"].to_numpy(float)
        self.bookings = cells["bookings"].to_numpy(float)
        # revenue per seat-hour of each club × hall type × weekday type's closing hours (at the new prices)
        k = self.group.max() + 1
        closed_rev = np.bincount(self.group, weights=np.where(self.closed, self.revenue * self.price, 0.0), minlength=k)
        closed_hours = np.bincount(self.group, weights=np.where(self.closed, self.booked, 0.0), minlength=k)
        self.closed_rate = np.divide(closed_rev, closed_hours, out=np.zeros(k), where=closed_hours > 0)[self.group]
        turned = np.bincount(self.si, weights=self.demand - self.slot_booked, minlength=len(cells))
        self.base = {
            "revenue": self._club_sum(self.revenue), "seat_hours": self._club_sum(self.booked),
            "open_seat_hours": self._club_sum(cells["open_seat_hours"].to_numpy(float)),
            "bookings": self._club_sum(self.bookings), "turned_away": self._club_sum(turned),
        }

    def _club_sum(self, x: np.ndarray) -> np.ndarray:
        return np.bincount(self.ci, weights=x, minlength=self.n_clubs)

    def _new_hours(self) -> None:
        """Utilization, revenue per seat-hour and hours per booking for hours that open."""
        n = len(self.cells)
        self.new_util = np.zeros(n)
        self.new_rate = np.zeros(n)
        self.new_hours_per_booking = np.ones(n)
        if not self.opened.any():
            return
        c = self.cells
        peer_util, level = self._peer_utilization()
        own_band, peer_band, own_rate, hpb = self._rates()
        no_peer: set[int] = set()
        for i in np.flatnonzero(self.opened):
            r = c.iloc[i]
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
            self.new_hours_per_booking[i] = float(hpb.get((r.club_id, r.hall_type), HOURS_PER_BOOKING))
        self.notes.append(_("demand in newly opened hours follows clubs in the selection that are open then, "
                            "scaled by each club's own level; {share} of it is taken from other hours").format(
            share=percent(self.shift)))
        if no_peer:
            hours = ", ".join(f"{h:02d}:00" for h in sorted(no_peer))
            self.notes.append(_("no club in the selection is open at {hours}, so no demand is assumed there").format(
                hours=hours))

    def _peer_utilization(self) -> tuple[pd.Series, pd.Series]:
        """Utilization of the open cells per hall type × weekday type × hour, and each club's level:
        its utilization over its open hours against the peers' over the same hours."""
        open_c = self.cells[self.cells["occurrences"] > 0]
        peer = open_c.groupby(["hall_type", "day_type", "hour"])[["booked_seat_hours", "open_seat_hours"]].sum()
        peer_util = (peer["booked_seat_hours"] / peer["open_seat_hours"].where(peer["open_seat_hours"] > 0)).fillna(0)
        mine = open_c.groupby(["club_id", "hall_type", "day_type"])[["booked_seat_hours", "open_seat_hours"]].sum()
        expected = open_c.assign(
            _exp=open_c.set_index(["hall_type", "day_type", "hour"]).index.map(peer_util).to_numpy(float)
            * open_c["open_seat_hours"]).groupby(["club_id", "hall_type", "day_type"])["_exp"].sum()
        level = (mine["booked_seat_hours"] / expected.where(expected > 0)).fillna(1.0).clip(0.2, 5.0)
        return peer_util, level

    def _rates(self) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
        """Revenue per booked seat-hour of a club's hall type in a band, of the peers' in a band and of a
        club's hall type overall; and a club's hall type's booked hours per booking."""
        c = self.cells
        by_band = c.groupby(["club_id", "hall_type", "band"])[["revenue", "booked_seat_hours"]].sum()
        own_band = by_band["revenue"] / by_band["booked_seat_hours"].where(by_band["booked_seat_hours"] > 0)
        peers_band = c.groupby(["hall_type", "band"])[["revenue", "booked_seat_hours"]].sum()
        peer_band = peers_band["revenue"] / peers_band["booked_seat_hours"].where(peers_band["booked_seat_hours"] > 0)
        own_all = c.groupby(["club_id", "hall_type"])[["revenue", "booked_seat_hours", "bookings"]].sum()
        own_rate = own_all["revenue"] / own_all["booked_seat_hours"].where(own_all["booked_seat_hours"] > 0)
        hpb = (own_all["booked_seat_hours"] / own_all["bookings"].where(own_all["bookings"] > 0)).fillna(
            HOURS_PER_BOOKING)
        return own_band, peer_band, own_rate, hpb

    def evaluate(self, elasticity: float) -> dict[str, np.ndarray]:
        """Per club (unscaled window totals): revenue, seat-hours, open seat-hours, bookings; and the cells."""
        m = self.price ** elasticity                      # exactly 1 where the price does not change
        served_cell, shifted_cell = self._served(self.demand * m[self.si])
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

    def _served(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per cell, the demand `x` of the slots served within their capacity, and what closed hours'
        demand adds where it moves: a share goes to the same hall's open hours that day, where it fits
        after the hours' own demand, and brings the revenue per seat-hour it had."""
        n_cells = len(self.cells)
        shifted_cell = np.zeros(n_cells)
        if self.slot_closed.any():
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
        return np.bincount(self.si, weights=served, minlength=n_cells), shifted_cell

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
        return with_utilization(g)

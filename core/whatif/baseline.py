"""The history scenarios start from.

`load_baseline(engine, ...)` reads the last `weeks` full weeks (SQL does the aggregation) into a
`Baseline`: per club × hall type × weekday type × local hour (with its time band) the bookings,
booked seat-hours, revenue (successful payments), open seat-hours and so utilization; the hourly
slots of every hall with their turned-away demand (`core.whatif.demand`); weekly revenue (for
ordinary variation); the customers a retention campaign could target, with their churn risk; and
the price elasticity estimate (`core.whatif.elasticity`).
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from core.i18n import _
from core.i18n.format import number
from core.platform.clubs import all_clubs, chain_today
from core.platform.calendar import public_holidays
from core.platform.db import query_df
from core.whatif import elasticity as el
from core.whatif.campaign import with_risk
from core.whatif.demand import unconstrain
from core.whatif.elasticity import ElasticityEstimate
from core.accounts import Account, scope
from core.whatif.levers import HALL_TYPES, ScenarioError, check_club_ids

MIN_WEEKS, MAX_WEEKS = 4, 26


@dataclass(frozen=True)
class Baseline:
    """History the scenarios start from. Build it with `load_baseline`."""

    cells: pd.DataFrame        # club × hall type × weekday type × hour (all 24), see sql/whatif/baseline.sql
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
    def hall_types(self) -> list[str]:
        """The hall types the selected clubs have, in the usual order."""
        present = set(self.cells["hall_type"])
        return [h for h in HALL_TYPES if h in present]

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


def load_baseline(engine: Engine, *, viewer: Account, club_ids: Iterable[int] | None = None, weeks: int = 12,
                  as_of: date | None = None, estimate: bool = True) -> Baseline:
    """Read the last `weeks` full weeks before `as_of` (default: each club's local today) for those of
    the clubs the viewer may see."""
    if not isinstance(weeks, (int, np.integer)) or not MIN_WEEKS <= weeks <= MAX_WEEKS:
        raise ScenarioError(_("the baseline needs {lo} to {hi} weeks of history, got {value!r}").format(
            lo=number(MIN_WEEKS), hi=number(MAX_WEEKS), value=weeks))
    asked = check_club_ids(club_ids)
    ids = scope.clubs(scope.viewer(viewer), asked)
    got = _read(engine, ids, int(weeks), as_of, estimate)
    cells = got["cells"]
    if cells.empty:
        raise ScenarioError(_("no clubs match the selection") if asked else _("there are no clubs in the database"))
    notes: list[str] = []
    customers, risk_source = with_risk(got["customers"], notes)
    elasticity = got["elasticity"] or el.default("not estimated")
    return make_baseline(cells, got["slots"], got["weekly"], customers, elasticity=elasticity, weeks=int(weeks),
                         risk_source=risk_source, notes=tuple(notes))


READERS = 2  # reads at a time: at tier L five at once slowed the biggest past the pages' 15 s statement timeout


def _read(engine: Engine, ids: list[int], weeks: int, as_of: date | None, estimate: bool) -> dict:
    """The baseline's independent reads, side by side, each on its own connection."""
    end = as_of or chain_today(all_clubs(engine)) + timedelta(days=1)  # the data's today, not the clock's
    holidays = public_holidays(end - timedelta(days=7 * weeks + 3), end)
    params = dict(club_ids=ids, as_of=as_of, weeks=weeks, holidays=holidays)
    as_of_ts = None if as_of is None else datetime.combine(as_of, datetime.min.time(), timezone.utc)
    with ThreadPoolExecutor(max_workers=READERS) as pool:
        jobs = {
            "cells": pool.submit(query_df, engine, "whatif/baseline", **params),
            "slots": pool.submit(query_df, engine, "whatif/slots", **params),
            "weekly": pool.submit(query_df, engine, "whatif/weekly_revenue", club_ids=ids, as_of=as_of, weeks=weeks),
            "customers": pool.submit(query_df, engine, "whatif/campaign_customers", club_ids=ids, as_of=as_of_ts),
            "elasticity": pool.submit(el.estimate_elasticity, engine, club_ids=ids, weeks=weeks, as_of=as_of,
                                      holidays=holidays) if estimate else None,
        }
        return {k: (None if f is None else f.result()) for k, f in jobs.items()}


def make_baseline(cells: pd.DataFrame, slots: pd.DataFrame, weekly: pd.DataFrame, customers: pd.DataFrame, *,
                  elasticity: ElasticityEstimate, weeks: int, risk_source: str,
                  notes: tuple[str, ...] = ()) -> Baseline:
    """Assemble a Baseline from query results (pure: estimates the full slots' unconstrained demand)."""
    cells = cells.copy()
    for col in ("bookings", "booked_seat_hours", "open_seat_hours", "revenue"):
        cells[col] = cells[col].astype(float)
    slots = unconstrain(slots.copy(), cells)
    return Baseline(cells=cells.reset_index(drop=True), slots=slots, weekly=weekly.copy(),
                    customers=customers.reset_index(drop=True), elasticity=elasticity, weeks=weeks,
                    risk_source=risk_source, notes=notes)

"""What a scenario run returns: baseline vs scenario per club and in total, per 30 days, with ranges."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from core.whatif.elasticity import ElasticityEstimate
from core.whatif.levers import Scenario
from core.whatif.words import summary

PERIOD_DAYS = 30


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
        return summary(self)

    def by_hall_type_and_band(self) -> pd.DataFrame:
        """The selected clubs together per hall type × time band, baseline vs scenario, with utilization."""
        g = self.by_band.groupby(["hall_type", "band"], as_index=False)[
            ["revenue_base", "revenue", "seat_hours_base", "seat_hours", "open_seat_hours_base",
             "open_seat_hours"]].sum()
        return with_utilization(g)

    def to_dict(self) -> dict[str, Any]:
        return json_safe({
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


def with_utilization(frame: pd.DataFrame) -> pd.DataFrame:
    """Add utilization (booked over open seat-hours; NaN without open hours), baseline and scenario."""
    frame["utilization_base"] = frame["seat_hours_base"] / frame["open_seat_hours_base"].where(
        frame["open_seat_hours_base"] > 0)
    frame["utilization"] = frame["seat_hours"] / frame["open_seat_hours"].where(frame["open_seat_hours"] > 0)
    return frame


def percentile_range(draws: np.ndarray, central: float) -> tuple[float, float]:
    """The 10th and 90th percentiles of the draws (the central number when there are none)."""
    if len(draws) == 0:
        return central, central
    lo, hi = np.percentile(draws, [10, 90])
    return float(lo), float(hi)


def club_row(club: int, name: str, base: dict[str, float], scen: dict[str, float], base_rev: np.ndarray,
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
    row["revenue_base_lo"], row["revenue_base_hi"] = percentile_range(base_rev, rb)
    row["revenue_lo"], row["revenue_hi"] = percentile_range(scen_rev, rs)
    lo, hi = percentile_range(change[np.isfinite(change)] * 100, change_pct)
    row["revenue_change_pct_lo"], row["revenue_change_pct_hi"] = min(lo, change_pct), max(hi, change_pct)
    lo, hi = percentile_range(util_draws[np.isfinite(util_draws)], us)
    row["utilization_lo"], row["utilization_hi"] = min(lo, us), max(hi, us)
    row["utilization_change_pp_lo"] = (row["utilization_lo"] - ub) * 100
    row["utilization_change_pp_hi"] = (row["utilization_hi"] - ub) * 100
    return row


def json_safe(x: Any) -> Any:
    """JSON-safe copy: numpy scalars to Python, NaN/inf to None, dates to ISO strings."""
    if isinstance(x, Mapping):
        return {str(k): json_safe(v) for k, v in x.items() if not str(k).startswith("_")}
    if isinstance(x, (list, tuple)):
        return [json_safe(v) for v in x]
    if isinstance(x, np.ndarray):
        return [json_safe(v) for v in x.tolist()]
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return float(x) if math.isfinite(float(x)) else None
    if isinstance(x, (np.bool_,)):
        return bool(x)
    if isinstance(x, (datetime, date, pd.Timestamp)):
        return x.isoformat()
    return x

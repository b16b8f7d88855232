"""Price elasticity of seat demand, estimated from the time-band price steps.

Within one hall the price per hour changes only at the edges of the time bands (morning ×0.70, day
×0.85, evening ×1.00, night ×0.80), while demand over the day moves smoothly with people's routines.
The estimate is a weighted log-log regression over cells of hall × weekday type × local start hour:

    log(seat-hours booked per open seat-hour) = ε · log(price paid per hour)
                                                + hall × weekday-type effects
                                                + smooth hour-of-day curve (Fourier terms per weekday type)

so ε is identified only by the jumps in demand at the band edges that a smooth daily curve cannot
explain. Only hourly-package bookings are used (bundles and night packages do not follow the band).
Weights are the bookings in a cell; standard errors are heteroskedasticity-robust (HC1).

Honesty rules. The estimate counts as identified only when (1) there are enough cells with bookings
and enough price variation, (2) its 95% interval lies below zero, and (3) it does not swing by more
than two standard errors when the smooth curve is made coarser or finer (2 or 4 harmonics instead
of 3). Otherwise the documented default DEFAULT_ELASTICITY (−0.6, a middle value for leisure
services) is used, and the raw estimate, its interval and the reason are still reported. An
identified estimate is clamped to [−2.5, −0.1].

On the demo chain demand does not react to price at all (the simulator draws visits from routines
and prices them afterwards), so the honest outcome there is "not identified": the estimate is close
to zero with an interval that covers zero, and the default is used.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sqlalchemy.engine import Engine

from core.i18n import N_, _
from core.i18n.format import number, signed_number
from core.platform.db import query_df

DEFAULT_ELASTICITY = -0.6
DEFAULT_ELASTICITY_SE = 0.3 / 1.2816   # the default's assumed 80% range: −0.3 … −0.9
CLAMP = (-2.5, -0.1)
HARMONICS = 3                          # of the smooth hour-of-day curve; 2 and 4 are the sensitivity checks
MIN_CELLS = 30
MIN_BOOKINGS = 300
Z80 = stats.norm.ppf(0.9)


@dataclass(frozen=True)
class ElasticityEstimate:
    """What the data say about the price elasticity, and the value the scenarios use."""

    value: float              # used by scenarios: the clamped estimate, or the default
    source: str               # 'estimated' | 'default' | 'manual'
    estimate: float | None    # the raw regression coefficient
    se: float | None
    ci80: tuple[float, float] | None   # of the raw estimate
    ci95: tuple[float, float] | None
    n_obs: int                # cells (hall × weekday type × hour) with bookings
    n_bookings: int
    method: str
    reason: str               # why the default was used, or what the estimate rests on (English, with {fields})
    sensitivity: dict[str, float] | None = None   # estimate with other numbers of harmonics
    reason_params: dict[str, float] | None = None  # the reason's {fields}; None: `reason` is plain text

    @property
    def identified(self) -> bool:
        return self.source == "estimated"

    @property
    def sampling_se(self) -> float:
        """The spread used to draw the elasticity in scenario simulations (0 for a manual value)."""
        if self.source == "manual":
            return 0.0
        if self.source == "estimated" and self.se is not None:
            return float(self.se)
        return DEFAULT_ELASTICITY_SE

    def reason_text(self) -> str:
        """The reason in the current language."""
        if self.reason_params is None:
            return _(self.reason)
        return _(self.reason).format(**{k: number(v, 0 if float(v).is_integer() else 2)
                                        for k, v in self.reason_params.items()})

    def label(self) -> str:
        """A short phrase for a page: 'estimated −0.42 (80% CI −0.61…−0.23; cells: 1,628, bookings: 20,311)'."""
        if self.source == "manual":
            return _("set by hand: {value}").format(value=_num(self.value))
        if self.source == "estimated":
            lo, hi = self.ci80
            return _("estimated {value} (80% CI {low}…{high}; cells: {cells}, bookings: {bookings})").format(
                value=_num(self.value), low=_num(lo), high=_num(hi), cells=number(self.n_obs),
                bookings=number(self.n_bookings))
        raw = ""
        if self.estimate is not None and self.ci80 is not None:
            lo, hi = self.ci80
            raw = _("; the data give {value} (80% CI {low}…{high}; cells: {cells})").format(
                value=_num(self.estimate), low=_num(lo), high=_num(hi), cells=number(self.n_obs))
        return _("default {value} — {reason}").format(value=_num(self.value), reason=self.reason_text()) + raw

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ci80"] = list(self.ci80) if self.ci80 else None
        d["ci95"] = list(self.ci95) if self.ci95 else None
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ElasticityEstimate:
        d = dict(d)
        for k in ("ci80", "ci95"):
            if d.get(k) is not None:
                d[k] = tuple(d[k])
        return cls(**d)


def manual(value: float) -> ElasticityEstimate:
    """An elasticity set by hand (no interval: the scenario does not sample it)."""
    value = float(value)
    if not np.isfinite(value) or not -5.0 <= value <= 0.0:
        raise ValueError(f"a price elasticity must be between -5 and 0, got {value}")
    return ElasticityEstimate(value=value, source="manual", estimate=None, se=None, ci80=None, ci95=None,
                              n_obs=0, n_bookings=0, method="set by hand", reason=N_("set by hand"),
                              reason_params={})


def default(reason: str, params: dict[str, float] | None = None, **raw: Any) -> ElasticityEstimate:
    """The default elasticity; `reason` is an N_-marked message and `params` its {fields}."""
    fields = dict(estimate=None, se=None, ci80=None, ci95=None, n_obs=0, n_bookings=0, sensitivity=None)
    fields.update(raw)
    return ElasticityEstimate(value=DEFAULT_ELASTICITY, source="default", method=_METHOD, reason=reason,
                              reason_params=dict(params or {}), **fields)


_METHOD = ("weighted log-log regression of seat-hours per open seat-hour on the price per hour across "
           "time-band edges, with hall × weekday-type effects and a smooth hour-of-day curve")


def estimate_elasticity(engine: Engine, *, club_ids: tuple[int, ...] | list[int] | None = None, weeks: int = 12,
                        as_of: date | None = None, holidays: list[date] | None = None) -> ElasticityEstimate:
    """Estimate the price elasticity of seat demand from the last `weeks` weeks (see the module doc)."""
    cells = query_df(engine, "whatif/elasticity_cells", club_ids=list(club_ids or []), as_of=as_of,
                     weeks=int(weeks), holidays=list(holidays or []))
    return estimate_from_cells(cells)


def estimate_from_cells(cells: pd.DataFrame, harmonics: int = HARMONICS) -> ElasticityEstimate:
    """The regression on a frame shaped like `scenario_elasticity_cells` (pure; used by the tests too)."""
    d = cells[(cells["bookings"] > 0) & (cells["seat_hours"] > 0) & (cells["seats"] > 0)
              & (cells["occurrences"] > 0) & cells["price_per_hour"].notna() & (cells["price_per_hour"] > 0)]
    n_obs, n_bookings = int(len(d)), int(d["bookings"].sum()) if len(d) else 0
    if n_obs < MIN_CELLS or n_bookings < MIN_BOOKINGS:
        return default(N_("too little data (cells with bookings: {cells}, bookings: {bookings})"),
                       {"cells": n_obs, "bookings": n_bookings}, n_obs=n_obs, n_bookings=n_bookings)
    group = d["hall_id"].astype(str) + "|" + d["day_type"].astype(str)
    within = np.log(d["price_per_hour"]).groupby(group).transform(lambda s: s - s.mean())
    if float(np.sqrt(np.mean(within ** 2))) < 0.01:
        return default(N_("prices do not vary across the day within a hall"), n_obs=n_obs, n_bookings=n_bookings)

    fits = {k: _fit(d, group, k) for k in sorted({harmonics, max(1, harmonics - 1), harmonics + 1})}
    beta, se, df_resid = fits[harmonics]
    if not np.isfinite(beta) or not np.isfinite(se) or se <= 0 or df_resid < 5:
        return default(N_("the regression is degenerate on these data"), n_obs=n_obs, n_bookings=n_bookings)
    t80, t95 = stats.t.ppf(0.9, df_resid), stats.t.ppf(0.975, df_resid)
    raw = dict(estimate=round(beta, 4), se=round(se, 4),
               ci80=(round(float(beta - t80 * se), 4), round(float(beta + t80 * se), 4)),
               ci95=(round(float(beta - t95 * se), 4), round(float(beta + t95 * se), 4)),
               n_obs=n_obs, n_bookings=n_bookings,
               sensitivity={f"{k} harmonics": round(float(v[0]), 4) for k, v in fits.items()})
    swing = max(abs(v[0] - beta) for v in fits.values())
    if raw["ci95"][1] >= 0:
        return default(N_("the data cannot tell it from zero (the 95% interval includes 0)"), **raw)
    if swing > 2 * se:
        return default(N_("the estimate moves by {swing} when the hour-of-day curve changes"),
                       {"swing": round(float(swing), 2)}, **raw)
    value = float(np.clip(beta, *CLAMP))
    if value == beta:
        reason, params = N_("price steps at the time-band edges"), {}
    else:
        reason = N_("price steps at the time-band edges (clamped from {raw} to the plausible range)")
        params = {"raw": round(float(beta), 2)}
    return ElasticityEstimate(value=round(value, 4), source="estimated", method=_METHOD, reason=reason,
                              reason_params=params, **raw)


def _fit(d: pd.DataFrame, group: pd.Series, harmonics: int) -> tuple[float, float, int]:
    """Weighted least squares; returns the price coefficient, its HC1 standard error and residual df."""
    y = np.log(d["seat_hours"].to_numpy(float) / (d["seats"].to_numpy(float) * d["occurrences"].to_numpy(float)))
    x = np.log(d["price_per_hour"].to_numpy(float))
    hour = d["hour"].to_numpy(float)
    columns = [x, pd.get_dummies(group, dtype=float).to_numpy()]
    for day_type in sorted(d["day_type"].unique()):
        m = (d["day_type"] == day_type).to_numpy(float)[:, None]
        for k in range(1, harmonics + 1):
            a = 2 * np.pi * k * hour / 24
            columns.append(m * np.column_stack([np.sin(a), np.cos(a)]))
    X = np.column_stack(columns)
    # drop columns that add nothing (e.g. a weekday type with too few hours for the harmonics)
    X = X[:, np.linalg.norm(X, axis=0) > 0]
    w = d["bookings"].to_numpy(float)
    sw = np.sqrt(w)
    beta, _, rank, _ = np.linalg.lstsq(X * sw[:, None], y * sw, rcond=None)
    n = len(y)
    resid = y - X @ beta
    bread = np.linalg.pinv((X * w[:, None]).T @ X)
    score = X * (w * resid)[:, None]
    cov = bread @ (score.T @ score) @ bread * n / max(n - rank, 1)
    return float(beta[0]), float(np.sqrt(max(cov[0, 0], 0.0))), int(n - rank)


def _num(x: float) -> str:
    """−0.42 with a typographic minus, the language's decimal sign."""
    return signed_number(x, 2).replace("-", "−")

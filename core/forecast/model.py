"""Daily revenue forecasts for one club or the whole chain (pass the summed series).

Model, on log(y + small offset) when the history is non-negative (raw values otherwise):

* a robust (Huber-weighted) ridge regression on day-of-week dummies, Kazakhstan
  holiday and school-break flags, yearly Fourier terms (only with >= 1 year of
  history) and a linear trend, recent days weighted more; zero/outage days get
  almost no weight, short histories fall back to the weekly pattern;
* the trend is damped when extrapolated, and a recent-level correction (an
  exponentially weighted mean of the latest residuals) is added and fades out;
* intervals are split-conformal: the model is refitted at up to 12 earlier
  origins over the last year, its errors per horizon step give a smooth scale
  a + b*sqrt(step), and quantiles of the scaled errors give the bounds;
  histories under 90 days get up to 80% wider intervals, as their calibration
  has seen little of the series.

`backtest` scores the model on rolling-origin held-out windows with MASE,
sMAPE and interval coverage, next to the seasonal-naive(7) baseline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.platform.calendar import holiday_flags

MIN_DAYS = 28  # fewest observed days we forecast from
MAX_HORIZON = 365
SEASON = 7

_YEAR = 365.25
_RIDGE = 3.0  # ridge penalty on the seasonal and calendar coefficients
_TREND_RIDGE = 1.0  # lighter penalty on the slope (per year)
_HALF_LIFE = 365.0  # recency weighting of the fit, in days
_HUBER = 2.0  # residuals beyond this many robust sigmas are down-weighted
_TREND_DAMP = 0.995  # per-day damping of the extrapolated trend
_LEVEL_ALPHA = 0.1  # smoothing of the recent-level correction
_LEVEL_DAMP = 0.97  # per-day fading of the recent-level correction
_CAL_ORIGINS = 12  # refits used to calibrate the intervals
_CAL_SPAN = 364  # calibration origins spread over the last year at most
_SHORT_DAYS = 90  # histories shorter than this get wider intervals ...
_SHORT_WIDEN = 0.8  # ... by up to this share, as calibration sees little of them


# ---------------------------------------------------------------- input


def _prepare(history: pd.Series) -> pd.Series:
    """Validate and return a float series on a gap-free daily index (NaN = missing)."""
    if not isinstance(history, pd.Series):
        raise ValueError("history must be a pandas Series indexed by day")
    index = history.index
    if isinstance(index, pd.PeriodIndex) and index.freqstr == "D":
        history = history.set_axis(index.to_timestamp())
        index = history.index
    if not isinstance(index, pd.DatetimeIndex):
        raise ValueError(f"history must have a daily DatetimeIndex, got {type(index).__name__}")
    if index.hasnans:
        raise ValueError("history index contains missing dates (NaT)")
    try:
        values = pd.to_numeric(history, errors="raise").astype(float)
    except (TypeError, ValueError) as exc:
        raise ValueError("history values must be numeric") from exc
    values = values.sort_index()
    if values.index.has_duplicates:
        raise ValueError("history has duplicate dates; aggregate to one value per day first")
    if len(values) < 2:
        raise ValueError(f"history needs at least {MIN_DAYS} observed days, got {len(values)}")

    # Wall-clock gaps must be whole days, and mostly one day (daily data).
    wall = values.index.tz_localize(None) if values.index.tz is not None else values.index
    gaps = np.diff(wall.values) / np.timedelta64(1, "D")
    if np.any(gaps != np.round(gaps)) or np.median(gaps) != 1:
        raise ValueError(
            "history must be daily (one value per calendar day); "
            "resample it with .resample('D').sum() first"
        )

    full = pd.date_range(values.index[0], values.index[-1], freq="D", name=values.index.name)
    values = values.reindex(full)
    values[~np.isfinite(values.to_numpy())] = np.nan
    first = values.first_valid_index()
    if first is not None:
        values = values.loc[first:]
    observed = int(values.notna().sum())
    if observed < MIN_DAYS:
        raise ValueError(f"history needs at least {MIN_DAYS} observed days, got {observed}")
    return values


def _check_horizon(horizon: int) -> int:
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)):
        raise ValueError(f"horizon must be an integer number of days, got {horizon!r}")
    if not 1 <= horizon <= MAX_HORIZON:
        raise ValueError(f"horizon must be between 1 and {MAX_HORIZON} days, got {horizon}")
    return int(horizon)


def _check_levels(levels: Sequence[float]) -> list[int]:
    out = []
    for level in levels:
        if isinstance(level, bool) or not isinstance(level, (int, float, np.number)):
            raise ValueError(f"levels must be whole percentages between 1 and 99, got {level!r}")
        if not 0 < level < 100 or float(level) != int(level):
            raise ValueError(f"levels must be whole percentages between 1 and 99, got {level!r}")
        out.append(int(level))
    if not out:
        raise ValueError("levels must contain at least one interval level, e.g. (80, 95)")
    return sorted(set(out))


# ---------------------------------------------------------------- model


def _fourier_terms(days: int) -> int:
    """Yearly Fourier pairs to use for a history of this many days."""
    if days < 365:
        return 0
    return 2 if days < 730 else 3


def _design(index: pd.DatetimeIndex, fourier: int) -> tuple[np.ndarray, np.ndarray]:
    """Regressors for every day of `index` and the ridge penalty of each column."""
    dow = index.day_of_week.to_numpy()
    cols = [(dow == d).astype(float) for d in range(1, 7)]
    penalty = [_RIDGE] * 6
    flags = holiday_flags(index)
    cols += [flags["holiday"].to_numpy(float), flags["school_break"].to_numpy(float)]
    penalty += [_RIDGE, _RIDGE]
    # Absolute day number, so Fourier phases do not depend on where the series starts.
    day = (index.tz_localize(None) if index.tz is not None else index).to_numpy()
    day = (day - np.datetime64("2000-01-01")) / np.timedelta64(1, "D")
    for k in range(1, fourier + 1):
        angle = 2 * np.pi * k * day / _YEAR
        cols += [np.sin(angle), np.cos(angle)]
        penalty += [_RIDGE, _RIDGE]
    return np.column_stack(cols), np.array(penalty)


@dataclass(frozen=True)
class _Fit:
    coef: np.ndarray
    intercept: float
    slope: float  # per day
    level: float  # recent-level correction at the last training day
    last_t: float  # row number of the last training day


def _ridge(x: np.ndarray, z: np.ndarray, w: np.ndarray, penalty: np.ndarray) -> tuple[np.ndarray, float]:
    """Weighted ridge with an unpenalised intercept."""
    sw = w.sum()
    x_mean = w @ x / sw
    z_mean = w @ z / sw
    xc = x - x_mean
    gram = (xc * w[:, None]).T @ xc + np.diag(penalty)
    coef = np.linalg.solve(gram, (xc * w[:, None]).T @ (z - z_mean))
    return coef, float(z_mean - x_mean @ coef)


def _fit(x: np.ndarray, z: np.ndarray, penalty: np.ndarray) -> _Fit:
    """Robust ridge fit (plus a linear trend) on the observed rows of z; NaN rows are skipped."""
    n = len(z)
    t = np.arange(n, dtype=float)
    ok = ~np.isnan(z)
    zs, ts = z[ok], t[ok]
    # Trend in per-year units, so its penalty means the same for any history length;
    # on short histories the penalty keeps the slope near zero.
    xs = np.column_stack([x[ok], ts / _YEAR])
    penalty = np.append(penalty, _TREND_RIDGE)
    recency = 0.5 ** ((n - 1 - ts) / _HALF_LIFE)
    weights = recency
    for _ in range(3):  # Huber reweighting: outage days and spikes lose their pull
        coef, intercept = _ridge(xs, zs, weights, penalty)
        resid = zs - xs @ coef - intercept
        sigma = 1.4826 * float(np.median(np.abs(resid - np.median(resid))))
        if sigma <= 1e-12:
            break
        limit = _HUBER * sigma
        weights = recency * np.minimum(1.0, limit / np.maximum(np.abs(resid), 1e-300))
    # Recent level: EWMA of clipped residuals, newest days weigh most.
    if sigma > 1e-12:
        resid = np.clip(resid, -_HUBER * sigma, _HUBER * sigma)
    decay = (1 - _LEVEL_ALPHA) ** (n - 1 - ts)
    level = float(decay @ resid / decay.sum())
    return _Fit(coef[:-1], intercept, coef[-1] / _YEAR, level, float(n - 1))


def _predict(fit: _Fit, x_future: np.ndarray) -> np.ndarray:
    """Model-space forecast for the rows after the training end."""
    steps = np.arange(1, len(x_future) + 1)
    trend_steps = np.cumsum(_TREND_DAMP**steps)
    return (
        fit.intercept
        + x_future @ fit.coef
        + fit.slope * (fit.last_t + trend_steps)
        + fit.level * _LEVEL_DAMP**steps
    )


class _Model:
    """Everything one history needs: transform, design matrix, fitting per origin."""

    def __init__(self, values: pd.Series, horizon: int) -> None:
        y = values.to_numpy(float)
        observed = y[~np.isnan(y)]
        self.nonneg = bool(np.all(observed >= 0))
        # log(y + offset) with an offset small against typical days: multiplicative
        # effects, any currency unit gives the same forecast, and zero days stay finite.
        positive = observed[observed > 0]
        self.offset = 0.01 * float(np.median(positive)) if len(positive) else 1.0
        self.z = np.log(y + self.offset) if self.nonneg else y
        self.n = len(y)
        self.horizon = horizon
        future = pd.date_range(values.index[-1], periods=horizon + 1, freq="D")[1:]
        self.future_index = future.rename(values.index.name)
        all_days = values.index.append(future)
        self.x_full, self.penalty_full = _design(all_days, _fourier_terms(self.n))
        self.base_cols = 8  # dow (6) + holiday + school_break; Fourier pairs follow

    def predict_from(self, end: int, steps: int) -> np.ndarray:
        """Fit on rows [0, end) and forecast `steps` rows after it (model space)."""
        cols = self.base_cols + 2 * _fourier_terms(end)
        x = self.x_full[:, :cols]
        fit = _fit(x[:end], self.z[:end], self.penalty_full[:cols])
        return _predict(fit, x[end : end + steps])

    def to_revenue(self, z: np.ndarray) -> np.ndarray:
        if not self.nonneg:
            return z
        return np.maximum(np.exp(z) - self.offset, 0.0)

    def calibration_errors(self) -> np.ndarray:
        """Signed model-space errors, one row per calibration origin, one column per step."""
        min_train = min(MIN_DAYS, self.n // 2)  # short histories calibrate on shorter fits
        steps = min(self.horizon, self.n - min_train)
        last = self.n - steps
        first = min(last, max(min_train, last - _CAL_SPAN))
        origins = np.unique(np.linspace(first, last, _CAL_ORIGINS).round().astype(int))
        errors = np.full((len(origins), steps), np.nan)
        for row, end in enumerate(origins):
            actual = self.z[end : end + steps]
            errors[row, : len(actual)] = actual - self.predict_from(end, len(actual))
        return errors


def _step_scale(errors: np.ndarray, horizon: int) -> np.ndarray:
    """Smooth error scale a + b*sqrt(h) for steps 1..horizon, fitted on calibration errors."""
    steps = np.arange(1, errors.shape[1] + 1)
    spread = np.abs(errors - np.nanmedian(errors))
    count = (~np.isnan(spread)).sum(axis=0)
    use = count > 0
    # Median, not mean: one outage day must not blow up the scale of its step.
    per_step = np.nanmedian(spread[:, use], axis=0)
    basis = np.column_stack([np.ones(use.sum()), np.sqrt(steps[use])])
    root_w = np.sqrt(count[use])
    (a, b), *_ = np.linalg.lstsq(basis * root_w[:, None], per_step * root_w, rcond=None)
    if b < 0:  # errors should not shrink further out
        a, b = float(np.average(per_step, weights=count[use])), 0.0
    scale = a + b * np.sqrt(np.arange(1, horizon + 1))
    # Keep it positive even when most errors are exactly zero (near-constant series).
    typical = float(np.average(per_step, weights=count[use])) or float(np.nanmean(spread))
    return np.maximum(scale, 0.1 * typical)


def _interval_offsets(
    errors: np.ndarray, horizon: int, levels: list[int]
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Lower/upper model-space offsets per step for each level (normalised conformal)."""
    if not np.any(np.abs(errors[~np.isnan(errors)]) > 0):
        zero = np.zeros(horizon)
        return {level: (zero, zero) for level in levels}
    scale = _step_scale(errors, horizon)
    ratios = (errors / scale[: errors.shape[1]])[~np.isnan(errors)]  # calibrated steps <= horizon
    k = len(ratios)
    out = {}
    for level in levels:
        alpha = 1 - level / 100
        # Finite-sample conformal correction of the quantile levels.
        q_lo = max(0.0, alpha / 2 * (k + 1) / k - 1 / k)
        q_hi = min(1.0, (1 - alpha / 2) * (k + 1) / k)
        r_lo, r_hi = np.quantile(ratios, [q_lo, q_hi])
        out[level] = (np.minimum(r_lo * scale, 0.0), np.maximum(r_hi * scale, 0.0))
    return out


# ---------------------------------------------------------------- public API


def forecast(history: pd.Series, horizon: int, levels: Sequence[float] = (80, 95)) -> pd.DataFrame:
    """Forecast the next `horizon` days of a daily series.

    Returns a frame indexed by the next `horizon` days with `yhat` and
    `lo_{L}`/`hi_{L}` for each interval level L (in percent). Missing days
    and NaNs in the history are skipped; forecasts of a non-negative series are
    never negative.
    """
    horizon = _check_horizon(horizon)
    levels = _check_levels(levels)
    values = _prepare(history)
    model = _Model(values, horizon)
    z_hat = model.predict_from(model.n, horizon)
    errors = model.calibration_errors()

    out = pd.DataFrame({"yhat": model.to_revenue(z_hat)}, index=model.future_index)
    widen = 1 + _SHORT_WIDEN * max(0.0, 1 - model.n / _SHORT_DAYS)
    for level, (lo, hi) in _interval_offsets(errors, horizon, levels).items():
        lo, hi = lo * widen, hi * widen
        out[f"lo_{level}"] = np.minimum(model.to_revenue(z_hat + lo), out["yhat"])
        out[f"hi_{level}"] = np.maximum(model.to_revenue(z_hat + hi), out["yhat"])
    return out


def seasonal_naive(history: pd.Series, horizon: int, season: int = SEASON) -> pd.Series:
    """Repeat the last `season` days (missing days filled from other weeks)."""
    horizon = _check_horizon(horizon)
    values = _fill(_prepare(history))
    last = values.to_numpy()[-season:]
    future = pd.date_range(values.index[-1], periods=horizon + 1, freq="D")[1:]
    return pd.Series(np.resize(last, horizon), index=future, name="yhat")


def _fill(values: pd.Series) -> pd.Series:
    """Fill missing days from the same weekday nearby, then by interpolation."""
    filled = values.copy()
    for lag in (7, -7, 14, -14):
        filled = filled.fillna(values.shift(lag))
    return filled.interpolate(limit_direction="both")


def _mase_scale(train: np.ndarray) -> float:
    """In-sample mean absolute error of the seasonal-naive(7) forecast."""
    diff = np.abs(train[SEASON:] - train[:-SEASON])
    diff = diff[~np.isnan(diff)]
    return float(diff.mean()) if len(diff) else float("nan")


def _mase(actual: np.ndarray, pred: np.ndarray, scale: float) -> float:
    mae = float(np.mean(np.abs(actual - pred)))
    if scale > 0:
        return mae / scale
    return 0.0 if mae == 0 else float("inf")


def _smape(actual: np.ndarray, pred: np.ndarray) -> float:
    """Symmetric MAPE in percent (0..200); days where both are zero count as 0."""
    den = np.abs(actual) + np.abs(pred)
    ratio = np.divide(2 * np.abs(actual - pred), den, out=np.zeros_like(den), where=den > 0)
    return float(100 * ratio.mean())


@dataclass(frozen=True)
class Backtest:
    """Rolling-origin scores averaged over the held-out windows."""

    horizon: int
    windows: int
    mase: float
    smape: float  # percent
    coverage: dict[int, float] = field(default_factory=dict)  # level -> share of actuals inside
    baseline_mase: float = float("nan")  # seasonal-naive(7) on the same windows
    baseline_smape: float = float("nan")

    def as_dict(self) -> dict[str, float]:
        out: dict[str, float] = {
            "horizon": self.horizon,
            "windows": self.windows,
            "mase": self.mase,
            "smape": self.smape,
        }
        out.update({f"coverage_{level}": share for level, share in self.coverage.items()})
        out["baseline_mase"] = self.baseline_mase
        out["baseline_smape"] = self.baseline_smape
        return out


def window_origins(length: int, horizon: int, windows: int) -> list[int]:
    """Start positions of `windows` back-to-back held-out windows ending the series."""
    return [length - horizon * k for k in range(windows, 0, -1)]


def backtest(
    history: pd.Series, horizon: int, windows: int = 4, levels: Sequence[float] = (80, 95)
) -> Backtest:
    """Score `forecast` on the last `windows` back-to-back windows of `horizon` days.

    Each window trains on everything before its origin. MASE is scaled by the
    in-sample seasonal-naive(7) MAE of that training part; days missing in the
    history are not scored.
    """
    horizon = _check_horizon(horizon)
    levels = _check_levels(levels)
    if isinstance(windows, bool) or not isinstance(windows, (int, np.integer)) or windows < 1:
        raise ValueError(f"windows must be a positive integer, got {windows!r}")
    values = _prepare(history)
    origins = window_origins(len(values), horizon, windows)
    if origins[0] < MIN_DAYS or values.iloc[: origins[0]].notna().sum() < MIN_DAYS:
        raise ValueError(
            f"history too short for {windows} windows of {horizon} days: "
            f"the first window needs {MIN_DAYS} observed days before it"
        )

    scores: dict[str, list[float]] = {"mase": [], "smape": [], "base_mase": [], "base_smape": []}
    inside: dict[int, list[float]] = {level: [] for level in levels}
    for origin in origins:
        train, test = values.iloc[:origin], values.iloc[origin : origin + horizon]
        seen = test.notna().to_numpy()
        if not seen.any():
            continue
        fc = forecast(train, horizon, levels)
        base = seasonal_naive(train, horizon).to_numpy()
        actual = test.to_numpy()[seen]
        scale = _mase_scale(train.to_numpy())
        yhat = fc["yhat"].to_numpy()[seen]
        scores["mase"].append(_mase(actual, yhat, scale))
        scores["smape"].append(_smape(actual, yhat))
        scores["base_mase"].append(_mase(actual, base[seen], scale))
        scores["base_smape"].append(_smape(actual, base[seen]))
        for level in levels:
            lo, hi = fc[f"lo_{level}"].to_numpy()[seen], fc[f"hi_{level}"].to_numpy()[seen]
            inside[level].append(float(np.mean((actual >= lo) & (actual <= hi))))

    mean = {key: float(np.mean(vals)) if vals else float("nan") for key, vals in scores.items()}
    return Backtest(
        horizon=horizon,
        windows=windows,
        mase=mean["mase"],
        smape=mean["smape"],
        coverage={level: float(np.mean(v)) if v else float("nan") for level, v in inside.items()},
        baseline_mase=mean["base_mase"],
        baseline_smape=mean["base_smape"],
    )

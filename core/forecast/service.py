"""The revenue forecast as the app and the retrain use it: the daily revenue series, the backtest
windows, the forecast with its track record in plain words, and a forecast for every series."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy.engine import Engine

from core.accounts import Account, audit, scope
from core.forecast.model import MIN_DAYS, Backtest, backtest, forecast
from core.i18n import N_, _, ngettext
from core.i18n.format import percent
from core.platform.clubs import all_club_ids, chain_calendar
from core.platform.db import query_df
from core.platform.thresholds import MIN_FORECAST_DAYS

LEVELS = (80, 95)
BACKTEST_WINDOWS = 4  # at most this many back-to-back held-out windows
SHOW_HISTORY_DAYS = 120  # history drawn before the forecast, at most
EVERY_SERIES_HORIZON = 90  # the retrain forecasts every club and the chain this far ahead ...
EVERY_SERIES_BACKTEST = 30  # ... and scores 30-day windows
CHAIN = 0  # the club id of the whole chain's series
FORECAST_COLUMNS = ["club_id", "day", "yhat", "lo_80", "hi_80", "lo_95", "hi_95"]


def backtest_windows(days: int, horizon: int, most: int = BACKTEST_WINDOWS) -> int:
    """How many back-to-back held-out windows of `horizon` days a history of `days` days can score,
    each with MIN_DAYS of history before it (0: none)."""
    return max(0, min(most, (days - MIN_DAYS) // horizon))


def score(history: pd.Series, horizon: int, levels: Sequence[float] = LEVELS) -> Backtest | None:
    """The backtest of `horizon`-day forecasts on as many windows as the history allows (None: none)."""
    windows = backtest_windows(len(history), horizon)
    return backtest(history, horizon, windows, levels) if windows >= 1 else None


# ---------------------------------------------------------------- the daily revenue series


def revenue_by_club(engine: Engine, *, club_ids: Sequence[int]) -> pd.DataFrame:
    """Revenue per club and complete club-local day (day, club_id, revenue) of some clubs."""
    ids = [int(c) for c in club_ids]
    frame = query_df(engine, "forecast/daily_revenue", club_ids=ids)
    return frame[frame.club_id.isin(ids)].reset_index(drop=True)


def daily_revenue(engine: Engine, *, viewer: Account, club_ids: Sequence[int],
                  until: date | None = None) -> pd.Series:
    """Daily revenue of some of the viewer's clubs together on a gap-free daily index (days without
    revenue are 0), from the first day with revenue to `until` (default: the last complete day)."""
    return clubs_daily_revenue(engine, club_ids=scope.clubs(scope.viewer(viewer), club_ids), until=until)


def clubs_daily_revenue(engine: Engine, *, club_ids: Sequence[int], until: date | None = None) -> pd.Series:
    """`daily_revenue` of some clubs, for the chain's own work (alert delivery), never for a page."""
    frame = revenue_by_club(engine, club_ids=club_ids)
    if frame.empty:  # no revenue yet (a club just added): still a daily index, as every caller expects
        return pd.Series(dtype=float, name="revenue", index=pd.DatetimeIndex([], name="day"))
    series = frame.groupby(pd.to_datetime(frame.day)).revenue.sum()
    last = pd.Timestamp(until) if until is not None else series.index.max()
    full = pd.date_range(series.index.min(), max(last, series.index.min()), freq="D")
    return series.reindex(full, fill_value=0.0).rename("revenue").rename_axis("day")


def observed_days(history: pd.Series) -> int:
    """Days with revenue in a history."""
    return int(history.gt(0).sum())


def not_enough_history(history: pd.Series) -> str | None:
    """"not enough data yet: X of Y days with revenue" below the product's minimum for a forecast
    (core/platform/thresholds.py; docs/models.md has the evidence), else None."""
    from core.data.requirements import Need

    need = Need("forecast", "revenue_days", N_("days with revenue"), observed_days(history), MIN_FORECAST_DAYS)
    return None if need.met else need.text()


# ---------------------------------------------------------------- the Forecast page


@dataclass(frozen=True)
class RevenueForecast:
    """A forecast of `horizon` days after a history, with its backtest and the figures the page shows."""

    horizon: int
    table: pd.DataFrame  # day index; yhat, lo_80, hi_80, lo_95, hi_95
    recent: pd.Series  # the last SHOW_HISTORY_DAYS of the history
    history_days: int
    backtest: Backtest | None
    accuracy: str  # the backtest in plain words

    @property
    def total(self) -> float:
        return float(self.table.yhat.sum())

    @property
    def next_week(self) -> float:
        return float(self.table.yhat.iloc[:7].sum())

    @property
    def last_week(self) -> float:
        return float(self.recent.iloc[-7:].sum())

    @property
    def week_change(self) -> float | None:
        """The next 7 days against the last 7 (a fraction; None when the last 7 had no revenue)."""
        return self.next_week / self.last_week - 1 if self.last_week > 0 else None

    @property
    def average_day(self) -> float:
        return float(self.table.yhat.mean())


def revenue_forecast(history: pd.Series, horizon: int) -> RevenueForecast | None:
    """The forecast and its backtest for a daily history (None: fewer than MIN_DAYS days with revenue)."""
    if observed_days(history) < MIN_DAYS:
        return None
    table = forecast(history, horizon, LEVELS)
    scores = score(history, horizon)
    return RevenueForecast(horizon=horizon, table=table, recent=history.iloc[-SHOW_HISTORY_DAYS:],
                           history_days=len(history), backtest=scores,
                           accuracy=accuracy_words(scores, horizon, len(history)))


def accuracy_words(scores: Backtest | None, horizon: int, history_days: int) -> str:
    """The backtest in plain words."""
    if scores is None:
        return _("There is not enough history yet to test a {horizon}-day forecast: it needs {needed} days and "
                 "there are {days}. Try a shorter horizon.").format(horizon=horizon, needed=MIN_DAYS + horizon,
                                                                    days=history_days)
    text = ngettext("Over the last period of {horizon} days, the forecast was off by {error} on average",
                    "Over the last {windows} periods of {horizon} days, the forecast was off by {error} on average",
                    scores.windows).format(windows=scores.windows, horizon=horizon, error=percent(scores.smape / 100))
    if math.isfinite(scores.baseline_mase) and scores.baseline_mase > 0 and math.isfinite(scores.mase):
        gain = 1 - scores.mase / scores.baseline_mase
        if gain >= 0.005:
            text += _("; it beat the 'same day last week' rule by {gain}").format(gain=percent(gain))
        elif gain <= -0.005:
            text += _("; it did {loss} worse than the 'same day last week' rule").format(loss=percent(-gain))
        else:
            text += _("; it did as well as the 'same day last week' rule")
    coverage = scores.coverage.get(80)
    if coverage is not None and math.isfinite(coverage):
        text += _("; the 80% band held the actual value {share} of the time").format(share=percent(coverage))
        wide = scores.coverage.get(95)
        if wide is not None and math.isfinite(wide):
            text += _(" (the 95% band: {share})").format(share=percent(wide))
    return text + "."


def export_frame(result: RevenueForecast, label: str) -> pd.DataFrame:
    """The forecast table for a CSV: scope (the label of the clubs), day, and whole tenge."""
    out = result.table.round(0).reset_index(names="day")
    out["day"] = out.day.dt.date
    out.insert(0, "scope", label)
    return out


def forecast_export(engine: Engine, *, viewer: Account, club_ids: Sequence[int], until: date, horizon: int,
                    label: str, fmt: str = "csv", labels: Mapping[str, str] | None = None) -> bytes:
    """The forecast of some of the viewer's clubs as a CSV or XLSX file, recorded as an export (empty without
    enough history); `labels` the header's names (None: the columns')."""
    ids = scope.clubs(scope.viewer(viewer), club_ids)
    result = revenue_forecast(daily_revenue(engine, viewer=viewer, club_ids=ids, until=until), horizon)
    frame = export_frame(result, label) if result is not None else pd.DataFrame(columns=["scope", "day"])
    return audit.export(engine, viewer, frame, what="forecast", fmt=fmt, club_ids=ids,
                        filters={"clubs": ids, "until": until, "horizon": int(horizon), "label": label},
                        labels=labels, money=["yhat", "lo_80", "hi_80", "lo_95", "hi_95"])


# ---------------------------------------------------------------- every series (the retrain)


def forecast_every_series(engine: Engine, *, until: datetime | None = None) -> tuple[pd.DataFrame, dict]:
    """A 90-day forecast for each club and the chain (club 0), with backtest metrics; with `until` (a
    moment in the past), from the days before its local date only, as a retrain then would have."""
    daily = revenue_by_club(engine, club_ids=all_club_ids(engine))  # the same numbers the pages chart
    daily["day"] = pd.to_datetime(daily["day"])
    if until is not None:
        zone = ZoneInfo(chain_calendar(engine).timezone)
        daily = daily[daily.day < pd.Timestamp(until.astimezone(zone).date())]
    if daily.empty:
        return pd.DataFrame(columns=FORECAST_COLUMNS), {}
    wide = daily.pivot_table(index="day", columns="club_id", values="revenue", aggfunc="sum")
    series = {CHAIN: wide.sum(axis=1, min_count=1)} | {int(k): wide[k].dropna() for k in wide.columns}
    frames, per_club = [], {}
    for club_id, history in series.items():
        history = history.astype(float)
        try:
            fc = forecast(history, EVERY_SERIES_HORIZON)
        except ValueError:
            continue  # too little history (a club opened recently)
        frames.append(fc.rename_axis("day").reset_index().assign(club_id=club_id))
        scored = score(history, EVERY_SERIES_BACKTEST)
        if scored is not None:
            per_club[club_id] = scored.as_dict()
    result = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=FORECAST_COLUMNS)
    result["day"] = pd.to_datetime(result["day"]).dt.date
    chain = per_club.get(CHAIN, {})
    pooled = {}
    if per_club:
        scores = pd.DataFrame(per_club.values())
        pooled = {"series": int(len(scores)), "mean_mase": float(scores.mase.mean()),
                  "mean_baseline_mase": float(scores.baseline_mase.mean()),
                  "beats_baseline": int((scores.mase < scores.baseline_mase).sum()),
                  "coverage_80": float(scores.coverage_80.mean()), "coverage_95": float(scores.coverage_95.mean())}
    return result, {**chain, "all_series": pooled, "clubs": {str(k): v for k, v in per_club.items() if k != CHAIN}}

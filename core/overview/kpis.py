"""Live KPI cards for the overview: pure functions on plain frames (no Streamlit, no SQL).

The input is the `live_kpi_clubs` query: one row per club and `weeks_ago` (0 = today so far, 1-4 =
the same weekday 1-4 weeks ago, cut at the same club-local time of day). Predictions are full-day
expectations; alerts compare "by now" values against what the same weekday had by the same time,
so an early hour of a normal day never looks like a bad day. The alert rules are in `alerts.py`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np
import pandas as pd

from core.i18n import _
from core.i18n.format import number, percent
from core.platform.thresholds import HIGH_RISK

NORMAL, WARNING, CRITICAL = "normal", "warning", "critical"
LEVELS = (NORMAL, WARNING, CRITICAL)
RANK = {NORMAL: 0, WARNING: 1, CRITICAL: 2}

WEEKS = (1, 2, 3, 4)  # same weekday, 1-4 weeks ago
MIN_DAY_SHARE = 0.15  # revenue alerts wait until this share of a usual day's revenue is in
SILENT_HOURS = 2  # a club with no new bookings for this long while it is open ...
SILENT_MIN_EXPECTED = 3.0  # ... when it usually gets at least this many in that time (P(0) ~ 5%)
UTIL_WARNING = 0.75  # utilization by now below 75% of the same weekday's ...
UTIL_CRITICAL = 0.5  # ... or below half of it
UTIL_MIN_USUAL = 0.05  # ignore clubs that are usually (almost) empty at this time
HIGH_VALUE_WARNING = 1.1  # high-value customers at risk up 10% on the previous model ...
HIGH_VALUE_CRITICAL = 1.3  # ... or up 30%
AT_RISK_WARNING = 1.2

_SUM_COLUMNS = (
    "seats", "open_seat_hours_by_now", "open_seat_hours_full_day", "revenue_by_now", "revenue_full_day",
    "bookings_by_now", "bookings_full_day", "occupied", "seat_hours_by_now", "seat_hours_full_day",
    "bookings_recent",
)


def worst(levels: Iterable[str]) -> str:
    """The most severe of some alert levels (normal when there are none)."""
    return max(levels, key=lambda level: RANK.get(level, 0), default=NORMAL)


@dataclass(frozen=True)
class Kpi:
    """One KPI card: the value so far, the full-day prediction, how sure we are, and the alert."""

    key: str
    label: str
    current: float | None
    predicted: float | None = None
    confidence: float | None = None  # 0-100
    alert: str = NORMAL
    unit: str = ""  # "₸", "%" or ""
    expected_by_now: float | None = None
    note: str = ""  # where the prediction comes from / why the alert

    @property
    def change(self) -> float | None:
        """What the card's delta shows: customers at risk against the previous model (a count), any
        other card against its usual value by this time (a fraction). None when there is nothing to compare."""
        if self.current is None:
            return None
        if self.key == "customers_at_risk":
            return None if self.predicted is None else self.current - self.predicted
        if not self.expected_by_now:
            return None
        return self.current / self.expected_by_now - 1


@dataclass(frozen=True)
class Forecast:
    """Today's full-day revenue forecast: central value and lower bounds of the 80% and 95% bands."""

    yhat: float
    lo_80: float
    lo_95: float
    hi_80: float = math.nan
    hi_95: float = math.nan
    confidence: float | None = None  # 100 - backtest sMAPE


@dataclass(frozen=True)
class RiskCounts:
    """Customers at risk now (active model) and under the previous model version (None: no previous)."""

    at_risk_now: int
    at_risk_before: int | None = None
    high_value_now: int = 0
    high_value_before: int | None = None
    confidence: float | None = None


@dataclass(frozen=True)
class LiveTotals:
    """The live query summed over some clubs, one row per weeks_ago (0..4)."""

    weeks: pd.DataFrame
    fetched_at: datetime | None = None
    clubs: tuple[int, ...] = field(default_factory=tuple)

    def today(self, column: str) -> float:
        return float(self.weeks.loc[0, column]) if 0 in self.weeks.index else 0.0

    def past(self, column: str) -> np.ndarray:
        return np.array([float(self.weeks.loc[w, column]) for w in WEEKS if w in self.weeks.index])

    def usual(self, column: str) -> float | None:
        values = self.past(column)
        return float(values.mean()) if len(values) else None

    def steadiness(self, column: str) -> float | None:
        """0-100: how alike the same weekdays were (100 - coefficient of variation in percent)."""
        values = self.past(column)
        if len(values) < 2 or values.mean() <= 0:
            return None
        return float(np.clip(100 * (1 - values.std(ddof=1) / values.mean()), 0, 100))

    @property
    def day_share(self) -> float | None:
        """Share of a usual day's revenue taken by this time of day (same weekdays, past weeks)."""
        full = self.past("revenue_full_day").sum()
        return float(self.past("revenue_by_now").sum() / full) if full > 0 else None


def totals(live: pd.DataFrame, club_ids: Iterable[int] | None = None) -> LiveTotals:
    """Sum the live rows of some clubs (all when None) per weeks_ago."""
    frame = live if club_ids is None else live[live.club_id.isin(list(club_ids))]
    frame = frame.assign(
        open_seat_hours_by_now=frame.seats * frame.open_hours_by_now,
        open_seat_hours_full_day=frame.seats * frame.open_hours_full_day,
    )
    weeks = frame.groupby("weeks_ago")[list(_SUM_COLUMNS)].sum().astype(float)
    weeks = weeks.reindex(range(0, 5), fill_value=0.0)
    fetched = pd.to_datetime(frame.loc[frame.weeks_ago == 0, "cut_ts"]).max() if len(frame) else None
    return LiveTotals(weeks=weeks, fetched_at=None if pd.isna(fetched) else fetched.to_pydatetime(),
                      clubs=tuple(sorted(int(c) for c in frame.club_id.unique())))


def ratio(a: float, b: float) -> float | None:
    return a / b if b > 0 else None


def revenue_level(current_by_now: float, forecast: Forecast | None, share: float | None) -> str:
    """Critical below the 95% band's lower bound scaled to this time of day, warning below the 80% one."""
    if forecast is None or share is None or share < MIN_DAY_SHARE:
        return NORMAL
    if current_by_now < forecast.lo_95 * share:
        return CRITICAL
    if current_by_now < forecast.lo_80 * share:
        return WARNING
    return NORMAL


def shortfall_level(current: float, usual: float | None, *, minimum: float, warn_below: float = 0.5) -> str:
    """Warning when a count is under `warn_below` of its usual value (only when the usual is big enough)."""
    if usual is None or usual < minimum:
        return NORMAL
    return WARNING if current < warn_below * usual else NORMAL


def utilization_level(today: float | None, past: Iterable[float]) -> str:
    """Utilization by now against the same weekday by the same time in recent weeks."""
    past = [p for p in past if p is not None and not math.isnan(p)]
    if today is None or not past:
        return NORMAL
    usual = float(np.mean(past))
    if usual < UTIL_MIN_USUAL:
        return NORMAL
    if today < UTIL_CRITICAL * usual:
        return CRITICAL
    if today < UTIL_WARNING * usual and today < min(past):
        return WARNING
    return NORMAL


def risk_level(now: int, before: int | None, *, warn: float, critical: float | None = None) -> str:
    if not before:
        return NORMAL
    if critical is not None and now > critical * before:
        return CRITICAL
    if now > warn * before:
        return WARNING
    return NORMAL


def build_kpis(t: LiveTotals, forecast: Forecast | None = None, risk: RiskCounts | None = None) -> list[Kpi]:
    """The five overview cards for some clubs, computed from the live query and the forecast."""
    share = t.day_share
    cards: list[Kpi] = []

    revenue = t.today("revenue_by_now")
    if forecast is not None:
        cards.append(Kpi(
            "revenue_today", _("Revenue today"), revenue, forecast.yhat, forecast.confidence,
            revenue_level(revenue, forecast, share), "₸",
            expected_by_now=forecast.yhat * share if share is not None else None,
            note=_("forecast for the whole day; alert against its 80% and 95% bands scaled to this hour")))
    else:
        usual = t.usual("revenue_full_day")
        cards.append(Kpi("revenue_today", _("Revenue today"), revenue, usual, t.steadiness("revenue_full_day"),
                         NORMAL, "₸", expected_by_now=t.usual("revenue_by_now"),
                         note=_("no forecast yet: the same weekday's average over the last 4 weeks")))

    bookings = t.today("bookings_by_now")
    usual_by_now = t.usual("bookings_by_now")
    cards.append(Kpi(
        "bookings_today", _("Bookings today"), bookings, t.usual("bookings_full_day"),
        t.steadiness("bookings_full_day"), shortfall_level(bookings, usual_by_now, minimum=10), "",
        expected_by_now=usual_by_now, note=_("the same weekday's average over the last 4 weeks")))

    seats = t.today("seats")
    occupied = t.today("occupied")
    usual_occupied = t.usual("occupied")
    cards.append(Kpi(
        "seats_occupied_now", _("Seats in use"), occupied, usual_occupied, t.steadiness("occupied"),
        shortfall_level(occupied, usual_occupied, minimum=5), "",
        expected_by_now=usual_occupied,
        note=_("of {seats} seats; usual: this time on the same weekday").format(seats=number(seats))))

    util_today = ratio(t.today("seat_hours_by_now"), t.today("open_seat_hours_by_now"))
    util_past = [ratio(t.weeks.loc[w, "seat_hours_by_now"], t.weeks.loc[w, "open_seat_hours_by_now"])
                 for w in WEEKS]
    util_full = [ratio(t.weeks.loc[w, "seat_hours_full_day"], t.weeks.loc[w, "open_seat_hours_full_day"])
                 for w in WEEKS]
    util_full = [u for u in util_full if u is not None]
    util_usual_now = [u for u in util_past if u is not None]
    cards.append(Kpi(
        "utilization_today", _("Utilization today"), None if util_today is None else 100 * util_today,
        100 * float(np.mean(util_full)) if util_full else None, t.steadiness("seat_hours_full_day"),
        utilization_level(util_today, util_usual_now), "%",
        expected_by_now=100 * float(np.mean(util_usual_now)) if util_usual_now else None,
        note=_("booked seat-hours / open seat-hours since local midnight")))

    if risk is not None:
        cards.append(Kpi(
            "customers_at_risk", _("Customers at risk"), risk.at_risk_now, risk.at_risk_before, risk.confidence,
            worst([risk_level(risk.at_risk_now, risk.at_risk_before, warn=AT_RISK_WARNING),
                   risk_level(risk.high_value_now, risk.high_value_before, warn=HIGH_VALUE_WARNING,
                              critical=HIGH_VALUE_CRITICAL)]),
            "", note=_("churn risk of {risk} or more; prediction = the previous model's count").format(
                risk=percent(HIGH_RISK / 100))))
    else:
        cards.append(Kpi("customers_at_risk", _("Customers at risk"), None, note=_("no customer scores yet")))
    return cards


# ai_dashboard_summary() metrics taken as they are (same names as the card keys). Its revenue_today
# counts payments made today (paid_at), while the forecast history counts the revenue of the bookings
# dated today, so for revenue only its prediction and confidence are used; its utilization_today
# divides by the whole day's capacity (about 3% at 7 a.m.), so ours stays.
SUMMARY_METRICS = ("bookings_today", "seats_occupied_now", "customers_at_risk")


def _num(value) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _level(value) -> str:
    return str(value) if str(value) in LEVELS else NORMAL


def apply_summary(cards: list[Kpi], summary: pd.DataFrame) -> list[Kpi]:
    """Cards with the values of `ai_dashboard_summary()` (the chain-wide view), metric by metric.

    Bookings, seats occupied and customers at risk take the function's current value, prediction,
    confidence and alert (customers only when there are scores: without them it says 0). Revenue keeps
    our current value and alert, and takes the function's prediction and confidence when it has one
    (the active model's forecast): its alert compares payments made today with that forecast of the
    bookings dated today, and its lower band can collapse onto the forecast, so it cries wolf early in
    the day. Utilization stays ours. The `high_value_at_risk` row's alert raises the customers card's
    alert when it is worse.
    """
    rows = {str(r.metric_name): r for r in summary.itertuples()} if len(summary) else {}
    out = []
    for card in cards:
        row = rows.get(card.key)
        if row is None:
            out.append(card)
        elif card.key == "revenue_today":
            predicted = _num(row.predicted_value)
            if predicted is None:
                out.append(card)
            else:
                out.append(replace(card, predicted=predicted, confidence=_num(row.confidence_level),
                                   note=card.note + _("; prediction from the active model (ai_dashboard_summary)")))
        elif card.key in SUMMARY_METRICS and not (card.key == "customers_at_risk" and card.current is None):
            alert = _level(row.alert_level)
            if card.key == "customers_at_risk" and "high_value_at_risk" in rows:
                alert = worst([alert, _level(rows["high_value_at_risk"].alert_level)])
            out.append(replace(card, current=_num(row.current_value), predicted=_num(row.predicted_value),
                               confidence=_num(row.confidence_level), alert=alert,
                               note=card.note + " (ai_dashboard_summary)"))
        else:
            out.append(card)
    return out

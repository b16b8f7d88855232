"""Alert rules for the overview: pure functions on the live KPI rows and the cards (no SQL).

Each rule compares today so far with the same weekday by the same time in recent weeks (or with
today's forecast), so an early hour of a normal day never raises an alert.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.i18n import _, ngettext
from core.i18n.format import date_text, money, number, percent, time_text
from core.overview.kpis import (
    CRITICAL,
    HIGH_VALUE_CRITICAL,
    HIGH_VALUE_WARNING,
    NORMAL,
    RANK,
    SILENT_HOURS,
    SILENT_MIN_EXPECTED,
    WARNING,
    WEEKS,
    Kpi,
    RiskCounts,
    ratio,
    risk_level,
    totals,
    utilization_level,
)
from core.platform.thresholds import HIGH_VALUE_SHARE


# The kinds of alert; alert delivery (core/alerts) keys an incident by its kind and club.
REVENUE, SILENT_CLUB, UTILIZATION, HIGH_VALUE = "revenue", "silent_club", "utilization", "high_value_risk"
MODEL_QUALITY = "model_quality"
KINDS = (SILENT_CLUB, REVENUE, UTILIZATION, HIGH_VALUE, MODEL_QUALITY)


@dataclass(frozen=True)
class Alert:
    level: str
    title: str
    detail: str
    club_id: int | None = None
    kind: str = ""


def revenue_alerts(cards: list[Kpi], scope: str) -> list[Alert]:
    """Revenue so far below the forecast's 80% (warning) or 95% (critical) band scaled to this hour."""
    out = []
    for card in cards:
        if card.key == "revenue_today" and card.alert in (WARNING, CRITICAL) and card.predicted:
            band = percent(0.95 if card.alert == CRITICAL else 0.80)
            expected = (_("; about {amount} is usual by now").format(amount=money(card.expected_by_now))
                        if card.expected_by_now else "")
            out.append(Alert(card.alert,
                             _("Revenue below the forecast's {band} band ({scope})").format(band=band, scope=scope),
                             _("{current} so far against a forecast of {predicted} for the day{expected}.").format(
                                 current=money(card.current), predicted=money(card.predicted), expected=expected),
                             kind=REVENUE))
    return out


def silent_clubs(live: pd.DataFrame, club_ids: Iterable[int] | None = None, *,
                 hours: int = SILENT_HOURS, min_expected: float = SILENT_MIN_EXPECTED,
                 names: Mapping[int, str] | None = None) -> list[Alert]:
    """Clubs that are open, usually get bookings at this time, and have had none for `hours` hours."""
    frame = live if club_ids is None else live[live.club_id.isin(list(club_ids))]
    out = []
    for club_id, rows in frame.groupby("club_id"):
        today = rows[rows.weeks_ago == 0]
        past = rows[rows.weeks_ago.isin(WEEKS)]
        if today.empty or past.empty or not bool(today.open_now.iloc[0]):
            continue
        expected = float(past.bookings_recent.mean())
        if int(today.bookings_recent.iloc[0]) == 0 and expected >= min_expected:
            name = (names or {}).get(int(club_id)) or str(today.club_name.iloc[0])
            last = today.last_booking_at.iloc[0]
            since = "" if pd.isna(last) else " " + _("The last booking came in at {time} UTC.").format(
                time=time_text(_utc(last)))
            out.append(Alert(
                CRITICAL,
                ngettext("No bookings at {club} for {hours} hour", "No bookings at {club} for {hours} hours",
                         hours).format(club=name, hours=hours),
                _("It is open and usually gets about {expected} bookings in that time.{since} Check the booking "
                  "system, the internet line and the front desk.").format(expected=number(expected), since=since),
                int(club_id), SILENT_CLUB))
    return out


def utilization_alerts(live: pd.DataFrame, club_ids: Iterable[int] | None = None, *,
                       names: Mapping[int, str] | None = None) -> list[Alert]:
    """Clubs whose utilization so far today is well below the same weekday in recent weeks."""
    frame = live if club_ids is None else live[live.club_id.isin(list(club_ids))]
    out = []
    for club_id, rows in frame.groupby("club_id"):
        t = totals(rows)
        today = ratio(t.today("seat_hours_by_now"), t.today("open_seat_hours_by_now"))
        past = [ratio(t.weeks.loc[w, "seat_hours_by_now"], t.weeks.loc[w, "open_seat_hours_by_now"])
                for w in WEEKS]
        past = [p for p in past if p is not None]
        level = utilization_level(today, past)
        if level == NORMAL:
            continue
        name = (names or {}).get(int(club_id)) or str(rows.club_name.iloc[0])
        out.append(Alert(
            level, _("Utilization falling at {club}").format(club=name),
            ngettext("{today} of seat-hours booked so far today against {usual} by this time on the same weekday "
                     "last week.",
                     "{today} of seat-hours booked so far today against {usual} by this time on the same weekday "
                     "over the last {weeks} weeks.", len(past)).format(
                today=percent(today), usual=percent(float(np.mean(past))), weeks=len(past)),
            int(club_id), UTILIZATION))
    return out


def high_value_alerts(risk: RiskCounts | None) -> list[Alert]:
    """More of the most valuable customers at risk than under the previous model."""
    if risk is None:
        return []
    level = risk_level(risk.high_value_now, risk.high_value_before, warn=HIGH_VALUE_WARNING,
                       critical=HIGH_VALUE_CRITICAL)
    if level == NORMAL:
        return []
    change = risk.high_value_now / risk.high_value_before - 1
    return [Alert(level, _("More high-value customers at risk"),
                  _("{now} of the top {share} of customers by lifetime value are at risk of leaving, up {change} "
                    "from {before} under the previous model. Reach out to them from the Customers page.").format(
                      now=number(risk.high_value_now), share=percent(HIGH_VALUE_SHARE), change=percent(change),
                      before=number(risk.high_value_before)), kind=HIGH_VALUE)]


def model_quality_alerts(declines: pd.DataFrame, *, names: Mapping[int, str] | None = None) -> list[Alert]:
    """Live churn predictions that turned out clearly worse than their version promised at training
    (rows of `core.models.performance.declines`: the newest graded version, per scope)."""
    out = []
    for row in declines.itertuples():
        scope = _("whole chain") if row.club_id == 0 else _("customers of {club}").format(
            club=(names or {}).get(int(row.club_id), str(row.club_id)))
        out.append(Alert(
            WARNING, _("Churn predictions did worse than promised ({scope})").format(scope=scope),
            _("Version {version}'s churn risks for the {days} days after {day} ranked the customers who left with "
              "a ROC AUC of {live}, against {promised} on held-out customers when it was trained. Retrain it, and "
              "check what changed in the data. Details on the Models page.").format(
                version=row.version, days=number(row.horizon_days), day=date_text(row.data_end),
                live=number(row.live_auc, 2), promised=number(row.promised_auc, 2)),
            None if row.club_id == 0 else int(row.club_id), MODEL_QUALITY))
    return out


def _utc(moment) -> pd.Timestamp:
    moment = pd.Timestamp(moment)
    return moment.tz_convert("UTC") if moment.tzinfo is not None else moment


def sort_alerts(alerts: Iterable[Alert]) -> list[Alert]:
    """The most severe first."""
    return sorted(alerts, key=lambda a: -RANK.get(a.level, 0))

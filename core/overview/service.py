"""What the Overview page shows: today's live KPI cards against their predictions, the alerts, and the
revenue trend with today's forecast, for the chosen clubs.

The parts refresh at different speeds, so the page caches them separately: `live_figures` every few
seconds, `risk_counts` every few minutes, `today_forecast` once per history. `overview` puts them together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from sqlalchemy.engine import Engine

from core.accounts import Account, scope
from core.forecast import service as forecast_service
from core.forecast.model import forecast
from core.i18n import _
from core.models import service as models
from core.overview import alerts as rules
from core.overview import kpis
from core.platform.db import query_df

TREND_DAYS = 7  # the moving average drawn under the daily revenue


@dataclass(frozen=True)
class LiveFigures:
    """The live KPI rows of some clubs (one per club and weeks_ago) and their totals."""

    rows: pd.DataFrame
    totals: kpis.LiveTotals


@dataclass(frozen=True)
class Overview:
    cards: list[kpis.Kpi]
    alerts: list[rules.Alert]  # the most severe first

    def card(self, key: str) -> kpis.Kpi:
        return next(c for c in self.cards if c.key == key)


def live_figures(engine: Engine, *, viewer: Account, club_ids: Sequence[int]) -> LiveFigures:
    """Today so far and the same weekday 1-4 weeks ago, cut at the same local time, for some of the
    viewer's clubs."""
    return clubs_live_figures(engine, club_ids=scope.clubs(scope.viewer(viewer), club_ids))


def clubs_live_figures(engine: Engine, *, club_ids: Sequence[int]) -> LiveFigures:
    """`live_figures` of some clubs, for the chain's own work (alert delivery), never for a page."""
    ids = [int(c) for c in club_ids]
    rows = query_df(engine, "overview/live_kpis", silent_hours=kpis.SILENT_HOURS, club_ids=ids)
    rows = rows[rows.club_id.isin(ids)].reset_index(drop=True)
    return LiveFigures(rows=rows, totals=kpis.totals(rows, ids))


def revenue_history(engine: Engine, *, viewer: Account, club_ids: Sequence[int], today: date) -> pd.Series:
    """Daily revenue of some of the viewer's clubs together up to yesterday (complete days)."""
    return forecast_service.daily_revenue(engine, viewer=viewer, club_ids=club_ids, until=today - timedelta(days=1))


def clubs_revenue_history(engine: Engine, *, club_ids: Sequence[int], today: date) -> pd.Series:
    """`revenue_history` of some clubs, for the chain's own work (alert delivery), never for a page."""
    return forecast_service.clubs_daily_revenue(engine, club_ids=club_ids, until=today - timedelta(days=1))


def today_forecast(history: pd.Series, today: date) -> kpis.Forecast | None:
    """Today's full-day revenue forecast from the history up to yesterday, with the confidence a 7-day
    backtest gives it (100 - sMAPE); None without enough history."""
    if history.empty or forecast_service.not_enough_history(history):
        return None
    days_ahead = (pd.Timestamp(today) - history.index.max()).days
    row = forecast(history, days_ahead, (80, 95)).iloc[-1]
    scores = forecast_service.score(history, 7)
    confidence = None
    if scores is not None and pd.notna(scores.smape):
        confidence = max(0.0, 100.0 - scores.smape)
    return kpis.Forecast(yhat=float(row.yhat), lo_80=float(row.lo_80), lo_95=float(row.lo_95),
                         hi_80=float(row.hi_80), hi_95=float(row.hi_95), confidence=confidence)


def revenue_trend(history: pd.Series, start: date, end: date) -> pd.DataFrame:
    """Daily revenue between two days (day index; revenue, and the 7-day average when a week is shown)."""
    shown = history[(history.index >= pd.Timestamp(start)) & (history.index <= pd.Timestamp(end))]
    out = pd.DataFrame({"revenue": shown})
    if len(shown) >= TREND_DAYS:
        out["week_average"] = history.rolling(TREND_DAYS).mean().reindex(shown.index)
    return out


def risk_counts(engine: Engine, *, viewer: Account, club_ids: Sequence[int]) -> kpis.RiskCounts | None:
    """Customers at risk (and high-value ones) under the active and the previous model, for some of the
    viewer's clubs; None before the first model."""
    ids = scope.clubs(scope.viewer(viewer), club_ids)
    frame = query_df(engine, "overview/customers_at_risk", club_ids=ids)
    return _risk(engine, frame[frame.club_id.isin(ids)])


def risk_counts_by_club(engine: Engine, *, club_ids: Sequence[int]) -> dict[int, kpis.RiskCounts | None]:
    """`risk_counts` of each club on its own, from one query (for alert delivery)."""
    ids = [int(c) for c in club_ids]
    frame = query_df(engine, "overview/customers_at_risk", club_ids=ids)
    return {c: _risk(engine, frame[frame.club_id == c]) for c in ids}


def _risk(engine: Engine, chosen: pd.DataFrame) -> kpis.RiskCounts | None:
    if chosen.empty:
        return None
    previous = bool(chosen.has_previous.any())
    model = models.active_model(engine)
    auc = None if model is None or pd.isna(model.get("churn_auc")) else float(model["churn_auc"])
    return kpis.RiskCounts(
        at_risk_now=int(chosen.at_risk_now.sum()),
        at_risk_before=int(chosen.at_risk_before.sum()) if previous else None,
        high_value_now=int(chosen.high_value_now.sum()),
        high_value_before=int(chosen.high_value_before.sum()) if previous else None,
        confidence=None if auc is None else 100 * auc,
    )


def live_by_club(live: LiveFigures) -> dict[int, LiveFigures]:
    """The live figures of each club on its own (for alert delivery, which keys alerts by club)."""
    out = {}
    for club_id, rows in live.rows.groupby("club_id"):
        rows = rows.reset_index(drop=True)
        out[int(club_id)] = LiveFigures(rows=rows, totals=kpis.totals(rows, [int(club_id)]))
    return out


def live_quality(engine: Engine, *, viewer: Account, club_ids: Sequence[int]) -> pd.DataFrame:
    """The scopes (of the viewer's clubs) where the newest graded version's live churn predictions fell
    clearly below its promise (empty: none, or nothing graded yet); see `core.models.performance`."""
    from core.models import performance

    return performance.declines(performance.performance(engine, club_ids=scope.clubs(scope.viewer(viewer),
                                                                                      club_ids)))


def live_quality_by_club(engine: Engine, *, club_ids: Sequence[int]) -> dict[int, pd.DataFrame]:
    """`live_quality` of each club on its own, from one query (for alert delivery, which runs as the
    system and scopes each message by its subscriber's clubs)."""
    from core.models import performance

    table = performance.performance(engine, club_ids=club_ids)
    return {int(c): performance.declines(table[table.club_id == int(c)]) for c in club_ids}


def chain_summary(engine: Engine, *, viewer: Account, club_ids: Sequence[int]) -> pd.DataFrame:
    """`ai_dashboard_summary(club_ids)`: the KPIs of some of the viewer's clubs with the active model's
    predictions."""
    return query_df(engine, "overview/dashboard_summary", club_ids=scope.clubs(scope.viewer(viewer), club_ids))


def cards(live: LiveFigures, forecast_today: kpis.Forecast | None, risk: kpis.RiskCounts | None = None,
          summary: pd.DataFrame | None = None, risk_note: str | None = None) -> list[kpis.Kpi]:
    """The five KPI cards; with the chain-wide summary when the whole chain is shown. `risk_note` says why
    there is no churn risk (the data cannot support it yet): the card then shows no number."""
    built = kpis.build_kpis(live.totals, forecast_today, None if risk_note else risk)
    built = kpis.apply_summary(built, summary) if summary is not None else built
    if risk_note:
        built = [kpis.Kpi(c.key, c.label, None, note=risk_note) if c.key == "customers_at_risk" else c for c in built]
    return built


def overview(live: LiveFigures, forecast_today: kpis.Forecast | None, risk: kpis.RiskCounts | None,
             summary: pd.DataFrame | None, *, names: Mapping[int, str], whole_chain: bool,
             scope: str | None = None, quality: pd.DataFrame | None = None,
             risk_note: str | None = None) -> Overview:
    """The cards and the alerts for the chosen clubs; `scope` names them in the revenue alert, `quality` is
    `live_quality` (model decline); `risk_note` says why there is no churn risk (not enough data yet)."""
    shown = cards(live, forecast_today, risk, summary, risk_note)
    risk = None if risk_note else risk
    club_ids = list(live.totals.clubs)
    scope = scope or (_("whole chain") if whole_chain else _("selected clubs"))
    found = rules.revenue_alerts(shown, scope)
    found += rules.silent_clubs(live.rows, club_ids, names=names)
    found += rules.utilization_alerts(live.rows, club_ids, names=names)
    found += rules.high_value_alerts(risk)
    if quality is not None:
        found += rules.model_quality_alerts(quality, names=names)
    return Overview(cards=shown, alerts=rules.sort_alerts(found))

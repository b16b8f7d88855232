"""What the Models page and the sidebar show: the versions, the active one's scores against simple
rules and earlier versions, its prediction quality in plain terms, what drives churn risk, how live
predictions turned out; and the manager's actions (retrain, roll back), whose role checks happen in
`core.models.jobs`."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from core.accounts import Account, scope
from core.data import requirements
from core.i18n import N_, _
from core.i18n.format import number
from core.models import performance, quality, registry
from core.models.gate import gate_text
from core.platform.db import query_df
from core.platform.settings import Settings, load_settings

RetrainBusy = registry.RetrainBusy
TOP_DRIVERS = 12
churn_quality = quality.churn_quality  # the grade, calibration and risk spread (also on the Customers page)

STATUS_NAMES = {"active": N_("active"), "candidate": N_("candidate"), "rejected": N_("rejected"),
                "retired": N_("retired"), "backtest": N_("backtest")}

# The churn model's features in words (core.customers.features), for the "what drives churn" chart.
FEATURE_NAMES = {
    "recency_days": N_("days since the last visit"), "frequency": N_("visits"), "tenure_days": N_("days as a customer"),
    "monetary_total": N_("total spend"), "monetary_avg": N_("spend per visit"), "monetary_90d": N_("spend, 90 days"),
    "avg_session_hours": N_("hours per session"), "visits_per_week": N_("visits per week"),
    "overdue_visits": N_("overdue visits"), "visits_30d": N_("visits, 30 days"), "visits_90d": N_("visits, 90 days"),
    "trend": N_("visit trend"), "night_share": N_("share of night visits"), "cancel_share": N_("share cancelled"),
    "no_show_share": N_("share of no-shows"), "failed_payment_share": N_("share of failed payments"),
    "days_since_signup": N_("days since sign-up"), "fav_club_id": N_("favourite club"),
    "fav_hall_type": N_("favourite hall type"), "fav_band": N_("favourite time of day"),
    "booked_ahead": N_("bookings made ahead"), "posterior_no_visit": N_("chance of no visit, from the history"),
    "posterior_active": N_("chance still active, from the history"),
    "posterior_weekly_rate": N_("visits a week, from the history"),
}


def versions(engine: Engine) -> pd.DataFrame:
    """Every model version, newest first, with its headline metrics (`models/versions`); `notes` in the
    current language when the version kept its verdict (older versions keep their English notes), and
    `status_label`, the status in words."""
    table = registry.list_versions(engine)
    if len(table):
        table["notes"] = [gate_text((m or {}).get("gate")) or n for m, n in zip(table.metrics, table.notes)]
    table["status_label"] = [_(STATUS_NAMES[v]) if v in STATUS_NAMES else v for v in table.status]
    return table


def active_row(table: pd.DataFrame) -> pd.Series | None:
    """The active version's row of `versions` (the newest when none is active; None without versions)."""
    if table.empty:
        return None
    live = table[table.status == "active"]
    return live.iloc[0] if not live.empty else table.iloc[0]


def active_model(engine: Engine) -> dict[str, Any] | None:
    """The active version with when it was trained and its headline scores (None: none active yet)."""
    rows = query_df(engine, "models/active_model")
    return None if rows.empty else rows.iloc[0].to_dict()


def scored_customers(engine: Engine, *, viewer: Account, club_ids) -> int:
    """The active version's scored customers the viewer may count: all of them for an account of the whole
    chain, those whose favourite club is among its clubs of `club_ids` for an account of some clubs."""
    who = scope.viewer(viewer)
    ids = None if who.whole_chain else scope.clubs(who, club_ids)
    return int(query_df(engine, "models/scored_customers", club_ids=ids).customers.iloc[0])


def skipped_models(engine: Engine) -> dict[str, str]:
    """The models the active version skipped, each with its "not enough data yet: X of Y …" notice
    ({} when every model was trained, or before the first version)."""
    model = active_model(engine)
    if model is None:
        return {}
    metrics = model.get("metrics") or {}
    notices = {m: requirements.not_enough(metrics, m) for m in requirements.MODELS}
    return {m: text for m, text in notices.items() if text}


def model_status(active: pd.Series) -> pd.DataFrame:
    """Which models the version trained and which it skipped, and why (model, trained, why)."""
    status = (active.metrics or {}).get("models") or {}
    rows = []
    for model in requirements.MODELS:
        if model not in status:
            continue
        notice = requirements.not_enough({"models": status}, model)
        rows.append({"model": _(requirements.MODEL_NAMES[model]), "trained": bool(status[model].get("trained")),
                     "why": notice or _("enough data")})
    return pd.DataFrame(rows, columns=["model", "trained", "why"])


def metric_rows(active: pd.Series) -> pd.DataFrame:
    """The active version's held-out scores next to a simple rule, BG/NBD alone and the learned posterior
    alone (metric, model, simple rule, BG/NBD alone, posterior alone), as text in the current language's
    number format ("—" when missing)."""
    metrics = active.metrics or {}
    churn = metrics.get("churn", {})
    recency = churn.get("baselines", {}).get("recency", {})
    bgnbd = churn.get("baselines", {}).get("bgnbd", {})
    posterior = churn.get("baselines", {}).get("posterior", {})
    fc = metrics.get("forecast", {})
    clv = metrics.get("clv", {})
    rows = [
        (_("Churn: ROC AUC"), churn.get("roc_auc"), recency.get("roc_auc"), bgnbd.get("roc_auc"),
         posterior.get("roc_auc")),
        (_("Churn: PR AUC"), churn.get("pr_auc"), recency.get("pr_auc"), bgnbd.get("pr_auc"), posterior.get("pr_auc")),
        (_("Churn: Brier score (lower is better)"), churn.get("brier"), churn.get("brier_base_rate"),
         bgnbd.get("brier"), posterior.get("brier")),
        (_("Revenue forecast: MASE (lower is better)"), fc.get("mase"), fc.get("baseline_mase"), None, None),
        (_("Revenue forecast: 80% band coverage"), fc.get("coverage_80"), None, None, None),
        (_("Visits next 30 days: mean abs. error"), clv.get("mae"), clv.get("baseline_rate_mae"), None, None),
    ]
    table = pd.DataFrame(rows, columns=["metric", "model", "simple rule", "BG/NBD alone", "posterior alone"])
    for column in ("model", "simple rule", "BG/NBD alone", "posterior alone"):
        table[column] = [number(v, 3) for v in table[column]]
    return table


def auc_history(table: pd.DataFrame) -> pd.DataFrame:
    """Churn ROC AUC of every scored version against the days-since-last-visit rule, oldest first
    (version, score, value); empty with fewer than two versions."""
    history = table.dropna(subset=["churn_auc"]).sort_values("trained_at")
    if len(history) < 2:
        return pd.DataFrame(columns=["version", "score", "value"])
    long = history.melt(id_vars=["version"], value_vars=["churn_auc", "recency_auc"], var_name="score")
    long["score"] = long.score.map({"churn_auc": _("churn model"), "recency_auc": _("days since last visit")})
    return long


def churn_drivers(active: pd.Series, top: int = TOP_DRIVERS) -> pd.Series:
    """The churn model's `top` most important features in words, the most important last (for a bar chart)."""
    importance = (active.metrics or {}).get("churn", {}).get("feature_importance") or {}
    drivers = pd.Series(importance, dtype=float).sort_values().tail(top)
    return drivers.rename(index=lambda f: _(FEATURE_NAMES[f]) if f in FEATURE_NAMES else f)


def calibration(active: pd.Series) -> pd.DataFrame:
    """Predicted against observed churn by band of predicted risk (empty when not measured)."""
    return pd.DataFrame((active.metrics or {}).get("churn", {}).get("calibration") or [])


def live_performance(engine: Engine, *, viewer: Account, club_ids) -> pd.DataFrame:
    """How each version's live predictions turned out in the scope of some of the viewer's clubs (the whole
    chain's rows when the clubs are the whole chain, else each club's), newest first; grading happens with
    the retrain and the views' refresh."""
    ids = scope.clubs(scope.viewer(viewer), club_ids)
    return performance.scope_rows(performance.performance(engine, club_ids=ids))


def live_deciles(engine: Engine, *, viewer: Account, version: str, club_ids) -> pd.DataFrame:
    """Realized churn by decile of predicted risk for one version, in the same scope."""
    ids = scope.clubs(scope.viewer(viewer), club_ids)
    return performance.scope_rows(performance.deciles(engine, version=version, club_ids=ids))


def live_declines(table: pd.DataFrame) -> pd.DataFrame:
    """The scopes where the newest graded version fell clearly below its promise."""
    return performance.declines(table)


def live_auc_trend(table: pd.DataFrame) -> pd.DataFrame:
    """Promised against live ROC AUC of every graded version, oldest first, with words for the lines."""
    trend = performance.auc_trend(table)
    trend["which"] = trend.which.map({"promised_auc": _("promised (held out at training)"),
                                      "live_auc": _("live (what happened)")})
    return trend


def live_revenue_trend(table: pd.DataFrame) -> pd.DataFrame:
    """Forecast against actual revenue over each graded forecast's first days, oldest first (version,
    data_end, club_id, which, value)."""
    graded = table[table.forecast_revenue.notna()].sort_values("data_end") if len(table) else table
    if graded.empty:
        return pd.DataFrame(columns=["version", "data_end", "club_id", "which", "value"])
    long = graded.melt(id_vars=["version", "data_end", "club_id"], value_vars=["forecast_revenue", "actual_revenue"],
                       var_name="which", value_name="value")
    long["which"] = long.which.map({"forecast_revenue": _("forecast"), "actual_revenue": _("actual")})
    return long


def rollback_choices(table: pd.DataFrame) -> list[str]:
    """Versions that still have their scores and could be made active again."""
    return table[table.has_scores & ~table.status.isin(["active", "backtest"])].version.tolist()


def retrain_running(engine: Engine) -> bool:
    """Whether a retrain holds the lock in any process."""
    return registry.retrain_running(engine)


def start_retrain(engine: Engine, *, account: Account, force: bool = False, settings: Settings | None = None):
    """Start a retrain in the background (managers only; RetrainBusy when one is running); returns the
    `core.models.jobs.RetrainJob`, whose `fraction`, `message`, `result` and `error` report on it."""
    from core.models import jobs  # the training code loads scikit-learn: only when someone retrains

    return jobs.RetrainJob(engine, settings or load_settings(), account, force=force).start()


def activate(engine: Engine, *, account: Account, version: str) -> None:
    """Make an earlier version active again (managers only)."""
    from core.models import jobs

    jobs.activate_version(engine, account=account, version=version)


def grade(engine: Engine) -> int:
    """Grade the predictions whose horizon has passed (the views' refresh does this too); returns how many."""
    return performance.grade(engine)

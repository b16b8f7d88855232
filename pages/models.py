"""Models: the active version, its scores against earlier versions and baselines; retrain and roll back."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from core.accounts import can
from core.models.jobs import RetrainJob, activate_version
from core.models.registry import RetrainBusy, list_versions, retrain_running
from core.platform.settings import load_settings
from pages.common import ago, current_account, engine, filters, page_guard, plot, style_figure

JOB_KEY = "retrain_job"


def versions() -> pd.DataFrame:
    return list_versions(engine())


def metric_rows(active: pd.Series) -> pd.DataFrame:
    churn = active.metrics.get("churn", {})
    recency = churn.get("baselines", {}).get("recency", {})
    bgnbd = churn.get("baselines", {}).get("bgnbd", {})
    fc = active.metrics.get("forecast", {})
    clv = active.metrics.get("clv", {})
    rows = [
        ("Churn: ROC AUC", churn.get("roc_auc"), recency.get("roc_auc"), bgnbd.get("roc_auc")),
        ("Churn: PR AUC", churn.get("pr_auc"), recency.get("pr_auc"), bgnbd.get("pr_auc")),
        ("Churn: Brier score (lower is better)", churn.get("brier"), churn.get("brier_base_rate"), None),
        ("Revenue forecast: MASE (lower is better)", fc.get("mase"), fc.get("baseline_mase"), None),
        ("Revenue forecast: 80% band coverage", fc.get("coverage_80"), None, None),
        ("Visits next 30 days: mean abs. error", clv.get("mae"), clv.get("baseline_rate_mae"), None),
    ]
    return pd.DataFrame(rows, columns=["metric", "model", "simple rule", "BG/NBD alone"])


@st.fragment(run_every=1.0)
def retrain_progress() -> None:
    job: RetrainJob | None = st.session_state.get(JOB_KEY)
    if job is None:
        return
    if job.running:
        st.progress(min(job.fraction, 1.0), text=f"Retraining… {job.message}")
        return
    if job.error:
        st.error(job.error)
    elif job.result is not None:
        r = job.result
        verdict = "is now active" if r.activated else "was saved but not activated"
        st.success(f"Version {r.version} {verdict} ({r.reason}); it took {r.seconds:.0f} s.")
    st.session_state.pop(JOB_KEY, None)
    if st.button("Show the new version", key="after_retrain"):
        st.rerun()


def manager_actions(table: pd.DataFrame) -> None:
    account = current_account()
    st.subheader("Retrain and roll back", anchor=False)
    if not can(account, "retrain"):
        st.info("Analysts can see the models; retraining and activating versions is for managers.",
                icon=":material/lock:")
        return
    busy = retrain_running(engine()) and JOB_KEY not in st.session_state
    if busy:
        st.warning("A retrain started by someone else is running; wait for it to finish.")
    force = st.checkbox("Activate even if the new version scores worse", key="retrain_force")
    if st.button("Retrain now", type="primary", disabled=busy or JOB_KEY in st.session_state, key="retrain"):
        try:
            st.session_state[JOB_KEY] = RetrainJob(engine(), load_settings(), account, force=force).start()
        except RetrainBusy as exc:
            st.warning(str(exc))
    retrain_progress()

    usable = table[table.has_scores & (table.status != "active")]
    if usable.empty:
        return
    pick = st.selectbox("Activate an earlier version (rollback)", usable.version.tolist(), key="activate_pick")
    if st.button("Activate", key="activate"):
        activate_version(engine(), account=account, version=pick)
        st.cache_data.clear()
        st.success(f"{pick} is now active.")
        st.rerun()


st.title("Models", anchor=False)
with page_guard("models"):
    filters()
    table = versions()
    if table.empty:
        st.info("No model has been trained yet.", icon=":material/info:")
        manager_actions(table)
        st.stop()

    live = table[table.status == "active"]
    active = live.iloc[0] if not live.empty else table.iloc[0]
    st.markdown(f"**Active version:** `{active.version}`, trained {ago(active.trained_at.to_pydatetime())} "
                f"by {active.trained_by or 'cron'} on data up to {active.data_end:%d.%m.%Y %H:%M}; "
                f"{int(active.row_counts.get('customers', 0)):,} customers scored.".replace(",", " "))
    if active.notes:
        st.caption(active.notes)

    st.subheader("How good it is", anchor=False)
    st.dataframe(metric_rows(active), hide_index=True, column_config={
        "model": st.column_config.NumberColumn(format="%.3f"),
        "simple rule": st.column_config.NumberColumn(format="%.3f", help="Churn: days since the last visit "
                                                     "(Brier: the base rate). Forecast: same day last week. "
                                                     "Visits: the customer's own past rate."),
        "BG/NBD alone": st.column_config.NumberColumn(format="%.3f", help="1 − P(alive) as a churn score.")})

    history = table.dropna(subset=["churn_auc"]).sort_values("trained_at")
    if len(history) > 1:
        long = history.melt(id_vars=["version"], value_vars=["churn_auc", "recency_auc"], var_name="score")
        long["score"] = long.score.map({"churn_auc": "churn model", "recency_auc": "days since last visit"})
        fig = px.line(long, x="version", y="value", color="score", markers=True,
                      labels={"value": "ROC AUC on held-out customers", "version": ""})
        plot(style_figure(fig, height=300), key="auc_history")

    importance = active.metrics.get("churn", {}).get("feature_importance") or {}
    if importance:
        imp = pd.Series(importance, dtype=float).sort_values().tail(12)
        fig = px.bar(x=imp.values, y=imp.index, orientation="h", labels={"x": "importance", "y": ""},
                     color_discrete_sequence=["#6C4CF1"])
        st.subheader("What drives churn risk", anchor=False)
        plot(style_figure(fig, height=360, legend=False), key="importance")

    calibration = active.metrics.get("churn", {}).get("calibration")
    if calibration:
        with st.expander("Calibration: predicted against observed churn"):
            st.dataframe(pd.DataFrame(calibration), hide_index=True)

    st.subheader("All versions", anchor=False)
    st.dataframe(table[["version", "status", "trained_at", "churn_auc", "recency_auc", "forecast_mase",
                        "customers", "notes"]], hide_index=True, column_config={
        "trained_at": st.column_config.DatetimeColumn("Trained", format="DD.MM.YYYY HH:mm"),
        "churn_auc": st.column_config.NumberColumn("Churn AUC", format="%.3f"),
        "recency_auc": st.column_config.NumberColumn("Recency AUC", format="%.3f"),
        "forecast_mase": st.column_config.NumberColumn("Forecast MASE", format="%.2f")})
    manager_actions(table)

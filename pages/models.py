"""Models: the active version, its scores against earlier versions and baselines; retrain and roll back."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from core.accounts import can
from core.i18n import _
from core.i18n.format import ago, datetime_text, duration, number
from core.models import service
from pages.ui.cache import cached
from pages.ui.charts import PURPLE, plot, style_figure
from pages.ui.guard import page_guard
from pages.ui.session import current_account, engine
from pages.ui.sidebar import filters

JOB_KEY = "retrain_job"
VERSIONS_TTL = 10


def versions() -> pd.DataFrame:
    return cached(service.versions, ttl=VERSIONS_TTL)()


def forget_versions() -> None:
    """Read the versions afresh on the next run (after a retrain)."""
    cached(service.versions, ttl=VERSIONS_TTL).clear()


@st.fragment(run_every=1.0)
def retrain_progress() -> None:
    job = st.session_state.get(JOB_KEY)  # a core.models.jobs.RetrainJob
    if job is None:
        return
    if job.running:
        st.progress(min(job.fraction, 1.0), text=_("Retraining… {step}").format(step=_(job.message)))
        return
    if job.error:
        st.error(job.error)
    elif job.result is not None:
        r = job.result
        text = (_("Version {version} is now active ({reason}); it took {time}.") if r.activated else
                _("Version {version} was saved but not activated ({reason}); it took {time}."))
        st.success(text.format(version=r.version, reason=r.reason_text, time=duration(r.seconds)))
    st.session_state.pop(JOB_KEY, None)
    forget_versions()
    if st.button(_("Show the new version"), key="after_retrain"):
        st.rerun()


def manager_actions(table: pd.DataFrame) -> None:
    account = current_account()
    st.subheader(_("Retrain and roll back"), anchor=False)
    if not can(account, "retrain"):
        st.info(_("Analysts can see the models; retraining and activating versions is for managers."),
                icon=":material/lock:")
        return
    busy = service.retrain_running(engine()) and JOB_KEY not in st.session_state
    if busy:
        st.warning(_("A retrain started by someone else is running; wait for it to finish."))
    force = st.checkbox(_("Activate even if the new version scores worse"), key="retrain_force")
    if st.button(_("Retrain now"), type="primary", disabled=busy or JOB_KEY in st.session_state, key="retrain"):
        try:
            st.session_state[JOB_KEY] = service.start_retrain(engine(), account=account, force=force)
        except service.RetrainBusy as exc:
            st.warning(str(exc))
    retrain_progress()

    choices = service.rollback_choices(table)
    if not choices:
        return
    pick = st.selectbox(_("Activate an earlier version (rollback)"), choices, key="activate_pick")
    if st.button(_("Activate"), key="activate"):
        service.activate(engine(), account=account, version=pick)
        st.cache_data.clear()  # every page's figures come from the active version
        st.success(_("{version} is now active.").format(version=pick))
        st.rerun()


st.title(_("Models"), anchor=False)
with page_guard("models"):
    filters()
    table = versions()
    active = service.active_row(table)
    if active is None:
        st.info(_("No model has been trained yet."), icon=":material/info:")
        manager_actions(table)
        st.stop()

    st.markdown(_("**Active version:** `{version}`, trained {ago} by {who} on data up to {end}; {customers} "
                  "customers scored.").format(
        version=active.version, ago=ago(active.trained_at), who=active.trained_by or "cron",
        end=datetime_text(active.data_end), customers=number(int(active.row_counts.get("customers", 0)))))
    if active.notes:
        st.caption(active.notes)

    st.subheader(_("How good it is"), anchor=False)
    st.dataframe(service.metric_rows(active), hide_index=True, column_config={
        "metric": _("Metric"),
        "model": _("Model"),
        "simple rule": st.column_config.TextColumn(
            _("Simple rule"), help=_("Churn: days since the last visit (Brier: the base rate). Forecast: same day "
                                     "last week. Visits: the customer's own past rate.")),
        "BG/NBD alone": st.column_config.TextColumn(_("BG/NBD alone"), help=_("1 − P(alive) as a churn score."))})

    history = service.auc_history(table)
    if not history.empty:
        fig = px.line(history, x="version", y="value", color="score", markers=True,
                      labels={"value": _("ROC AUC on held-out customers"), "version": "", "score": ""})
        plot(style_figure(fig, height=300), key="auc_history")

    drivers = service.churn_drivers(active)
    if not drivers.empty:
        fig = px.bar(x=drivers.values, y=drivers.index, orientation="h", labels={"x": _("importance"), "y": ""},
                     color_discrete_sequence=[PURPLE])
        st.subheader(_("What drives churn risk"), anchor=False)
        plot(style_figure(fig, height=360, legend=False), key="importance")

    calibration = service.calibration(active)
    if not calibration.empty:
        with st.expander(_("Calibration: predicted against observed churn")):
            st.dataframe(calibration, hide_index=True, column_config={
                "decile": _("Decile"), "customers": _("Customers"),
                "mean_predicted": st.column_config.NumberColumn(_("Predicted churn"), format="percent"),
                "observed_rate": st.column_config.NumberColumn(_("Observed churn"), format="percent")})

    st.subheader(_("All versions"), anchor=False)
    st.dataframe(table[["version", "status_label", "trained_at", "churn_auc", "recency_auc", "forecast_mase",
                        "customers", "notes"]], hide_index=True, column_config={
        "version": _("Version"), "status_label": _("Status"), "customers": _("Customers"), "notes": _("Notes"),
        "trained_at": st.column_config.DatetimeColumn(_("Trained"), format="DD.MM.YYYY HH:mm"),
        **{c: st.column_config.NumberColumn(label, format="localized") for c, label in (
            ("churn_auc", _("Churn AUC")), ("recency_auc", _("Recency AUC")), ("forecast_mase", _("Forecast MASE")))}})
    manager_actions(table)

"""Models: the active version, how good its predictions are in plain terms, its scores against baselines and
earlier versions, how live predictions turned out; retrain and roll back."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from core.accounts import Role, can
from core.i18n import _
from core.i18n.format import ago, date_text, datetime_text, duration, number, percent
from core.models import service
from pages.ui.cache import cached
from pages.ui.charts import GREY, LILAC, PURPLE, plot, style_figure
from pages.ui.guard import page_guard
from pages.ui.quality import chain_wide_note, render_quality, risk_decile_chart
from pages.ui.session import current_account, engine, still_signed_in
from pages.ui.sidebar import Filters, club_names, filters
from pages.ui.text import md

JOB_KEY = "retrain_job"
VERSIONS_TTL = 10
OTHER_RETRAIN_CHECK = 5.0  # seconds between checks while someone else's retrain runs
LIVE_TTL = 300


def versions() -> pd.DataFrame:
    return cached(service.versions, ttl=VERSIONS_TTL)()


def forget_versions() -> None:
    """Read the versions afresh on the next run (after a retrain)."""
    cached(service.versions, ttl=VERSIONS_TTL).clear()


def retrain_progress() -> None:
    """This session's retrain while it runs, redrawn every second (a fragment only then); when it ends, the
    whole page reruns to show the result and the new version."""
    job = st.session_state.get(JOB_KEY)  # a core.models.jobs.RetrainJob
    if job is None:
        return
    still_signed_in()  # a refresh checks the session without keeping it alive
    if job.running:
        st.progress(min(job.fraction, 1.0), text=_("Retraining… {step}").format(step=_(job.message)))
        return
    st.rerun()


def other_retrain() -> None:
    """While a retrain started elsewhere (another session or process, or cron) runs: a notice; when it has
    ended, the whole page reruns with the versions read afresh."""
    if not service.retrain_running(engine()):
        forget_versions()
        st.rerun()
    st.warning(_("A retrain started by someone else is running; wait for it to finish."))


def finished_retrain():
    """This session's retrain if it has ended (taken out of the session, the versions read afresh)."""
    job = st.session_state.get(JOB_KEY)
    if job is None or job.running:
        return None
    st.session_state.pop(JOB_KEY, None)
    forget_versions()
    return job


def show_result(job) -> None:
    if job.error:
        st.error(md(job.error))
    elif job.result is not None:
        r = job.result
        text = (_("Version {version} is now active ({reason}); it took {time}.") if r.activated else
                _("Version {version} was saved but not activated ({reason}); it took {time}."))
        st.success(text.format(version=r.version, reason=r.reason_text, time=duration(r.seconds)))


def day_range(moments: pd.Series, pad_days: int = 3) -> list | None:
    """A date axis's range that spans at least a week (None: Plotly's own), so that versions trained close
    together (or a single one) are not spread over hours and seconds."""
    first, last = pd.to_datetime(moments.min()), pd.to_datetime(moments.max())
    if last - first >= pd.Timedelta(days=2 * pad_days):
        return None
    return [first - pd.Timedelta(days=pad_days), last + pd.Timedelta(days=pad_days)]


def decile_chart(table: pd.DataFrame) -> go.Figure:
    """Realized churn by decile of the risk a version published, against the risk it predicted."""
    return risk_decile_chart(table.decile, table.churn_rate, table.mean_risk, observed_name=_("did not visit"),
                             x_title=_("decile of published risk (10 = riskiest)"), y_title=_("share"))


def live_table(table: pd.DataFrame) -> pd.DataFrame:
    """The graded versions for the table: one row per version (and club when a club is shown)."""
    names = club_names()
    out = table[["version", "data_end", "club_id", "live_auc", "promised_auc", "predicted_churn_rate",
                 "actual_churn_rate", "expected_visits_30d", "actual_visits_30d", "forecast_revenue",
                 "actual_revenue", "coverage_80", "coverage_95", "below_promise"]].copy()
    out["club_id"] = out.club_id.map(lambda c: _("whole chain") if c == 0 else names.get(int(c), str(c)))
    return out


def render_live(f: Filters) -> None:
    """How the live predictions of earlier versions turned out, once their horizon had passed."""
    st.subheader(_("How live predictions turned out"), anchor=False)
    table = cached(service.live_performance, ttl=LIVE_TTL)(viewer=current_account(), club_ids=f.club_ids)
    if table.empty:
        st.info(_("No version's predictions can be checked yet: a churn risk is checked once its window (30 days "
                  "by default) has passed after the version was trained, a revenue forecast a day later."),
                icon=":material/hourglass_empty:")
        return
    for row in service.live_declines(table).itertuples():
        st.warning(_("Version {version}'s churn predictions did clearly worse than promised: ROC AUC {live} on what "
                     "happened in the {days} days after {day}, against {promised} on held-out customers when it was "
                     "trained. Retrain, and check what changed in the data.").format(
            version=row.version, live=number(row.live_auc, 3), days=number(row.horizon_days),
            day=date_text(row.data_end), promised=number(row.promised_auc, 3)), icon=":material/trending_down:")
    st.caption(_("Each version's published predictions are kept and compared with what happened once their "
                 "horizon has passed: churn risk against who did not visit, expected visits against visit days, "
                 "the revenue forecast against revenue, with how often the bands held it."))
    st.dataframe(live_table(table), hide_index=True, column_config={
        "version": _("Version"), "data_end": st.column_config.DatetimeColumn(_("Data up to"), format="DD.MM.YYYY"),
        "club_id": _("Scope"),
        "live_auc": st.column_config.NumberColumn(_("Live AUC"), format="localized",
                                                  help=_("ROC AUC of the published risk against who did not visit.")),
        "promised_auc": st.column_config.NumberColumn(_("Promised AUC"), format="localized",
                                                      help=_("ROC AUC on held-out customers at training.")),
        "predicted_churn_rate": st.column_config.NumberColumn(_("Churn predicted"), format="percent"),
        "actual_churn_rate": st.column_config.NumberColumn(_("Churn actual"), format="percent"),
        "expected_visits_30d": st.column_config.NumberColumn(_("Visits expected, 30 d"), format="localized"),
        "actual_visits_30d": st.column_config.NumberColumn(_("Visits actual, 30 d"), format="localized"),
        "forecast_revenue": st.column_config.NumberColumn(_("Revenue forecast, ₸"), format="localized"),
        "actual_revenue": st.column_config.NumberColumn(_("Revenue actual, ₸"), format="localized"),
        "coverage_80": st.column_config.NumberColumn(_("In 80% band"), format="percent"),
        "coverage_95": st.column_config.NumberColumn(_("In 95% band"), format="percent"),
        "below_promise": st.column_config.CheckboxColumn(_("Below promise"))})

    left, right = st.columns(2)
    trend = service.live_auc_trend(table)
    with left:
        st.markdown("**" + _("Churn ROC AUC: promised and live") + "**")
        if trend.empty:
            st.caption(_("No churn predictions checked yet."))
        else:
            several = trend.club_id.nunique() > 1  # one line per club when clubs are shown
            fig = px.line(trend, x="data_end", y="value", color="which", markers=True,
                          line_dash="club_id" if several else None,
                          color_discrete_sequence=[GREY, PURPLE], hover_data=["version"],
                          labels={"value": _("ROC AUC"), "data_end": "", "which": "", "club_id": _("Scope")})
            fig.update_xaxes(tickformat="%-d %b", range=day_range(trend.data_end))  # days, never clock times
            plot(style_figure(fig, height=300), key="live_auc_trend")
    revenue = service.live_revenue_trend(table)
    with right:
        st.markdown("**" + _("Revenue: forecast and actual") + "**")
        if revenue.empty:
            st.caption(_("No revenue forecast checked yet."))
        else:
            several = revenue.club_id.nunique() > 1
            fig = px.bar(revenue, x="version", y="value", color="which", barmode="group",
                         pattern_shape="club_id" if several else None, color_discrete_sequence=[LILAC, PURPLE],
                         labels={"value": _("revenue, ₸"), "version": "", "which": "", "club_id": _("Scope")})
            plot(style_figure(fig, height=300), key="live_revenue_trend")

    graded = table[table.live_auc.notna()]
    if graded.empty:
        return
    versions = list(dict.fromkeys(graded.version))
    pick = st.selectbox(_("Realized churn by risk decile, version"), versions, key="live_version")
    row = graded[graded.version == pick].iloc[0]
    deciles = cached(service.live_deciles, ttl=LIVE_TTL)(viewer=current_account(), version=pick,
                                                                  club_ids=f.club_ids)
    if not deciles.empty:
        shown = deciles[deciles.club_id == deciles.club_id.iloc[0]]
        plot(decile_chart(shown), key="live_deciles")
        st.caption(_("Of the customers {version} put in each tenth of risk, the share who did not visit in the next "
                     "{days} days (bars), against the risk it published (line). {predicted} were predicted to leave "
                     "and {actual} did.").format(
            version=pick, days=number(row.horizon_days), predicted=percent(row.predicted_churn_rate),
            actual=percent(row.actual_churn_rate)))


def manager_actions(table: pd.DataFrame, finished=None) -> None:
    account = current_account()
    st.subheader(_("Retrain and roll back"), anchor=False)
    if finished is not None:
        show_result(finished)
    if not can(account, "retrain"):
        st.info(_("Analysts can see the models; retraining and activating versions is for managers.")
                if account is None or account.role != Role.MANAGER else
                _("Models serve the whole chain: retraining and activating versions is for managers of the "
                  "whole chain."), icon=":material/lock:")
        return
    busy = JOB_KEY not in st.session_state and service.retrain_running(engine())
    if busy:  # checked every few seconds while it runs; the page shows the new version when it ends
        st.fragment(run_every=OTHER_RETRAIN_CHECK)(other_retrain)()
    force = st.checkbox(_("Activate even if the new version scores worse"), key="retrain_force")
    if st.button(_("Retrain now"), type="primary", disabled=busy or JOB_KEY in st.session_state, key="retrain"):
        try:
            st.session_state[JOB_KEY] = service.start_retrain(engine(), account=account, force=force)
        except service.RetrainBusy as exc:
            st.warning(str(exc))
    if JOB_KEY in st.session_state:  # no retrain, no timer: the page stays still
        st.fragment(run_every=1.0)(retrain_progress)()

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
    f = filters()
    finished = finished_retrain()
    table = versions()
    active = service.active_row(table)
    if active is None:
        st.info(_("No model has been trained yet."), icon=":material/info:")
        manager_actions(table, finished)
        st.stop()

    account = current_account()
    customers = number(cached(service.scored_customers, ttl=VERSIONS_TTL)(viewer=account, club_ids=f.club_ids))
    st.markdown(_("**Active version:** `{version}`, trained {ago} by {who} on data up to {end}.").format(
        version=active.version, ago=ago(active.trained_at), who=md(active.trained_by or "cron"),
        end=datetime_text(active.data_end)) + " " + (
        _("{customers} customers scored.") if account.whole_chain else
        _("{customers} customers of your clubs scored.")).format(customers=customers))
    if active.notes:
        st.caption(md(active.notes))
    kind = (active.metrics or {}).get("churn", {}).get("model_kind")
    if kind == "posterior":
        st.caption(_("Churn risk comes from the learned visit-rate and lifetime posterior alone: on held-out "
                     "customers it ranked churners better than the gradient-boosted trees."))

    status = service.model_status(active)
    if not status.empty:
        st.subheader(_("What was trained"), anchor=False)
        chain_wide_note(account)
        st.dataframe(status, hide_index=True, column_config={
            "model": _("Model"), "trained": st.column_config.CheckboxColumn(_("Trained")), "why": _("Why")})

    st.subheader(_("How good the churn risk is"), anchor=False)
    render_quality(cached(service.churn_quality, ttl=VERSIONS_TTL)(viewer=account, club_ids=f.club_ids),
                   key="models")

    st.subheader(_("Against simple rules"), anchor=False)
    chain_wide_note(account)
    st.dataframe(service.metric_rows(active), hide_index=True, column_config={
        "metric": _("Metric"),
        "model": _("Model"),
        "simple rule": st.column_config.TextColumn(
            _("Simple rule"), help=_("Churn: days since the last visit (Brier: the base rate). Forecast: same day "
                                     "last week. Visits: the customer's own past rate.")),
        "BG/NBD alone": st.column_config.TextColumn(
            _("BG/NBD alone"), help=_("BG/NBD's chance of no visit in the window, given the customer's visits.")),
        "posterior alone": st.column_config.TextColumn(
            _("Posterior alone"), help=_("The learned visit-rate and lifetime posterior's chance of no visit, one "
                                         "of the model's inputs."))})

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
        chain_wide_note(account)
        plot(style_figure(fig, height=360, legend=False), key="importance")

    calibration = service.calibration(active)
    if not calibration.empty:
        with st.expander(_("Calibration table: predicted against observed churn")):
            chain_wide_note(account)
            st.dataframe(calibration, hide_index=True, column_config={
                "decile": _("Decile"), "customers": _("Customers"),
                "mean_predicted": st.column_config.NumberColumn(_("Predicted churn"), format="percent"),
                "observed_rate": st.column_config.NumberColumn(_("Observed churn"), format="percent")})

    render_live(f)

    st.subheader(_("All versions"), anchor=False)
    chain_wide_note(account)
    st.dataframe(table[["version", "status_label", "trained_at", "churn_auc", "recency_auc", "forecast_mase",
                        "customers", "notes"]], hide_index=True, column_config={
        "version": _("Version"), "status_label": _("Status"), "customers": _("Customers"), "notes": _("Notes"),
        "trained_at": st.column_config.DatetimeColumn(_("Trained"), format="DD.MM.YYYY HH:mm"),
        **{c: st.column_config.NumberColumn(label, format="localized") for c, label in (
            ("churn_auc", _("Churn AUC")), ("recency_auc", _("Recency AUC")), ("forecast_mase", _("Forecast MASE")))}})
    manager_actions(table, finished)

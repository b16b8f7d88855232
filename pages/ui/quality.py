"""How good the churn risk is, drawn the same way on the Models and Customers pages: the grade with its
band, the held-out AUC, lift at the top of the list, predicted against observed churn, and the spread of
risk over the customers shown. The numbers come from `core.models.quality.churn_quality`."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.i18n import _
from core.i18n.format import number
from core.models.quality import ChurnQuality, auc_words, chain_wide_words, lift_words, summary, what_numbers_mean
from pages.ui.charts import LILAC, PURPLE, plot, style_figure
from pages.ui.layout import card_columns

BAND_COLOR = {"excellent": "green", "good": "green", "fair": "orange", "poor": "red"}


def risk_decile_chart(decile, observed, predicted, *, observed_name: str, x_title: str, y_title: str) -> go.Figure:
    """By decile of churn risk: the share that churned (bars) against the risk predicted (line)."""
    fig = go.Figure()
    fig.add_trace(go.Bar(x=decile, y=observed, name=observed_name, marker_color=LILAC, hovertemplate="%{y:.0%}"))
    fig.add_trace(go.Scatter(x=decile, y=predicted, name=_("predicted"), mode="lines+markers",
                             line={"color": PURPLE, "width": 2}, hovertemplate="%{y:.0%}"))
    fig.update_xaxes(title=x_title, dtick=1)
    fig.update_yaxes(title=y_title, tickformat=".0%", range=[0, 1])
    return style_figure(fig, height=300)


def calibration_chart(table: pd.DataFrame) -> go.Figure:
    """Predicted against observed churn by decile of predicted risk."""
    return risk_decile_chart(table.decile, table.observed, table.predicted, observed_name=_("observed"),
                             x_title=_("decile of predicted risk (10 = riskiest)"), y_title=_("share with no visit"))


def histogram_chart(table: pd.DataFrame) -> go.Figure:
    """Customers by band of churn risk."""
    labels = [f"{a}–{b}" for a, b in zip(table.risk_from, table.risk_to)]
    fig = go.Figure(go.Bar(x=labels, y=table.customers, marker_color=PURPLE, name=_("customers"),
                           hovertemplate="%{x}: %{y}<extra></extra>"))
    fig.update_xaxes(title=_("churn risk"), tickangle=0, nticks=10)
    fig.update_yaxes(title=_("customers"))
    fig.update_layout(bargap=0.05)
    return style_figure(fig, height=280, legend=False)


def chain_wide_note(account) -> None:
    """Beside a figure of the whole chain's: says so to an account of some clubs."""
    if account is not None and not account.whole_chain:
        _chain_wide_caption()


def _chain_wide_caption() -> None:
    st.caption(":material/public: " + chain_wide_words())


def render_quality(result: ChurnQuality | None, *, key: str) -> None:
    """The quality section; `key` keeps its charts apart from another page's."""
    if result is None or result.quality is None:
        st.info(_("The active model has no held-out quality measured yet; retrain it to measure it."),
                icon=":material/info:")
        return
    q = result.quality
    grade, auc, top10, top20 = card_columns(4, f"quality_{key}")
    grade.metric(_("Prediction quality"), f"{number(q.score)} / 100",
                 help=_("2 × ROC AUC − 1, as a percentage: 0 is a coin flip, 100 is perfect. Excellent from 60, "
                        "good from 40, fair from 20."))
    grade.badge(q.label, color=BAND_COLOR[q.band])
    auc.metric(_("ROC AUC, held out"), number(q.auc, 3),
               help=_("Measured on {customers} customers the model had not seen, {days} days after its last "
                      "training cutoff.").format(customers=number(q.customers), days=number(q.horizon_days)))
    if "lift_top10" in q.lift:
        top10.metric(_("Lift, top 10%"), f"{number(q.lift['lift_top10'], 1)}×",
                     help=_("How many times as often the riskiest tenth left as customers overall."))
        top20.metric(_("Lift, top 20%"), f"{number(q.lift['lift_top20'], 1)}×",
                     help=_("How many times as often the riskiest fifth left as customers overall."))
    st.caption(" ".join(t for t in (summary(q), auc_words(q), lift_words(q)) if t))
    if result.chain_wide:
        _chain_wide_caption()
    st.caption(what_numbers_mean(q.horizon_days))
    left, right = st.columns(2)
    with left:
        st.markdown("**" + _("Predicted against observed churn") + "**")
        if result.calibration.empty:
            st.caption(_("Not measured for this version."))
        else:
            plot(calibration_chart(result.calibration), key=f"calibration_{key}")
    with right:
        st.markdown("**" + _("Churn risk of the customers shown") + "**")
        if result.histogram.empty or result.histogram.customers.sum() == 0:
            st.caption(_("No scored customers in these clubs."))
        else:
            plot(histogram_chart(result.histogram), key=f"risk_histogram_{key}")
    st.caption(_("Bars on the left: the share of held-out customers in each tenth of predicted risk who did not "
                 "visit; the line: the risk predicted for them. Where they meet, a risk of 30 meant 30 in 100.")
               + " " + _("On the right, today's churn risk of the customers of the clubs shown."))

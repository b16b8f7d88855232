"""The targeting control (Customers page): pick the top share by churn risk or a risk threshold, see what
the pick holds and what an offer to it is expected to return, export the list, start a campaign from it.
The numbers come from `core.campaigns.service`; this module only draws them."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from core.accounts import Account, can
from core.campaigns import Audience, TargetingError, service
from core.i18n import N_, _
from core.i18n.format import money, number, percent
from core.platform.thresholds import CHURN_WINDOW_DAYS, HIGH_RISK
from pages.ui.cache import cached
from pages.ui.charts import GREY, LILAC, PURPLE, plot, style_figure
from pages.ui.export import contact_labels, downloads
from pages.ui.layout import card_columns
from pages.ui.session import engine

AUDIENCE_KEY = "campaign_audience"  # a selection handed to the Campaigns page's form
MODES = {"top": N_("The top share by churn risk (a rank)"),
         "threshold": N_("Everyone from a churn risk (a probability)")}


def reach_chart(out: dict) -> go.Figure:
    """Expected churners reached, churners missed, and non-churners targeted by mistake, in one bar."""
    parts = [(_("churners reached"), out["expected_churners"], PURPLE),
             (_("non-churners targeted by mistake"), out["expected_mistakes"], LILAC),
             (_("churners not reached"), out["churners_missed"], GREY)]
    fig = go.Figure([go.Bar(y=[""], x=[value], name=name, orientation="h", marker_color=color,
                            hovertemplate="%{x:,.0f}<extra>" + name + "</extra>") for name, value, color in parts])
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title=_("customers (expected)"))
    return style_figure(fig, height=170)


def targeting_control(club_ids: tuple[int, ...], account: Account | None) -> None:
    st.subheader(_("Whom to target with a retention offer"), anchor=False)
    start = cached(service.default_save_rate, ttl=300)(viewer=account, club_ids=club_ids)
    a, b = st.columns(2)
    mode = a.radio(_("Pick"), list(MODES), format_func=lambda m: _(MODES[m]), key="tgt_mode")
    if mode == "top":
        value = b.slider(_("Top share of customers by churn risk, %"), 1, 100, 10, key="tgt_top",
                         help=_("A rank: the riskiest customers first, whatever their risk is."))
    else:
        value = b.slider(_("Churn risk at least"), 0, 100, int(HIGH_RISK), key="tgt_risk",
                         help=_("A probability: churn risk 80 means an 80% chance of no visit in the next {days} "
                                "days.").format(days=CHURN_WINDOW_DAYS))
    c, d = st.columns(2)
    cost = c.number_input(_("Offer cost per targeted customer, ₸"), min_value=0, max_value=100_000, value=500,
                          step=50, key="tgt_cost")
    save = d.slider(_("Save rate, %"), 0, 100, int(round(start["rate"] * 100)), key="tgt_save",
                    help=_("The share of targeted customers the offer keeps, who would otherwise have churned."))
    if start["source"] == "measured":
        d.caption(_("Starts from the save rate measured by {n} closed campaigns: {rate}.").format(
            n=number(start["campaigns"]), rate=percent(start["rate"], 1)))
    else:
        d.caption(_("No campaign has measured a save rate yet; {rate} is an assumption.").format(
            rate=percent(start["rate"])))
    audience = Audience(mode, value)
    try:
        out = cached(service.targeting, ttl=120)(viewer=account, club_ids=club_ids, audience=audience,
                                                 offer_cost=float(cost), save_rate=save / 100)
    except TargetingError as exc:
        st.error(str(exc))
        return
    if not out.get("targeted"):
        st.info(_("No scored customer matches this choice at the selected clubs."), icon=":material/info:")
        return
    cards = card_columns(5, "targeting")
    cards[0].metric(_("Customers targeted"), number(out["targeted"]),
                    help=_("{share} of the {total} scored customers.").format(
                        share=percent(out["targeted_share"], 1), total=number(out["customers"])))
    cards[1].metric(_("Expected churners"), number(out["expected_churners"]),
                    help=_("Expected: the sum of their churn probabilities. That is {share} of all the churners "
                           "expected at these clubs.").format(share=percent(out["churners_share"])))
    cards[2].metric(_("Targeted by mistake"), number(out["expected_mistakes"]),
                    help=_("Expected customers who would have stayed anyway: the sum of (1 − churn probability)."))
    cards[3].metric(_("Value at stake"), money(out["value_at_stake"], compact=True),
                    help=_("12 months: the sum of their 12-month lifetime values."))
    cards[4].metric(_("Expected net return"), money(out["net_return"], compact=True),
                    help=_("Save rate × value at stake − offer cost × customers targeted = {kept} − {cost}.")
                    .format(kept=money(out["value_kept"], compact=True), cost=money(out["cost"], compact=True)))
    if mode == "top":
        st.caption(_("The top {pct}% is a rank: it starts at churn risk {risk}, so these customers have at least "
                     "a {risk}% chance of no visit in the next {days} days. {reached} of all expected churners are "
                     "among them.").format(pct=number(value), risk=number(out["lowest_risk"]), days=CHURN_WINDOW_DAYS,
                                           reached=percent(out["churners_share"])))
    else:
        st.caption(_("Churn risk {risk} or more is a probability: at least a {risk}% chance of no visit in the next "
                     "{days} days. These customers are the top {share} by risk and hold {reached} of all expected "
                     "churners.").format(risk=number(value), days=CHURN_WINDOW_DAYS,
                                         share=percent(out["targeted_share"], 1),
                                         reached=percent(out["churners_share"])))
    plot(reach_chart(out), key="reach_chart")
    left, right = st.columns(2)
    export = engine()
    downloads(lambda viewer, fmt, names: service.targeted_export(export, viewer=viewer, club_ids=club_ids,
                                                                 audience=audience, fmt=fmt, labels=names),
              account=account, club_ids=club_ids, contacts=True, file_name="targeted-customers",
              labels=contact_labels(), key="tgt_download", where=left,
              csv_label=_("Download the selected customers (CSV)"),
              xlsx_label=_("Download the selected customers (Excel)"))
    if can(account, "manage_campaigns") and right.button(_("Start a campaign with these customers"),
                                                         icon=":material/campaign:", key="tgt_campaign"):
        st.session_state[AUDIENCE_KEY] = audience.to_dict()
        st.switch_page("pages/campaigns.py")

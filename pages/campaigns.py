"""Campaigns: the ledger of every retention campaign and its result, one campaign measured treated against
control with 90% intervals, and (managers) a new campaign with a random control group. Creating and
closing are checked in `core.campaigns.store`; this page draws what `core.campaigns` gives."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from core.accounts import can
from core.campaigns import (
    DEFAULT_CONTROL_SHARE,
    Audience,
    CampaignError,
    CampaignPlan,
    close_campaign,
    create_campaign,
    preview,
    report,
    service,
)
from core.campaigns.store import default_start
from core.i18n import N_, _
from core.i18n.format import date_text, money, number, percent, sentence
from core.platform.thresholds import HIGH_RISK
from pages.ui.cache import cached
from pages.ui.charts import PURPLE, money_hover, plot, style_figure
from pages.ui.export import contact_labels, downloads
from pages.ui.guard import page_guard
from pages.ui.layout import card_columns
from pages.ui.session import current_account, engine
from pages.ui.sidebar import filters, local_today
from pages.ui.targeting import AUDIENCE_KEY
from pages.ui.text import md

KINDS = {"top": N_("The top share by churn risk"), "threshold": N_("Everyone from a churn risk"),
         "segment": N_("A segment")}
FLASH_KEY = "campaign_flash"
PICK_NEXT_KEY = "campaign_pick_next"  # show this campaign on the next run (the one just created)
RESET_KEY = "campaign_form_reset"  # empty the form's texts on the next run (after creating a campaign)


def ledger() -> object:
    return cached(service.ledger, ttl=30)


def forget() -> None:
    """Read the campaigns afresh (after creating or closing one)."""
    ledger().clear()
    cached(service.campaign_report, ttl=30).clear()


def net_chart(table):
    rows = table.dropna(subset=["net"]).iloc[::-1]
    fig = go.Figure(go.Bar(
        x=rows.net, y=[f"#{i} {n}" for i, n in zip(rows.id, rows.name)], orientation="h", marker_color=PURPLE,
        error_x={"type": "data", "symmetric": False, "array": rows.net_hi - rows.net,
                 "arrayminus": rows.net - rows.net_lo},
        hovertemplate=money_hover("x") + "<extra></extra>"))
    fig.update_xaxes(title=_("net return, ₸ (90% interval)"), zeroline=True)
    return style_figure(fig, height=120 + 40 * len(rows), legend=False)


def ledger_section(table) -> None:
    st.subheader(_("Ledger"), anchor=False)
    if table.empty:
        st.info(_("No campaign yet at these clubs. A manager starts one below, or from the targeting control on the "
                  "Customers page."), icon=":material/info:")
        return
    if table.net.notna().any():
        plot(net_chart(table), key="ledger_chart")
    shown = table.assign(status=table.status.map(report.status_text))
    st.dataframe(shown.drop(columns=["offer", "ends_at", "net_lo", "net_hi", "shortened"]), hide_index=True,
                 column_config={
                     "id": "#", "name": _("Campaign"), "status": _("Status"),
                     "starts_on": st.column_config.DateColumn(_("Starts"), format="DD.MM.YYYY"),
                     "window_days": _("Days"), "treated": _("Contacted"), "control": _("Control"),
                     "cost": st.column_config.NumberColumn(_("Cost, ₸"), format="localized"),
                     "incremental_revenue": st.column_config.NumberColumn(_("Extra revenue, ₸"), format="localized"),
                     "net": st.column_config.NumberColumn(_("Net, ₸"), format="localized"),
                     "save_rate": st.column_config.NumberColumn(_("Save rate"), format="percent"),
                     "provisional": st.column_config.CheckboxColumn(_("Provisional")),
                     "created_by": _("By")})


def report_section(table, club_ids, account) -> None:
    st.subheader(_("One campaign"), anchor=False)
    names = dict(zip(table.id, table.name))
    wanted = st.session_state.pop(PICK_NEXT_KEY, None)
    if wanted in names:
        st.session_state["camp_pick"] = wanted
    pick = st.selectbox(_("Campaign"), list(names), format_func=lambda i: f"#{i} {names[i]}", key="camp_pick")
    try:
        found = cached(service.campaign_report, ttl=30)(int(pick), viewer=account, club_ids=club_ids)
    except CampaignError as exc:
        st.warning(sentence(str(exc)))
        return
    c, r = found["campaign"], found["result"]
    st.markdown(_("**{offer}** to {audience}, from {start} for {days} days; {groups}; {cost} per contacted "
                  "customer. Status: {status}. Created by {who}; seed {seed}.").format(
        offer=md(c["offer"]), audience=md(report.audience_text(c["audience"])), start=date_text(c["starts_on"]),
        days=number(c["window_days"]), groups=report.group_sizes_text(c["treated"], c["control"]),
        cost=money(c["cost_per_contact"]), status=report.status_text(c["status"]), who=md(c["created_by"]),
        seed=c["seed"]))
    st.caption(report.verdict(r))
    overall = (r or {}).get("overall")
    if overall:
        cards = card_columns(4, "campaign")
        net, extra, save = overall["net"], overall["incremental_revenue"], overall["save_rate"]
        cards[0].metric(_("Net return"), money(net["value"], compact=True),
                        help=_("Extra revenue less the campaign's cost. 90% interval: {lo} to {hi}.").format(
                            lo=money(net["lo"]), hi=money(net["hi"])))
        cards[1].metric(_("Extra revenue"), money(extra["value"], compact=True),
                        help=_("(Revenue per contacted customer − per control customer) × contacted customers. "
                               "90% interval: {lo} to {hi}.").format(lo=money(extra["lo"]), hi=money(extra["hi"])))
        cards[2].metric(_("Cost"), money(overall["cost"], compact=True))
        cards[3].metric(_("Save rate"), percent(save["value"], 1),
                        help=_("Control churn − contacted churn: the share of contacted customers the offer kept. "
                               "90% interval: {lo} to {hi}.").format(lo=percent(save["lo"], 1),
                                                                    hi=percent(save["hi"], 1)))
        st.dataframe(report.comparison(r), hide_index=True, column_config={
            "metric": _("Per customer"), "treated": st.column_config.NumberColumn(_("Contacted"), format="%.3f"),
            "control": st.column_config.NumberColumn(_("Control"), format="%.3f"),
            "difference": st.column_config.NumberColumn(_("Difference"), format="%.3f"),
            "lo": st.column_config.NumberColumn(_("90% from"), format="%.3f"),
            "hi": st.column_config.NumberColumn(_("90% to"), format="%.3f"),
            "clear": st.column_config.CheckboxColumn(_("Clear"), help=_("The interval excludes zero."))})
        bands = report.bands(r)
        st.markdown(_("**By risk band** (at assignment; high from {high})").format(high=number(HIGH_RISK)))
        st.dataframe(bands, hide_index=True, column_config={
            "band": _("Band"), "treated": _("Contacted"), "control": _("Control"),
            "visits_diff": st.column_config.NumberColumn(_("Visits ±"), format="%.3f"),
            "churn_diff": st.column_config.NumberColumn(_("Churn ±"), format="percent"),
            "net": st.column_config.NumberColumn(_("Net, ₸"), format="localized"),
            "net_lo": st.column_config.NumberColumn(_("90% from"), format="localized"),
            "net_hi": st.column_config.NumberColumn(_("90% to"), format="localized"),
            "save_rate": st.column_config.NumberColumn(_("Save rate"), format="percent")})
    export = engine()
    downloads(lambda viewer, fmt, names: service.contacts_export(export, int(pick), viewer=viewer,
                                                                 club_ids=club_ids, fmt=fmt, labels=names),
              account=account, club_ids=club_ids, contacts=True, file_name=f"campaign-{pick}-contacts",
              labels=contact_labels(), key="camp_download",
              csv_label=_("Download the contact list (contacted customers only, CSV)"),
              xlsx_label=_("Download the contact list (contacted customers only, Excel)"))
    if can(account, "manage_campaigns") and c["status"] != "closed":
        label = {"scheduled": _("Close before it starts"),
                 "running": _("Close early (the result so far becomes final)")}.get(
            c["status"], _("Close and record the result"))
        if st.button(label, key="camp_close", icon=":material/task_alt:"):
            try:
                close_campaign(engine(), int(pick), account=account, club_ids=club_ids)
            except CampaignError as exc:
                st.warning(str(exc))
            else:
                forget()
                st.session_state[FLASH_KEY] = _("Closed #{id}.").format(id=pick)
                st.rerun()


def audience_inputs(club_ids, account, handed: dict | None) -> Audience:
    handed = handed or {}
    kinds = list(KINDS)
    kind = st.radio(_("Customers"), kinds, index=kinds.index(handed.get("kind", "top")), key="new_kind",
                    format_func=lambda k: _(KINDS[k]), horizontal=True)
    if kind == "top":
        value = st.slider(_("Top share by churn risk, %"), 1, 100, int(handed.get("value") or 10), key="new_top")
        return Audience("top", value)
    if kind == "threshold":
        value = st.slider(_("Churn risk at least"), 0, 100, int(handed.get("value") or HIGH_RISK), key="new_risk")
        return Audience("threshold", value)
    options = cached(service.segments, ttl=300)(viewer=account, club_ids=club_ids)
    return Audience("segment", segment=st.selectbox(_("Segment"), options, key="new_segment"))


def new_campaign_section(club_ids, account) -> None:
    st.subheader(_("New campaign"), anchor=False)
    if not can(account, "manage_campaigns"):
        st.info(_("Analysts can read every campaign and its result; creating and closing campaigns is for managers."),
                icon=":material/lock:")
        return
    if st.session_state.pop(RESET_KEY, False):
        st.session_state["new_name"] = st.session_state["new_offer"] = ""
    with st.container(border=True):
        audience = audience_inputs(club_ids, account, st.session_state.get(AUDIENCE_KEY))
        name = st.text_input(_("Name"), key="new_name", max_chars=120)
        offer = st.text_input(_("Offer"), key="new_offer", max_chars=300,
                              placeholder=_("e.g. a free hour on the next visit"))
        a, b = st.columns(2)
        cost = a.number_input(_("Cost per contacted customer, ₸"), 0, 100_000, 300, step=50, key="new_cost")
        window = b.number_input(_("Window, days"), 7, 180, 30, key="new_window")
        c, d = st.columns(2)
        starts = c.date_input(_("Start date"), value=default_start(local_today()), key="new_start",
                              format="DD.MM.YYYY")
        share = d.slider(_("Control group, %"), 5, 50, int(DEFAULT_CONTROL_SHARE * 100), key="new_share",
                         help=_("Held out at random within each risk band and never contacted."))
        try:
            groups = cached(preview, ttl=60)(account=account, audience=audience, control_share=share / 100,
                                             club_ids=club_ids)
        except CampaignError as exc:
            st.warning(str(exc))
            return
        st.markdown(report.group_sizes_text(groups.treated, groups.control) + ".")
        for warning in groups.warnings:
            st.warning(warning, icon=":material/warning:")
        if st.button(_("Create campaign"), type="primary", key="new_create", icon=":material/add:"):
            try:
                plan = CampaignPlan(name=name, offer=offer, cost_per_contact=cost, window_days=int(window),
                                    starts_on=starts, audience=audience, control_share=share / 100)
                campaign_id, made = create_campaign(engine(), plan, account=account, club_ids=club_ids)
            except CampaignError as exc:
                st.error(sentence(str(exc)))
                return
            forget()
            st.session_state.pop(AUDIENCE_KEY, None)
            st.session_state[RESET_KEY] = True
            st.session_state[PICK_NEXT_KEY] = campaign_id
            st.session_state[FLASH_KEY] = _("Created #{id}: {groups}.").format(
                id=campaign_id, groups=report.group_sizes_text(made.treated, made.control))
            st.rerun()


st.title(_("Campaigns"), anchor=False)
with page_guard("campaigns"):
    f = filters()
    account = current_account()
    flash = st.session_state.pop(FLASH_KEY, None)
    if flash:
        st.success(flash, icon=":material/check_circle:")
    table = ledger()(viewer=account, club_ids=f.club_ids)
    ledger_section(table)
    if not table.empty:
        report_section(table, f.club_ids, account)
    new_campaign_section(f.club_ids, account)

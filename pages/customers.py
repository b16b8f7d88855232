"""Customers: segments, the RFM picture, and a searchable, filterable list with CSV export."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from core.accounts import sees_contacts
from core.customers import service
from core.customers.segments import SEGMENTS, segment_label
from core.models import service as models
from core.i18n import _
from core.i18n.format import date_text, money, number
from pages.ui.cache import cached
from pages.ui.charts import LILAC, PURPLE, plot, style_figure
from pages.ui.export import downloads
from pages.ui.guard import page_guard
from pages.ui.quality import render_quality
from pages.ui.session import current_account, engine
from pages.ui.sidebar import filters
from pages.ui.targeting import targeting_control

CLV_CAP = 300_000  # the slider's right end: no upper limit
LIMIT = 5000


def segment_chart(frame):
    long = frame.melt(id_vars="label", value_vars=["customer_share", "revenue_share"],
                      var_name="share of", value_name="share")
    long["share of"] = long["share of"].map({"customer_share": _("customers"),
                                             "revenue_share": _("revenue (90 days)")})
    fig = px.bar(long, y="label", x="share", color="share of", barmode="group", orientation="h",
                 category_orders={"label": [segment_label(s) for s in service.segment_choices(frame)]},
                 color_discrete_sequence=[LILAC, PURPLE],
                 labels={"share of": _("share of"), "share": _("share"), "label": _("Segment")})
    fig.update_traces(hovertemplate="%{y}: %{x:.0%}")
    fig.update_xaxes(tickformat=".0%", title=None)
    fig.update_yaxes(title=None)
    return style_figure(fig, height=340)


def rfm_chart(frame):
    sample = frame.sample(min(len(frame), 2000), random_state=0) if len(frame) else frame
    fig = px.scatter(sample, x="recency_days", y="frequency", size="monetary_total", color="segment",
                     size_max=18, opacity=0.65, hover_name="full_name",
                     category_orders={"segment": [segment_label(s) for s in SEGMENTS]},
                     labels={"recency_days": _("Days since last visit"), "frequency": _("Visits"),
                             "segment": _("Segment"), "monetary_total": _("Spent, ₸")})
    fig.update_traces(marker={"line": {"width": 0}})
    return style_figure(fig, height=360)


def list_labels() -> dict[str, str]:
    """The customer list's column names in the current language (the table and the CSV)."""
    return {"full_name": _("Name"), "phone": _("Phone"), "churn_risk": _("Churn risk"), "segment": _("Segment"),
            "top_action": _("Top action"), "clv_12m": _("CLV 12 m, ₸"), "email": _("E-mail"),
            "favourite_club": _("Club"), "next_visit_date": _("Next visit"), "recency_days": _("Days since visit"),
            "frequency": _("Visits"), "monetary_total": _("Spent, ₸"), "probability_alive": _("P(active)"),
            "upsell_score": _("Upsell"), "clv_12m_lo": _("CLV low"), "clv_12m_hi": _("CLV high")}


def prediction_quality(account, club_ids: tuple[int, ...]) -> None:
    """How good the churn risk in this list is: the grade in a line, the rest as on the Models page."""
    result = cached(service.churn_quality, ttl=300)(viewer=account, club_ids=club_ids)
    label = _("How good the churn risk is")
    if result is not None and result.quality is not None:
        label = _("How good the churn risk is: {score} / 100, {band}").format(
            score=number(result.quality.score), band=result.quality.label.lower())
    with st.expander(label, icon=":material/verified:"):
        render_quality(result, key="customers")


st.title(_("Customers"), anchor=False)
with page_guard("customers"):
    f = filters()
    account = current_account()
    seg = cached(service.segment_overview, ttl=300)(viewer=account, club_ids=f.club_ids)
    skipped = cached(models.skipped_models, ttl=60)()
    if seg.empty:
        if "segments" in skipped:
            st.info(_("Segments: {notice}.").format(notice=skipped["segments"]), icon=":material/hourglass_empty:")
        else:
            st.info(_("No model is active yet, so customers have no segments or scores. A manager can train one on "
                      "the Models page (or run `oyna retrain`)."), icon=":material/info:")
        st.stop()
    for model, title in (("churn", _("Churn risk")), ("clv", _("Lifetime value"))):
        if model in skipped:
            st.info(_("{what}: {notice}. It is left out rather than shown as a weak score.").format(
                what=title, notice=skipped[model]), icon=":material/hourglass_empty:")

    left, right = st.columns(2)
    with left:
        st.subheader(_("Segments"), anchor=False)
        plot(segment_chart(seg), key="segments_chart")
    with right:
        st.subheader(_("Recency, frequency, spend"), anchor=False)
        rfm_slot = st.empty()

    with st.expander(_("Segment details")):
        st.dataframe(seg.drop(columns=["segment"]), hide_index=True, column_config={
            "label": _("Segment"), "customers": _("Customers"),
            "customer_share": st.column_config.ProgressColumn(_("Customers, share"), format="percent", min_value=0,
                                                              max_value=1),
            "revenue_share": st.column_config.ProgressColumn(_("Revenue, share"), format="percent", min_value=0,
                                                             max_value=1),
            "revenue_90d": st.column_config.NumberColumn(_("Revenue 90 d, ₸"), format="localized"),
            "avg_churn_risk": st.column_config.NumberColumn(_("Avg churn risk"), format="%.0f"),
            "avg_clv_12m": st.column_config.NumberColumn(_("Avg CLV 12 m, ₸"), format="localized"),
        })

    prediction_quality(account, f.club_ids)

    st.subheader(_("Find customers"), anchor=False)
    a, b = st.columns([3, 2])
    contacts = sees_contacts(account)
    text = a.text_input(_("Name or e-mail") if contacts else _("First name"), key="cust_search",
                        placeholder=_("e.g. Айгерим or gmail") if contacts else _("e.g. Айгерим"),
                        help=None if contacts else _("Only first names are searched, with the first word typed."))
    segments = b.multiselect(_("Segments"), service.segment_choices(seg), format_func=segment_label,
                             key="cust_segments", placeholder=_("All segments"))
    c, d = st.columns(2)
    risk = c.slider(_("Churn risk"), 0, 100, (0, 100), key="cust_risk")
    clv = d.slider(_("Lifetime value, 12 months, ₸"), 0, CLV_CAP, (0, CLV_CAP), step=5_000, key="cust_clv",
                   help=_("The right end ({cap}) means no upper limit.").format(cap=money(CLV_CAP)))
    query = {"club_ids": f.club_ids, "text": text.strip(), "segments": tuple(segments), "min_risk": risk[0],
             "max_risk": risk[1], "min_clv": clv[0], "max_clv": None if clv[1] >= CLV_CAP else clv[1], "limit": LIMIT}
    table = cached(service.search_customers, ttl=120, spinner=_("Searching…"))(viewer=account, **query)
    plot(rfm_chart(table), key="rfm_chart", where=rfm_slot.container())

    st.caption(_("{count} customers").format(count=number(len(table)))
               + (" " + _("(the first {limit})").format(limit=number(LIMIT)) if len(table) == LIMIT else "")
               + ". " + _("Select a row to open the customer."))
    labels = {k: v for k, v in list_labels().items() if k in table.columns}  # analysts get no contacts
    shown = table[list(labels)]  # the name, phone, risk and segment first: they fit a phone's width
    event = st.dataframe(
        shown, hide_index=True, height=420, on_select="rerun", selection_mode="single-row", key="cust_table",
        column_config={
            **labels,
            "churn_risk": st.column_config.ProgressColumn(labels["churn_risk"], format="%.0f", min_value=0,
                                                          max_value=100),
            "clv_12m": st.column_config.NumberColumn(labels["clv_12m"], format="localized"),
            "clv_12m_lo": st.column_config.NumberColumn(labels["clv_12m_lo"], format="localized"),
            "clv_12m_hi": st.column_config.NumberColumn(labels["clv_12m_hi"], format="localized"),
            "probability_alive": st.column_config.NumberColumn(labels["probability_alive"], format="percent"),
            "upsell_score": st.column_config.NumberColumn(labels["upsell_score"], format="%.0f"),
            "recency_days": st.column_config.NumberColumn(labels["recency_days"], format="%.0f"),
            "monetary_total": st.column_config.NumberColumn(labels["monetary_total"], format="localized"),
            "next_visit_date": st.column_config.DateColumn(labels["next_visit_date"], format="DD.MM.YYYY"),
        })
    rows = event.selection.rows if event and event.selection else []
    if rows:
        st.session_state["customer_id"] = int(table.iloc[rows[0]].user_id)
        st.switch_page("pages/customer.py")
    export = engine()
    downloads(lambda viewer, fmt, names: service.customers_export(export, viewer=viewer, fmt=fmt, labels=names,
                                                                  **query),
              account=account, club_ids=query["club_ids"], contacts=True, file_name="customers",
              labels={"user_id": _("Customer id"), **list_labels()}, key="customers")

    targeting_control(f.club_ids, account)

    moves = cached(service.segment_moves, ttl=3600, spinner=_("Tracing segment moves…"))(
        viewer=account, club_ids=f.club_ids)
    if not moves.empty:
        with st.expander(_("How customers moved between segments, month to month")):
            months = service.move_months(moves)
            month = st.select_slider(_("Month ending"), options=months, value=months[-1], key="moves_month",
                                     format_func=date_text)
            fig = px.imshow(service.moves_in_month(moves, month), text_auto=True, color_continuous_scale="Purples",
                            aspect="auto", labels={"x": _("segment at month end"), "y": _("a month before"),
                                                   "color": _("customers")})
            plot(style_figure(fig, height=420, legend=False), key="moves_chart")

    st.caption(_("Revenue shares use the last 90 days. Total revenue of these segments: {total}.").format(
        total=money(service.segments_revenue(seg), compact=True)))

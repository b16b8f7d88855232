"""Customers: segments, the RFM picture, and a searchable, filterable list with CSV export."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from core.customers.service import search_customers, segment_overview
from core.customers.segments import SEGMENTS, segment_transitions, transition_matrix
from pages.common import current_account, engine, filters, money, page_guard, plot, style_figure

SEGMENT_ORDER = SEGMENTS
CLV_CAP = 300_000  # the slider's right end: no upper limit


@st.cache_data(ttl=300, show_spinner=False)
def overview(club_ids: tuple[int, ...]):
    return segment_overview(engine(), club_ids=club_ids)


@st.cache_data(ttl=3600, show_spinner="Tracing segment moves…")
def transitions():
    try:
        return segment_transitions(engine(), months=6)
    except ValueError:  # less than two month ends of history
        return None


@st.cache_data(ttl=120, show_spinner="Searching…")
def customers(role: str, text: str, club_ids: tuple[int, ...], segments: tuple[str, ...], risk: tuple[int, int],
              clv: tuple[int, int]):
    return search_customers(engine(), viewer=role, text=text, club_ids=club_ids, segments=segments,
                            min_risk=risk[0], max_risk=risk[1], min_clv=clv[0],
                            max_clv=None if clv[1] >= CLV_CAP else clv[1], limit=5000)


def segment_chart(frame):
    long = frame.melt(id_vars="segment", value_vars=["customer_share", "revenue_share"],
                      var_name="share of", value_name="share")
    long["share of"] = long["share of"].map({"customer_share": "customers", "revenue_share": "revenue (90 days)"})
    fig = px.bar(long, y="segment", x="share", color="share of", barmode="group", orientation="h",
                 category_orders={"segment": [s for s in SEGMENT_ORDER if s in set(frame.segment)]},
                 color_discrete_sequence=["#B9AEF8", "#6C4CF1"])
    fig.update_xaxes(tickformat=".0%", title=None)
    fig.update_yaxes(title=None)
    return style_figure(fig, height=340)


def rfm_chart(frame):
    sample = frame.sample(min(len(frame), 2000), random_state=0) if len(frame) else frame
    fig = px.scatter(sample, x="recency_days", y="frequency", size="monetary_total", color="segment",
                     size_max=18, opacity=0.65, hover_name="full_name",
                     category_orders={"segment": SEGMENT_ORDER},
                     labels={"recency_days": "Days since last visit", "frequency": "Visits"})
    fig.update_traces(marker={"line": {"width": 0}})
    return style_figure(fig, height=360)


st.title("Customers", anchor=False)
with page_guard("customers"):
    f = filters()
    account = current_account()
    seg = overview(f.club_ids)
    if seg.empty:
        st.info("No model is active yet, so customers have no segments or scores. A manager can train one "
                "on the Models page (or run `oyna retrain`).", icon=":material/info:")
        st.stop()

    left, right = st.columns(2)
    with left:
        st.subheader("Segments", anchor=False)
        plot(segment_chart(seg), key="segments_chart")
    with right:
        st.subheader("Recency, frequency, spend", anchor=False)
        rfm_slot = st.empty()

    with st.expander("Segment details"):
        st.dataframe(seg, hide_index=True, column_config={
            "customer_share": st.column_config.ProgressColumn("Customers, share", format="percent", min_value=0,
                                                              max_value=1),
            "revenue_share": st.column_config.ProgressColumn("Revenue, share", format="percent", min_value=0,
                                                             max_value=1),
            "revenue_90d": st.column_config.NumberColumn("Revenue 90 d, ₸", format="localized"),
            "avg_churn_risk": st.column_config.NumberColumn("Avg churn risk", format="%.0f"),
            "avg_clv_12m": st.column_config.NumberColumn("Avg CLV 12 m, ₸", format="localized"),
        })

    st.subheader("Find customers", anchor=False)
    a, b = st.columns([3, 2])
    text = a.text_input("Name or e-mail", key="cust_search", placeholder="e.g. Айгерим or gmail")
    segments = b.multiselect("Segments", [s for s in SEGMENT_ORDER if s in set(seg.segment)], key="cust_segments")
    c, d = st.columns(2)
    risk = c.slider("Churn risk", 0, 100, (0, 100), key="cust_risk")
    clv = d.slider("Lifetime value, 12 months, ₸", 0, CLV_CAP, (0, CLV_CAP), step=5_000, key="cust_clv",
                   help=f"The right end ({CLV_CAP:,} ₸) means no upper limit.".replace(",", " "))
    table = customers(account.role.value, text.strip(), f.club_ids, tuple(segments), tuple(risk), tuple(clv))
    rfm_slot.container().plotly_chart(rfm_chart(table), width="stretch", key="rfm_chart")

    st.caption(f"{len(table):,} customers".replace(",", " ")
               + (" (the first 5 000)" if len(table) == 5000 else "")
               + ". Select a row to open the customer.")
    shown = table.drop(columns=["user_id"])
    event = st.dataframe(
        shown, hide_index=True, height=420, on_select="rerun", selection_mode="single-row", key="cust_table",
        column_config={
            "full_name": "Name", "email": "E-mail", "phone": "Phone", "favourite_club": "Club",
            "segment": "Segment",
            "churn_risk": st.column_config.ProgressColumn("Churn risk", format="%.0f", min_value=0, max_value=100),
            "clv_12m": st.column_config.NumberColumn("CLV 12 m, ₸", format="localized"),
            "clv_12m_lo": st.column_config.NumberColumn("CLV low", format="localized"),
            "clv_12m_hi": st.column_config.NumberColumn("CLV high", format="localized"),
            "probability_alive": st.column_config.NumberColumn("P(active)", format="%.2f"),
            "upsell_score": st.column_config.NumberColumn("Upsell", format="%.0f"),
            "recency_days": st.column_config.NumberColumn("Days since visit", format="%.0f"),
            "frequency": "Visits", "monetary_total": st.column_config.NumberColumn("Spent, ₸", format="localized"),
            "next_visit_date": st.column_config.DateColumn("Next visit", format="DD.MM.YYYY"),
            "top_action": "Top action",
        })
    rows = event.selection.rows if event and event.selection else []
    if rows:
        st.session_state["customer_id"] = int(table.iloc[rows[0]].user_id)
        st.switch_page("pages/customer.py")
    st.download_button("Download CSV", table.to_csv(index=False).encode("utf-8"), file_name="customers.csv",
                       mime="text/csv", icon=":material/download:", on_click="ignore")
    moves = transitions()
    if moves is not None and not moves.empty:
        with st.expander("How customers moved between segments, month to month"):
            months = sorted(moves.to_cutoff.unique())
            month = st.select_slider("Month ending", options=months, value=months[-1], key="moves_month",
                                     format_func=lambda d: f"{d:%d.%m.%Y}")
            matrix = transition_matrix(moves[moves.to_cutoff == month])
            fig = px.imshow(matrix, text_auto=True, color_continuous_scale="Purples", aspect="auto",
                            labels={"x": "segment at month end", "y": "a month before", "color": "customers"})
            plot(style_figure(fig, height=420, legend=False), key="moves_chart")

    st.caption(f"Revenue shares use the last 90 days. Total revenue of these segments: "
               f"{money(float(seg.revenue_90d.sum()), compact=True)}.")

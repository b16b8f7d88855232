"""Customer: one person's history, risk, value and the actions recommended for them."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.customers.service import customer_history, customer_profile, search_customers
from pages.common import current_account, engine, filters, money, page_guard, plot, style_figure


@st.cache_data(ttl=120, show_spinner=False)
def profile(role: str, user_id: int, club_ids: tuple[int, ...]):
    return customer_profile(engine(), viewer=role, user_id=user_id, club_ids=club_ids)


@st.cache_data(ttl=600, show_spinner=False)
def history(user_id: int, club_ids: tuple[int, ...]):
    return customer_history(engine(), user_id=user_id, club_ids=club_ids)


@st.cache_data(ttl=120, show_spinner=False)
def matches(role: str, text: str, club_ids: tuple[int, ...]):
    return search_customers(engine(), viewer=role, text=text, club_ids=club_ids, limit=20)


def history_chart(frame: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Bar(x=frame.month, y=frame.spend, name="Spend, ₸", marker_color="#B9AEF8", yaxis="y2",
                         hovertemplate="%{y:,.0f} ₸<extra>spend</extra>"))
    fig.add_trace(go.Scatter(x=frame.month, y=frame.visits, name="Visits", mode="lines+markers",
                             line={"color": "#6C4CF1", "width": 2}))
    fig.update_layout(yaxis={"title": "visits", "rangemode": "tozero"},
                      yaxis2={"overlaying": "y", "side": "right", "tickformat": "~s", "showgrid": False,
                              "rangemode": "tozero"})
    return style_figure(fig, height=320)


def pick_customer(role: str, club_ids: tuple[int, ...]) -> int | None:
    text = st.text_input("Find a customer by name or e-mail", key="customer_find", placeholder="e.g. Ахметов")
    if text.strip():
        found = matches(role, text.strip(), club_ids)
        if found.empty:
            st.info("Nobody matches that name or e-mail among scored customers.")
        else:
            labels = {int(r.user_id): f"{r.full_name} · {r.email or ''} · risk {r.churn_risk:.0f}"
                      for r in found.itertuples()}
            chosen = st.selectbox("Customer", list(labels), format_func=labels.get, key="customer_pick")
            st.session_state["customer_id"] = int(chosen)
    cid = st.session_state.get("customer_id") or st.query_params.get("id")
    try:
        return int(cid) if cid is not None else None
    except ValueError:
        st.warning("That customer id is not a number.")
        return None


st.title("Customer", anchor=False)
with page_guard("customer"):
    f = filters()
    role = current_account().role.value
    user_id = pick_customer(role, f.club_ids)
    if user_id is None:
        st.info("Search for a customer above, or pick one on the Customers page.", icon=":material/person_search:")
        st.stop()
    p = profile(role, user_id, f.club_ids)
    if p is None:
        st.warning(f"There is no customer with id {user_id}.")
        st.stop()

    st.subheader(p["full_name"], anchor=False)
    since = pd.Timestamp(p["signed_up_at"]).strftime("%d.%m.%Y")
    st.caption(f"{p['email'] or '—'} · {p['phone'] or '—'} · customer since {since}"
               + (f" · usually at {p['favourite_club']}" if p.get("favourite_club") else ""))
    if pd.isna(p.get("segment")):
        st.info("This customer has no scores yet: they have no visit before the active model was trained.")
    else:
        a, b, c = st.columns(3)
        a.metric("Churn risk", f"{p['churn_risk']:.0f} / 100", help="Chance of no visit in the next 30 days.")
        b.metric("Still active", f"{100 * p['probability_alive']:.0f}%", help="BG/NBD's P(alive).")
        c.metric("Segment", p["segment"], help=f"R{p['r_score']} F{p['f_score']} M{p['m_score']}")
        d, e, g = st.columns(3)
        d.metric("Lifetime value, 12 months", money(p["clv_12m"], compact=True),
                 help=f"80% range {money(p['clv_12m_lo'])} – {money(p['clv_12m_hi'])}; 6 months: "
                      f"{money(p['clv_6m'])}.")
        e.metric("Expected visits, 30 days", f"{p['expected_visits_30d']:.1f}",
                 help=f"90 days: {p['expected_visits_90d']:.1f}")
        nxt = p.get("next_visit_date")
        g.metric("Next visit", pd.Timestamp(nxt).strftime("%d.%m") if nxt is not None and not pd.isna(nxt)
                 else "not expected", help=f"Upsell score {p['upsell_score']:.0f} / 100.")
        st.caption(f"Lifetime value range (80%): {money(p['clv_12m_lo'])} – {money(p['clv_12m_hi'])}. "
                   f"Upsell score {p['upsell_score']:.0f} / 100.")

    frame = history(user_id, f.club_ids)
    if not frame.empty:
        st.subheader("Visits and spend by month", anchor=False)
        plot(history_chart(frame), key="customer_history")

    actions = p.get("recommendations") or []
    st.subheader("Recommended actions", anchor=False)
    if not actions:
        st.write("No action needed: this customer is neither at risk nor an upsell candidate.")
    else:
        russian = st.toggle("По-русски", key="actions_ru")
        st.dataframe(pd.DataFrame([{
            "action": a["label_ru"] if russian else a["label_en"],
            "why": a["reason"],
            "expected value, ₸": a.get("expected_value"),
        } for a in actions]), hide_index=True, column_config={
            "expected value, ₸": st.column_config.NumberColumn(format="localized")})

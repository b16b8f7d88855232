"""Customer: one person's history, risk, value and the actions recommended for them."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.accounts import Account, sees_contacts
from core.customers import service
from core.models import service as models
from core.i18n import _
from core.i18n.format import date_text, money, number, percent, sentence
from core.platform.thresholds import CHURN_WINDOW_DAYS
from pages.ui.cache import cached
from pages.ui.charts import GREY, LILAC, PURPLE, money_axis, money_hover, plot, style_figure
from pages.ui.guard import page_guard
from pages.ui.session import current_account, engine
from pages.ui.sidebar import filters
from pages.ui.text import md

MATCHES = 20


def history_chart(frame: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Bar(x=frame.month, y=frame.spend, name=_("Spend, ₸"), marker_color=LILAC, yaxis="y2",
                         hovertemplate=money_hover() + "<extra>" + _("spend") + "</extra>"))
    fig.add_trace(go.Scatter(x=frame.month, y=frame.visits, name=_("Visits"), mode="lines+markers",
                             line={"color": PURPLE, "width": 2}))
    fig.update_layout(yaxis={"title": _("visits"), "rangemode": "tozero"},
                      yaxis2={"overlaying": "y", "side": "right", "showgrid": False, "rangemode": "tozero"})
    money_axis(lambda **kw: fig.update_layout(yaxis2=kw))
    return style_figure(fig, height=320)


def timeline_chart(visits: pd.DataFrame, p: dict) -> go.Figure:
    """Past visits as dots on one line, the day of the scores, and the expected next visit as a diamond with
    its 80% range."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=pd.to_datetime(visits.day), y=[_("visits")] * len(visits), mode="markers",
                             name=_("visits"), marker={"color": PURPLE, "size": 9, "opacity": 0.75},
                             customdata=visits[["club", "visits"]],
                             hovertemplate="%{x|%d.%m.%Y} · %{customdata[0]}<extra></extra>"))
    nxt, lo, hi = (p.get(k) for k in ("next_visit_date", "next_visit_lo", "next_visit_hi"))
    if _known(nxt) and _known(lo) and _known(hi):
        middle = pd.Timestamp(nxt)
        fig.add_trace(go.Scatter(
            x=[middle], y=[_("visits")], mode="markers", name=_("expected next visit (80% range)"),
            marker={"symbol": "diamond", "size": 15, "color": LILAC, "line": {"color": PURPLE, "width": 2}},
            error_x={"type": "data", "symmetric": False, "array": [(pd.Timestamp(hi) - middle).days * 86400000],
                     "arrayminus": [(middle - pd.Timestamp(lo)).days * 86400000], "color": PURPLE, "thickness": 2},
            hovertemplate=_("expected around %{x|%d.%m.%Y}") + "<extra></extra>"))
    if _known(p.get("scored_at")):
        scored = pd.Timestamp(p["scored_at"])
        scored = scored.tz_convert(None) if scored.tzinfo else scored
        fig.add_vline(x=scored.to_pydatetime(), line={"color": GREY, "dash": "dot"})
    fig.update_yaxes(visible=False)
    return style_figure(fig, height=170)


def _known(value) -> bool:
    return value is not None and not pd.isna(value)


def timeline_words(p: dict) -> str:
    """What the timeline's diamond means."""
    if not _known(p.get("next_visit_date")):
        return _("No next visit is expected: this customer has likely stopped coming, or their churn risk is high.")
    return _("Expected next visit around {day} (80% range {low} – {high}) if they are still active, as "
             "{share} of customers with this history are. Dots are past visits; the dotted line is when the "
             "scores were made.").format(day=date_text(p["next_visit_date"]), low=date_text(p["next_visit_lo"]),
                                         high=date_text(p["next_visit_hi"]), share=percent(p["probability_alive"]))


def pick_customer(account: Account, club_ids: tuple[int, ...]) -> int | None:
    contacts = sees_contacts(account)
    text = st.text_input(_("Find a customer by name or e-mail") if contacts else _("Find a customer by first name"),
                         key="customer_find", placeholder=_("e.g. Ахметов") if contacts else _("e.g. Айгерим"))
    if text.strip():
        found = cached(service.search_customers, ttl=120)(viewer=account, club_ids=club_ids, text=text.strip(),
                                                           limit=MATCHES)
        if found.empty:  # nobody: the previous profile goes too, or it would read as this search's answer
            st.session_state.pop("customer_id", None)
            st.query_params.pop("id", None)
            st.info(_("Nobody matches that name or e-mail among scored customers.") if contacts else
                    _("Nobody matches that first name among scored customers."))
            st.stop()
        else:
            labels = {int(r.user_id): " · ".join(
                [r.full_name, *([getattr(r, "email", None) or ""] if contacts else []),
                 _("risk {risk}").format(risk=number(r.churn_risk))]) for r in found.itertuples()}
            chosen = st.selectbox(_("Customer"), list(labels), format_func=labels.get, key="customer_pick")
            st.session_state["customer_id"] = int(chosen)
    cid = st.session_state.get("customer_id") or st.query_params.get("id")
    try:
        return int(cid) if cid is not None else None
    except ValueError:
        st.warning(_("That customer id is not a number."))
        return None


def render_scores(p: dict, skipped: dict[str, str]) -> None:
    a, b, c = st.columns(3)
    rank = p.get("risk_top_share")
    if "churn" in skipped:
        a.metric(_("Churn risk"), "—", help=skipped["churn"])
    else:
        a.metric(_("Churn risk"), f"{number(p['churn_risk'])} / 100",
                 help=_("A probability: a {risk}% chance of no visit in the next {days} days.").format(
                     risk=number(p["churn_risk"]), days=CHURN_WINDOW_DAYS)
                 + ("" if not _known(rank) else " " + _("A rank: {share} of customers have a higher risk.").format(
                     share=percent(rank))))
    b.metric(_("Still active"), percent(p["probability_alive"]), help=_("BG/NBD's P(alive)."))
    c.metric(_("Segment"), p["segment_label"], help=f"R{p['r_score']} F{p['f_score']} M{p['m_score']}")
    d, e, g = st.columns(3)
    clv_range = _("80% range {low} – {high}").format(low=money(p["clv_12m_lo"]), high=money(p["clv_12m_hi"]))
    d.metric(_("Lifetime value, 12 months"), money(p["clv_12m"], compact=True),
             help=clv_range + "; " + _("6 months: {value}.").format(value=money(p["clv_6m"])))
    e.metric(_("Expected visits, 30 days"), number(p["expected_visits_30d"], 1),
             help=_("90 days: {visits}").format(visits=number(p["expected_visits_90d"], 1)))
    nxt = p.get("next_visit_date")
    upsell = _("Upsell score {score} / 100.").format(score=number(p["upsell_score"]))
    g.metric(_("Next visit"), date_text(nxt, "d MMM") if nxt is not None and not pd.isna(nxt) else _("not expected"),
             help=upsell)
    st.caption(_("Lifetime value range (80%): {low} – {high}.").format(
        low=money(p["clv_12m_lo"]), high=money(p["clv_12m_hi"])) + " " + upsell)
    for model, title in (("churn", _("Churn risk")), ("clv", _("Lifetime value"))):
        if model in skipped:
            st.info(_("{what}: {notice}.").format(what=title, notice=skipped[model]), icon=":material/hourglass_empty:")


def render_actions(actions: pd.DataFrame) -> None:
    """The actions as a list: a reason is a sentence, which a table's cell would cut on a phone."""
    st.subheader(_("Recommended actions"), anchor=False)
    if actions.empty:
        st.write(_("No action needed: this customer is neither at risk nor an upsell candidate."))
        return
    lines = []
    for a in actions.itertuples():
        value = "" if pd.isna(a.expected_value) else " · " + _("expected value {value}").format(
            value=money(a.expected_value))
        lines.append(f"1. **{md(a.action)}**{value}  \n{md(sentence(a.why))}")
    st.markdown("\n".join(lines))


st.title(_("Customer"), anchor=False)
with page_guard("customer"):
    f = filters()
    account = current_account()
    user_id = pick_customer(account, f.club_ids)
    if user_id is None:
        st.info(_("Search for a customer above, or pick one on the Customers page."), icon=":material/person_search:")
        st.stop()
    # not cached: every view with contacts goes to the activity log
    p = service.customer_profile(engine(), viewer=account, user_id=user_id, club_ids=f.club_ids)
    if p is None:
        st.warning(_("There is no customer with id {id}.").format(id=user_id))
        st.stop()

    st.subheader(md(p["full_name"]), anchor=False)
    details = ([p.get("email") or "—", p.get("phone") or "—"] if "email" in p else []) + [
        _("customer since {day}").format(day=date_text(p["signed_up_at"]))]
    if p.get("favourite_club"):
        details.append(_("usually at {club}").format(club=p["favourite_club"]))
    with st.container(key="caption_customer"):  # plain text (no Markdown) in a caption's type
        st.text(" · ".join(details))
    if pd.isna(p.get("segment")):
        st.info(_("This customer has no scores yet: they have no visit before the active model was trained."))
    else:
        render_scores(p, cached(models.skipped_models, ttl=60)())

    visits = cached(service.customer_visits, ttl=600)(viewer=account, user_id=user_id, club_ids=f.club_ids)
    if not visits.empty and not pd.isna(p.get("segment")):
        st.subheader(_("Visits and the next one"), anchor=False)
        plot(timeline_chart(visits, p), key="customer_timeline")
        st.caption(timeline_words(p))

    frame = cached(service.customer_history, ttl=600)(viewer=account, user_id=user_id, club_ids=f.club_ids)
    if not frame.empty:
        st.subheader(_("Visits and spend by month"), anchor=False)
        plot(history_chart(frame), key="customer_history")

    render_actions(p["actions"])

"""Account: who you are, change your password, sign out everywhere, your sessions; managers of some clubs
choose where their alerts go (managers of the whole chain do it on the System page); managers of the whole
chain see and end everyone's sessions."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.accounts import AuthError, HashingBusy, SignInThrottled, can, change_password, sessions
from core.i18n import _
from core.i18n.format import ago, sentence
from pages.ui.alert_settings import alert_settings
from pages.ui.guard import page_guard
from pages.ui.session import client_address, engine, renew, require, sign_out_everywhere
from pages.ui.sidebar import ROLE_NAMES, club_names
from pages.ui.text import md

def sessions_table(frame: pd.DataFrame, *, with_account: bool) -> None:
    shown = frame.assign(
        signed_in=frame.created_at.map(ago), last_used=frame.last_seen_at.map(ago),
        address=frame.address.fillna(_("this machine")), user_agent=frame.user_agent.fillna("").str.slice(0, 60),
        current=frame.current.map({True: _("this tab"), False: ""}))
    if with_account:
        shown["role"] = shown.role.map(lambda r: _(ROLE_NAMES[r]) if r in ROLE_NAMES else r)
    columns = (["username", "role"] if with_account else []) + ["signed_in", "last_used", "address", "user_agent",
                                                                 "current"]
    st.dataframe(shown[columns], hide_index=True, column_config={
        "username": _("Account"), "role": _("Role"), "address": _("Address"), "user_agent": _("Browser"),
        "signed_in": _("Signed in"), "last_used": _("Last used"), "current": ""})


def password_section(account) -> None:
    st.subheader(_("Change your password"), anchor=False)
    with st.form("password_form", clear_on_submit=True, border=True):
        current = st.text_input(_("Current password"), type="password", key="pw_current",
                                autocomplete="current-password")
        new = st.text_input(_("New password"), type="password", key="pw_new", autocomplete="new-password",
                            help=_("At least 10 characters, not your username, not a common password."))
        repeat = st.text_input(_("New password again"), type="password", key="pw_repeat",
                               autocomplete="new-password")
        submitted = st.form_submit_button(_("Change password"), type="primary")
    if not submitted:
        return
    try:
        change_password(engine(), account=account, current=current, new=new, repeat=repeat,
                        address=client_address())
    except SignInThrottled as exc:
        st.error(_("Too many attempts, try again in {seconds} s.").format(seconds=exc.seconds))
    except HashingBusy:
        st.error(_("The server is busy; try again in a few seconds."))
    except AuthError as exc:
        st.error(sentence(str(exc)))
    else:
        renew(account)
        st.success(_("Your password is changed. Every other session of yours has ended; this tab stays "
                     "signed in."), icon=":material/check:")


def everyone_section(account) -> None:
    st.subheader(_("Everyone's sessions"), anchor=False)
    frame = sessions.live_sessions(engine(), viewer=account, everyone=True)
    if frame.empty:
        st.caption(_("Nobody is signed in."))
        return
    sessions_table(frame, with_account=True)
    labels = {int(r.session_id): f"{r.username} · {r.address or _('this machine')} · {ago(r.last_seen_at)}"
              for r in frame.itertuples() if not r.current}
    if not labels:
        return
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    chosen = left.selectbox(_("End a session"), list(labels), format_func=labels.get, key="end_session_pick")
    if right.button(_("End it"), key="end_session", icon=":material/block:"):
        sessions.end_session(engine(), viewer=account, session_id=chosen)
        st.toast(_("That session has ended; its tab asks to sign in on its next step."), icon=":material/block:")
        st.rerun()


st.title(_("Account"), anchor=False)
with page_guard("account"):
    account = require("view")
    role = _(ROLE_NAMES.get(account.role.value, account.role.value))
    if account.whole_chain:
        where = _("the whole chain")
    else:
        names = club_names()
        where = ", ".join(md(names.get(c, c)) for c in account.club_ids or ()) or _("no club yet")
    st.markdown(_("**{name}**, {role} · {where}").format(name=md(account.username), role=role, where=where))

    password_section(account)

    st.subheader(_("Your sessions"), anchor=False)
    sessions_table(sessions.live_sessions(engine(), viewer=account), with_account=False)
    st.button(_("Sign out everywhere"), key="sign_out_everywhere", on_click=sign_out_everywhere,
              icon=":material/logout:", help=_("Ends every session of yours, on every device, this tab included."))

    if can(account, "manage_alerts") and not can(account, "view_system"):  # the System page has them otherwise
        st.subheader(_("Alerts"), anchor=False)
        alert_settings(account)

    if can(account, "manage_accounts"):
        everyone_section(account)

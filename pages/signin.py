"""The sign-in form: the only thing shown until someone signs in."""

import streamlit as st

from core.accounts import HashingBusy, SignInThrottled, authenticate
from core.i18n import _
from pages.ui.charts import preload
from pages.ui.guard import page_guard
from pages.ui.session import client_address, engine, ensure_entrypoint, session_ended, sign_in
from pages.ui.sidebar import language_switch

ensure_entrypoint()
_left, middle, _right = st.columns([1, 2, 1])  # centred on a desktop; st.columns stack on a phone
with middle:
    st.title("Oyna Insights")
    st.caption(_("Analytics for the club chain. Sign in with the account your manager gave you."))
    if session_ended():
        st.info(_("Your session has ended. Sign in again."), icon=":material/schedule:")
    with st.form("sign_in", border=True):
        username = st.text_input(_("Username"), key="signin_username", autocomplete="username")
        password = st.text_input(_("Password"), type="password", key="signin_password",
                                 autocomplete="current-password")
        submitted = st.form_submit_button(_("Sign in"), type="primary", width="stretch")

    if submitted:
        with page_guard("sign-in"):
            if not username.strip() or not password:
                st.error(_("Enter your username and password."))
            else:
                try:
                    account = authenticate(engine(), username=username, password=password, address=client_address())
                except SignInThrottled as exc:
                    st.error(_("Too many attempts, try again in {seconds} s.").format(seconds=exc.seconds))
                except HashingBusy:
                    st.error(_("The server is busy checking other sign-ins; try again in a few seconds."))
                else:
                    if account is None:
                        st.error(_("Wrong username or password."))
                    else:
                        sign_in(account)
                        st.rerun()
    language_switch(st)
preload()

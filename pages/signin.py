"""The sign-in form: the only thing shown until someone signs in."""

import streamlit as st

from core.accounts import SignInThrottled, authenticate
from pages.common import ACCOUNT_KEY, engine, ensure_entrypoint, page_guard

ensure_entrypoint()
_, middle, _ = st.columns([1, 2, 1])  # centred on a desktop; st.columns stack on a phone
with middle:
    st.title("Oyna Insights")
    st.caption("Analytics for the club chain. Sign in with the account your manager gave you.")
    with st.form("sign_in", border=True):
        username = st.text_input("Username", key="signin_username", autocomplete="username")
        password = st.text_input("Password", type="password", key="signin_password",
                                 autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary", width="stretch")

    if submitted:
        with page_guard("sign-in"):
            if not username.strip() or not password:
                st.error("Enter your username and password.")
            else:
                try:
                    account = authenticate(engine(), username=username, password=password)
                except SignInThrottled as exc:
                    st.error(f"Too many attempts, try again in {exc.seconds} s.")
                else:
                    if account is None:
                        st.error("Wrong username or password.")
                    else:
                        st.session_state[ACCOUNT_KEY] = account
                        st.rerun()

"""The browser session: the app's engine, the signed-in account, sign-out, the interface language,
and the check that app.py (sign-in, navigation) runs before any page."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.engine import Engine
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core import accounts
from core.accounts import Account
from core.i18n import _, set_resolver
from core.platform.db import get_engine
from core.platform.settings import load_settings

ACCOUNT_KEY = "account"
LANGUAGE_KEY = "language"
SIGN_OUT_KEY = "sign_out"


def _session_language() -> str | None:
    """The language chosen in this browser session (None: the default, English for now)."""
    if get_script_run_ctx(suppress_warning=True) is None:  # a background thread or the CLI
        return None
    return st.session_state.get(LANGUAGE_KEY)


set_resolver(_session_language)


@st.cache_resource(show_spinner=False)
def engine() -> Engine:
    """The app's engine: one pool per process, shared by every session."""
    return get_engine(load_settings())


def ensure_entrypoint() -> None:
    """Make sure app.py (sign-in, navigation) ran in this run; rerun through it otherwise.

    Next to a `pages/` folder, Streamlit starts every process (and AppTest every run) in its legacy
    multipage mode, where an address such as /forecast runs pages/forecast.py directly, without
    app.py, until the first `st.navigation` call switches that mode off. Pages call this (through
    page_guard, filters and current_account), so a page never runs without the sign-in check.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def current_account() -> Account | None:
    """The signed-in account, or None."""
    ensure_entrypoint()
    account = st.session_state.get(ACCOUNT_KEY)
    return account if isinstance(account, Account) else None


def sign_in(account: Account) -> None:
    st.session_state[ACCOUNT_KEY] = account


def require(permission: str) -> Account:
    """The signed-in account when its role has `permission`; otherwise a clear message and st.stop()."""
    account = current_account()
    try:
        return accounts.require(account, permission)
    except accounts.AuthError as exc:
        message = str(exc)
        st.warning(message[:1].upper() + message[1:] + ".", icon=":material/lock:")
        st.stop()
        raise  # not reached: st.stop() raises


def sign_out() -> None:
    """Forget the account and this session's choices (a button callback)."""
    for key in list(st.session_state.keys()):
        if key != SIGN_OUT_KEY:  # the button being handled; the sign-in page never draws it
            del st.session_state[key]


def sign_out_button(where) -> None:
    where.button(_("Sign out"), key=SIGN_OUT_KEY, on_click=sign_out, icon=":material/logout:")

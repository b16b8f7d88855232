"""The browser session: the app's engine, the signed-in account, sign-out, the interface language,
and the check that app.py (sign-in, navigation) runs before any page.

The language of a run (`resolve_language`, once per run from app.py): the signed-in account's choice
(kept in app_accounts.language), else the one picked with the switch in this session, else the browser's
Accept-Language, else English.
"""

from __future__ import annotations

import logging

import streamlit as st
from sqlalchemy.engine import Engine
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core import accounts
from core.accounts import Account
from core.i18n import SOURCE, _, negotiate, normalize, set_resolver
from core.platform.db import get_engine
from core.platform.settings import load_settings

logger = logging.getLogger("oyna.pages")

ACCOUNT_KEY = "account"
LANGUAGE_KEY = "language"  # the language of this run (resolve_language)
CHOSEN_KEY = "language_chosen"  # picked with the switch in this session
SIGN_OUT_KEY = "sign_out"


def _session_language() -> str | None:
    """The language of this browser session's run (None: the default, English)."""
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
    """Remember the account; a language picked before signing in becomes the account's choice."""
    st.session_state[ACCOUNT_KEY] = account
    chosen = normalize(st.session_state.get(CHOSEN_KEY))
    if chosen:
        _keep_language(account, chosen)


def browser_language() -> str:
    """The best available language for the browser (its Accept-Language header, else its locale)."""
    try:
        header = st.context.headers.get("Accept-Language")
        return negotiate(header) if header else negotiate(st.context.locale)
    except Exception:  # noqa: BLE001 - no browser (a test harness): the default
        return SOURCE


def resolve_language() -> str:
    """The language of this run (app.py calls this once per run, before anything is drawn)."""
    account = current_account()
    stored = None
    if account is not None:
        try:
            stored = accounts.account_language(engine(), account)
        except Exception:  # noqa: BLE001 - the database is down or behind: the page says so itself
            logger.debug("could not read the account's language", exc_info=True)
    code = normalize(stored) or normalize(st.session_state.get(CHOSEN_KEY)) or browser_language()
    st.session_state[LANGUAGE_KEY] = code
    return code


def choose_language(code: str | None) -> None:
    """The switch's choice: this session speaks it from now on, and the signed-in account keeps it."""
    code = normalize(code)
    if not code:
        return
    st.session_state[CHOSEN_KEY] = st.session_state[LANGUAGE_KEY] = code
    account = current_account()
    if account is not None:
        _keep_language(account, code)


def _keep_language(account: Account, code: str) -> None:
    try:
        accounts.set_language(engine(), account, code)
    except Exception:  # noqa: BLE001 - the session keeps the choice; the account gets it next time
        logger.warning("could not keep the language of account %s", account.username, exc_info=True)


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

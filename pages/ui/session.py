"""The browser session: the app's engine, the signed-in account (found again and re-read on every run),
signing in and out, the client's address, the interface language, and the check that app.py (sign-in,
navigation) runs before any page.

A tab remembers its session's id; a new tab or a reload finds the session through the HttpOnly cookie
(`st.context.cookies`, see `pages.ui.cookie`). Either way `current_account()` asks
`core.accounts.sessions.resume` once per run, so a removed, demoted, re-scoped or reset account, or an
ended or idle session, loses access on its next run. Automatic refreshes (`st.fragment(run_every=...)`)
call `still_signed_in()` instead, which checks without counting as activity.

The language of a run (`resolve_language`, once per run from app.py): the signed-in account's choice
(app_accounts.language, read with the account), else the one picked with the switch in this tab, else
the browser's Accept-Language, else English.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import streamlit as st
from sqlalchemy.engine import Engine
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core import accounts
from core.accounts import Account, sessions
from core.i18n import SOURCE, _, negotiate, normalize, set_resolver
from core.i18n.format import sentence
from core.platform.db import get_engine
from core.platform.settings import Settings, load_settings
from pages.ui import cookie
from pages.ui.text import md

logger = logging.getLogger("oyna.pages")

SESSION_KEY = "oyna_session"        # this tab's session id (app_sessions.id)
RUN_KEY = "_oyna_run_account"       # the account found in this run (app.py resets it)
ENDED_KEY = "_oyna_session_ended"   # this tab's session ended (the sign-in page says so)
SIGNED_OUT_KEY = "_oyna_signed_out"  # this tab signed out (its ended session is no news)
STALE_KEY = "_oyna_stale_cookie"    # the cookie this tab was opened with names an ended session
LANGUAGE_KEY = "language"          # the language of this run (resolve_language)
CHOSEN_KEY = "language_chosen"      # picked with the switch in this tab
SIGN_OUT_KEY = "sign_out"


@dataclass(frozen=True)
class _Found:
    account: Account | None


def _session_language() -> str | None:
    """The language of this browser session's run (None: the default, English)."""
    if get_script_run_ctx(suppress_warning=True) is None:  # a background thread or the CLI
        return None
    return st.session_state.get(LANGUAGE_KEY)


set_resolver(_session_language)


@st.cache_resource(show_spinner=False)
def engine() -> Engine:
    """The app's engine: one pool per process, shared by every session, with the page timeouts."""
    return get_engine(load_settings(), purpose="page")


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    return load_settings()


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


def client_address() -> str | None:
    """The client's address: the connection's, or with OYNA_TRUSTED_PROXIES=n the n-th address from the
    right of X-Forwarded-For (the one the nearest trusted proxy saw). None for a browser on this machine."""
    trusted = settings().trusted_proxies
    if trusted > 0:
        values = [v for v in st.context.headers.get_all("X-Forwarded-For") if isinstance(v, str)]
        hops = [h.strip() for h in ",".join(values).split(",") if h.strip()]
        if hops:
            return hops[-trusted][:64] if len(hops) >= trusted else hops[0][:64]
    address = st.context.ip_address
    return address[:64] if isinstance(address, str) else None  # None also under AppTest


def user_agent() -> str | None:
    agent = st.context.headers.get("User-Agent")
    return agent[:400] if isinstance(agent, str) else None


def new_run() -> None:
    """Forget the account found in the last run (app.py calls this first on every run)."""
    st.session_state[RUN_KEY] = None


def current_account() -> Account | None:
    """The signed-in account as it is now in the database (once per run), or None."""
    ensure_entrypoint()
    found = st.session_state.get(RUN_KEY)
    if not isinstance(found, _Found):
        found = _Found(_find(touch=True))
        st.session_state[RUN_KEY] = found
    return found.account


def still_signed_in() -> Account | None:
    """For automatic refreshes: the account re-read without counting as activity; when the session has
    ended the whole app reruns (to the sign-in form)."""
    account = _find(touch=False)
    st.session_state[RUN_KEY] = _Found(account)
    if account is None:
        st.rerun(scope="app")
    return account


def _find(*, touch: bool) -> Account | None:
    address = client_address()
    session_id = st.session_state.get(SESSION_KEY)
    if session_id is not None:
        account = sessions.resume(engine(), session_id=session_id, touch=touch, address=address,
                                  settings=settings())
        if account is not None:
            return account
        _forget_everything()
        st.session_state[ENDED_KEY] = True
    token = _cookie()
    if token and token != st.session_state.get(STALE_KEY):
        account = sessions.resume(engine(), token=token, touch=touch, address=address, settings=settings())
        if account is not None:
            st.session_state[SESSION_KEY] = account.session_id
            return account
        st.session_state[STALE_KEY] = token
        if not st.session_state.get(SIGNED_OUT_KEY):
            st.session_state[ENDED_KEY] = True
    return None


def _cookie() -> str | None:
    """The session cookie the tab was opened with (None without one, as under AppTest)."""
    token = st.context.cookies.get(cookie.COOKIE)
    return token if isinstance(token, str) and token else None


def _forget_everything() -> None:
    """Drop this tab's session and choices (the cookie and its session are handled separately)."""
    keep = {SIGN_OUT_KEY, cookie.GRANT_KEY, cookie.FORGET_KEY, RUN_KEY}
    for key in list(st.session_state.keys()):
        if key not in keep:
            del st.session_state[key]


def session_ended() -> bool:
    """Whether this tab's session ended (signed out elsewhere, idle, expired, or the account changed)."""
    return bool(st.session_state.get(ENDED_KEY))


def sign_in(account: Account) -> None:
    """Start a session for an account that just proved its password; the cookie follows this run. A
    language picked with the switch before signing in becomes the account's choice."""
    started = sessions.start(engine(), account, settings=settings(), address=client_address(),
                             user_agent=user_agent())
    chosen = normalize(st.session_state.get(CHOSEN_KEY))
    _forget_everything()
    st.session_state[SESSION_KEY] = started.session_id
    cookie.remember(started.grant)
    if chosen:
        st.session_state[CHOSEN_KEY] = chosen
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
    stored = account.language if account is not None else None
    code = normalize(stored) or normalize(st.session_state.get(CHOSEN_KEY)) or browser_language()
    st.session_state[LANGUAGE_KEY] = code
    return code


def choose_language(code: str | None) -> None:
    """The switch's choice: this tab speaks it from now on, and the signed-in account keeps it. The
    language already shown is no choice (Streamlit can report the switch as changed when it is redrawn
    elsewhere), so it is never stored: only a person who picks another language pins one."""
    code = normalize(code)
    if not code or code == st.session_state.get(LANGUAGE_KEY):
        return
    st.session_state[CHOSEN_KEY] = st.session_state[LANGUAGE_KEY] = code
    account = current_account()
    if account is not None:
        _keep_language(account, code)


def _keep_language(account: Account, code: str) -> None:
    try:
        accounts.set_language(engine(), account, code)
    except Exception:  # noqa: BLE001 - the tab keeps the choice; the account gets it next time
        logger.warning("could not keep the language of account %s", account.username, exc_info=True)


def require(permission: str) -> Account:
    """The signed-in account when its role has `permission`; otherwise a clear message and st.stop()."""
    account = current_account()
    try:
        return accounts.require(account, permission)
    except accounts.AuthError as exc:
        st.warning(md(sentence(str(exc))), icon=":material/lock:")
        st.stop()
        raise  # not reached: st.stop() raises


def sign_out() -> None:
    """End this session and forget this tab's choices (a button callback); the cookie is cleared next."""
    account = current_account()
    if account is not None:
        try:
            sessions.sign_out(engine(), account)
        except Exception:  # noqa: BLE001 - signing out locally still happens; the session idles out
            logger.warning("could not end session %s", account.session_id, exc_info=True)
    _signed_out()


def sign_out_everywhere() -> None:
    """End every session of the account, this one included (a button callback)."""
    account = current_account()
    if account is not None:
        sessions.sign_out_everywhere(engine(), account)
    _signed_out()


def _signed_out() -> None:
    _forget_everything()
    st.session_state[RUN_KEY] = None
    st.session_state[SIGNED_OUT_KEY] = True
    st.session_state[STALE_KEY] = _cookie()
    cookie.forget()


def renew(account: Account) -> None:
    """A new session for this tab after the account's sessions ended (a password change); the tab keeps
    its choices."""
    started = sessions.start(engine(), account, settings=settings(), address=client_address(),
                             user_agent=user_agent())
    st.session_state[SESSION_KEY] = started.session_id
    st.session_state[RUN_KEY] = _Found(replace(account, session_id=started.session_id))
    cookie.remember(started.grant)


def sign_out_button(where) -> None:
    where.button(_("Sign out"), key=SIGN_OUT_KEY, on_click=sign_out, icon=":material/logout:")

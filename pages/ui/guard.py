"""`page_guard`: a database outage or a bug becomes a clear message instead of a traceback."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from core.i18n import _
from core.platform.db import database_down, timed_out
from core.accounts import Account
from pages.ui.metrics import page_timer
from pages.ui.session import current_account, ensure_entrypoint

logger = logging.getLogger("oyna.pages")

DB_RETRY_SECONDS = 10


@contextmanager
def page_guard(where: str = "page") -> Iterator[None]:
    """Show a clear message instead of a traceback; while the database is down, retry by itself.

    Use as `with page_guard():` around a page's body, or as a decorator. `st.stop()` and
    `st.rerun()` pass through (they are not Exceptions).
    """
    ensure_entrypoint()
    with page_timer(where):
        try:
            yield
        except Exception as exc:  # noqa: BLE001 - this is the page's last line of defence
            _explain(exc, where)


def _explain(exc: Exception, where: str) -> None:
    if timed_out(exc):
        logger.warning("query timed out on %s: %s", where, str(getattr(exc, "orig", exc)).splitlines()[0])
        st.warning(_("This took too long and was stopped, so the database stays quick for everyone. Try "
                     "again in a moment, or narrow the filters (fewer clubs, a shorter period)."),
                   icon=":material/hourglass_disabled:")
        if st.button(_("Try again"), key=f"retry_{where}"):
            st.rerun()
    elif database_down(exc):
        logger.warning("database unavailable on %s: %s", where, str(exc).splitlines()[0] if str(exc) else exc)
        st.error(_("The database is not reachable right now — this page will recover by itself when it is "
                   "back. Trying again every {seconds} seconds…").format(seconds=DB_RETRY_SECONDS),
                 icon=":material/cloud_off:")
        _retry_soon(where)
    else:
        logger.exception("unexpected error on %s", where)
        st.error(_("Something went wrong while building this part of the page. The details were logged for "
                   "the team; try again in a moment, or with other filters."), icon=":material/error:")
        if st.button(_("Try again"), key=f"retry_{where}"):
            st.rerun()


def signed_in_account() -> Account | None:
    """app.py's `current_account()`: while the database is down, a message that retries by itself
    instead of the sign-in form (nobody is signed in or out by an outage)."""
    try:
        return current_account()
    except Exception as exc:  # noqa: BLE001
        if not database_down(exc):
            raise
        logger.warning("database unavailable while finding the session: %s", str(exc).splitlines()[0])
        st.error(_("The database is not reachable right now — the app will recover by itself when it is back. "
                   "Trying again every {seconds} seconds…").format(seconds=DB_RETRY_SECONDS),
                 icon=":material/cloud_off:")
        _retry_soon("session")
        st.stop()
        raise  # not reached


def _retry_soon(where: str) -> None:
    try:
        from streamlit_autorefresh import st_autorefresh

        st_autorefresh(interval=DB_RETRY_SECONDS * 1000, key=f"db_retry_{where}")
    except Exception:  # noqa: BLE001 - the component is a nicety; the message is what matters
        logger.debug("st_autorefresh unavailable", exc_info=True)

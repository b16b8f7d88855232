"""The sidebar every page shares: clubs and dates, how fresh the data is, who is signed in."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from core.data import service as data_service
from core.i18n import N_, _, available, language_name
from core.i18n.format import ago, date_text, time_text
from core.models import service as models
from core.platform import clubs as chain
from core.rollups.refresh import figures_as_of
from pages.ui.cache import cached
from pages.ui.session import LANGUAGE_KEY, choose_language, current_account, ensure_entrypoint, sign_out_button
from pages.ui.text import md

logger = logging.getLogger("oyna.pages")

DEFAULT_DAYS = 90
FILTERS_KEY = "_oyna_filters"  # the Filters drawn in this run (app.py resets it on every run)
ACCOUNT_DRAWN_KEY = "_oyna_account_drawn"  # the account box is drawn once per run (app.py resets it)
_CLUBS_KEY = "flt_clubs"
_DATES_KEY = "flt_dates"
_LAST_RANGE_KEY = "_oyna_last_range"
_LANGUAGE_SWITCH_KEY = "language_switch"
ROLE_NAMES = {"manager": N_("manager"), "analyst": N_("analyst")}


@dataclass(frozen=True)
class Filters:
    """The sidebar's choices: clubs (all of the account's when nothing is chosen) and an inclusive date
    range. `whole_chain`: the account sees the whole chain and every club is chosen."""

    club_ids: tuple[int, ...]
    start: date
    end: date
    whole_chain: bool = False

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def clubs() -> pd.DataFrame:
    """The clubs the signed-in account may see, with their local today, opening hours, seats and halls
    (cached 5 minutes)."""
    return cached(chain.list_clubs, ttl=300)(viewer=current_account())


def club_names() -> dict[int, str]:
    return chain.club_names(clubs())


def local_today() -> date:
    """The chain's club-local today."""
    return chain.chain_today(clubs())


def display_timezone() -> str:
    return chain.display_timezone(clubs())


def new_run() -> None:
    """Forget what the last run drew (app.py calls this first on every run)."""
    st.session_state[FILTERS_KEY] = None
    st.session_state[ACCOUNT_DRAWN_KEY] = False


def filters() -> Filters:
    """Draw the sidebar filters (once per run) and return the choices."""
    ensure_entrypoint()
    drawn = st.session_state.get(FILTERS_KEY)
    if isinstance(drawn, Filters):
        return drawn

    names = club_names()
    if not names:
        account_box(st.sidebar)
        st.info(_("Your account has no clubs to show yet. Ask a manager to give it some (`oyna user scope`)."),
                icon=":material/store:")
        st.stop()
    today = local_today()
    default_range = (today - timedelta(days=DEFAULT_DAYS - 1), today)

    # Widgets live on every page; re-committing their state keeps the choices when the page changes.
    chosen = [c for c in st.session_state.get(_CLUBS_KEY, []) if c in names]
    st.session_state[_CLUBS_KEY] = chosen
    dates = st.session_state.get(_DATES_KEY, default_range)
    if not isinstance(dates, tuple | list) or any(not isinstance(d, date) or d > today for d in dates):
        dates = default_range
    st.session_state[_DATES_KEY] = tuple(dates)

    side = st.sidebar
    account = current_account()
    chain_wide = account is not None and account.whole_chain
    side.multiselect(
        _("Clubs"), options=list(names), format_func=lambda c: names.get(c, str(c)), key=_CLUBS_KEY,
        placeholder=_("All clubs") if chain_wide else _("All your clubs"),
        help=_("Leave empty for the whole chain; pick several to compare a group.") if chain_wide else
        _("Leave empty for all the clubs you work for; pick several to compare a group."))
    picked = side.date_input(
        _("Dates"), key=_DATES_KEY, min_value=today - timedelta(days=3653), max_value=today, format="DD.MM.YYYY",
        help=_("Club-local days, both ends included. Live figures are always today's."))

    start, end = _date_range(picked, default_range)
    ids = tuple(sorted(st.session_state.get(_CLUBS_KEY) or names))
    result = Filters(club_ids=ids, start=start, end=end, whole_chain=chain_wide and set(ids) == set(names))
    freshness(side)
    account_box(side)
    st.session_state[FILTERS_KEY] = result
    as_of_notice()
    return result


def data_moment() -> dict | None:
    """What "now" is for the data (`core.data.service.data_moment`; None when it cannot be read)."""
    try:
        return cached(data_service.data_moment, ttl=60)()
    except Exception:  # noqa: BLE001 - informative only; the page's own queries report an outage
        logger.debug("data moment unavailable", exc_info=True)
        return None


def as_of_notice() -> None:
    """When the data's history ends in the past, say so plainly at the top of the page."""
    moment = data_moment()
    if moment is not None and moment["ended"]:
        local = pd.Timestamp(moment["as_of"]).tz_convert(display_timezone())
        st.info(_("The data ends on {day} at {time}: every page shows the chain as of that moment, and “today” "
                  "is the last day of data.").format(day=date_text(local.date(), "d MMMM y"),
                                                    time=time_text(local.tz_localize(None).to_pydatetime())),
                icon=":material/history:")


def _date_range(picked: Any, default: tuple[date, date]) -> tuple[date, date]:
    """A complete (start, end) from the date input; half-picked ranges keep the last full one."""
    if isinstance(picked, date):
        return picked, picked
    if isinstance(picked, tuple | list) and len(picked) == 2 and all(isinstance(d, date) for d in picked):
        start, end = picked
        st.session_state[_LAST_RANGE_KEY] = (min(start, end), max(start, end))
        return min(start, end), max(start, end)
    return st.session_state.get(_LAST_RANGE_KEY, default)


def freshness(where: Any) -> None:
    """How fresh the figures are (every change up to when is in the rollups) and which model is active
    (informative only)."""
    lines = []
    try:
        as_of = cached(figures_as_of, ttl=60)()
        lines.append(_("Figures include every change up to {ago}").format(ago=ago(as_of)) if as_of
                     else _("Figures: not built yet (`oyna refresh --full`)"))
    except Exception:  # noqa: BLE001 - informative only; the page's own queries report an outage
        logger.debug("view freshness unavailable", exc_info=True)
    try:
        model = cached(models.active_model, ttl=60)()
        lines.append(_("Models: none active yet") if model is None else _("Model {version} trained {ago}").format(
            version=model["version"], ago=ago(model["trained_at"])))
    except Exception:  # noqa: BLE001
        logger.debug("model freshness unavailable", exc_info=True)
    if lines:
        where.caption("  \n".join(lines))


def account_box(where: Any = None) -> None:
    """Who is signed in, and the Sign out button (drawn once per run)."""
    if st.session_state.get(ACCOUNT_DRAWN_KEY):
        return
    st.session_state[ACCOUNT_DRAWN_KEY] = True
    account = current_account()
    if account is None:
        return
    box = where if where is not None else st.sidebar
    language_switch(box)
    role = _(ROLE_NAMES.get(account.role.value, account.role.value))
    text = _("Signed in as **{name}** ({role})").format(name=md(account.username), role=role)
    if not account.whole_chain:
        names = club_names()
        text += "  \n" + _("Clubs: {clubs}").format(
            clubs=", ".join(md(names.get(c, c)) for c in account.club_ids or ()) or _("none"))
    box.caption(text)
    sign_out_button(box)


def language_switch(where: Any = None) -> None:
    """The interface language: every language with a catalogue, each in its own name."""
    codes = list(available())
    if len(codes) < 2:
        return
    st.session_state[_LANGUAGE_SWITCH_KEY] = st.session_state.get(LANGUAGE_KEY) or codes[0]
    (where if where is not None else st.sidebar).segmented_control(
        _("Language"), codes, format_func=language_name, key=_LANGUAGE_SWITCH_KEY, required=True,
        on_change=lambda: choose_language(st.session_state.get(_LANGUAGE_SWITCH_KEY)))

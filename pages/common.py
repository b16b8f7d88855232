"""What every page shares: the engine, cached named queries, the error guard, the signed-in account,
the sidebar filters, and small formatting and chart helpers.

The contract other pages rely on:

* `engine()` - the app's SQLAlchemy engine (one per process).
* `run_query(name, *, ttl=30, **params)` - `sql/queries/<name>.sql` as a DataFrame, cached `ttl` seconds.
* `page_guard()` - a context manager (also a decorator) that turns a database outage or any other
  exception into a clear message (retrying by itself when the database is down) instead of a traceback.
* `current_account()` / `require(permission)` - the signed-in account; stop the page without a permission.
* `filters()` - the sidebar (clubs, dates, data freshness, sign-out) as a frozen `Filters`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pandas as pd
import sqlalchemy as sa
import streamlit as st
from sqlalchemy.engine import Engine

from core import accounts as auth
from core.platform.db import DatabaseUnavailable, get_engine, query_df
from core.platform.settings import load_settings

logger = logging.getLogger("oyna.pages")

DEFAULT_DAYS = 90
DB_RETRY_SECONDS = 10
ACCOUNT_KEY = "account"
_FILTERS_KEY = "_oyna_filters"  # the Filters drawn in this run (reset by app.py on every run)
_CLUBS_KEY = "flt_clubs"
_DATES_KEY = "flt_dates"

# Plotly: no logo, a trimmed mode bar, and charts that follow their container's width.
PLOTLY_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d", "toggleSpikelines"],
}


# ---------------------------------------------------------------- engine and queries


@st.cache_resource(show_spinner="Connecting to the database…")
def engine() -> Engine:
    """The app's engine: one pool per process, shared by every session."""
    return get_engine(load_settings())


_QUERY_CACHES: dict[int, Callable[[str, dict[str, Any]], pd.DataFrame]] = {}


def _cached_query(ttl: int) -> Callable[[str, dict[str, Any]], pd.DataFrame]:
    """One st.cache_data function per TTL (Streamlit keys a cache by the function's name)."""
    fn = _QUERY_CACHES.get(ttl)
    if fn is None:
        def _query(name: str, params: dict[str, Any]) -> pd.DataFrame:
            return query_df(engine(), name, **params)

        _query.__qualname__ = _query.__name__ = f"run_query_ttl_{ttl}"
        fn = st.cache_data(ttl=ttl, show_spinner=False, max_entries=512)(_query)
        _QUERY_CACHES[ttl] = fn
    return fn


def run_query(name: str, *, ttl: int = 30, **params: Any) -> pd.DataFrame:
    """Run `sql/queries/<name>.sql` with bound parameters; the result is cached for `ttl` seconds.

    Tuples become lists (PostgreSQL arrays). Every caller gets its own copy of the frame.
    """
    bound = {key: list(value) if isinstance(value, tuple | set | frozenset) else value
             for key, value in params.items()}
    return _cached_query(int(ttl))(name, bound)


def optional_query(name: str, *, ttl: int = 30, **params: Any) -> pd.DataFrame | None:
    """Like run_query, but None while the table or function it reads does not exist yet."""
    try:
        return run_query(name, ttl=ttl, **params)
    except sa.exc.ProgrammingError as exc:  # undefined table / function: that migration has not landed
        logger.info("query %s is not available yet: %s", name, str(getattr(exc, "orig", exc)).splitlines()[0])
        return None


# ---------------------------------------------------------------- routing


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


# ---------------------------------------------------------------- errors


_DB_DOWN = (DatabaseUnavailable, sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.DisconnectionError,
            sa.exc.TimeoutError)


def _database_down(exc: BaseException) -> bool:
    if isinstance(exc, _DB_DOWN):
        return True
    return isinstance(exc, sa.exc.DBAPIError) and bool(getattr(exc, "connection_invalidated", False))


@contextmanager
def page_guard(where: str = "page") -> Iterator[None]:
    """Show a clear message instead of a traceback; while the database is down, retry by itself.

    Use as `with page_guard():` around a page's body, or as a decorator. `st.stop()` and
    `st.rerun()` pass through (they are not Exceptions).
    """
    ensure_entrypoint()
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - this is the page's last line of defence
        if _database_down(exc):
            logger.warning("database unavailable on %s: %s", where, str(exc).splitlines()[0] if str(exc) else exc)
            st.error(
                "The database is not reachable right now — this page will recover by itself when it is back. "
                f"Trying again every {DB_RETRY_SECONDS} seconds…",
                icon=":material/cloud_off:",
            )
            _retry_soon(where)
        else:
            logger.exception("unexpected error on %s", where)
            st.error(
                "Something went wrong while building this part of the page. The details were logged for the "
                "team; try again in a moment, or with other filters.",
                icon=":material/error:",
            )
            if st.button("Try again", key=f"retry_{where}"):
                st.rerun()


def _retry_soon(where: str) -> None:
    try:
        from streamlit_autorefresh import st_autorefresh

        st_autorefresh(interval=DB_RETRY_SECONDS * 1000, key=f"db_retry_{where}")
    except Exception:  # noqa: BLE001 - the component is a nicety; the message is what matters
        logger.debug("st_autorefresh unavailable", exc_info=True)


# ---------------------------------------------------------------- accounts


def current_account() -> auth.Account | None:
    """The signed-in account, or None."""
    ensure_entrypoint()
    account = st.session_state.get(ACCOUNT_KEY)
    return account if isinstance(account, auth.Account) else None


def require(permission: str) -> auth.Account:
    """The signed-in account when its role has `permission`; otherwise a clear message and st.stop()."""
    account = current_account()
    try:
        return auth.require(account, permission)
    except auth.AuthError as exc:
        message = str(exc)
        st.warning(message[:1].upper() + message[1:] + ".", icon=":material/lock:")
        st.stop()
        raise  # not reached: st.stop() raises


def sign_out() -> None:
    """Forget the account and this session's choices (a button callback)."""
    for key in list(st.session_state.keys()):
        if key != "sign_out":  # the button being handled; the sign-in page never draws it
            del st.session_state[key]


def account_box(where: Any = None) -> None:
    """Who is signed in, and the Sign out button (drawn once per run)."""
    if st.session_state.get("_oyna_account_drawn"):
        return
    st.session_state["_oyna_account_drawn"] = True
    account = current_account()
    if account is None:
        return
    box = where if where is not None else st.sidebar
    box.caption(f"Signed in as **{account.username}** ({account.role.value})")
    box.button("Sign out", key="sign_out", on_click=sign_out, icon=":material/logout:")


# ---------------------------------------------------------------- filters


@dataclass(frozen=True)
class Filters:
    """The sidebar's choices: clubs (all when nothing is chosen) and an inclusive date range."""

    club_ids: tuple[int, ...]
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def clubs() -> pd.DataFrame:
    """Every club with its local today, opening hours, seats and halls (cached 5 minutes)."""
    return run_query("platform/clubs", ttl=300, club_ids=run_query("platform/club_ids", ttl=300).club_id.tolist())


def club_names() -> dict[int, str]:
    frame = clubs()
    return {int(r.club_id): str(r.club_name) for r in frame.itertuples()}


def local_today() -> date:
    """The chain's "today": the latest local date of any club (all Kazakh clubs share it)."""
    frame = clubs()
    if frame.empty:
        return datetime.now(timezone.utc).date()
    return pd.to_datetime(frame.local_today).max().date()


def filters() -> Filters:
    """Draw the sidebar filters (once per run) and return the choices."""
    ensure_entrypoint()
    drawn = st.session_state.get(_FILTERS_KEY)
    if isinstance(drawn, Filters):
        return drawn

    all_clubs = clubs()
    names = {int(r.club_id): f"{r.club_name}" for r in all_clubs.itertuples()}
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
    side.multiselect(
        "Clubs", options=list(names), format_func=lambda c: names.get(c, str(c)), key=_CLUBS_KEY,
        placeholder="All clubs", help="Leave empty for the whole chain; pick several to compare a group.")
    picked = side.date_input(
        "Dates", key=_DATES_KEY, max_value=today, format="DD.MM.YYYY",
        help="Club-local days, both ends included. Live figures are always today's.")

    start, end = _date_range(picked, default_range)
    ids = tuple(sorted(st.session_state.get(_CLUBS_KEY) or names))
    result = Filters(club_ids=ids, start=start, end=end)
    _freshness(side)
    account_box(side)
    st.session_state[_FILTERS_KEY] = result
    return result


def _date_range(picked: Any, default: tuple[date, date]) -> tuple[date, date]:
    """A complete (start, end) from the date input; half-picked ranges keep the last full one."""
    if isinstance(picked, date):
        return picked, picked
    if isinstance(picked, tuple | list) and len(picked) == 2 and all(isinstance(d, date) for d in picked):
        start, end = picked
        st.session_state["_oyna_last_range"] = (min(start, end), max(start, end))
        return min(start, end), max(start, end)
    return st.session_state.get("_oyna_last_range", default)


@st.cache_data(ttl=60, show_spinner=False)
def _views_refreshed() -> datetime | None:
    try:
        from core.platform.refresh import last_refreshed
    except ImportError:
        return None
    try:
        times = [t for t in last_refreshed(engine()).values() if t is not None]
    except sa.exc.ProgrammingError:  # migration 005 has not run here
        return None
    return min(times) if times else None


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """'just now', '5 min ago', '3 h ago', '2 days ago'."""
    if moment is None:
        return "never"
    now = now or datetime.now(timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    seconds = max(0.0, (now - moment).total_seconds())
    if seconds < 60:
        return "just now" if seconds < 5 else f"{seconds:.0f} s ago"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} h ago"
    return f"{seconds / 86400:.0f} days ago"


def _freshness(side: Any) -> None:
    lines = []
    try:
        refreshed = _views_refreshed()
        lines.append(f"Analytics views refreshed {ago(refreshed)}" if refreshed
                     else "Analytics views: not refreshed yet (pages read the tables)")
    except Exception:  # noqa: BLE001 - freshness is informative only
        logger.debug("view freshness unavailable", exc_info=True)
    model = optional_query("models/active_model", ttl=60)
    if model is not None:
        if model.empty:
            lines.append("Models: none active yet")
        else:
            row = model.iloc[0]
            lines.append(f"Model {row.version} trained {ago(pd.Timestamp(row.trained_at).to_pydatetime())}")
    if lines:
        side.caption("  \n".join(lines))


# ---------------------------------------------------------------- shared data


def daily_revenue_by_club(club_ids: tuple[int, ...]) -> pd.DataFrame:
    """Revenue per club and complete local day (day, club_id, revenue), from the view when it exists."""
    frame = optional_query("forecast/daily_revenue", ttl=600, club_ids=club_ids)
    if frame is None:
        frame = run_query("forecast/daily_revenue_raw", ttl=600, club_ids=club_ids)
    return frame


def daily_revenue(club_ids: tuple[int, ...], until: date | None = None) -> pd.Series:
    """Daily revenue of some clubs together on a gap-free daily index (days without revenue are 0),
    from the first day with revenue to `until` (default: the last complete day)."""
    frame = daily_revenue_by_club(club_ids)
    frame = frame[frame.club_id.isin(club_ids)]
    if frame.empty:
        return pd.Series(dtype=float, name="revenue")
    series = frame.groupby(pd.to_datetime(frame.day)).revenue.sum()
    last = pd.Timestamp(until) if until is not None else series.index.max()
    full = pd.date_range(series.index.min(), max(last, series.index.min()), freq="D")
    return series.reindex(full, fill_value=0.0).rename("revenue").rename_axis("day")


# ---------------------------------------------------------------- formatting and charts


def money(value: float | None, *, compact: bool = False) -> str:
    """12345678 -> '12 345 678 ₸' (or '12.35M ₸' when compact), with no-break spaces; None -> '—'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if compact and abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.2f}M\u00a0₸"  # no-break spaces: the sign never wraps alone
    if compact and abs(value) >= 10_000:
        return f"{value / 1_000:.0f}k\u00a0₸"
    return f"{value:,.0f}".replace(",", "\u00a0") + "\u00a0₸"


def number(value: float | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.{digits}f}".replace(",", " ")


def style_figure(fig: Any, *, height: int = 360, legend: bool = True) -> Any:
    """Compact margins, a legend under the chart (it fits a phone), no title inside the chart."""
    fig.update_layout(
        height=height,
        margin={"l": 8, "r": 8, "t": 8, "b": 8},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.01, "xanchor": "left", "x": 0},
        showlegend=legend,
        hovermode="x unified",
        font={"size": 13},
    )
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return fig


_CSS = """
<style>
/* Less empty space above the page title. */
[data-testid="stMainBlockContainer"] { padding-top: 3.5rem; padding-bottom: 3rem; }
/* Rows of cards (containers keyed cards_*): two or three to a row on a phone instead of one. */
@media (max-width: 640px) {
  [class*="st-key-cards_"] [data-testid="stHorizontalBlock"] { flex-wrap: wrap; gap: 0.5rem; }
  [class*="st-key-cards_"] [data-testid="stColumn"] {
    min-width: calc(50% - 0.5rem) !important; flex: 1 1 calc(50% - 0.5rem) !important; width: auto !important;
  }
  [class*="st-key-cards_"] [data-testid="stMetricValue"] { font-size: 1.6rem; }
  h1 { font-size: 2rem !important; }
}
</style>
"""


def apply_style() -> None:
    """The app's few CSS tweaks (app.py calls this once per run)."""
    st.html(_CSS)


def card_columns(count: int, key: str) -> list[Any]:
    """Columns for a row of cards: side by side on a desktop, two to a row on a phone."""
    with st.container(key=f"cards_{key}"):
        return list(st.columns(count))


def plot(fig: Any, *, key: str | None = None) -> None:
    """A Plotly chart that takes its container's width."""
    st.plotly_chart(fig, width="stretch", config=PLOTLY_CONFIG, key=key)

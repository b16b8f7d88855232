"""One way to make an app under test: `app_client(account, page)` is an AppTest of app.py signed in as
`account` (None: signed out) on `page`, run once, against the session's tier-S database. Signing in
starts a real session row (AppTest cannot carry cookies), so every run finds the account as a served
app does: through `core.accounts.sessions.resume`, re-read from the database.

Every AppTest run goes through app.py, as in a served app after its first run: next to a pages/ folder
Streamlit starts in its legacy multipage mode until `st.navigation` runs once, and AppTest starts every
run that way, which would run a page file directly (pages.ui.session.ensure_entrypoint reruns through
app.py). `app_client(..., legacy=True)` keeps that first-run mode, for the test that covers it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest, app_test

from core.accounts import Account, add_account, list_accounts, remove_account, sessions
from core.platform.db import make_engine
from pages.ui.session import SESSION_KEY
from tests.conftest import logs_forgotten
from tests.pages.support import APP, PASSWORD, TIMEOUT, AfterFirstRun, clear_caches, ok


@pytest.fixture(scope="module")
def app_db(db_url, app_url, engine, demo) -> Iterator:
    """The app's DATABASE_URL for this module (the session's database, as the app's role; the owner's URL
    for admin work), fresh caches before and after; the sessions, sign-ins and activity the module writes
    are deleted afterwards. Yields the owner's engine."""
    mp = pytest.MonkeyPatch()
    mp.setenv("DATABASE_URL", app_url)
    mp.setenv("OYNA_OWNER_DATABASE_URL", db_url)
    clear_caches()
    with logs_forgotten(engine):
        yield engine
    clear_caches()
    mp.undo()


@pytest.fixture(scope="module")
def accounts(app_db) -> Iterator[dict[str, Account]]:
    """A manager and an analyst with unique names (removed afterwards)."""
    suffix = uuid.uuid4().hex[:8]
    made = {role: add_account(app_db, username=f"app-{role}-{suffix}", role=role, password=PASSWORD)
            for role in ("manager", "analyst")}
    yield made
    for account in made.values():
        remove_account(app_db, username=account.username)


@pytest.fixture
def app_client(app_db, monkeypatch) -> Iterator[Callable[..., AppTest]]:
    """Make an AppTest of app.py, signed in as `account` on `page` and run once (see the module doc); the
    session's id is `at.session_state["oyna_session"]`.

    `fresh=True` empties Streamlit's caches first; `database_url` points the app at another server
    (the caches are emptied before and after, so no other test sees its engine).
    """
    other_database = False

    def make(account: Account | None = None, page: str | None = None, *, run: bool = True,
             legacy: bool = False, fresh: bool = False, database_url: str | None = None) -> AppTest:
        nonlocal other_database
        monkeypatch.setattr(app_test, "PagesManager", PagesManager if legacy else AfterFirstRun)
        if database_url is not None:
            monkeypatch.setenv("DATABASE_URL", database_url)
            monkeypatch.setenv("OYNA_OWNER_DATABASE_URL", database_url)
            other_database = fresh = True
        if fresh:
            clear_caches()
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        if account is not None:
            at.session_state[SESSION_KEY] = _session_on(database_url, account) if database_url else \
                sessions.start(app_db, account).session_id
        if page:
            at.switch_page(page)
        if run:
            at.run()
            if account is not None and database_url is None:
                ok(at)
        return at

    def _session_on(url: str, account: Account) -> int:
        """A session on another database, for an account of the same name and role made there."""
        other = make_engine(url)
        try:
            try:
                conn = other.connect()
            except sa.exc.OperationalError:  # an unreachable server: the app finds that out itself
                return sessions.start(app_db, account).session_id
            with conn:
                known = conn.execute(sa.text("select id from app_accounts where username = :u"),
                                     {"u": account.username}).scalar()
            there = add_account(other, username=account.username, role=account.role, password=PASSWORD) \
                if known is None else next(a for a in list_accounts(other) if a.id == known)
            return sessions.start(other, there).session_id
        finally:
            other.dispose()

    def leave_legacy_mode() -> None:
        """From now on runs go through app.py (the process has run it once)."""
        monkeypatch.setattr(app_test, "PagesManager", AfterFirstRun)

    make.leave_legacy_mode = leave_legacy_mode
    yield make
    if other_database:
        monkeypatch.undo()
        clear_caches()

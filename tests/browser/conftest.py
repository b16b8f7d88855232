"""What the browser tests share (one server for the package): accounts of both roles and a manager of one
club, the app served as `oyna serve` serves it (pages/ui/asgi.py, connected as the app's database role), and
Debian's Chromium."""

from __future__ import annotations

import uuid

import pytest

from core.accounts import add_account, remove_account
from core.platform.clubs import all_club_ids
from tests.browser.support import DESKTOP, chromium, streamlit_server
from tests.conftest import logs_forgotten

PASSWORD = "violet-comet-5182"


@pytest.fixture(scope="package")
def accounts(engine, demo):
    suffix = uuid.uuid4().hex[:8]
    first_club = all_club_ids(engine)[0]
    with logs_forgotten(engine):
        made = {role: add_account(engine, username=f"web-{role}-{suffix}", role=role, password=PASSWORD)
                for role in ("manager", "analyst")}
        made["club"] = add_account(engine, username=f"web-club-{suffix}", role="manager", password=PASSWORD,
                                   club_ids=[first_club])
        yield made
        for account in made.values():
            remove_account(engine, username=account.username)


@pytest.fixture(scope="package")
def server(db_url, app_url, accounts, trained, graded_backtests, model_settings):
    """The app, once a model is active and earlier predictions have been graded (the pages cache them).
    A retrain's files go where the session's models are, not into the checkout's models/."""
    with streamlit_server(app_url, extra_env={"OYNA_MODELS_DIR": str(model_settings.models_dir),
                                              "OYNA_OWNER_DATABASE_URL": db_url, "OYNA_LIVE_SECONDS": "10"}) as base:
        yield base


@pytest.fixture(scope="package")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport=DESKTOP, locale="en-US")  # an English browser (Accept-Language)
    yield context.new_page()
    context.close()

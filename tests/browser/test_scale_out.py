"""Scale-out, shown (issue 11): two app processes on two ports against one database. A retrain started in
one shows its new version in the other; while it runs, the other refuses a second one (the advisory lock
in PostgreSQL, not anything in a process). docs/scale.md describes the set-up."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from core.models import registry
from pages.ui.cookie import COOKIE
from tests.browser.conftest import PASSWORD
from tests.browser.support import (
    CHROMIUM,
    DESKTOP,
    model_versions,
    open_page,
    session_cookie,
    sign_in,
    streamlit_server,
    wait_for_app,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Debian's Chromium is not installed ({CHROMIUM} is missing)"),
]

NEW_VERSION = re.compile(r"Version (v\d{8}-\d{6}) (is now active|was saved)")


@pytest.fixture(scope="module")
def two_apps(db_url, accounts, trained, model_settings):
    """Two Streamlit processes, each with its own port, pool and caches, on the session's database."""
    env = {"OYNA_MODELS_DIR": str(model_settings.models_dir)}
    with streamlit_server(db_url, extra_env=env) as first, streamlit_server(db_url, extra_env=env) as second:
        yield first, second


def test_a_session_cookie_from_one_app_is_accepted_by_the_other(browser, two_apps, accounts):
    first, second = two_apps
    signed = browser.new_context(viewport=DESKTOP)
    carried = browser.new_context(viewport=DESKTOP)
    try:
        page = signed.new_page()
        sign_in(page, first, accounts["analyst"].username, PASSWORD)
        cookie = session_cookie(signed)  # sign_in waited for it
        assert cookie
        # A browser that never saw the first app, carrying only that cookie, to the second process
        carried.add_cookies([{"name": COOKIE, "value": cookie["value"], "url": second}])
        other = carried.new_page()
        other.goto(f"{second}/forecast")
        other.wait_for_selector('[data-testid="stSidebarNav"], input[aria-label="Username"]', state="attached",
                                timeout=30_000)
        assert other.locator('[data-testid="stSidebarNav"]').count() == 1  # signed in, no form
        other.get_by_role("heading", name="Forecast", exact=True).wait_for(timeout=30_000)
        other.get_by_text(accounts["analyst"].username).first.wait_for(timeout=30_000)  # the sidebar's account
    finally:
        signed.close()
        carried.close()


def test_a_retrain_in_one_app_shows_in_the_other_and_runs_once(browser, two_apps, accounts, engine,
                                                                 model_settings):
    first, second = two_apps
    before, active = model_versions(engine), registry.active_version(engine)
    contexts = [browser.new_context(viewport=DESKTOP) for _ in two_apps]
    one, other = (context.new_page() for context in contexts)
    made: set[str] = set()
    try:
        for page, base in ((one, first), (other, second)):
            sign_in(page, base, accounts["manager"].username, PASSWORD)
            open_page(page, "Models")
            page.get_by_role("button", name="Retrain now").wait_for(timeout=30_000)
            wait_for_app(page)
        one.get_by_role("button", name="Retrain now").click()
        one.get_by_text("Retraining…").first.wait_for(timeout=30_000)  # the first app holds the lock now
        other.get_by_role("button", name="Retrain now").click()
        # the second app refuses: it sees the first one's lock (the button turns off, or the start fails)
        other.get_by_text(re.compile("started by someone else is running|already running")).first.wait_for(
            timeout=30_000)

        one.get_by_text(NEW_VERSION).first.wait_for(timeout=180_000)
        made = model_versions(engine) - before
        assert len(made) == 1, made  # one retrain ran, across both processes
        version = next(iter(made))
        assert registry.active_version(engine) == version  # same data, same recipe: a tie activates

        # The other app shows it by itself: it checks every few seconds while a retrain runs elsewhere.
        other.locator("p", has_text="Active version:").filter(has_text=version).wait_for(timeout=30_000)
        other.get_by_text("started by someone else").first.wait_for(state="hidden", timeout=30_000)  # run ended
    finally:
        for context in contexts:
            context.close()
        if made:
            registry.activate(engine, version=active)
            with engine.begin() as conn:
                conn.execute(sa.text("delete from model_versions where version = any(:v)"), {"v": list(made)})
            for version in made:
                for suffix in (".joblib", ".json"):
                    (model_settings.models_dir / f"{version}{suffix}").unlink(missing_ok=True)

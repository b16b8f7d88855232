"""Scale-out, shown (issue 11): two app processes on two ports against one database. A retrain started in
one shows its new version in the other; while it runs, the other refuses a second one (the advisory lock
in PostgreSQL, not anything in a process). docs/scale.md describes the set-up."""

from __future__ import annotations

import re
import time
import uuid

import pytest
import sqlalchemy as sa

from core.accounts import add_account, remove_account
from core.models import registry
from tests.browser.support import CHROMIUM, DESKTOP, chromium, open_page, sign_in, streamlit_server, wait_for_app

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Debian's Chromium is not installed ({CHROMIUM} is missing)"),
]

PASSWORD = "amber-falcon-6620"
NEW_VERSION = re.compile(r"Version (v\d{8}-\d{6}) (is now active|was saved)")


@pytest.fixture(scope="module")
def managers(engine, demo):
    suffix = uuid.uuid4().hex[:8]
    made = [add_account(engine, username=f"scale-{n}-{suffix}", role="manager", password=PASSWORD) for n in (1, 2)]
    yield made
    for account in made:
        remove_account(engine, username=account.username)


@pytest.fixture(scope="module")
def two_apps(db_url, managers, trained, model_settings):
    """Two Streamlit processes, each with its own port, pool and caches, on the session's database."""
    env = {"OYNA_MODELS_DIR": str(model_settings.models_dir)}
    with streamlit_server(db_url, extra_env=env) as first, streamlit_server(db_url, extra_env=env) as second:
        yield first, second


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def _versions(engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(sa.text("select version from model_versions")).scalars())


def test_a_retrain_in_one_app_shows_in_the_other_and_runs_once(browser, two_apps, managers, engine,
                                                                 model_settings):
    first, second = two_apps
    before, active = _versions(engine), registry.active_version(engine)
    contexts = [browser.new_context(viewport=DESKTOP) for _ in two_apps]
    one, other = (context.new_page() for context in contexts)
    made: set[str] = set()
    try:
        for page, base, account in ((one, first, managers[0]), (other, second, managers[1])):
            sign_in(page, base, account.username, PASSWORD)
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
        made = _versions(engine) - before
        assert len(made) == 1, made  # one retrain ran, across both processes
        version = next(iter(made))
        assert registry.active_version(engine) == version  # same data, same recipe: a tie activates

        # The other process shows it as soon as its cached list of versions (10 s) runs out.
        deadline = time.monotonic() + 60
        while True:
            open_page(other, "Models")
            wait_for_app(other)
            if other.get_by_text(f"Active version: {version}").count() or \
                    other.locator("p", has_text="Active version:").filter(has_text=version).count():
                break
            assert time.monotonic() < deadline, "the second app never showed the new version"
            time.sleep(2)
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

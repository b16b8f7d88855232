"""The served app in Debian's Chromium (Playwright): sign-in, every page of mine at desktop and phone
sizes for both roles, charts drawn, no horizontal scrolling on a phone, and the live overview updating
itself. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re
import time
import uuid

from pathlib import Path

import pytest

from tests.browser.conftest import PASSWORD
from tests.browser.support import (
    CHROMIUM,
    DESKTOP,
    PHONE,
    horizontal_overflow,
    no_exceptions,
    model_versions,
    open_page,
    screenshot,
    sign_in,
    wait_for_app,
    visible_charts,
    wait_for_charts,
    walk_ins,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Debian's Chromium is not installed ({CHROMIUM} is missing; "
                                                     "`apt-get install -y chromium`, as .ci/run does)"),
]

# page -> Plotly charts it draws (the Customer page waits for a customer to be picked)
PAGES = {"Overview": 1, "Customers": 2, "Customer": 0, "Forecast": 1, "Utilization": 2, "What-if": 2, "Models": 1,
         "Data": 0, "Activity": 0, "Account": 0}
MANAGERS_ONLY = {"Activity"}
LIVE_WITHIN = 40  # seconds: the served app's overview refreshes every 10 s (conftest), the product's every 30 s
ENGLISH = "en-US"  # the browser's language (Accept-Language); tests/browser/test_russian.py has the Russian one
IMPORTS = Path(__file__).resolve().parents[1] / "data" / "imports"


def metric_value(page, label: str) -> str:
    card = page.locator('[data-testid="stMetric"]', has_text=label).first
    return card.locator('[data-testid="stMetricValue"]').inner_text().strip()


# In English, an analyst on a phone; test_russian.py walks a manager's pages, with the same chart counts, on a
# desktop and on a phone.
@pytest.mark.parametrize(("role", "size"), [("analyst", "phone")])
def test_pages_draw_their_charts(browser, server, accounts, role, size):
    context = browser.new_context(viewport=DESKTOP if size == "desktop" else PHONE, locale=ENGLISH)
    page = context.new_page()
    try:
        sign_in(page, server, accounts[role].username, PASSWORD)
        for title, count in PAGES.items():
            if title in MANAGERS_ONLY and role != "manager":
                assert page.locator('[data-testid="stSidebarNav"] a', has_text=title).count() == 0
                continue
            started = time.monotonic()
            if title != "Overview":
                open_page(page, title)
            page.get_by_role("heading", name=title, exact=True).wait_for(timeout=30_000)
            wait_for_charts(page, count)
            wait_for_app(page)
            seconds = time.monotonic() - started
            no_exceptions(page)
            assert visible_charts(page) >= count
            assert seconds < 20, f"{title} took {seconds:.1f} s to draw its charts"
            if size == "phone":
                assert horizontal_overflow(page) <= 0, f"{title} scrolls sideways on a phone"
            screenshot(page, f"{size}-{role}-{title.lower()}")
    finally:
        context.close()


def test_wrong_password_then_sign_in_and_out(desktop, server, accounts):
    page = desktop
    page.goto(server)
    page.get_by_label("Username").fill(accounts["manager"].username)
    page.get_by_label("Password", exact=True).fill("not-my-password-7")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Wrong username or password.").wait_for(timeout=20_000)
    sign_in(page, server, accounts["manager"].username, PASSWORD)
    page.get_by_role("heading", name="Overview", exact=True).wait_for(timeout=30_000)
    wait_for_charts(page, 1)
    wait_for_app(page)
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Username").wait_for(timeout=20_000)
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0


def test_a_deep_link_lands_on_its_page_after_signing_in(desktop, server, accounts):
    page = desktop
    page.goto(f"{server}/utilization")
    page.get_by_label("Username").wait_for(timeout=20_000)
    assert visible_charts(page) == 0
    page.get_by_label("Username").fill(accounts["analyst"].username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Utilization", exact=True).wait_for(timeout=30_000)
    wait_for_charts(page, 2)
    assert page.url.rstrip("/").endswith("/utilization")


def test_overview_updates_itself(desktop, server, accounts, engine):
    page = desktop
    sign_in(page, server, accounts["manager"].username, PASSWORD)
    wait_for_charts(page, 1)
    wait_for_app(page)
    seen = _last_seen(engine, accounts["manager"].username)
    before = metric_value(page, "Bookings today")
    with walk_ins(engine, 4) as added:
        assert added > 0
        inserted = time.monotonic()
        expected = str(int(re.sub(r"\D", "", before)) + added)
        # No reload, no click: the live section reruns by itself.
        page.wait_for_function(
            """([label, expected]) => [...document.querySelectorAll('[data-testid="stMetric"]')]
                .some(m => m.innerText.includes(label)
                      && m.querySelector('[data-testid="stMetricValue"]').innerText.replace(/\\D/g, '')
                         === expected)""",
            arg=["Bookings today", expected], timeout=LIVE_WITHIN * 1000)
        waited = time.monotonic() - inserted
    assert waited <= LIVE_WITHIN
    assert _last_seen(engine, accounts["manager"].username) == seen  # a refresh does not keep the session alive
    assert page.get_by_text(re.compile(r"Updated (just now|\d+ seconds? ago)")).count() >= 1
    no_exceptions(page)
    screenshot(page, "desktop-overview-after-live-update", whole=False)
    # Between refreshes the age counts on in the browser: as if the figures were two minutes old.
    page.evaluate("""() => { const el = document.getElementById('oyna-age-overview');
                             el.dataset.age = '125'; el.dataset.loaded = String(Date.now()); }""")
    page.get_by_text(re.compile(r"Updated 2 minutes ago")).wait_for(timeout=3_000)


def test_retrain_from_the_models_page(desktop, server, accounts, engine):
    before = model_versions(engine)
    sign_in(desktop, server, accounts["manager"].username, PASSWORD)
    open_page(desktop, "Models")
    desktop.get_by_role("button", name="Retrain now").click()
    desktop.get_by_text(re.compile(r"Version v\d{8}-\d{6} (is now active|was saved)")).wait_for(timeout=180_000)
    new = model_versions(engine) - before
    assert len(new) == 1
    desktop.get_by_text(new.pop()).first.wait_for(timeout=30_000)  # the page reran by itself to show it
    no_exceptions(desktop)
    screenshot(desktop, "desktop-manager-models-after-retrain")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_predictions_checked_against_what_happened(browser, server, accounts, graded_backtests, size):
    """The Models page's quality and live sections for a manager: the warning on the degraded version,
    the table, the trend and decile charts; on a phone without sideways scrolling."""
    context = browser.new_context(viewport=DESKTOP if size == "desktop" else PHONE, locale=ENGLISH)
    page = context.new_page()
    try:
        sign_in(page, server, accounts["manager"].username, PASSWORD)
        open_page(page, "Models")
        page.get_by_role("heading", name="How live predictions turned out").wait_for(timeout=30_000)
        page.get_by_text("did clearly worse than promised").first.wait_for(timeout=30_000)
        assert page.get_by_text(graded_backtests.degraded.version).count() >= 1
        wait_for_charts(page, 6)  # quality: calibration, risk spread; drivers; live: AUC, revenue, deciles
        wait_for_app(page)
        assert metric_value(page, "Prediction quality").endswith("/ 100")
        no_exceptions(page)
        if size == "phone":
            assert horizontal_overflow(page) <= 0, "the Models page scrolls sideways on a phone"
        page.get_by_text("Realized churn by risk decile").first.scroll_into_view_if_needed()
        screenshot(page, f"{size}-manager-models-live")
    finally:
        context.close()


def test_save_a_scenario_and_find_it_again(desktop, server, accounts):
    name = f"Evening +10% {uuid.uuid4().hex[:6]}"
    sign_in(desktop, server, accounts["analyst"].username, PASSWORD)
    open_page(desktop, "What-if")
    wait_for_charts(desktop, 2)
    desktop.get_by_role("textbox", name="Name").fill(name)
    desktop.get_by_role("button", name="Save").click()
    desktop.get_by_text(f"Saved “{name}”.").wait_for(timeout=60_000)
    open_page(desktop, "Overview")
    open_page(desktop, "What-if")  # found again after leaving the page
    desktop.get_by_text(name).first.wait_for(timeout=60_000)
    no_exceptions(desktop)
    screenshot(desktop, "desktop-analyst-what-if-saved")


def _last_seen(engine, username: str):
    import sqlalchemy as sa

    with engine.connect() as conn:
        return conn.execute(sa.text(
            "select s.id, s.last_seen_at from app_sessions s join app_accounts a on a.id = s.account_id "
            "where a.username = :u and s.ended_at is null order by s.id desc limit 1"), {"u": username}).one()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_manager_dry_runs_an_upload_on_the_data_page(browser, server, accounts, size):
    context = browser.new_context(viewport=DESKTOP if size == "desktop" else PHONE, locale=ENGLISH)
    page = context.new_page()
    try:
        sign_in(page, server, accounts["manager"].username, PASSWORD)
        open_page(page, "Data")
        page.get_by_role("heading", name="Data health").wait_for(timeout=60_000)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(IMPORTS / "generic_visits.csv"))
        page.get_by_text("Generic (one row per visit) file (detected): 12 rows").wait_for(timeout=60_000)
        page.get_by_role("button", name="Dry run (write nothing)").click()
        page.get_by_text(re.compile(r"Dry run of generic_visits.csv: every row can be imported")).wait_for(timeout=60_000)
        wait_for_app(page)
        no_exceptions(page)
        if size == "phone":
            assert horizontal_overflow(page) <= 0, "the Data page scrolls sideways on a phone"
        screenshot(page, f"{size}-manager-data-dry-run")
    finally:
        context.close()
